package store

import (
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// usageSQL keeps booking_usage: the bookings that hold a place (confirmed, checked in, or held
// for a waitlist offer) of each offering merged by start, end and session, their parties
// summed and counted. SQLite triggers update it in the same transaction as any change to
// bookings, whatever writes it, so the capacity check reads a handful of rows for a busy time
// instead of every booking in it. The migrations made the same objects (1795505000, made again by
// 1795510005); EnsureBookingUsage puts them back if anything dropped them.
var usageSQL = `
CREATE TABLE IF NOT EXISTS booking_usage (
	offering TEXT NOT NULL,
	start    TEXT NOT NULL,
	"end"    TEXT NOT NULL,
	session  TEXT NOT NULL DEFAULT '',
	party    INTEGER NOT NULL DEFAULT 0,
	n        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (offering, start, "end", session)
) WITHOUT ROWID;

CREATE TRIGGER booking_usage_insert AFTER INSERT ON bookings
WHEN NEW.status IN ` + placeStatuses + `
BEGIN
	INSERT INTO booking_usage (offering, start, "end", session, party, n)
	VALUES (NEW.offering, NEW.start, NEW."end", NEW.session, NEW.party, 1)
	ON CONFLICT (offering, start, "end", session) DO UPDATE SET party = party + excluded.party, n = n + 1;
END;

CREATE TRIGGER booking_usage_delete AFTER DELETE ON bookings
WHEN OLD.status IN ` + placeStatuses + `
BEGIN
	UPDATE booking_usage SET party = party - OLD.party, n = n - 1
	WHERE offering = OLD.offering AND start = OLD.start AND "end" = OLD."end" AND session = OLD.session;
	DELETE FROM booking_usage
	WHERE offering = OLD.offering AND start = OLD.start AND "end" = OLD."end" AND session = OLD.session AND n <= 0;
END;

CREATE TRIGGER booking_usage_update AFTER UPDATE OF offering, start, "end", session, party, status ON bookings
BEGIN
	UPDATE booking_usage SET party = party - OLD.party, n = n - 1
	WHERE OLD.status IN ` + placeStatuses + `
		AND offering = OLD.offering AND start = OLD.start AND "end" = OLD."end" AND session = OLD.session;
	DELETE FROM booking_usage
	WHERE offering = OLD.offering AND start = OLD.start AND "end" = OLD."end" AND session = OLD.session AND n <= 0;
	INSERT INTO booking_usage (offering, start, "end", session, party, n)
	SELECT NEW.offering, NEW.start, NEW."end", NEW.session, NEW.party, 1 WHERE NEW.status IN ` + placeStatuses + `
	ON CONFLICT (offering, start, "end", session) DO UPDATE SET party = party + excluded.party, n = n + 1;
END;
`

// usageRebuildSQL fills booking_usage from the bookings.
var usageRebuildSQL = `
DELETE FROM booking_usage;
INSERT INTO booking_usage (offering, start, "end", session, party, n)
SELECT offering, start, "end", session, sum(party), count(*) FROM bookings
WHERE status IN ` + placeStatuses + ` GROUP BY offering, start, "end", session;
`

// usageTriggers are the triggers that keep booking_usage.
var usageTriggers = []string{"booking_usage_insert", "booking_usage_delete", "booking_usage_update"}

// bookingUsage is booking_usage as EnsureBookingUsage keeps it.
var bookingUsage = derivedObjects{label: "booking_usage", create: usageSQL, rebuild: usageRebuildSQL, triggers: usageTriggers}

// EnsureBookingUsage runs when the server starts. The capacity check trusts booking_usage, so
// if anything dropped or changed one of its objects (a schema change that rebuilt the bookings
// table, a hand-edited database), it makes them again and rebuilds the table from the bookings
// in one transaction before the first request is served. It reports whether it had to.
func EnsureBookingUsage(app core.App) (bool, error) { return bookingUsage.ensure(app) }

// UsageObjects are booking_usage's table and triggers as SQLite keeps them (sqlite_master.sql,
// whitespace normalised), by name: what the migrations must have made.
func UsageObjects() map[string]string { return bookingUsage.objects() }

// derivedObjects are tables that triggers keep from the bookings: made by the migrations, and
// made again (and filled anew) by ensure when anything dropped or changed one of them.
type derivedObjects struct {
	label    string   // for the log
	create   string   // the CREATE statements: tables IF NOT EXISTS, then triggers
	rebuild  string   // fills the tables from the bookings
	triggers []string // the triggers' names, dropped before create runs again
}

// ensure checks d's objects against sqlite_master and, when one is missing or differs, makes
// them again and rebuilds the tables in one transaction. It reports whether it had to.
func (d derivedObjects) ensure(app core.App) (bool, error) {
	want := d.objects()
	names := make([]any, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	var rows []struct {
		Name string `db:"name"`
		SQL  string `db:"sql"`
	}
	err := app.DB().Select("name", "coalesce(sql, '') AS sql").From("sqlite_master").Where(dbx.In("name", names...)).All(&rows)
	if err != nil {
		return false, fmt.Errorf("look for %s: %w", d.label, err)
	}
	found := map[string]string{}
	for _, r := range rows {
		found[r.Name] = normalizeSQL(r.SQL)
	}
	intact := len(found) == len(want)
	for name, sql := range want {
		if found[name] != sql {
			intact = false
		}
	}
	if intact {
		return false, nil
	}
	err = app.RunInTransaction(func(tx core.App) error {
		drop := "DROP TRIGGER IF EXISTS " + strings.Join(d.triggers, "; DROP TRIGGER IF EXISTS ") + ";"
		if _, err := tx.DB().NewQuery(drop).Execute(); err != nil {
			return err
		}
		if _, err := tx.DB().NewQuery(d.create).Execute(); err != nil {
			return err
		}
		_, err := tx.DB().NewQuery(d.rebuild).Execute()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("rebuild %s: %w", d.label, err)
	}
	app.Logger().Warn(d.label+" was incomplete and has been rebuilt from the bookings", "found", len(found), "want", len(want))
	return true, nil
}

// objects are d's tables and triggers as SQLite keeps them (sqlite_master.sql, whitespace
// normalised), by name.
func (d derivedObjects) objects() map[string]string {
	out := map[string]string{}
	for _, stmt := range splitStatements(d.create) {
		fields := strings.Fields(stmt)
		name := ""
		switch {
		case len(fields) > 5 && fields[1] == "TABLE":
			name = fields[5] // CREATE TABLE IF NOT EXISTS name
		case len(fields) > 6 && fields[1] == "VIRTUAL":
			name = fields[6] // CREATE VIRTUAL TABLE IF NOT EXISTS name
		case len(fields) > 2 && fields[1] == "TRIGGER":
			name = fields[2]
		}
		// SQLite keeps "CREATE TABLE booking_usage (…)" without IF NOT EXISTS.
		out[name] = normalizeSQL(strings.Replace(stmt, "IF NOT EXISTS ", "", 1))
	}
	return out
}

// splitStatements splits a script of CREATE statements (triggers end with END;).
func splitStatements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		if strings.TrimSpace(line) == "" && cur.Len() == 0 {
			continue
		}
		cur.WriteString(line + "\n")
		t := strings.TrimSpace(line)
		inTrigger := strings.Contains(cur.String(), "CREATE TRIGGER")
		if (inTrigger && t == "END;") || (!inTrigger && strings.HasSuffix(t, ";")) {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	return out
}

// normalizeSQL collapses whitespace, so stored and written SQL compare equal.
func normalizeSQL(s string) string { return strings.Join(strings.Fields(s), " ") }

// UsageConsistent reports whether booking_usage agrees with the bookings, row for row
// (tests and the fuzzer check it after every write).
func UsageConsistent(app core.App) (bool, error) {
	fromBookings := `SELECT offering, start, "end", session, sum(party), count(*) FROM bookings WHERE status IN ` + placeStatuses + `
		GROUP BY offering, start, "end", session`
	kept := `SELECT offering, start, "end", session, party, n FROM booking_usage`
	var diff int
	err := app.DB().NewQuery("SELECT (SELECT count(*) FROM (" + fromBookings + " EXCEPT " + kept + ")) + (SELECT count(*) FROM (" +
		kept + " EXCEPT " + fromBookings + "))").Row(&diff)
	return diff == 0, err
}
