package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The search index's keys follow the bookings' starts: a booking's key is its start in Unix
// seconds times 2^30 plus its place among the bookings of that second, so the index gives its
// candidates the latest start first and the staff's list stops reading at a page, however
// many bookings a common name matches (it read every match, 1.5 s at a million bookings). A
// moved booking takes the key of its new start. FTS5 no longer merges the index's segments
// inside the writes (automerge 0; a merge in a retention purge's batch held the bookings
// behind it for 115 ms): the booking writer merges them while idle. store.EnsureBookingSearch
// holds the same objects.
const bookingSearchByStartSQL = `
DROP TRIGGER IF EXISTS booking_search_insert;
DROP TRIGGER IF EXISTS booking_search_update;
DROP TRIGGER IF EXISTS booking_search_delete;

CREATE TRIGGER booking_search_insert AFTER INSERT ON bookings
BEGIN
	INSERT INTO booking_search_rows (rowid, booking) VALUES (coalesce((SELECT rowid FROM booking_search_rows WHERE rowid >= (coalesce(unixepoch(NEW.start), 0) * 1073741824) AND rowid < (coalesce(unixepoch(NEW.start), 0) * 1073741824) + 1073741824 ORDER BY rowid DESC LIMIT 1) + 1, (coalesce(unixepoch(NEW.start), 0) * 1073741824)), NEW.id);
	INSERT INTO bookings_search (rowid, text) VALUES (last_insert_rowid(), NEW.reference || ' ' || NEW.name || ' ' || NEW.email || ' ' || NEW.phone || ' ' || replace(replace(replace(replace(replace(replace(replace(NEW.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''), '/', ''));
END;

CREATE TRIGGER booking_search_update AFTER UPDATE OF id, reference, name, email, phone, start ON bookings
BEGIN
	DELETE FROM bookings_search WHERE rowid = (SELECT rowid FROM booking_search_rows WHERE booking = OLD.id);
	DELETE FROM booking_search_rows WHERE booking = OLD.id;
	INSERT INTO booking_search_rows (rowid, booking) VALUES (coalesce((SELECT rowid FROM booking_search_rows WHERE rowid >= (coalesce(unixepoch(NEW.start), 0) * 1073741824) AND rowid < (coalesce(unixepoch(NEW.start), 0) * 1073741824) + 1073741824 ORDER BY rowid DESC LIMIT 1) + 1, (coalesce(unixepoch(NEW.start), 0) * 1073741824)), NEW.id);
	INSERT INTO bookings_search (rowid, text) VALUES (last_insert_rowid(), NEW.reference || ' ' || NEW.name || ' ' || NEW.email || ' ' || NEW.phone || ' ' || replace(replace(replace(replace(replace(replace(replace(NEW.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''), '/', ''));
END;

CREATE TRIGGER booking_search_delete AFTER DELETE ON bookings
BEGIN
	DELETE FROM bookings_search WHERE rowid = (SELECT rowid FROM booking_search_rows WHERE booking = OLD.id);
	DELETE FROM booking_search_rows WHERE booking = OLD.id;
END;

INSERT INTO bookings_search (bookings_search, rank) VALUES ('secure-delete', 1);
INSERT INTO bookings_search (bookings_search, rank) VALUES ('automerge', 0);
INSERT INTO bookings_search (bookings_search) VALUES ('delete-all');
DELETE FROM booking_search_rows;
INSERT INTO booking_search_rows (rowid, booking)
	SELECT (coalesce(unixepoch(start), 0) * 1073741824) + row_number() OVER (PARTITION BY (coalesce(unixepoch(start), 0) * 1073741824) ORDER BY rowid) - 1, id FROM bookings;
INSERT INTO bookings_search (rowid, text) SELECT r.rowid, b.reference || ' ' || b.name || ' ' || b.email || ' ' || b.phone || ' ' || replace(replace(replace(replace(replace(replace(replace(b.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''), '/', '')
	FROM booking_search_rows r JOIN bookings b ON b.id = r.booking;
INSERT INTO bookings_search (bookings_search) VALUES ('optimize');
`

func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().NewQuery(bookingSearchByStartSQL).Execute()
		return err
	}, func(app core.App) error {
		// Back to the keys in the order of writing (migration 1795640000's triggers).
		_, err := app.DB().NewQuery(`DROP TRIGGER IF EXISTS booking_search_insert; DROP TRIGGER IF EXISTS booking_search_update;
			DROP TRIGGER IF EXISTS booking_search_delete;` + bookingSearchSQL + bookingSearchRebuildSQL).Execute()
		return err
	})
}
