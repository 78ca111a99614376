package hooks

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/pocketbase/dbx"

	"reserva/internal/store"
)

// usageRow is one row of booking_usage, or of the same aggregate computed from the bookings.
type usageRow struct {
	Offering, Start, End, Session string
	Party, N                      int
}

const usageFromBookings = `SELECT offering, start, "end", session, sum(party) AS party, count(*) AS n FROM bookings
	WHERE status IN ('confirmed', 'checked_in', 'held') GROUP BY offering, start, "end", session ORDER BY 1, 2, 3, 4`

// mustMatchBookings fails unless booking_usage holds exactly the aggregate of the active bookings.
func mustMatchBookings(t *testing.T, s *testServer, when string) {
	t.Helper()
	var kept, want []usageRow
	if err := s.app.DB().NewQuery(`SELECT offering, start, "end", session, party, n FROM booking_usage ORDER BY 1, 2, 3, 4`).All(&kept); err != nil {
		t.Fatal(err)
	}
	if err := s.app.DB().NewQuery(usageFromBookings).All(&want); err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatalf("%s: no active bookings: the test checks nothing", when)
	}
	if len(kept) != len(want) {
		t.Fatalf("%s: booking_usage has %d rows, the bookings give %d:\n%v\n%v", when, len(kept), len(want), kept, want)
	}
	for i := range want {
		if kept[i] != want[i] {
			t.Errorf("%s: row %d is %+v, the bookings give %+v", when, i, kept[i], want[i])
		}
	}
}

// TestBookingUsageFollowsEveryWrite: whatever changes a booking (a visitor booking, changing
// or cancelling, staff checking in or editing, a write straight to the database, a delete),
// booking_usage, which the capacity check reads, stays equal to the bookings it summarises; and
// a server that finds its triggers gone rebuilds it before serving.
func TestBookingUsageFollowsEveryWrite(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var tokens []string
	for _, b := range []struct{ start, party string }{
		{"2026-11-27T19:00", "2"}, {"2026-11-27T19:00", "4"}, {"2026-11-27T19:00", "1"},
		{"2026-11-27T18:30", "3"}, {"2026-11-28T20:00", "6"}, {"2026-11-28T20:00", "2"},
	} {
		tokens = append(tokens, s.book(t, b.start, b.party))
	}
	tokens = append(tokens, s.bookSlug(t, "pottery", firstSession(s), "2"))
	mustMatchBookings(t, s, "after booking")

	if res := s.post(t, "/b/"+tokens[0]+"/cancel", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d", res.status)
	}
	if res := s.post(t, "/b/"+tokens[1]+"/change", url.Values{"start": {"2026-11-28T20:00"}, "party": {"3"}}); res.status != http.StatusSeeOther {
		t.Fatalf("change = %d\n%s", res.status, res.body)
	}
	mustMatchBookings(t, s, "after a cancel and a change")

	// Straight to the database, as a hand edit or another process would: party, status,
	// time, delete.
	db := s.app.DB()
	b2 := s.bookingByToken(t, tokens[2])
	b3 := s.bookingByToken(t, tokens[3])
	b4 := s.bookingByToken(t, tokens[4])
	b5 := s.bookingByToken(t, tokens[5])
	for _, q := range []struct {
		table string
		set   dbx.Params
		id    string
	}{
		{"bookings", dbx.Params{"party": 5}, b2.ID},
		{"bookings", dbx.Params{"status": "checked_in"}, b3.ID},
		{"bookings", dbx.Params{"status": "no_show"}, b4.ID},
		{"bookings", dbx.Params{"start": "2026-11-27 19:30:00.000Z", "end": "2026-11-27 21:30:00.000Z"}, b3.ID},
		{"bookings", dbx.Params{"status": "confirmed"}, b4.ID},
	} {
		if _, err := db.Update(q.table, q.set, dbx.HashExp{"id": q.id}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Delete("bookings", dbx.HashExp{"id": b5.ID}).Execute(); err != nil {
		t.Fatal(err)
	}
	mustMatchBookings(t, s, "after direct writes and a delete")

	if rebuilt, err := store.EnsureBookingUsage(s.app); err != nil || rebuilt {
		t.Fatalf("EnsureBookingUsage on an intact database = %v, %v; want no rebuild", rebuilt, err)
	}
	// A schema change that rebuilt the bookings table would drop its triggers; a stale row
	// stands for the writes made meanwhile.
	if _, err := db.NewQuery(`DROP TRIGGER booking_usage_update; UPDATE booking_usage SET party = party + 7`).Execute(); err != nil {
		t.Fatal(err)
	}
	if rebuilt, err := store.EnsureBookingUsage(s.app); err != nil || !rebuilt {
		t.Fatalf("EnsureBookingUsage without a trigger = %v, %v; want a rebuild", rebuilt, err)
	}
	mustMatchBookings(t, s, "after the rebuild")
	if _, err := db.Update("bookings", dbx.Params{"party": 1}, dbx.HashExp{"id": b2.ID}).Execute(); err != nil {
		t.Fatal(err)
	}
	mustMatchBookings(t, s, "with the recreated trigger")
	if ok, err := store.UsageConsistent(s.app); !ok || err != nil {
		t.Errorf("store.UsageConsistent = %v, %v", ok, err)
	}
	// A trigger that counts the wrong statuses (a database made by an older migration) is
	// made again too.
	if _, err := db.NewQuery(`DROP TRIGGER booking_usage_insert;
		CREATE TRIGGER booking_usage_insert AFTER INSERT ON bookings WHEN NEW.status IN ('confirmed', 'checked_in')
		BEGIN INSERT INTO booking_usage (offering, start, "end", session, party, n) VALUES (NEW.offering, NEW.start, NEW."end", NEW.session, NEW.party, 1)
		ON CONFLICT (offering, start, "end", session) DO UPDATE SET party = party + excluded.party, n = n + 1; END`).Execute(); err != nil {
		t.Fatal(err)
	}
	if rebuilt, err := store.EnsureBookingUsage(s.app); err != nil || !rebuilt {
		t.Fatalf("EnsureBookingUsage with an old trigger = %v, %v; want a rebuild", rebuilt, err)
	}
}
