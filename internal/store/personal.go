package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"modernc.org/sqlite"

	"reserva/internal/booking"
)

// Every SQLite connection the process opens overwrites deleted content with zeros
// (secure_delete), so an erased or purged person's data does not stay behind in free pages of
// data.db. The hook runs for each new connection of every pool PocketBase opens.
func init() {
	sqlite.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, _ string) error {
		_, err := conn.ExecContext(context.Background(), "PRAGMA secure_delete = ON", nil)
		return err
	})
}

// PersonalField is one column that can hold a visitor's personal data.
type PersonalField struct {
	Collection, Field string
	// Delete is set when erasure and the purge delete the field's rows; otherwise they clear
	// the field ("" for text).
	Delete bool
}

// PersonalFields declares, in one place, every field where Reserva keeps a visitor's personal
// data. The export writes each of them and erasure and the retention purge clear or delete each
// of them (TestPersonalFieldsAreExportedAndErased checks both, field by field). Token hashes
// (booking_tokens, visitor_links, visitor_sessions) go with their rows. Staff accounts are not
// visitors' data: they live in staff, staff_sessions and staff_invites.
var PersonalFields = []PersonalField{
	{colCustomers, "email", true}, {colCustomers, "name", true}, {colCustomers, "phone", true},
	{colCustomers, "last_activity", true}, {colCustomers, "tags", true}, {colCustomers, "profile_note_sealed", true},
	{colCustomers, "profile_note_consent_at", true},
	{colBookings, "name", false}, {colBookings, "email", false}, {colBookings, "phone", false},
	{colBookings, "notes", false}, {colBookings, "internal_notes", false}, {colBookings, "customer", false},
	{colBookings, "sensitive_notes", false}, {colBookings, "consent_at", false}, {colBookings, "cancel_reason", false},
	{colBookings, "override_reason", false},
	{colOutbox, "to_email", true}, {colOutbox, "to_name", true}, {colOutbox, "subject", true},
	{colOutbox, "text", true}, {colOutbox, "html", true}, {colOutbox, "attachments", true},
	{colVisitorLinks, "email", true}, {colVisitorSessions, "email", true},
	{colGDPRRequests, "subject", false}, // replaced by a pseudonym
	{colParticipants, "name", true}, {colParticipants, "consent_at", true},
	{colWaitlist, "name", true}, {colWaitlist, "email", true}, {colWaitlist, "phone", true}, {colWaitlist, "consent_at", true},
	{colWalkins, "name", true}, {colWalkins, "email", true}, {colWalkins, "phone", true},
}

// bookingErasedColumns are the bookings columns an erasure clears; what stays (offering, time,
// party, status, source, reference) keeps the statistics.
func bookingErasedColumns() dbx.Params {
	p := dbx.Params{"anonymised": true, "sms": false}
	for _, f := range PersonalFields {
		if f.Collection == colBookings {
			p[f.Field] = ""
		}
	}
	return p
}

// Pseudonym names a person in the audit log and the request queue without their address: the
// first 16 hex digits of the address's SHA-256.
func Pseudonym(email string) string { return "p-" + HashToken(strings.ToLower(email))[:16] }

// AnonymiseBookings clears the personal fields of the bookings ids, deletes their manage
// tokens, named guests, mail (queued or sent), texts and webhook deliveries (a payload may carry
// the guest's contact), and then deletes the customers of those bookings that no booking keeping
// personal data names any more, and the profile notes of those
// kept whose consent went with the bookings (dropUnconsentedNotes). Run it inside a transaction.
// It returns how many bookings and customers it changed. The customer check looks only at the
// batch's own customers, through indexes (idx_bookings_customer, idx_bookings_email_lower), so
// a batch costs the same on a database of any size.
func AnonymiseBookings(tx core.App, ids []string) (bookings, customers int64, err error) {
	if len(ids) == 0 {
		return 0, 0, nil
	}
	in := anys(ids)
	db := tx.DB()
	var custIDs, emails []string
	if err := db.Select("customer").Distinct(true).From(colBookings).Where(dbx.In("id", in...)).AndWhere(dbx.NewExp("customer != ''")).
		Column(&custIDs); err != nil {
		return 0, 0, fmt.Errorf("anonymise: customers: %w", err)
	}
	if err := db.Select("lower(email)").Distinct(true).From(colBookings).Where(dbx.In("id", in...)).AndWhere(dbx.NewExp("email != ''")).
		Column(&emails); err != nil {
		return 0, 0, fmt.Errorf("anonymise: customers: %w", err)
	}
	for _, q := range []struct{ table, col string }{{colBookingTokens, "booking"}, {colOutbox, "booking"}, {colParticipants, "booking"}, {colWebhookDeliveries, "booking"},
		{colSMSOutbox, "booking"}} {
		// "!= ''" lets SQLite use the partial indexes on the relation.
		if _, err := db.Delete(q.table, dbx.And(dbx.In(q.col, in...), dbx.NewExp("[["+q.col+"]] != ''"))).Execute(); err != nil {
			return 0, 0, fmt.Errorf("anonymise: %s: %w", q.table, err)
		}
	}
	if err := forgetPaymentCards(tx, in); err != nil {
		return 0, 0, err
	}
	res, err := db.Update(colBookings, bookingErasedColumns(), dbx.In("id", in...)).Execute()
	if err != nil {
		return 0, 0, fmt.Errorf("anonymise: bookings: %w", err)
	}
	bookings = rowsAffected(res)
	if customers, err = deleteOrphanCustomers(tx, custIDs, emails); err != nil {
		return bookings, customers, err
	}
	_, err = dropUnconsentedNotes(tx, custIDs, emails)
	return bookings, customers, err
}

