package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// StaffFeed is a staff member's calendar subscription link: a staff-kind resource, and the
// hash of its secret token. NB! The token itself is never stored; it is shown once when made.
type StaffFeed struct {
	ID        string         `db:"id"`
	Resource  string         `db:"resource"`
	CreatedBy string         `db:"created_by"`
	Audited   types.DateTime `db:"audited"` // when a fetch was last audited (zero: never)
	Created   types.DateTime `db:"created"`
}

// ErrNotStaff refuses a calendar feed for a resource that is not a person (a room or a table).
var ErrNotStaff = errors.New("staff feed: the resource is not a staff member")

// StaffFeedOf returns the feed of resource; sql.ErrNoRows when it has none.
func StaffFeedOf(app core.App, resource string) (*StaffFeed, error) {
	var f StaffFeed
	err := app.DB().NewQuery("SELECT id, resource, created_by, audited, created FROM staff_feeds WHERE resource = {:r} LIMIT 1").
		Bind(dbx.Params{"r": resource}).One(&f)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &f, nil
}

// NewStaffFeed gives the staff-kind resource r a new feed link and returns its token (NB! to
// show once, never to store or log); a link it had before stops working. replaced says
// whether there was one. Call it inside a transaction with its audit entry.
func NewStaffFeed(tx core.App, r *Resource, actor string) (token string, replaced bool, err error) {
	if r.Kind != booking.ResourceStaff {
		return "", false, ErrNotStaff
	}
	res, err := tx.DB().NewQuery("DELETE FROM staff_feeds WHERE resource = {:r}").Bind(dbx.Params{"r": r.ID}).Execute()
	if err != nil {
		return "", false, fmt.Errorf("staff feed: replace: %w", err)
	}
	token, hash := NewToken()
	now := stamp()
	_, err = tx.DB().NewQuery(`INSERT INTO staff_feeds (id, resource, token_hash, created_by, audited, created, updated)
		VALUES ({:id}, {:r}, {:h}, {:by}, '', {:now}, {:now})`).
		Bind(dbx.Params{"id": newID(), "r": r.ID, "h": hash, "by": truncate(actor, 100), "now": now}).Execute()
	if err != nil {
		return "", false, fmt.Errorf("staff feed: save: %w", err)
	}
	return token, rowsAffected(res) > 0, nil
}

// RevokeStaffFeed ends resource's feed link at once; sql.ErrNoRows when it has none.
func RevokeStaffFeed(tx core.App, resource string) error {
	res, err := tx.DB().NewQuery("DELETE FROM staff_feeds WHERE resource = {:r}").Bind(dbx.Params{"r": resource}).Execute()
	if err != nil {
		return fmt.Errorf("staff feed: revoke: %w", err)
	}
	if rowsAffected(res) == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// FeedOwner is what a feed's token opens: the feed, its staff member and the offering they serve.
type FeedOwner struct {
	Feed         string         `db:"feed"`
	Audited      types.DateTime `db:"audited"`
	Resource     string         `db:"resource"`
	Name         string         `db:"name"`
	Offering     string         `db:"offering"`
	OfferingName string         `db:"offering_name"`
	HorizonDays  int            `db:"horizon"`
}

// StaffFeedByToken returns what the feed token opens; sql.ErrNoRows for an unknown, revoked or
// malformed token (a malformed one without touching the database), or a resource that is no
// longer a staff member.
func StaffFeedByToken(app core.App, token string) (*FeedOwner, error) {
	if !WellFormedToken(token) {
		return nil, sql.ErrNoRows
	}
	var o FeedOwner
	err := app.DB().NewQuery(`SELECT f.id AS feed, f.audited, r.id AS resource, r.name, o.id AS offering, o.name AS offering_name, o.horizon
		FROM staff_feeds f JOIN resources r ON r.id = f.resource JOIN offerings o ON o.id = r.offering
		WHERE f.token_hash = {:h} AND r.kind = 'staff' LIMIT 1`).
		Bind(dbx.Params{"h": HashToken(token)}).One(&o)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &o, nil
}

// FeedBooking is one booking as a staff member's feed shows it. NB! Only what the feed may
// show is read: no contact details, no notes.
type FeedBooking struct {
	ID        string         `db:"id"`
	Reference string         `db:"reference"`
	Start     types.DateTime `db:"start"`
	End       types.DateTime `db:"end"`
	Party     int            `db:"party"`
	Name      string         `db:"name"`
	Status    booking.Status `db:"status"`
	Sequence  int            `db:"sequence"`
	Updated   types.DateTime `db:"updated"`
}

// feedBookingsQuery is the feed's one query: the bookings that hold resource alone (a staff
// member serves one booking at a time and is never part of a combination) and stand, starting
// in [from, to), by start. idx_bookings_resources_start answers it (the resources != ” term
// lets SQLite use that partial index).
const feedBookingsQuery = `SELECT id, reference, start, "end", party, name, status, sequence, updated FROM bookings
	WHERE resources != '' AND resources = {:r} AND start >= {:from} AND start < {:to} AND status IN ('confirmed', 'checked_in')
	ORDER BY start, id`

// FeedBookings lists the confirmed and checked-in bookings that staff-kind resource holds and
// that start in [from, to), by start.
func FeedBookings(app core.App, resource string, from, to time.Time) ([]FeedBooking, error) {
	var out []FeedBooking
	err := app.DB().NewQuery(feedBookingsQuery).Bind(feedParams(resource, from, to)).All(&out)
	if err != nil {
		return nil, fmt.Errorf("staff feed: bookings: %w", err)
	}
	return out, nil
}

func feedParams(resource string, from, to time.Time) dbx.Params {
	return dbx.Params{"r": resource, "from": DBTime(from), "to": DBTime(to)}
}

// FeedBookingsPlan is SQLite's plan of FeedBookings' query (for a test that it stays indexed).
func FeedBookingsPlan(app core.App, resource string, from, to time.Time) ([]string, error) {
	var rows []struct {
		Detail string `db:"detail"`
	}
	err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + feedBookingsQuery).Bind(feedParams(resource, from, to)).All(&rows)
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Detail)
	}
	return out, err
}

// ClaimFeedAudit marks feed as audited at now unless it was audited less than every before, and
// reports whether it did: the caller then writes the audit entry, in the same transaction. A
// conditional update, so two fetches at once write one entry.
func ClaimFeedAudit(tx core.App, feed string, now time.Time, every time.Duration) (bool, error) {
	res, err := tx.DB().NewQuery(`UPDATE staff_feeds SET audited = {:now} WHERE id = {:id} AND (audited = '' OR audited IS NULL OR audited <= {:before})`).
		Bind(dbx.Params{"id": feed, "now": DBTime(now), "before": DBTime(now.Add(-every))}).Execute()
	if err != nil {
		return false, fmt.Errorf("staff feed: audit mark: %w", err)
	}
	return rowsAffected(res) > 0, nil
}
