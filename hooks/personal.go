package hooks

import (
	"context"
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"modernc.org/sqlite"
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

// personalField is one column that can hold a visitor's personal data.
type personalField struct {
	Collection, Field string
	// Erased is the value an erasure or a purge leaves behind ("" for text). Rows of
	// collections with Delete set are deleted instead.
	Delete bool
}

// personalFields declares, in one place, every field where Reserva keeps a visitor's personal
// data. The export writes each of them and erasure and the retention purge clear or delete each
// of them (TestPersonalFieldsAreExportedAndErased checks both, field by field). Token hashes
// (booking_tokens, visitor_links, visitor_sessions) go with their rows. Staff accounts are not
// visitors' data: they live in staff, staff_sessions and staff_invites.
var personalFields = []personalField{
	{"customers", "email", true}, {"customers", "name", true}, {"customers", "phone", true},
	{"customers", "last_activity", true},
	{"bookings", "name", false}, {"bookings", "email", false}, {"bookings", "phone", false},
	{"bookings", "notes", false}, {"bookings", "internal_notes", false}, {"bookings", "customer", false},
	{"bookings", "sensitive_notes", false}, {"bookings", "consent_at", false}, {"bookings", "cancel_reason", false}, {"bookings", "override_reason", false},
	{"outbox", "to_email", true}, {"outbox", "to_name", true}, {"outbox", "subject", true},
	{"outbox", "text", true}, {"outbox", "html", true}, {"outbox", "attachments", true},
	{"visitor_links", "email", true}, {"visitor_sessions", "email", true},
	{"gdpr_requests", "subject", false}, // replaced by a pseudonym
	{"participants", "name", true}, {"participants", "consent_at", true},
	{"waitlist", "name", true}, {"waitlist", "email", true}, {"waitlist", "phone", true}, {"waitlist", "consent_at", true},
	{"walkins", "name", true}, {"walkins", "email", true}, {"walkins", "phone", true},
}

// bookingErasedColumns are the bookings columns an erasure clears; what stays (offering, time,
// party, status, source, reference) keeps the statistics.
func bookingErasedColumns() dbx.Params {
	p := dbx.Params{"anonymised": true}
	for _, f := range personalFields {
		if f.Collection == "bookings" {
			p[f.Field] = ""
		}
	}
	return p
}

// anonymiseBookings clears the personal fields of the bookings ids, deletes their manage
// tokens, named guests and mail (queued or sent), and then deletes the customers of those
// bookings that no booking keeping personal data names any more. Run it inside a transaction.
// It returns how many bookings and customers it changed. The customer check looks only at the
// batch's own customers, through indexes (idx_bookings_customer, idx_bookings_email_lower), so
// a batch costs the same on a database of any size.
func anonymiseBookings(tx core.App, ids []string) (bookings, customers int64, err error) {
	if len(ids) == 0 {
		return 0, 0, nil
	}
	in := make([]any, len(ids))
	for i, id := range ids {
		in[i] = id
	}
	db := tx.DB()
	var custIDs, emails []string
	if err := db.Select("customer").Distinct(true).From("bookings").Where(dbx.In("id", in...)).AndWhere(dbx.NewExp("customer != ''")).
		Column(&custIDs); err != nil {
		return 0, 0, fmt.Errorf("anonymise: customers: %w", err)
	}
	if err := db.Select("lower(email)").Distinct(true).From("bookings").Where(dbx.In("id", in...)).AndWhere(dbx.NewExp("email != ''")).
		Column(&emails); err != nil {
		return 0, 0, fmt.Errorf("anonymise: customers: %w", err)
	}
	for _, q := range []struct{ table, col string }{{"booking_tokens", "booking"}, {"outbox", "booking"}, {"participants", "booking"}} {
		// "!= ''" lets SQLite use the partial indexes on the relation.
		if _, err := db.Delete(q.table, dbx.And(dbx.In(q.col, in...), dbx.NewExp("[["+q.col+"]] != ''"))).Execute(); err != nil {
			return 0, 0, fmt.Errorf("anonymise: %s: %w", q.table, err)
		}
	}
	res, err := db.Update("bookings", bookingErasedColumns(), dbx.In("id", in...)).Execute()
	if err != nil {
		return 0, 0, fmt.Errorf("anonymise: bookings: %w", err)
	}
	bookings, _ = res.RowsAffected()
	customers, err = deleteOrphanCustomers(tx, custIDs, emails)
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
	idArgs, emailArgs := make([]any, len(ids)), make([]any, len(emails))
	for i, v := range ids {
		idArgs[i] = v
	}
	for i, v := range emails {
		emailArgs[i] = v
	}
	if err := tx.DB().Select("id", "email").From("customers").Where(dbx.Or(dbx.In("id", idArgs...), dbx.In("email", emailArgs...))).
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
		if _, err := tx.DB().Delete("customers", dbx.HashExp{"id": c.ID}).Execute(); err != nil {
			return n, fmt.Errorf("anonymise: customers: %w", err)
		}
		n++
	}
	return n, nil
}

// checkpointAfterErasure copies the WAL into the database file and truncates it, so that the
// bytes an erasure overwrote (secure_delete) do not live on in old WAL frames. A reader holding
// an old snapshot can keep the checkpoint from completing; the next erasure, purge or
// PocketBase's own checkpoints finish it.
func checkpointAfterErasure(app core.App) error {
	var busy, logFrames, done int
	err := app.DB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Row(&busy, &logFrames, &done)
	if err != nil && !strings.Contains(err.Error(), "no rows") {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