// deleteOrphanCustomers deletes those of the customers (by id or address) that no booking
// keeping personal data names, by its relation or its address. Each check is one indexed
// lookup with constants (a correlated subquery would scan the bookings per customer).
func deleteOrphanCustomers(tx core.App, ids, emails []string) (int64, error) {
	if len(ids)+len(emails) == 0 {
		return 0, nil
	}
	var cands []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	if err := tx.DB().Select("id", "email").From(colCustomers).Where(dbx.Or(dbx.In("id", anys(ids)...), dbx.In("email", anys(emails)...))).
		All(&cands); err != nil {
		return 0, fmt.Errorf("anonymise: customers: %w", err)
	}
	var n int64
	for _, c := range cands {
		var used int
		err := tx.DB().NewQuery(`SELECT EXISTS (SELECT 1 FROM bookings WHERE customer != '' AND customer = {:id})
			OR EXISTS (SELECT 1 FROM bookings WHERE email != '' AND lower(email) = {:e})`).
			Bind(dbx.Params{"id": c.ID, "e": c.Email}).Row(&used)
		if err != nil {
			return n, fmt.Errorf("anonymise: customers: %w", err)
		}
		if used != 0 {
			continue
		}
		if _, err := tx.DB().Delete(colCustomers, hashExp("id", c.ID)).Execute(); err != nil {
			return n, fmt.Errorf("anonymise: customers: %w", err)
		}
		n++
	}
	return n, nil
}

