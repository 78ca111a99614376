package hooks

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// TestDemoGuests checks the made-up week: bookings today and on later days, inside the rules
// (never over capacity), only @demo.invalid addresses, no mail queued, the same on every run.
func TestDemoGuests(t *testing.T) {
	t.Parallel()
	seed := func() (*testServer, []*core.Record) {
		s := newServerOpts(t, func(o *Options) { o.DemoGuests = true })
		recs, err := s.app.FindRecordsByFilter("bookings", "", "start,reference", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return s, recs
	}
	s, recs := seed()
	v, _ := s.h.venue(s.app)
	perDay := map[string]int{}
	for _, r := range recs {
		perDay[r.GetDateTime("start").Time().In(v.loc).Format("2006-01-02")]++
		if !strings.HasSuffix(r.GetString("email"), "@demo.invalid") || r.GetString("status") != "confirmed" {
			t.Errorf("demo booking %s: %s %s", r.GetString("reference"), r.GetString("email"), r.GetString("status"))
		}
		if r.GetDateTime("reminded_at").IsZero() {
			t.Errorf("demo booking %s would get a reminder", r.GetString("reference"))
		}
	}
	if perDay["2026-11-24"] < 8 || len(perDay) < 5 {
		t.Errorf("demo bookings per day: %v", perDay)
	}
	if n, _ := s.app.CountRecords("outbox"); n != 0 {
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
	if n, _ := s.app.CountRecords("bookings", dbx.NewExp("name NOT LIKE '% %'")); n != 0 {
		t.Errorf("%d demo guests without a full name", n)
	}
}

func names(recs []*core.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.GetDateTime("start").String()+" "+r.GetString("name"))
	}
	sort.Strings(out) // the references are random; what was booked is not
	return out
}

// TestGenerateBookings: generated rows are valid records (PocketBase's own validation passes),
// spread over past and future with plausible statuses, never mailed, the same for one seed.
func TestGenerateBookings(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st, err := GenerateBookings(s.app, 3000, testNow, 7)
	if err != nil || st.Bookings != 3000 || st.Customers < 500 || st.Customers > 1000 {
		t.Fatalf("generate: %+v %v", st, err)
	}
	var counts []struct {
		Status string `db:"status"`
		Past   bool   `db:"past"`
		N      int    `db:"n"`
	}
	err = s.app.DB().NewQuery(`SELECT status, start < {:now} AS past, count(*) AS n FROM bookings GROUP BY 1, 2`).
		Bind(dbx.Params{"now": dbTime(testNow)}).All(&counts)
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
		rec, err := s.app.FindRecordById("bookings", id)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.app.Validate(rec); err != nil {
			t.Errorf("generated booking %s fails validation: %v", id, err)
		}
		if !strings.HasSuffix(rec.GetString("email"), "@example.invalid") || rec.GetDateTime("reminded_at").IsZero() {
			t.Errorf("generated booking %s: %s reminded %v", id, rec.GetString("email"), rec.GetDateTime("reminded_at"))
		}
	}
	if n, _ := s.app.CountRecords("booking_tokens"); n != 3000 {
		t.Errorf("tokens: %d", n)
	}
	// The staff pages and the reminder run take the generated data in their stride.
	cookie, _ := s.signedIn(t, "manager")
	if r := s.as(t, cookie, http.MethodGet, "/admin/bookings?q=example.invalid", nil); r.status != http.StatusOK {
		t.Errorf("bookings list = %d", r.status)
	}
	if n, _, err := s.h.queueReminders(s.app, testNow); err != nil || n != 0 {
		t.Errorf("reminders queued for generated bookings: %d %v", n, err)
	}
	// The same seed writes the same data.
	again := newServer(t)
	if _, err := GenerateBookings(again.app, 3000, testNow, 7); err != nil {
		t.Fatal(err)
	}
	var a, b []string
	s.app.DB().NewQuery("SELECT name || start || status || party FROM bookings WHERE id LIKE 'gb%' ORDER BY id").Column(&a)
	again.app.DB().NewQuery("SELECT name || start || status || party FROM bookings WHERE id LIKE 'gb%' ORDER BY id").Column(&b)
	if len(a) != 3000 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("two runs with one seed differ")
	}
}
