// Package store is Reserva's data: typed records over PocketBase's collections, the values
// each status field takes, every query and write (bookings, audit, outbox, tokens, consents),
// and the booking writer that commits in groups.
//
// Outside this package no code reads or writes a record field by its name: handlers and jobs
// get typed values (Booking, Offering, Venue, …) and call the functions here. Queries take a
// core.App, which may be a transaction's txApp; inside a transaction pass the txApp, never the
// app (PocketBase has one write connection: using the app there deadlocks).
//
// Bookings are written as plain SQL (no PocketBase record hooks run for them), so the page
// cache's version and the waitlist's wake-up are kept here: the Writer bumps them after each
// commit, and Bind keeps them for changes made through PocketBase's records (the dashboard's
// forms, the superusers' dashboard).
package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/core"
)

// ReadConns is the size of the pool of read connections, all kept open (main passes it to
// PocketBase): a connection opened afresh parses the whole schema, and each holds its own page
// cache, so a small pool kept warm is both faster and smaller than a large one that churns.
const ReadConns = 16

// Store is the state kept beside the database: the venue read once, the version of what is
// bookable, the wake-up of the waitlist worker, and the booking writer.
type Store struct {
	app       core.App
	venue     atomic.Pointer[Venue]
	offerings atomic.Pointer[offeringCache]
	// offeringsGen counts the changes to offerings: a read that began before one is not kept.
	offeringsGen atomic.Int64
	offeringsMu  sync.Mutex
	rules        atomic.Pointer[rulesCache] // opening hours, special hours and closures (calendar.go)
	rulesGen     atomic.Int64
	rulesMu      sync.Mutex
	images       atomic.Pointer[map[string]keptImage] // the venue's pictures with their bytes (image.go)
	imagesGen    atomic.Int64
	imagesMu     sync.Mutex
	version      atomic.Int64 // of everything bookable
	perMu        sync.RWMutex
	per          map[string]*atomic.Int64 // of one offering's bookings, by slug
	freed        chan struct{}
	writer       *Writer
	bindMu       sync.Once
}

// New makes the store of app and binds its record hooks (see Bind). Close stops its writer.
func New(app core.App) *Store {
	s := &Store{app: app, freed: make(chan struct{}, 1), per: map[string]*atomic.Int64{}}
	s.writer = newWriter(app, s.committed)
	s.bind()
	return s
}

// App is the PocketBase app the store reads and writes.
func (s *Store) App() core.App { return s.app }

// Writer is the booking writer: every write of a booking goes through it.
func (s *Store) Writer() *Writer { return s.writer }

// Queued is how many writes wait for the writer (a gauge of its load).
func (s *Store) Queued() int { return len(s.writer.queue) }

// Close stops the writer after the writes already queued (later ones fail with ErrClosed).
func (s *Store) Close() { s.writer.close() }

// Version is the version of what is bookable at the offering with slug: it changes after every
// committed change to its bookings, and to sessions, closures, opening hours, offerings or the
// venue. A page of the offering rendered at version v is current while Version(slug) == v.
// Offerings are named by slug, as pages name them, so a page reads its version before it
// reads anything else.
//
// It is the sum of two counters that only grow, the version of everything and the offering's
// own, so it changes whenever either does: a booking of one offering leaves the kept pages
// of the others current.
func (s *Store) Version(slug string) int64 {
	return s.version.Load() + s.offeringCounter(slug, false).Load()
}

// Changed bumps the version of everything: what is bookable anywhere may have changed (call it
// after the commit).
func (s *Store) Changed() { s.version.Add(1) }

// ChangedOffering bumps the version of the offering with slug (call it after the commit).
func (s *Store) ChangedOffering(slug string) { s.offeringCounter(slug, true).Add(1) }

var zeroCounter atomic.Int64 // an offering nothing was written for; never written to

func (s *Store) offeringCounter(slug string, create bool) *atomic.Int64 {
	s.perMu.RLock()
	c := s.per[slug]
	s.perMu.RUnlock()
	if c != nil {
		return c
	}
	if !create {
		return &zeroCounter
	}
	s.perMu.Lock()
	defer s.perMu.Unlock()
	if c = s.per[slug]; c == nil {
		c = new(atomic.Int64)
		s.per[slug] = c
	}
	return c
}

// Freed is where the waitlist worker waits: it receives after a commit that may have freed a
// place (a cancellation, a move, more capacity, a released hold).
func (s *Store) Freed() <-chan struct{} { return s.freed }

// NotifyFreed wakes the waitlist worker (at most one wake-up is pending).
func (s *Store) NotifyFreed() {
	select {
	case s.freed <- struct{}{}:
	default: // a run is already due
	}
}

// committed runs after each commit of the writer, before its callers are answered.
func (s *Store) committed(c Changes) {
	if c.all {
		s.Changed()
	} else {
		for _, slug := range c.offerings {
			s.ChangedOffering(slug)
		}
	}
	if c.freed {
		s.NotifyFreed()
	}
}

// availabilityCollections are the collections whose changes alter what is bookable.
var availabilityCollections = []string{colBookings, colSessions, colClosures, colSpecialHours, colOpeningHours, colOfferings, colVenue,
	colResources, colCombinations}

// freeingCollections are those whose changes through records may free a place.
var freeingCollections = []string{colBookings, colOfferings, colSessions, colClosures, colSpecialHours, colOpeningHours,
	colResources, colCombinations}