// Checkpoint copies the WAL into the database file and truncates it, so that the bytes an
// erasure overwrote (secure_delete) do not live on in old WAL frames. A checkpoint cannot
// finish while another one runs (the booking writer's passive checkpoints) or while a reader
// holds an older snapshot; SQLite then answers busy, and Checkpoint tries again until
// checkpointWithin has passed. It returns an error when the log could still not be truncated;
// the next erasure, purge or PocketBase's own checkpoints finish it then.
func Checkpoint(app core.App) error {
	deadline := time.Now().Add(checkpointWithin)
	for {
		var busy, logFrames, done int
		err := app.DB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Row(&busy, &logFrames, &done)
		if err != nil && !strings.Contains(err.Error(), "no rows") {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("checkpoint: the write-ahead log is still in use after %s (%d of %d frames copied)", checkpointWithin, done, logFrames)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkpointWithin is how long Checkpoint keeps trying while readers or another checkpoint
// hold the log.
const checkpointWithin = 5 * time.Second

// HasPersonalData reports whether Reserva keeps anything about email (lower case).
func HasPersonalData(app core.App, email string) (bool, error) {
	var n int
	err := app.DB().NewQuery(`SELECT (SELECT count(*) FROM customers WHERE email = {:e}) +
		(SELECT count(*) FROM bookings WHERE email != '' AND lower(email) = {:e})`).Bind(dbx.Params{"e": email}).Row(&n)
	return n > 0, err
}

// SubjectBookings are the bookings made with email (lower case) that still hold personal data,
// oldest first.
func SubjectBookings(app core.App, email string) ([]*Booking, error) {
	var out []*Booking
	err := app.DB().NewQuery("SELECT * FROM bookings WHERE email != '' AND lower(email) = {:e} AND anonymised = FALSE ORDER BY start").
		Bind(dbx.Params{"e": email}).All(&out)
	return out, err
}

// CustomerByEmail is the customer row of email (lower case); nil when there is none.
func CustomerByEmail(app core.App, email string) (*Customer, error) {
	var out []Customer
	if err := app.DB().NewQuery("SELECT id, email, name, phone FROM customers WHERE email = {:e} LIMIT 1").
		Bind(dbx.Params{"e": email}).All(&out); err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// Customer is the data subject of the bookings made with one address.
type Customer struct {
	ID    string `db:"id"`
	Email string `db:"email"`
	Name  string `db:"name"`
	Phone string `db:"phone"`
}

// ErasureBlockers are the bookings that keep email from being erased: confirmed or checked in,
// and not yet over.
func ErasureBlockers(app core.App, email string, now time.Time) ([]*Booking, error) {
	var out []*Booking
	err := app.DB().NewQuery(`SELECT * FROM bookings WHERE email != '' AND lower(email) = {:e} AND anonymised = FALSE
		AND status IN ` + activeStatuses + ` AND "end" > {:now} ORDER BY start`).
		Bind(dbx.Params{"e": email, "now": DBTime(now)}).All(&out)
	return out, err
}

// Rectify corrects the name and phone of email (lower case) on their customer row and on every
// booking that holds them.
func Rectify(tx core.App, email, name, phone string) error {
	set := dbx.Params{"name": name, "phone": phone}
	if _, err := tx.DB().Update(colCustomers, set, hashExp("email", email)).Execute(); err != nil {
		return err
	}
	_, err := tx.DB().Update(colBookings, dbx.Params{"name": name, "phone": phone, "updated": stamp()},
		dbx.NewExp("email != '' AND lower(email) = {:e} AND anonymised = FALSE", dbx.Params{"e": email})).Execute()
	return err
}

// EraseSubject removes everything Reserva keeps about email (lower case), inside tx: the
// personal fields of their bookings (date, offering and party stay for statistics), places held
// for them (released), their customer row, sign-in links and sessions, waitlist entries and
// walk-ins, and every mail addressed to them, queued or sent; their requests in the queue keep
// only a pseudonym. It returns how many bookings were anonymised.
func EraseSubject(tx core.App, email string) (int, error) {
	var ids []string
	if err := tx.DB().Select("id").From(colBookings).
		Where(dbx.NewExp("email != '' AND lower(email) = {:e}", dbx.Params{"e": email})).Column(&ids); err != nil {
		return 0, err
	}
	var custID string
	_ = tx.DB().Select("id").From(colCustomers).Where(hashExp("email", email)).Row(&custID)
	if custID != "" {
		var more []string
		if err := tx.DB().Select("id").From(colBookings).Where(dbx.HashExp{"customer": custID}).Column(&more); err != nil {
			return 0, err
		}
		for _, id := range more {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	// Places held for them on a waitlist are released, not kept anonymised.
	if _, err := tx.DB().Delete(colBookings, dbx.NewExp("status = {:held} AND email != '' AND lower(email) = {:e}",
		dbx.Params{"e": email, "held": string(booking.StatusHeld)})).Execute(); err != nil {
		return 0, fmt.Errorf("erase: held places: %w", err)
	}
	if _, _, err := AnonymiseBookings(tx, ids); err != nil {
		return 0, err
	}
	for _, q := range []struct {
		table string
		where dbx.Expression
	}{
		{colCustomers, hashExp("email", email)},
		{colOutbox, dbx.NewExp("lower(to_email) = {:e}", dbx.Params{"e": email})},
		{colVisitorLinks, hashExp("email", email)},
		{colVisitorSessions, hashExp("email", email)},
		{colWaitlist, hashExp("email", email)},
		{colWalkins, hashExp("email", email)},
	} {
		if _, err := tx.DB().Delete(q.table, q.where).Execute(); err != nil {
			return 0, fmt.Errorf("erase: %s: %w", q.table, err)
		}
	}
	// The queue keeps the requests (they show the venue answered) under the pseudonym.
	if _, err := tx.DB().Update(colGDPRRequests, dbx.Params{"subject": Pseudonym(email)}, hashExp("subject", email)).Execute(); err != nil {
		return 0, fmt.Errorf("erase: gdpr_requests: %w", err)
	}
	return len(ids), nil
}
