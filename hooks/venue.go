package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/views"
)

// errNoVenue means the database holds no venue yet: the site answers "not set up yet".
var errNoVenue = errors.New("venue: not set up")

// venue is the venue record with what every request derives from it.
type venue struct {
	rec    *core.Record
	loc    *time.Location
	locale *views.Locale
}

// venue loads the one venue record. It returns errNoVenue when none exists, and an error when
// its time zone is not a valid IANA name. Every request needs it: outside transactions it is
// kept in memory until a venue record changes (bindVenueCache), and each caller gets its own
// copy of the record to change.
func (h *handlers) venue(app core.App) (*venue, error) {
	if c := h.venueCache.Load(); c != nil && !app.IsTransactional() {
		return &venue{rec: c.rec.Clone(), loc: c.loc, locale: c.locale}, nil
	}
	recs := []*core.Record{}
	if err := app.RecordQuery("venue").OrderBy("created").Limit(1).All(&recs); err != nil {
		return nil, fmt.Errorf("venue: load: %w", err)
	}
	if len(recs) == 0 {
		return nil, errNoVenue
	}
	rec := recs[0]
	loc, err := time.LoadLocation(rec.GetString("timezone"))
	if err != nil {
		return nil, fmt.Errorf("venue: time zone: %w", err)
	}
	v := &venue{rec: rec, loc: loc, locale: views.NewLocale(rec.GetString("locale"))}
	if !app.IsTransactional() {
		h.venueCache.Store(&venue{rec: rec.Clone(), loc: loc, locale: v.locale})
	}
	return v, nil
}

// bindVenueCache drops the kept venue whenever a venue record is created, changed or deleted
// (after the change is committed).
func (h *handlers) bindVenueCache(app core.App) {
	drop := func(e *core.RecordEvent) error {
		h.venueCache.Store(nil)
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess("venue").BindFunc(drop)
	app.OnRecordAfterUpdateSuccess("venue").BindFunc(drop)
	app.OnRecordAfterDeleteSuccess("venue").BindFunc(drop)
}

// venueOrUnavailable is venue for handlers: no venue yet is a calm 503 page, not a 500.
func (h *handlers) venueOrUnavailable(app core.App) (*venue, error) {
	v, err := h.venue(app)
	if errors.Is(err, errNoVenue) {
		return nil, &pageError{status: 503, heading: "error.unavailable", body: "error.unavailable_body", err: err}
	}
	return v, err
}

func (v *venue) view() views.Venue {
	return views.Venue{
		Name:    v.rec.GetString("name"),
		Address: v.rec.GetString("address"),
		Email:   v.rec.GetString("email"),
		Phone:   v.rec.GetString("phone"),
	}
}

func (v *venue) page(title views.Msg) views.Page {
	return views.Page{L: v.locale, Venue: v.view(), Title: title}
}

func (v *venue) noticeVersion() int {
	if n := v.rec.GetInt("notice_version"); n > 0 {
		return n
	}
	return 1
}

// today is the venue-local date of now.
func (v *venue) today(now time.Time) booking.Date { return booking.DateOf(now, v.loc) }

// findOffering returns the active offering with slug; sql.ErrNoRows when there is none.
func findOffering(app core.App, slug string) (*core.Record, error) {
	if slug == "" || len(slug) > 80 {
		return nil, sql.ErrNoRows
	}
	rec := &core.Record{}
	err := app.RecordQuery("offerings").Where(dbx.HashExp{"slug": slug, "active": true}).Limit(1).One(rec)
	if err != nil {
		return nil, fmt.Errorf("offering %q: %w", slug, err)
	}
	return rec, nil
}

// rules turns an offering record into the booking rules' value.
func rules(rec *core.Record) booking.Offering {
	min := func(field string) time.Duration { return time.Duration(rec.GetInt(field)) * time.Minute }
	return booking.Offering{
		Kind:         booking.Kind(rec.GetString("kind")),
		Duration:     min("duration"),
		Interval:     min("interval"),
		Capacity:     rec.GetInt("capacity"),
		Mode:         booking.Mode(rec.GetString("capacity_mode")),
		MinParty:     rec.GetInt("min_party"),
		MaxParty:     rec.GetInt("max_party"),
		BufferBefore: min("buffer_before"),
		BufferAfter:  min("buffer_after"),
		LeadTime:     min("lead_time"),
		Horizon:      time.Duration(rec.GetInt("horizon")) * 24 * time.Hour,
		CancelCutoff: min("cancel_cutoff"),
	}
}

func offeringView(rec *core.Record) views.Offering {
	r := rules(rec)
	minParty := r.MinParty
	if minParty < 1 {
		minParty = 1
	}
	o := views.Offering{
		Name:        rec.GetString("name"),
		Slug:        rec.GetString("slug"),
		Description: rec.GetString("description"),
		Session:     r.Kind == booking.KindSession,
		Duration:    r.Duration,
		MinParty:    minParty,
		MaxParty:    r.MaxParty,
	}
	if sensitiveEnabled() {
		o.SensitivePrompt = rec.GetString("sensitive_prompt")
	}
	o.AskParticipants = rec.GetBool("ask_participants")
	return o
}
