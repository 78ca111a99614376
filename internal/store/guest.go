package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// GuestProfile is what staff keep about a customer beyond their bookings: short tags and one
// sensitive note, with the consent that note rests on.
type GuestProfile struct {
	ID    string `db:"id"`
	Email string `db:"email"`
	Name  string `db:"name"`
	Phone string `db:"phone"`
	// TagList is the tags as stored (comma-separated); Tags splits them.
	TagList string `db:"tags"`
	// NoteSealed is the profile note. NB! sealed (OpenSensitive); "" when there is none.
	NoteSealed string `db:"profile_note_sealed"`
	// NoteConsentAt and NoteNotice are the consent to a sensitive note the note was stored
	// under: its time and the privacy notice version it was given for.
	NoteConsentAt types.DateTime `db:"profile_note_consent_at"`
	NoteNotice    int            `db:"profile_note_notice_version"`
}

// Tags are the guest's tags, in the order staff gave them.
func (g *GuestProfile) Tags() []string {
	if g.TagList == "" {
		return nil
	}
	return strings.Split(g.TagList, ",")
}

// GuestProfileByID returns the customer id's profile; sql.ErrNoRows when there is none.
func GuestProfileByID(app core.App, id string) (*GuestProfile, error) {
	if id == "" {
		return nil, sql.ErrNoRows
	}
	var g GuestProfile
	err := app.DB().NewQuery(`SELECT id, email, name, phone, tags, profile_note_sealed, profile_note_consent_at,
		profile_note_notice_version FROM customers WHERE id = {:id} LIMIT 1`).Bind(dbx.Params{"id": id}).One(&g)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &g, nil
}

// guestBookings selects the bookings of the guest {:id} with the address {:e} (lower case)
// that still hold personal data: by their relation, or by the address (a place held for them,
// a booking made before the relation was kept). Both parts read an index (idx_bookings_customer,
// idx_bookings_email_lower); the "+" keeps SQLite from reading idx_bookings_anonymised_end
// instead, which holds nearly every booking that is not anonymised (TestGuestQueriesReadIndexes).
const guestBookings = `((customer != '' AND customer = {:id}) OR (email != '' AND lower(email) = {:e})) AND +anonymised = FALSE`

// GuestStats count a guest's bookings by what became of them.
type GuestStats struct {
	// Visits are the bookings they came to (checked in or completed).
	Visits        int
	NoShows       int
	Cancellations int
	// Upcoming are their confirmed bookings not yet over.
	Upcoming int
	// Total is every booking of theirs that holds personal data, whatever its status.
	Total int
	// LastVisit is the start of their latest visit (zero when none).
	LastVisit time.Time
}

// GuestStatsOf counts the bookings of guest g at now.
func GuestStatsOf(app core.App, g *GuestProfile, now time.Time) (GuestStats, error) {
	var row struct {
		Total         int            `db:"total"`
		Visits        int            `db:"visits"`
		NoShows       int            `db:"no_shows"`
		Cancellations int            `db:"cancellations"`
		Upcoming      int            `db:"upcoming"`
		Last          sql.NullString `db:"last"`
	}
	err := app.DB().NewQuery(`SELECT count(*) AS total,
		coalesce(sum(status IN ` + visitStatuses + `), 0) AS visits,
		coalesce(sum(status = {:noshow}), 0) AS no_shows,
		coalesce(sum(status = {:cancelled}), 0) AS cancellations,
		coalesce(sum(status = {:confirmed} AND "end" > {:now}), 0) AS upcoming,
		max(CASE WHEN status IN ` + visitStatuses + ` THEN start END) AS last
		FROM bookings WHERE ` + guestBookings).
		Bind(dbx.Params{"id": g.ID, "e": strings.ToLower(g.Email), "now": DBTime(now), "noshow": string(booking.StatusNoShow),
			"cancelled": string(booking.StatusCancelled), "confirmed": string(booking.StatusConfirmed)}).One(&row)
	if err != nil {
		return GuestStats{}, fmt.Errorf("guest %s: stats: %w", g.ID, err)
	}
	s := GuestStats{Visits: row.Visits, NoShows: row.NoShows, Cancellations: row.Cancellations, Upcoming: row.Upcoming, Total: row.Total}
	if row.Last.Valid && row.Last.String != "" {
		last, err := types.ParseDateTime(row.Last.String)
		if err != nil {
			return s, fmt.Errorf("guest %s: last visit: %w", g.ID, err)
		}
		s.LastVisit = last.Time()
	}
	return s, nil
}

