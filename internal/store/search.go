package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// searchSQL keeps the staff's search index of the bookings: an FTS5 trigram index of each
// booking's reference, name, e-mail and phone (as typed and as digits only), so that a search
// for any part of them reads the index instead of every booking. The index holds no text of
// its own (contentless): only which rows hold which three-character pieces. It is keyed by
// booking_search_rows, whose INTEGER PRIMARY KEY survives VACUUM and table rebuilds (the
// bookings' own rowids may not), and whose keys follow the bookings' starts (searchKey): the
// index gives its rows in the order of their keys, so a search lists the latest bookings first
// by reading the index from its end and stops at a page, however many bookings match.
// Triggers keep it in the same transaction as any change to bookings, whatever writes it.
// Migrations 1795640000 and 1795660000 made the same objects; EnsureBookingSearch puts them
// back if anything dropped them.
var searchSQL = `
CREATE TABLE IF NOT EXISTS booking_search_rows (
	rowid   INTEGER PRIMARY KEY,
	booking TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE IF NOT EXISTS bookings_search USING fts5(text, content='', contentless_delete=1, tokenize='trigram', detail='none');

CREATE TRIGGER booking_search_insert AFTER INSERT ON bookings
BEGIN
	INSERT INTO booking_search_rows (rowid, booking) VALUES (` + nextSearchKey("NEW.start") + `, NEW.id);
	INSERT INTO bookings_search (rowid, text) VALUES (last_insert_rowid(), ` + searchText("NEW") + `);
END;

CREATE TRIGGER booking_search_update AFTER UPDATE OF id, reference, name, email, phone, start ON bookings
BEGIN
	DELETE FROM bookings_search WHERE rowid = (SELECT rowid FROM booking_search_rows WHERE booking = OLD.id);
	DELETE FROM booking_search_rows WHERE booking = OLD.id;
	INSERT INTO booking_search_rows (rowid, booking) VALUES (` + nextSearchKey("NEW.start") + `, NEW.id);
	INSERT INTO bookings_search (rowid, text) VALUES (last_insert_rowid(), ` + searchText("NEW") + `);
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
// FTS5 merges no segments inside the writes (automerge 0): the booking writer merges them
// while it is idle (Writer.mergeSearch).
var searchRebuildSQL = `
INSERT INTO bookings_search (bookings_search, rank) VALUES ('secure-delete', 1);
INSERT INTO bookings_search (bookings_search, rank) VALUES ('automerge', 0);
INSERT INTO bookings_search (bookings_search) VALUES ('delete-all');
DELETE FROM booking_search_rows;
INSERT INTO booking_search_rows (rowid, booking)
	SELECT ` + searchKeySQL("start") + ` + row_number() OVER (PARTITION BY ` + searchKeySQL("start") + ` ORDER BY rowid) - 1, id FROM bookings;
INSERT INTO bookings_search (rowid, text) SELECT r.rowid, ` + searchText("b") + `
	FROM booking_search_rows r JOIN bookings b ON b.id = r.booking;
