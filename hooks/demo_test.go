package hooks

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// TestDemoGuests checks the made-up week: bookings today and on later days, inside the rules
// (never over capacity), only @demo.invalid addresses, no mail queued, the same on every run.
func TestDemoGuests(t *testing.T) {
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
