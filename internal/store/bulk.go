package store

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
)

// Bulk writes generated rows fast, with statements prepared once per transaction (the demo
// generator's million bookings). No record hooks run: it is for a venue's test copy only.
type Bulk struct {
	booking, token, customer *dbx.Query
}

// NewBulk prepares the statements inside tx; Close releases them.
func NewBulk(tx core.App) *Bulk {
	db := tx.DB()
	return &Bulk{
		booking: db.NewQuery(`INSERT INTO bookings (id, reference, offering, start, "end", party, status, name, email, phone,
			notes, source, consent_at, notice_version, customer, reminded_at, cancelled_at, checked_in_at, created, updated)
			VALUES ({:id}, {:ref}, {:off}, {:start}, {:end}, {:party}, {:status}, {:name}, {:email}, {:phone},
			{:notes}, {:source}, {:created}, 1, {:customer}, {:created}, {:cancelled}, {:checked}, {:created}, {:created})`).Prepare(),
		token: db.NewQuery(`INSERT INTO booking_tokens (id, booking, token_hash, purpose, created)
			VALUES ({:id}, {:booking}, {:hash}, 'web', {:created})`).Prepare(),
		customer: db.NewQuery(`INSERT INTO customers (id, email, name, phone, last_activity, created, updated)
			VALUES ({:id}, {:email}, {:name}, {:phone}, {:at}, {:at}, {:at})`).Prepare(),
	}
}

// Close releases the prepared statements.
func (b *Bulk) Close() {
	b.booking.Close()
	b.token.Close()
	b.customer.Close()
}

// GeneratedBooking is a made-up booking, marked reminded at its creation.
type GeneratedBooking struct {
	ID, Reference, Offering       string
	Start, End                    time.Time
	Party                         int
	Status                        booking.Status
	Name, Email, Phone, Notes     string
	Source                        Source
	Customer                      string
	Created, Cancelled, CheckedIn time.Time
	TokenID, TokenHash            string
}

// Customer writes a made-up customer.
func (b *Bulk) Customer(id, email, name, phone string, at time.Time) error {
	if _, err := b.customer.Bind(dbx.Params{"id": id, "email": email, "name": name, "phone": phone, "at": DBTime(at)}).Execute(); err != nil {
		return fmt.Errorf("generate: customer: %w", err)
	}
	return nil
}

// Booking writes a made-up booking and its manage token's hash.
func (b *Bulk) Booking(g GeneratedBooking) error {
	_, err := b.booking.Bind(dbx.Params{"id": g.ID, "ref": g.Reference, "off": g.Offering, "start": DBTime(g.Start), "end": DBTime(g.End),
		"party": g.Party, "status": string(g.Status), "name": g.Name, "email": g.Email, "phone": g.Phone, "notes": g.Notes,
		"source": string(g.Source), "created": DBTime(g.Created), "customer": g.Customer, "cancelled": DBTime(g.Cancelled),
		"checked": DBTime(g.CheckedIn)}).Execute()
	if err != nil {
		return fmt.Errorf("generate: booking: %w", err)
	}
	if _, err := b.token.Bind(dbx.Params{"id": g.TokenID, "booking": g.ID, "hash": g.TokenHash, "created": DBTime(g.Created)}).Execute(); err != nil {
		return fmt.Errorf("generate: token: %w", err)
	}
	return nil
}

// Analyze refreshes SQLite's statistics (after a bulk load, so the planner picks the indexes)
// and merges the search index's segments into one: a bulk load leaves one per transaction, and
// FTS5 merges none inside the writes (the booking writer merges them while idle, a little at
// a time, which a search right after a million generated bookings would not wait for).
func Analyze(app core.App) error {
	if _, err := app.DB().NewQuery("INSERT INTO bookings_search (bookings_search) VALUES ('optimize')").Execute(); err != nil {
		return fmt.Errorf("analyze: search index: %w", err)
	}
	if _, err := app.DB().NewQuery("ANALYZE").Execute(); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// CountVenues counts the venue records (0 on a fresh database).
func CountVenues(app core.App) (int, error) {
	var n int
	err := app.DB().NewQuery("SELECT count(*) FROM venue").Row(&n)
	return n, err
}

// OfferingBySlug returns the offering with slug, active or not; sql.ErrNoRows when none.
func OfferingBySlug(app core.App, slug string) (*Offering, error) {
	var o Offering
	if err := app.DB().NewQuery("SELECT * FROM offerings WHERE slug = {:s} LIMIT 1").Bind(dbx.Params{"s": slug}).One(&o); err != nil {
		return nil, errNotFound(err)
	}
	return &o, nil
}
