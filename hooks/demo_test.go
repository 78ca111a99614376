package hooks

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"reserva/internal/booking"
	"reserva/internal/cli"
	"reserva/internal/store"

	"github.com/pocketbase/dbx"
)

// TestDemoGuests checks the made-up week: bookings today and on later days, inside the rules
// (never over capacity), only @demo.invalid addresses, no mail queued, the same on every run.
func TestDemoGuests(t *testing.T) {
	t.Parallel()
	seed := func() (*testServer, []*store.Booking) {
		s := newServerOpts(t, func(o *options) { o.guests = true })
		var recs []*store.Booking
		if err := s.app.DB().NewQuery("SELECT * FROM bookings ORDER BY start, reference").All(&recs); err != nil {
			t.Fatal(err)
		}
		return s, recs
	}
	s, recs := seed()
	v := s.venue(t)
	perDay := map[string]int{}
	for _, r := range recs {
		perDay[r.Start.Time().In(v.Loc).Format("2006-01-02")]++
		if !strings.HasSuffix(r.Email, "@demo.invalid") || r.Status != booking.StatusConfirmed {
			t.Errorf("demo booking %s: %s %s", r.Reference, r.Email, r.Status)
		}
		if r.RemindedAt.IsZero() {
			t.Errorf("demo booking %s would get a reminder", r.Reference)
		}
	}
	if len(recs) > 0 {
		if err := store.Validate(s.app, "bookings", recs[0].ID); err != nil {
			t.Errorf("a demo booking fails PocketBase's validation: %v", err)
		}
	}
	if perDay["2026-11-24"] < 8 || len(perDay) < 5 {
		t.Errorf("demo bookings per day: %v", perDay)
	}
	if n := s.count(t, "outbox", dbx.NewExp("1=1")); n != 0 {
		t.Errorf("the demo queued %d mails", n)
	}
	// Never over capacity, counted independently of the rules: the people present at the
	// start of each dinner booking (when the count can rise) stay within the 40 seats.
	var fullest int
	err := s.app.DB().NewQuery(`SELECT coalesce(max(n), 0) FROM (SELECT (SELECT sum(o.party) FROM bookings o
		WHERE o.offering = b.offering AND o.start <= b.start AND o."end" > b.start) AS n
		FROM bookings b JOIN offerings f ON f.id = b.offering WHERE f.slug = 'dinner')`).Row(&fullest)
	if err != nil || fullest > 40 || fullest == 0 {
		t.Errorf("most people at dinner at once: %d (%v)", fullest, err)
	}
	var over int
	err = s.app.DB().NewQuery(`SELECT count(*) FROM sessions s WHERE s.seats <
		(SELECT coalesce(sum(b.party), 0) FROM bookings b WHERE b.session = s.id AND b.status = 'confirmed')`).Row(&over)
	if err != nil || over != 0 {
		t.Errorf("sessions over their seats: %d (%v)", over, err)
	}
	_, again := seed()
	if fmt.Sprint(names(recs)) != fmt.Sprint(names(again)) {
		t.Errorf("two demos differ")
	}
	if n := s.count(t, "bookings", dbx.NewExp("name NOT LIKE '% %'")); n != 0 {
		t.Errorf("%d demo guests without a full name", n)
	}
}

func names(recs []*store.Booking) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Start.String()+" "+r.Name)
	}
	sort.Strings(out) // the references are random; what was booked is not
	return out
}

// TestGenerateBookings: generated rows are valid records (PocketBase's own validation passes),
// spread over past and future with plausible statuses, never mailed, the same for one seed.
func TestGenerateBookings(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st, err := cli.GenerateBookings(s.app, 3000, testNow, 7)
	if err != nil || st.Bookings != 3000 || st.Customers < 500 || st.Customers > 1000 {
		t.Fatalf("generate: %+v %v", st, err)
	}
	var counts []struct {
		Status string `db:"status"`
		Past   bool   `db:"past"`
		N      int    `db:"n"`
	}
	err = s.app.DB().NewQuery(`SELECT status, start < {:now} AS past, count(*) AS n FROM bookings GROUP BY 1, 2`).
		Bind(dbx.Params{"now": store.DBTime(testNow)}).All(&counts)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, c := range counts {
		by[fmt.Sprintf("%s/%v", c.Status, c.Past)] = c.N
	}
	if by["completed/true"] < 1500 || by["confirmed/false"] < 200 || by["cancelled/true"] == 0 || by["no_show/true"] == 0 ||
		by["confirmed/true"] != 0 || by["completed/false"] != 0 {
		t.Errorf("statuses: %v", by)
	}
	for _, id := range []string{"gb0000000000000", "gb0000000001500", "gb0000000002999"} {
		if err := store.Validate(s.app, "bookings", id); err != nil {
			t.Errorf("generated booking %s fails validation: %v", id, err)
		}
		rec := s.bookingByID(t, id)
		if !strings.HasSuffix(rec.Email, "@example.invalid") || rec.RemindedAt.IsZero() {
			t.Errorf("generated booking %s: %s reminded %v", id, rec.Email, rec.RemindedAt)
		}
	}
	if n := s.count(t, "booking_tokens", dbx.NewExp("1=1")); n != 3000 {
		t.Errorf("tokens: %d", n)
	}
	// The staff pages and the reminder run take the generated data in their stride.
	cookie, _ := s.signedIn(t, "manager")
	if r := s.as(t, cookie, http.MethodGet, "/admin/bookings?q=example.invalid", nil); r.status != http.StatusOK {
		t.Errorf("bookings list = %d", r.status)
	}
	if n, _, err := s.jobs.QueueReminders(testNow); err != nil || n != 0 {
		t.Errorf("reminders queued for generated bookings: %d %v", n, err)
	}
	// The same seed writes the same data (two smaller runs: under the race detector each
	// generated booking costs milliseconds).
	runs := [2][]string{}
	for i := range runs {
		again := newServer(t)
		if _, err := cli.GenerateBookings(again.app, 300, testNow, 7); err != nil {
			t.Fatal(err)
		}
		again.app.DB().NewQuery("SELECT name || start || status || party FROM bookings WHERE id LIKE 'gb%' ORDER BY id").Column(&runs[i])
	}
	if a, b := runs[0], runs[1]; len(a) != 300 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("two runs with one seed differ")
	}
}
