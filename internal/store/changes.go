package store

import "github.com/pocketbase/pocketbase/core"

// changesSQL keeps booking_changes, a count of every write to the bookings (insert, update,
// delete), kept by triggers in the same transaction as the write. The backups' Fingerprint
// reads it instead of the latest `updated` of the bookings, which has no index: at a million
// bookings that scan took 4.8 s from a cold cache before every backup, and before every
// five-minute check of whether anything changed. Migration 1795710000 made the same objects;
// EnsureBookingChanges puts them back if anything dropped them.
var changesSQL = `
CREATE TABLE IF NOT EXISTS booking_changes (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
);

CREATE TRIGGER booking_changes_insert AFTER INSERT ON bookings
BEGIN
	UPDATE booking_changes SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER booking_changes_update AFTER UPDATE ON bookings
BEGIN
	UPDATE booking_changes SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER booking_changes_delete AFTER DELETE ON bookings
BEGIN
	UPDATE booking_changes SET n = n + 1 WHERE id = 1;
END;
`

// changesRebuildSQL makes the count's row, and counts a change: writes made while a trigger
// was missing went uncounted, so the next backup must not be skipped.
var changesRebuildSQL = `
INSERT OR IGNORE INTO booking_changes (id, n) VALUES (1, 0);
UPDATE booking_changes SET n = n + 1 WHERE id = 1;
`

var bookingChanges = derivedObjects{label: "booking_changes", create: changesSQL, rebuild: changesRebuildSQL,
	triggers: []string{"booking_changes_insert", "booking_changes_update", "booking_changes_delete"}}

// EnsureBookingChanges runs when the server starts: if anything dropped or changed one of
// booking_changes' objects, it makes them again and counts a change. It reports whether it had
// to.
func EnsureBookingChanges(app core.App) (bool, error) { return bookingChanges.ensure(app) }

// ChangesObjects are booking_changes' table and triggers as SQLite keeps them, by name.
func ChangesObjects() map[string]string { return bookingChanges.objects() }
