package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// RetentionDays is the venue's retention period: retention_days, or DefaultRetentionDays when
// it is not set or there is no venue yet. It reads the table itself, so that a venue with a
// broken setting elsewhere (its time zone) is still purged.
func RetentionDays(app core.App) (int, error) {
	var days int
	err := app.DB().NewQuery("SELECT retention_days FROM venue ORDER BY created LIMIT 1").Row(&days)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("purge: retention period: %w", err)
	}
	if days <= 0 {
		days = DefaultRetentionDays
	}
	return days, nil
}

// dueBookings selects the bookings whose personal data has outlived the retention period
// (idx_bookings_anonymised_end).
func dueBookings(cut time.Time) dbx.Expression {
	return dbx.NewExp("anonymised = FALSE AND [[end]] < {:cut}", dbx.Params{"cut": DBTime(cut)})
}

// CountDueBookings counts the bookings whose visit ended before cut and that still hold
// personal data.
func CountDueBookings(app core.App, cut time.Time) (int64, error) {
	var n int64
	err := app.DB().Select("count(*)").From(colBookings).Where(dueBookings(cut)).Row(&n)
	return n, err
}

// AnonymiseDue anonymises up to limit of the bookings due at cut (AnonymiseBookings), inside tx.
// It takes the write lock first: a transaction that reads and then writes cannot wait for
// another process's writer (`reserva purge` beside a running server), it fails. It returns how
// many it selected, and how many bookings and customers it changed.
func AnonymiseDue(tx core.App, cut time.Time, limit int) (selected int, bookings, customers int64, err error) {
	if _, err := tx.DB().NewQuery("UPDATE bookings SET anonymised = anonymised WHERE 0").Execute(); err != nil {
		return 0, 0, 0, fmt.Errorf("purge: lock: %w", err)
	}
	var ids []string
	if err := tx.DB().Select("id").From(colBookings).Where(dueBookings(cut)).Limit(int64(limit)).Column(&ids); err != nil {
		return 0, 0, 0, fmt.Errorf("purge: select bookings: %w", err)
	}
	bookings, customers, err = AnonymiseBookings(tx, ids)
	return len(ids), bookings, customers, err
}

// orphanCustomers selects the customers that no booking keeping personal data names, by
// relation or by address (deleteOrphanCustomers' rule). Bookings due for anonymisation count
// as anonymised already, so a dry run counts what the real run, which anonymises them first,
// deletes. The two lists are each built once (one pass over the bookings), not per customer.
func orphanCustomers(cut time.Time) dbx.Expression {
	return dbx.NewExp(`id NOT IN (SELECT customer FROM bookings WHERE customer != '' AND NOT (anonymised = FALSE AND [[end]] < {:cut}))
		AND email NOT IN (SELECT lower(email) FROM bookings WHERE email != '' AND NOT (anonymised = FALSE AND [[end]] < {:cut}))`,
		dbx.Params{"cut": DBTime(cut)})
}

// PurgeCustomers deletes (or with dryRun counts) the customers without any booking that keeps
// personal data; with inactiveOnly only those whose last activity is before cut too.
func PurgeCustomers(app core.App, cut time.Time, inactiveOnly, dryRun bool) (int64, error) {
	where := orphanCustomers(cut)
	if inactiveOnly {
		where = dbx.And(where, dbx.NewExp("last_activity < {:cut}", dbx.Params{"cut": DBTime(cut)}))
	}
	n, err := sweep(app.DB(), colCustomers, where, dryRun)
	if err != nil {
		return 0, fmt.Errorf("purge: customers: %w", err)
	}
	return n, nil
}

// PurgeTokens deletes (or counts) the visitors' sign-in links and sessions expired at now, and
// every manage token of an anonymised booking.
func PurgeTokens(app core.App, now time.Time, dryRun bool) (int64, error) {
	expired := dbx.NewExp("expires < {:now}", dbx.Params{"now": DBTime(now)})
	sweeps := []struct {
		table string
		where dbx.Expression
	}{
		{colVisitorLinks, expired},
		{colVisitorSessions, expired},
		{colBookingTokens, dbx.NewExp("booking IN (SELECT id FROM bookings WHERE anonymised = TRUE)")},
	}
	var total int64
	for _, s := range sweeps {
		n, err := sweep(app.DB(), s.table, s.where, dryRun)
		if err != nil {
			return total, fmt.Errorf("purge: %s: %w", s.table, err)
		}
		total += n
	}
	return total, nil
}

// PurgeLogs deletes (or counts) the entries of PocketBase's log (auxiliary.db) older than cut:
// request logs hold addresses and paths.
func PurgeLogs(app core.App, cut time.Time, dryRun bool) (int64, error) {
	if !app.AuxHasTable("_logs") {
		return 0, nil
	}
	n, err := sweep(app.AuxDB(), "_logs", dbx.NewExp("created < {:cut}", dbx.Params{"cut": DBTime(cut)}), dryRun)
	if err != nil {
		return 0, fmt.Errorf("purge: logs: %w", err)
	}
	return n, nil
}

// sweep deletes the rows of table that where selects and returns how many; with dryRun it
// counts them instead.
func sweep(db dbx.Builder, table string, where dbx.Expression, dryRun bool) (int64, error) {
	if dryRun {
		var n int64
		err := db.Select("count(*)").From(table).Where(where).Row(&n)
		return n, err
	}
	res, err := db.Delete(table, where).Execute()
	if err != nil {
		return 0, err
	}
	return rowsAffected(res), nil
}

// CapLogDays lowers PocketBase's log retention setting (Logs.MaxDays) to days when it is
// longer, and saves it; a shorter one, or logging turned off (0), stays.
func CapLogDays(app core.App, days int) error {
	s := app.Settings()
	if s.Logs.MaxDays <= days {
		return nil
	}
	s.Logs.MaxDays = days
	if err := app.Save(s); err != nil {
		return fmt.Errorf("purge: cap log retention: %w", err)
	}
	return nil
}
