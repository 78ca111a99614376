package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// BookingUsageSQL keeps booking_usage: the active bookings (confirmed, checked in, or held for
// a waitlist offer) of each offering merged by start, end and session, their parties summed
// and counted. SQLite
// triggers update it in the same transaction as any change to bookings, whatever writes it, so
// the capacity check reads a handful of rows for a busy time instead of every booking in it.
// hooks.ensureBookingUsage recreates the triggers and rebuilds the table if a schema change
// ever dropped them.
const BookingUsageSQL = `
CREATE TABLE IF NOT EXISTS booking_usage (
	offering TEXT NOT NULL,
	start    TEXT NOT NULL,
	"end"    TEXT NOT NULL,
	session  TEXT NOT NULL DEFAULT '',
	party    INTEGER NOT NULL DEFAULT 0,
	n        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (offering, start, "end", session)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS booking_usage_insert AFTER INSERT ON bookings
WHEN NEW.status IN ('confirmed', 'checked_in', 'held')
BEGIN
	INSERT INTO booking_usage (offering, start, "end", session, party, n)
	VALUES (NEW.offering, NEW.start, NEW."end", NEW.session, NEW.party, 1)
	ON CONFLICT (offering, start, "end", session) DO UPDATE SET party = party + excluded.party, n = n + 1;
END;

CREATE TRIGGER IF NOT EXISTS booking_usage_delete AFTER DELETE ON bookings
WHEN OLD.status IN ('confirmed', 'checked_in', 'held')
BEGIN
	UPDATE booking_usage SET party = party - OLD.party, n = n - 1
	WHERE offering = OLD.offering AND start = OLD.start AND "end" = OLD."end" AND session = OLD.session;
	DELETE FROM booking_usage
	WHERE offering = OLD.offering AND start = OLD.start AND "end" = OLD."end" AND session = OLD.session AND n <= 0;
END;

CREATE TRIGGER IF NOT EXISTS booking_usage_update AFTER UPDATE OF offering, start, "end", session, party, status ON bookings
BEGIN
	UPDATE booking_usage SET party = party - OLD.party, n = n - 1
	WHERE OLD.status IN ('confirmed', 'checked_in', 'held')
		AND offering = OLD.offering AND start = OLD.start AND "end" = OLD."end" AND session = OLD.session;
	DELETE FROM booking_usage
	WHERE offering = OLD.offering AND start = OLD.start AND "end" = OLD."end" AND session = OLD.session AND n <= 0;
	INSERT INTO booking_usage (offering, start, "end", session, party, n)
	SELECT NEW.offering, NEW.start, NEW."end", NEW.session, NEW.party, 1 WHERE NEW.status IN ('confirmed', 'checked_in', 'held')
	ON CONFLICT (offering, start, "end", session) DO UPDATE SET party = party + excluded.party, n = n + 1;
END;
`

// BookingUsageRebuildSQL fills booking_usage from the bookings.
const BookingUsageRebuildSQL = `
DELETE FROM booking_usage;
INSERT INTO booking_usage (offering, start, "end", session, party, n)
SELECT offering, start, "end", session, sum(party), count(*) FROM bookings
WHERE status IN ('confirmed', 'checked_in', 'held') GROUP BY offering, start, "end", session;
`

func init() {
	m.Register(func(app core.App) error {
		if _, err := app.DB().NewQuery(BookingUsageSQL).Execute(); err != nil {
			return err
		}
		_, err := app.DB().NewQuery(BookingUsageRebuildSQL).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery(`DROP TRIGGER IF EXISTS booking_usage_insert; DROP TRIGGER IF EXISTS booking_usage_delete;
			DROP TRIGGER IF EXISTS booking_usage_update; DROP TABLE IF EXISTS booking_usage;`).Execute()
		return err
	})
}
