package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The staff's search of bookings reads an FTS5 trigram index of each booking's reference, name,
// e-mail and phone (as typed and as digits only) instead of every booking: contentless (it
// holds which rows hold which three-character pieces, not the text), keyed by
// booking_search_rows, and kept by triggers in the same transaction as any change to bookings.
// store.EnsureBookingSearch holds the same objects and makes them again if anything dropped them.
const bookingSearchSQL = `
CREATE TABLE IF NOT EXISTS booking_search_rows (
	rowid   INTEGER PRIMARY KEY,
	booking TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE IF NOT EXISTS bookings_search USING fts5(text, content='', contentless_delete=1, tokenize='trigram', detail='none');

CREATE TRIGGER booking_search_insert AFTER INSERT ON bookings
BEGIN
	INSERT INTO booking_search_rows (booking) VALUES (NEW.id);
	INSERT INTO bookings_search (rowid, text) VALUES (last_insert_rowid(), NEW.reference || ' ' || NEW.name || ' ' || NEW.email || ' ' || NEW.phone || ' ' || replace(replace(replace(replace(replace(replace(replace(NEW.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''), '/', ''));
END;

CREATE TRIGGER booking_search_update AFTER UPDATE OF id, reference, name, email, phone ON bookings
BEGIN
	DELETE FROM bookings_search WHERE rowid = (SELECT rowid FROM booking_search_rows WHERE booking = OLD.id);
	UPDATE booking_search_rows SET booking = NEW.id WHERE booking = OLD.id;
	INSERT INTO bookings_search (rowid, text) SELECT rowid, NEW.reference || ' ' || NEW.name || ' ' || NEW.email || ' ' || NEW.phone || ' ' || replace(replace(replace(replace(replace(replace(replace(NEW.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''), '/', '') FROM booking_search_rows WHERE booking = NEW.id;
END;

CREATE TRIGGER booking_search_delete AFTER DELETE ON bookings
BEGIN
	DELETE FROM bookings_search WHERE rowid = (SELECT rowid FROM booking_search_rows WHERE booking = OLD.id);
	DELETE FROM booking_search_rows WHERE booking = OLD.id;
END;
`

// bookingSearchRebuildSQL fills the index from the bookings; deletes are secure (an erased
// booking's entries leave the index at once).
const bookingSearchRebuildSQL = `
INSERT INTO bookings_search (bookings_search, rank) VALUES ('secure-delete', 1);
INSERT INTO bookings_search (bookings_search) VALUES ('delete-all');
DELETE FROM booking_search_rows;
INSERT INTO booking_search_rows (booking) SELECT id FROM bookings ORDER BY rowid;
INSERT INTO bookings_search (rowid, text) SELECT r.rowid, b.reference || ' ' || b.name || ' ' || b.email || ' ' || b.phone || ' ' || replace(replace(replace(replace(replace(replace(replace(b.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''), '/', '')
	FROM booking_search_rows r JOIN bookings b ON b.id = r.booking;
INSERT INTO bookings_search (bookings_search) VALUES ('optimize');
`

func init() {
	m.Register(func(app core.App) error {
		if _, err := app.DB().NewQuery(bookingSearchSQL).Execute(); err != nil {
			return err
		}
		_, err := app.DB().NewQuery(bookingSearchRebuildSQL).Execute()
		return err
	}, func(app core.App) error {
		_, err := app.DB().NewQuery(`DROP TRIGGER IF EXISTS booking_search_insert; DROP TRIGGER IF EXISTS booking_search_update;
			DROP TRIGGER IF EXISTS booking_search_delete; DROP TABLE IF EXISTS bookings_search; DROP TABLE IF EXISTS booking_search_rows;`).Execute()
		return err
	})
}