// visitStatuses are the statuses of a visit that took place.
var visitStatuses = sqlList(booking.StatusCheckedIn, booking.StatusCompleted)

// GuestBookingList lists up to limit of guest g's bookings that hold personal data, the latest
// start first.
func GuestBookingList(app core.App, g *GuestProfile, limit int) ([]*Booking, error) {
	var out []*Booking
	err := app.DB().NewQuery(`SELECT * FROM bookings WHERE ` + guestBookings + ` ORDER BY start DESC, id DESC LIMIT {:n}`).
		Bind(dbx.Params{"id": g.ID, "e": strings.ToLower(g.Email), "n": limit}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("guest %s: bookings: %w", g.ID, err)
	}
	return out, nil
}

// NoteConsent is a guest's explicit consent to a sensitive note: when it was given and for
// which version of the privacy notice.
type NoteConsent struct {
	At     time.Time
	Notice int
}

// ErrNoNoteConsent means the guest never gave (or no longer has) the consent a sensitive note
// needs: no booking of theirs that keeps personal data holds a consented sensitive note.
var ErrNoNoteConsent = errors.New("guest: no consent to a sensitive note")

// NoteConsentOf finds the consent guest g's profile note may rest on: the consent given with
// their latest booking that holds a sensitive note (the booking form keeps such a note only
// with its own explicit consent tick). ErrNoNoteConsent when there is none.
func NoteConsentOf(app core.App, g *GuestProfile) (NoteConsent, error) {
	var rows []struct {
		ConsentAt types.DateTime `db:"consent_at"`
		Notice    int            `db:"notice_version"`
	}
	err := app.DB().NewQuery(`SELECT consent_at, notice_version FROM bookings WHERE sensitive_notes != '' AND ` + guestBookings + `
		ORDER BY consent_at DESC, id DESC LIMIT 1`).Bind(dbx.Params{"id": g.ID, "e": strings.ToLower(g.Email)}).All(&rows)
	if err != nil {
		return NoteConsent{}, fmt.Errorf("guest %s: consent: %w", g.ID, err)
	}
	if len(rows) == 0 {
		return NoteConsent{}, ErrNoNoteConsent
	}
	return NoteConsent{At: rows[0].ConsentAt.Time(), Notice: rows[0].Notice}, nil
}

// SetGuestTags replaces the tags of customer id (already checked and normalised: none holds a
// comma); sql.ErrNoRows when there is no such customer.
func SetGuestTags(tx core.App, id string, tags []string) error {
	return updateCustomer(tx, id, dbx.Params{"tags": strings.Join(tags, ",")})
}

// SetGuestNote stores plain as guest g's sealed profile note under consent, which the caller
// found with NoteConsentOf in the same transaction. An empty plain deletes the note and its
// consent (that needs no consent). It needs RESERVA_ENCRYPTION_KEY (ErrNoKey) to store a note.
func SetGuestNote(tx core.App, id, plain string, consent NoteConsent) error {
	if plain == "" {
		return updateCustomer(tx, id, noteCleared())
	}
	sealed, err := SealSensitive(plain)
	if err != nil {
		return fmt.Errorf("guest %s: seal the note: %w", id, err)
	}
	return updateCustomer(tx, id, dbx.Params{"profile_note_sealed": sealed, "profile_note_consent_at": DBTime(consent.At),
		"profile_note_notice_version": consent.Notice})
}

