package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	_ "reserva/migrations"
)

// A search lists the latest start first, straight from the index's keys: many bookings of one
// second, a booking moved to another time, the dates of the filter; the query reads the index
// in its order (no sort of every match), and a count stops at its limit.
func TestSearchReadsTheIndexInStartOrder(t *testing.T) {
	app := newTestApp(t)
	day := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	var want []string // ids, the latest start first (then the later written)
	insert := func(id string, start time.Time, name string) {
		t.Helper()
		_, err := app.DB().NewQuery(`INSERT INTO bookings (id, reference, name, email, phone, start, "end", party, status)
			VALUES ({:id}, {:ref}, {:name}, '', '', {:start}, {:start}, 2, 'confirmed')`).
			Bind(dbx.Params{"id": id, "ref": "R" + id, "name": name, "start": DBTime(start)}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		at := day.Add(time.Duration(i%3) * time.Hour) // two bookings at each of three times
		insert(fmt.Sprintf("ada%02d", i), at, "Ada Lovelace")
		insert(fmt.Sprintf("bob%02d", i), at, "Bob Other")
	}
	for _, i := range []int{5, 2, 4, 1, 3, 0} {
		want = append(want, fmt.Sprintf("ada%02d", i))
	}
	list := func(f Filter) []string {
		t.Helper()
		rows, err := ListBookings(app, f, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, b := range rows {
			ids = append(ids, b.ID)
		}
		return ids
	}
	if got := list(Filter{Q: "lovelace"}); !slices.Equal(got, want) {
		t.Errorf("search = %v, want %v", got, want)
	}
	// Moved to the next day: first; back to the first time: after the other two of that time.
	move := func(id string, to time.Time) {
		t.Helper()
		if _, err := app.DB().NewQuery(`UPDATE bookings SET start = {:s} WHERE id = {:id}`).
			Bind(dbx.Params{"s": DBTime(to), "id": id}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	move("ada01", day.Add(24*time.Hour))
	want = []string{"ada01", "ada05", "ada02", "ada04", "ada03", "ada00"}
	if got := list(Filter{Q: "lovelace"}); !slices.Equal(got, want) {
		t.Errorf("after a move: search = %v, want %v", got, want)
	}
	move("ada02", day.Add(2*time.Hour)) // the same time: now the later written of it
	want = []string{"ada01", "ada02", "ada05", "ada04", "ada03", "ada00"}
	if got := list(Filter{Q: "lovelace"}); !slices.Equal(got, want) {
		t.Errorf("after a move to the same time: search = %v, want %v", got, want)
	}
	// The filter's dates, a start exactly on the end excluded, a part of a second included.
	f := Filter{Q: "lovelace", From: day.Add(time.Hour), To: day.Add(2 * time.Hour)}
	if got := list(f); !slices.Equal(got, []string{"ada04"}) {
		t.Errorf("search from 19:00 to 20:00 = %v, want ada04", got)
	}
	f.To = f.To.Add(time.Millisecond)
	if got := list(f); !slices.Equal(got, []string{"ada02", "ada05", "ada04"}) {
		t.Errorf("search from 19:00 to 20:00.001 = %v", got)
	}
	// The list without a search gives the same bookings.
	var plain []string
	for _, id := range list(Filter{}) {
		if strings.HasPrefix(id, "ada") {
			plain = append(plain, id)
		}
	}
	if !sameSet(plain, want) {
		t.Errorf("the list without a search holds %v, the search %v", plain, want)
	}
	if n, more, err := CountBookingsUpTo(app, Filter{Q: "lovelace"}, 4); err != nil || n != 4 || !more {
		t.Errorf("CountBookingsUpTo(4) = %d, %v, %v; want 4, more", n, more, err)
	}
	if n, more, err := CountBookingsUpTo(app, Filter{Q: "lovelace"}, 6); err != nil || n != 6 || more {
		t.Errorf("CountBookingsUpTo(6) = %d, %v, %v; want 6, no more", n, more, err)
	}

	// The plan: the index is the outer loop and gives the order; nothing sorts the matches.
	q, ok := searchedBookings(app, Filter{Q: "lovelace", Status: "confirmed"}, "b.id")
	if !ok {
		t.Fatal("searchedBookings does not search a name of 8 letters")
	}
	steps := queryPlan(t, app, q.Limit(50))
	if len(steps) == 0 || !strings.HasPrefix(steps[0], "SCAN s VIRTUAL TABLE") || strings.Contains(strings.Join(steps, "\n"), "TEMP B-TREE") {
		t.Errorf("the search's plan does not read the index in order:\n%s", strings.Join(steps, "\n"))
	}
	if _, ok := searchedBookings(app, Filter{Q: "ad"}, "b.id"); ok {
		t.Errorf("a search of two letters reads the index of three-letter pieces")
	}
}

// newTestApp is an app with every migration applied, cleaned up after t.
func newTestApp(t *testing.T) *tests.TestApp {
	t.Helper()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	return app
}

// queryPlan is SQLite's plan of q, one line a step.
func queryPlan(t *testing.T, app core.App, q *dbx.SelectQuery) []string {
	t.Helper()
	qb := q.Build()
	var plan []struct {
		ID     int    `db:"id"`
		Parent int    `db:"parent"`
		NotU   int    `db:"notused"`
		Detail string `db:"detail"`
	}
	if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + qb.SQL()).Bind(qb.Params()).All(&plan); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, p := range plan {
		steps = append(steps, p.Detail)
	}
	return steps
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The export's next page starts in an index of the starts at the row after the last one sent:
// its plan is a search of that index, never a scan from its first row.
func TestExportPageSeeksTheIndex(t *testing.T) {
	app := newTestApp(t)
	after := &ExportRow{ID: "x"}
	if err := after.Start.Scan("2026-12-04 18:00:00.000Z"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Filter{{}, {Status: "confirmed"}} {
		plan := queryPlan(t, app, exportPageQuery(app, f, after, 1000))
		// (With a status, SQLite takes the index of (status, start) from the start after.)
		if len(plan) == 0 || !strings.HasPrefix(plan[0], "SEARCH bookings USING INDEX ") ||
			!(strings.Contains(plan[0], "(start,id)>") || strings.Contains(plan[0], "start>?")) {
			t.Errorf("filter %+v: the export's page plan is %+v; want a search of an index from the row after", f, plan)
		}
	}
}

// A search asks the index for a few rare pieces: the pieces that more than commonPiece bookings
// hold ("exa", "inv" of every address) are left out when rarer ones remain, and the bookings
// found are still exactly those holding the whole text.
func TestSearchAsksForRarePieces(t *testing.T) {
	app := newTestApp(t)
	_, err := app.DB().NewQuery(`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < {:n})
		INSERT INTO bookings (id, reference, name, email, start, "end", party, status)
		SELECT printf('rare%010d', i), printf('R%06d', i), 'Guest', 'guest' || i || '@example.invalid',
			'2026-12-04 18:00:00.000Z', '2026-12-04 20:00:00.000Z', 2, 'confirmed' FROM seq`).
		Bind(dbx.Params{"n": commonPiece + 200}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	q := trigramQuery("guest1077@example.invalid", rarePieces(app))
	if strings.Contains(q, `"exa"`) || strings.Contains(q, `"inv"`) || !strings.Contains(q, `"077"`) {
		t.Errorf("the query asks for %s; want the pieces of the number, not those of every address", q)
	}
	if all := trigramQuery("example.invalid", rarePieces(app)); !strings.Contains(all, `"exa"`) || !strings.Contains(all, `"lid"`) {
		t.Errorf("a text of common pieces only asks for %s; want them all", all)
	}
	rows, err := ListBookings(app, Filter{Q: "guest1077@example.invalid"}, 0, 50)
	if err != nil || len(rows) != 1 || rows[0].ID != "rare0000001077" {
		t.Errorf("the search of an address finds %d bookings (%v); want rare0000001077 alone", len(rows), err)
	}
	if n, _, err := CountBookingsUpTo(app, Filter{Q: "@example.inv"}, commonPiece+1000); err != nil || n != commonPiece+200 {
		t.Errorf("the search of the common part counts %d (%v); want all %d", n, err, commonPiece+200)
	}
}

// The index's segments are not merged inside the writes (one segment per commit accumulates)
// but by the writer once idle.
func TestWriterMergesTheSearchIndexWhenIdle(t *testing.T) {
	app := newTestApp(t)
	segments := func() int { return searchSegments(t, app) }
	addSearchSegments(t, app, 12)
	// The writer (started by a write of nothing) merges them while idle.
	s := New(app)
	defer s.Close()
	if err := s.Writer().Do(context.Background(), func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for segments() > 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d segments 10 s after the writes: the idle writer did not merge them", segments())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rows, err := ListBookings(app, Filter{Q: "merge00000001"}, 0, 50); err != nil || len(rows) != 2 {
		t.Errorf("after the merges a search finds %d bookings (%v); want merge000000010 and 11", len(rows), err)
	}
}

// searchSegments counts the segments of the search index. FTS5 keys the pages of its segments
// in bookings_search_data by the segment's id shifted left by 37 bits (fts5Int.h,
// FTS5_SEGMENT_ROWID); below that are its own records.
func searchSegments(t *testing.T, app core.App) int {
	t.Helper()
	var n int
	if err := app.DB().NewQuery("SELECT count(DISTINCT id >> 37) FROM bookings_search_data WHERE id >> 37 > 0").Row(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// addSearchSegments inserts n bookings, each its own transaction outside any writer: FTS5
// merges nothing inside them (n below its crisismerge, 16, which merges a level at once), and
// leaves a segment each.
func addSearchSegments(t *testing.T, app core.App, n int) {
	t.Helper()
	before := searchSegments(t, app)
	for i := range n {
		_, err := app.DB().NewQuery(`INSERT INTO bookings (id, reference, name, start, "end", party, status)
			VALUES ({:id}, {:id}, 'Guest', '2026-12-04 18:00:00.000Z', '2026-12-04 20:00:00.000Z', 2, 'confirmed')`).
			Bind(dbx.Params{"id": fmt.Sprintf("merge%09d", i)}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := searchSegments(t, app); got < before+n {
		t.Fatalf("%d segments after %d commits (%d before): FTS5 merged them inside the writes", got, n, before)
	}
}
