package store

import (
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// searchSQL keeps the staff's search index of the bookings: an FTS5 trigram index of each
// booking's reference, name, e-mail and phone (as typed and as digits only), so that a search
// for any part of them reads the index instead of every booking. The index holds no text of
// its own (contentless): only which rows hold which three-character pieces. It is
// keyed by booking_search_rows, whose INTEGER PRIMARY KEY survives VACUUM and table rebuilds
// (the bookings' own rowids may not). Triggers keep it in the same transaction as any change
// to bookings, whatever writes it. Migration 1795640000 made the same objects;
// EnsureBookingSearch puts them back if anything dropped them.
var searchSQL = `
CREATE TABLE IF NOT EXISTS booking_search_rows (
	rowid   INTEGER PRIMARY KEY,
	booking TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE IF NOT EXISTS bookings_search USING fts5(text, content='', contentless_delete=1, tokenize='trigram', detail='none');

CREATE TRIGGER booking_search_insert AFTER INSERT ON bookings
BEGIN
	INSERT INTO booking_search_rows (booking) VALUES (NEW.id);
	INSERT INTO bookings_search (rowid, text) VALUES (last_insert_rowid(), ` + searchText("NEW") + `);
END;

CREATE TRIGGER booking_search_update AFTER UPDATE OF id, reference, name, email, phone ON bookings
BEGIN
	DELETE FROM bookings_search WHERE rowid = (SELECT rowid FROM booking_search_rows WHERE booking = OLD.id);
	UPDATE booking_search_rows SET booking = NEW.id WHERE booking = OLD.id;
	INSERT INTO bookings_search (rowid, text) SELECT rowid, ` + searchText("NEW") + ` FROM booking_search_rows WHERE booking = NEW.id;
END;

CREATE TRIGGER booking_search_delete AFTER DELETE ON bookings
BEGIN
	DELETE FROM bookings_search WHERE rowid = (SELECT rowid FROM booking_search_rows WHERE booking = OLD.id);
	DELETE FROM booking_search_rows WHERE booking = OLD.id;
END;
`

// searchRebuildSQL fills the index from the bookings. Deletes are secure (FTS5's
// secure-delete): a deleted or changed booking's entries leave the index at once instead of
// staying behind delete markers until a merge, so an erased name leaves no trace there.
var searchRebuildSQL = `
INSERT INTO bookings_search (bookings_search, rank) VALUES ('secure-delete', 1);
INSERT INTO bookings_search (bookings_search) VALUES ('delete-all');
DELETE FROM booking_search_rows;
INSERT INTO booking_search_rows (booking) SELECT id FROM bookings ORDER BY rowid;
INSERT INTO bookings_search (rowid, text) SELECT r.rowid, ` + searchText("b") + `
	FROM booking_search_rows r JOIN bookings b ON b.id = r.booking;
INSERT INTO bookings_search (bookings_search) VALUES ('optimize');
`

// searchText is the SQL of what the index holds of the booking row named row.
func searchText(row string) string {
	return row + `.reference || ' ' || ` + row + `.name || ' ' || ` + row + `.email || ' ' || ` + row + `.phone || ' ' || ` +
		digitsSQL(row+".phone")
}

// digitsSQL is the SQL of expr without the spaces and punctuation people write phone numbers
// with ("+49 (30) 555-0003" → "49305550003").
func digitsSQL(expr string) string {
	for _, c := range []string{" ", "-", "(", ")", "+", ".", "/"} {
		expr = "replace(" + expr + ", '" + c + "', '')"
	}
	return expr
}

// searchTriggers are the triggers that keep the search index.
var searchTriggers = []string{"booking_search_insert", "booking_search_update", "booking_search_delete"}

// bookingSearch is the search index as EnsureBookingSearch keeps it.
var bookingSearch = derivedObjects{label: "the bookings' search index", create: searchSQL, rebuild: searchRebuildSQL,
	triggers: searchTriggers}

// EnsureBookingSearch runs when the server starts: if anything dropped or changed one of the
// search index's objects (a schema change that rebuilt the bookings table), it makes them again
// and rebuilds the index from the bookings. It reports whether it had to.
func EnsureBookingSearch(app core.App) (bool, error) { return bookingSearch.ensure(app) }

// SearchObjects are the search index's tables and triggers as SQLite keeps them, by name.
func SearchObjects() map[string]string { return bookingSearch.objects() }

// minSearch is the shortest search the index can answer (its pieces are three characters).
const minSearch = 3

// searchMatch selects the bookings whose reference, name, e-mail or phone contains text (case
// aside for ASCII, as LIKE compares), and a phone whose digits contain text's digits when it
// holds minSearch digits or more ("030 5550" finds "+49 30 5550 0003"). Searches shorter than
// minSearch read every booking.
func searchMatch(text string) dbx.Expression {
	if len([]rune(text)) < minSearch {
		return containsAny(text, "reference", "name", "email", "phone")
	}
	match := trigramQuery(text)
	check := containsAny(text, "reference", "name", "email", "phone")
	digits := digitsOf(text)
	if len(digits) >= minSearch && phoneLike(text) {
		match = "(" + match + ") OR (" + trigramQuery(digits) + ")"
		check = dbx.Or(check, dbx.NewExp(digitsSQL("[[phone]]")+" LIKE {:digits} ESCAPE '\\'",
			dbx.Params{"digits": "%" + likeEscaper.Replace(digits) + "%"}))
	}
	// The index gives the candidates (every row holding each piece); LIKE keeps those that
	// hold the text itself.
	return dbx.And(dbx.NewExp(`[[id]] IN (SELECT r.booking FROM booking_search_rows r WHERE r.rowid IN
		(SELECT rowid FROM bookings_search WHERE bookings_search MATCH {:match}))`, dbx.Params{"match": match}), check)
}

// trigramQuery is the FTS5 query of the rows holding every three-character piece of text.
func trigramQuery(text string) string {
	r := []rune(strings.ToLower(text))
	seen := map[string]bool{}
	var terms []string
	for i := 0; i+minSearch <= len(r); i++ {
		piece := string(r[i : i+minSearch])
		if seen[piece] {
			continue
		}
		seen[piece] = true
		terms = append(terms, `"`+strings.ReplaceAll(piece, `"`, `""`)+`"`)
	}
	return strings.Join(terms, " AND ")
}

// digitsOf is the digits of s, in order.
func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// phoneLike reports whether text is written as a phone number: digits, spaces and the
// punctuation people put in them, nothing else (a reference such as "G09FBF0" is not).
func phoneLike(text string) bool {
	return strings.Trim(text, "0123456789 -()+./") == ""
}