// bind keeps the version, the waitlist's wake-up and the kept venue for changes made through
// PocketBase's records, and makes the audit log append-only for every path that goes through
// them (the superusers' dashboard included).
func (s *Store) bind() {
	s.bindMu.Do(func() {
		app := s.app
		bump := func(e *core.RecordEvent) error {
			s.Changed()
			return e.Next()
		}
		wake := func(e *core.RecordEvent) error {
			s.NotifyFreed()
			return e.Next()
		}
		drop := func(e *core.RecordEvent) error {
			s.venue.Store(nil)
			return e.Next()
		}
		dropOfferings := func(e *core.RecordEvent) error {
			s.offeringsMu.Lock()
			s.offeringsGen.Add(1)
			s.offerings.Store(nil)
			s.offeringsMu.Unlock()
			return e.Next()
		}
		app.OnRecordAfterCreateSuccess(availabilityCollections...).BindFunc(bump)
		app.OnRecordAfterUpdateSuccess(availabilityCollections...).BindFunc(bump)
		app.OnRecordAfterDeleteSuccess(availabilityCollections...).BindFunc(bump)
		app.OnRecordAfterUpdateSuccess(freeingCollections...).BindFunc(wake)
		app.OnRecordAfterDeleteSuccess(colBookings, colClosures, colSpecialHours).BindFunc(wake)
		// Special hours may open times no weekly rule had.
		app.OnRecordAfterCreateSuccess(colSpecialHours, colResources, colCombinations).BindFunc(wake)
		named := func(e *core.RecordEvent) error {
			nameApp(e.App, e.Record.GetString("name"))
			return e.Next()
		}
		app.OnRecordAfterCreateSuccess(colVenue).BindFunc(drop)
		app.OnRecordAfterUpdateSuccess(colVenue).BindFunc(drop)
		app.OnRecordAfterCreateSuccess(colVenue).BindFunc(named)
		app.OnRecordAfterUpdateSuccess(colVenue).BindFunc(named)
		app.OnRecordAfterDeleteSuccess(colVenue).BindFunc(drop)
		dropRules := func(e *core.RecordEvent) error {
			s.dropRules()
			return e.Next()
		}
		app.OnRecordAfterCreateSuccess(colOpeningHours, colClosures, colSpecialHours, colResources, colCombinations).BindFunc(dropRules)
		app.OnRecordAfterUpdateSuccess(colOpeningHours, colClosures, colSpecialHours, colResources, colCombinations).BindFunc(dropRules)
		app.OnRecordAfterDeleteSuccess(colOpeningHours, colClosures, colSpecialHours, colResources, colCombinations).BindFunc(dropRules)
		// The pictures are on every visitor page (the logo) and in the kept venue: a change
		// makes the kept pages stale and drops the kept venue and pictures.
		dropImages := func(e *core.RecordEvent) error {
			s.dropImages()
			s.venue.Store(nil)
			s.Changed()
			return e.Next()
		}
		app.OnRecordAfterCreateSuccess(colVenueImages).BindFunc(dropImages)
		app.OnRecordAfterUpdateSuccess(colVenueImages).BindFunc(dropImages)
		app.OnRecordAfterDeleteSuccess(colVenueImages).BindFunc(dropImages)
		app.OnRecordAfterCreateSuccess(colOfferings).BindFunc(dropOfferings)
		app.OnRecordAfterUpdateSuccess(colOfferings).BindFunc(dropOfferings)
		app.OnRecordAfterDeleteSuccess(colOfferings).BindFunc(dropOfferings)
		refuse := func(*core.RecordEvent) error { return ErrAuditAppendOnly }
		app.OnRecordUpdate(colAuditLog).BindFunc(refuse)
		app.OnRecordDelete(colAuditLog).BindFunc(refuse)
	})
}

// NameApp gives PocketBase the venue's name as its application name, which its own mails to
// superusers (sign-in codes, alerts, password resets) carry instead of "Acme". Serve calls it
// at start; saving the venue keeps it. The name is set in the settings PocketBase holds in
// memory, not saved: saving them reloads every field, which races with PocketBase's own
// background readers of the settings (the file clean-up after a record delete reads the S3
// switch unlocked; the race detector caught it in TestRowsWrittenInSQLAreValidRecords).
func NameApp(app core.App) error {
	v, err := LoadVenue(app)
	if errors.Is(err, ErrNoVenue) {
		return nil
	}
	if err != nil {
		return err
	}
	nameApp(app, v.Name)
	return nil
}

func nameApp(app core.App, name string) {
	if name = strings.TrimSpace(name); name != "" {
		app.Settings().Meta.AppName = name
	}
}

// SuperusersCollectionID is the id of PocketBase's superusers collection (its API answers to
// the id as to the name); "" if it cannot be read.
func SuperusersCollectionID(app core.App) string {
	col, err := app.FindCachedCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		return ""
	}
	return col.Id
}

// Ping reads from the database within ctx (the health check).
func Ping(ctx context.Context, app core.App) error {
	var one int
	if err := app.DB().NewQuery("SELECT 1").WithContext(ctx).Row(&one); err != nil {
		return err
	}
	if one != 1 {
		return errors.New("store: SELECT 1 did not answer 1")
	}
	return nil
}

// ClearTrustedProxyHeaders empties PocketBase's stored trusted proxy headers (PocketBase would
// believe them from any peer; Reserva's own proxy setting is per start) and returns the headers
// it dropped.
func ClearTrustedProxyHeaders(app core.App) ([]string, error) {
	s := app.Settings()
	dropped := s.TrustedProxy.Headers
	if len(dropped) == 0 {
		return nil, nil
	}
	s.TrustedProxy.Headers = nil
	return dropped, app.Save(s)
}

// Validate runs PocketBase's own validation of the stored row id of collection (its fields'
// types, patterns and limits): rows written in plain SQL must pass it as if they had been saved
// through PocketBase.
func Validate(app core.App, collection, id string) error {
	rec, err := app.FindRecordById(collection, id)
	if err != nil {
		return err
	}
	return app.Validate(rec)
}