INSERT INTO bookings_search (bookings_search) VALUES ('optimize');
`

// searchKeyBits: a booking's key in the search index is its start in Unix seconds shifted left
// by searchKeyBits, plus its place among the bookings starting in the same second (2^30 of
// them; the keys last until the year 2242).
const searchKeyBits = 30

// searchKeySQL is the SQL of the first search key of the second in which expr (a stored
// start) falls.
func searchKeySQL(expr string) string {
	return fmt.Sprintf("(coalesce(unixepoch(%s), 0) * %d)", expr, int64(1)<<searchKeyBits)
}

// nextSearchKey is the SQL of the key of a booking starting at expr: the next free key of its
// second (one index seek of booking_search_rows).
func nextSearchKey(expr string) string {
	k := searchKeySQL(expr)
	return fmt.Sprintf("coalesce((SELECT rowid FROM booking_search_rows WHERE rowid >= %s AND rowid < %s + %d ORDER BY rowid DESC LIMIT 1) + 1, %s)",
		k, k, int64(1)<<searchKeyBits, k)
}

// searchKey is the first search key of the second in which t falls.
func searchKey(t time.Time) int64 { return t.Unix() << searchKeyBits }

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
// minSearch read every booking. (The list reads the index in order instead: searchedBookings.)
func searchMatch(text string) dbx.Expression {
	match, check := searchTerms(text, nil)
	if match == "" {
		return check
	}
	return dbx.And(dbx.NewExp(`[[id]] IN (SELECT r.booking FROM booking_search_rows r WHERE r.rowid IN
		(SELECT rowid FROM bookings_search WHERE bookings_search MATCH {:match}))`, dbx.Params{"match": match}), check)
}

// searchTerms are the FTS5 query of the candidates for text ("" when text is too short for
// the index) and the check on a booking's own columns that keeps those that hold text itself
// (the index finds every row holding each piece, in any order). pick, when set, chooses the
// pieces the query asks for (the check stays the whole text).
func searchTerms(text string, pick func([]string) []string) (match string, check dbx.Expression) {
	check = containsAny(text, "reference", "name", "email", "phone")
	if len([]rune(text)) < minSearch {
		return "", check
	}
	match = trigramQuery(text, pick)
	digits := digitsOf(text)
	if len(digits) >= minSearch && phoneLike(text) {
		match = "(" + match + ") OR (" + trigramQuery(digits, pick) + ")"
		check = dbx.Or(check, dbx.NewExp(digitsSQL("[[phone]]")+" LIKE {:digits} ESCAPE '\\'",
			dbx.Params{"digits": "%" + likeEscaper.Replace(digits) + "%"}))
	}
	return match, check
}

// searchedBookings is the query of the bookings f selects, f.Q searched in the index, the
// latest start first (then the later booked): the index's rows are read from the end of the
// keys (the starts, within f's dates) and each candidate's booking checked, so a page of a
// search that a hundred thousand bookings match reads about a page of them. ok is false when
// f.Q is too short for the index.
func searchedBookings(app core.App, f Filter, cols ...string) (q *dbx.SelectQuery, ok bool) {
	match, check := searchTerms(f.Q, rarePieces(app))
	if match == "" {
		return nil, false
	}
	rest := f
	rest.Q = ""
	exps := []dbx.Expression{dbx.NewExp("s.bookings_search MATCH {:match}", dbx.Params{"match": match})}
	if !f.From.IsZero() {
		exps = append(exps, dbx.NewExp("s.rowid >= {:kfrom}", dbx.Params{"kfrom": searchKey(f.From)}))
	}
	if !f.To.IsZero() {
		exps = append(exps, dbx.NewExp("s.rowid < {:kto}", dbx.Params{"kto": searchKey(f.To.Add(time.Second - 1))}))
	}
	exps = append(exps, check, rest.where())
	// CROSS JOIN keeps the index the outer loop, read in the order of its keys.
	return app.DB().Select(cols...).From("bookings_search s").
		Join("CROSS JOIN", "booking_search_rows r", dbx.NewExp("r.rowid = s.rowid")).
		Join("CROSS JOIN", colBookings+" b", dbx.NewExp("b.id = r.booking")).
		Where(dbx.And(exps...)).OrderBy("s.rowid DESC"), true
}

// A search asks the index for a few rare pieces, not for every piece of its text. Each piece
// that most bookings hold costs the index a walk of its whole list: asking for every piece of
// a full e-mail address ("exa", "com", "mai" …) took 836 ms at a million bookings for eleven
// matches; its rare pieces alone take a few. The check on the booking's own columns keeps
// exactly the bookings that hold the whole text, whichever pieces found them.
const (
	// commonPiece: a piece more bookings than this hold is common.
	commonPiece = 20_000
	// rareEnough: this many rare pieces make a query (their lists' intersection is small).
	rareEnough = 3
	// commonProbes: after this many common pieces and no rare one, the text is a common one
	// ("Müller"): it is searched for by all its pieces.
	commonProbes = 4
)

// rarePieces picks, of a search's pieces, up to rareEnough that at most commonPiece bookings
// hold, counting each piece's list only up to commonPiece and trying pieces with digits first
// (numbers are rarer than letters in names and addresses); all of them when none is rare
// among the first commonProbes.
func rarePieces(app core.App) func([]string) []string {
	return func(pieces []string) []string {
		order := slices.Clone(pieces)
		slices.SortStableFunc(order, func(a, b string) int { return cmp.Compare(digitsIn(b), digitsIn(a)) })
		var rare []string
		for i, p := range order {
			if i == commonProbes && len(rare) == 0 {
				break
			}
			var n int
			err := app.DB().NewQuery("SELECT count(*) FROM (SELECT rowid FROM bookings_search WHERE bookings_search MATCH {:p} LIMIT {:n})").
				Bind(dbx.Params{"p": p, "n": commonPiece + 1}).Row(&n)
			if err != nil {
				return pieces
			}
			if n <= commonPiece {
				if rare = append(rare, p); len(rare) == rareEnough {
					break
				}
			}
		}
		if len(rare) == 0 {
			return pieces
		}
		return rare
	}
}

// digitsIn counts the digits of s.
func digitsIn(s string) int { return len(digitsOf(s)) }

// trigramQuery is the FTS5 query of the rows holding every three-character piece of text (or
// those of them pick chooses).
func trigramQuery(text string, pick func([]string) []string) string {
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
	if pick != nil {
		terms = pick(terms)
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