// noteCleared are the columns of a profile note without one.
func noteCleared() dbx.Params {
	return dbx.Params{"profile_note_sealed": "", "profile_note_consent_at": "", "profile_note_notice_version": 0}
}

// updateCustomer sets cols of customer id (and its updated time); sql.ErrNoRows when there is no
// such customer.
func updateCustomer(tx core.App, id string, cols dbx.Params) error {
	cols["updated"] = stamp()
	res, err := tx.DB().Update(colCustomers, cols, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("customer %s: update: %w", id, err)
	}
	if rowsAffected(res) == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// dropUnconsentedNotes deletes the profile notes of those of the customers (by id or address)
// whose consent is gone: no booking of theirs that keeps personal data holds a consented
// sensitive note any more (the retention purge or an erasure anonymised the last one). A note
// lives no longer than the consent it rests on. It returns how many notes it deleted.
func dropUnconsentedNotes(tx core.App, ids, emails []string) (int64, error) {
	if len(ids)+len(emails) == 0 {
		return 0, nil
	}
	var cands []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	if err := tx.DB().Select("id", "email").From(colCustomers).Where(dbx.And(dbx.NewExp("profile_note_sealed != ''"),
		dbx.Or(dbx.In("id", anys(ids)...), dbx.In("email", anys(emails)...)))).All(&cands); err != nil {
		return 0, fmt.Errorf("profile notes: %w", err)
	}
	var n int64
	for _, c := range cands {
		_, err := NoteConsentOf(tx, &GuestProfile{ID: c.ID, Email: c.Email})
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrNoNoteConsent) {
			return n, err
		}
		if err := updateCustomer(tx, c.ID, noteCleared()); err != nil {
			return n, fmt.Errorf("profile notes: %w", err)
		}
		n++
	}
	return n, nil
}

// GuestFilter selects customers for the guest list: Q a part of the name, address or phone;
// Tag one of their tags (any case).
type GuestFilter struct {
	Q, Tag string
}

// where is the filter as SQL over customers.
func (f GuestFilter) where() dbx.Expression {
	var parts []dbx.Expression
	if f.Q != "" {
		parts = append(parts, containsAny(f.Q, "name", "email", "phone"))
	}
	if f.Tag != "" {
		// Tags hold no commas: the tag is one of the list when ",tag," is in ",tags,".
		parts = append(parts, dbx.NewExp(`(',' || tags || ',') LIKE {:tag} ESCAPE '\'`,
			dbx.Params{"tag": "%," + likeEscaper.Replace(f.Tag) + ",%"}))
	}
	return dbx.And(parts...)
}

// GuestRow is one customer of the guest list.
type GuestRow struct {
	ID           string         `db:"id"`
	Email        string         `db:"email"`
	Name         string         `db:"name"`
	Phone        string         `db:"phone"`
	TagList      string         `db:"tags"`
	LastActivity types.DateTime `db:"last_activity"`
}

// Tags are the customer's tags, in the order staff gave them.
func (r GuestRow) Tags() []string { return (&GuestProfile{TagList: r.TagList}).Tags() }

// CountGuests counts the customers f selects.
func CountGuests(app core.App, f GuestFilter) (int, error) {
	var n int
	if err := app.DB().Select("count(*)").From(colCustomers).Where(f.where()).Row(&n); err != nil {
		return 0, fmt.Errorf("guests: count: %w", err)
	}
	return n, nil
}

// ListGuests lists limit of the customers f selects from offset, the latest active first.
func ListGuests(app core.App, f GuestFilter, offset, limit int) ([]GuestRow, error) {
	var out []GuestRow
	err := app.DB().Select("id", "email", "name", "phone", "tags", "last_activity").From(colCustomers).Where(f.where()).
		OrderBy("last_activity DESC", "id DESC").Offset(int64(offset)).Limit(int64(limit)).All(&out)
	if err != nil {
		return nil, fmt.Errorf("guests: list: %w", err)
	}
	return out, nil
}
