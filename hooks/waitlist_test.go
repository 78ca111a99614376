package hooks

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"reserva/internal/booking"
	"reserva/internal/store"

	"github.com/pocketbase/dbx"
)

var entryLink = regexp.MustCompile(`^/w/([A-Za-z0-9_-]{43})\?m=joined$`)
var offerLink = regexp.MustCompile(`/w/([A-Za-z0-9_-]{43})`)

// fillDinner books the demo dinner at start full with parties of 8 and returns their tokens.
func (s *testServer) fillDinner(t *testing.T, start string) []string {
	t.Helper()
	var tokens []string
	for range 5 {
		tokens = append(tokens, s.book(t, start, "8"))
	}
	return tokens
}

// joinWaitlist joins the dinner's waitlist at start and returns the entry's link token.
func (s *testServer) joinWaitlist(t *testing.T, start, party, email string) string {
	t.Helper()
	form := url.Values{"start": {start}, "party": {party}, "name": {"Wanda " + email}, "email": {email}, "consent": {"yes"}}
	res := s.post(t, "/waitlist/dinner", form)
	m := entryLink.FindStringSubmatch(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || m == nil {
		t.Fatalf("join the waitlist as %s = %d\n%s", email, res.status, snippet(res.body))
	}
	return m[1]
}

// entry reads a waitlist entry by its join token.
func (s *testServer) entry(t *testing.T, token string) map[string]string {
	t.Helper()
	row := dbx.NullStringMap{}
	if err := s.app.DB().NewQuery("SELECT status, booking, party, email FROM waitlist WHERE token_hash = {:h}").
		Bind(dbx.Params{"h": store.HashToken(token)}).One(row); err != nil {
		t.Fatalf("entry: %v", err)
	}
	out := map[string]string{}
	for k, v := range row {
		out[k] = v.String
	}
	return out
}

// peopleAt is the most people booked (confirmed, checked in or held) at any moment of the
// dinner evening of 27 November.
func peopleAt(t *testing.T, s *testServer) int {
	t.Helper()
	var peak int
	err := s.app.DB().NewQuery(`SELECT coalesce(max(n), 0) FROM (SELECT (SELECT sum(party) FROM bookings b
		WHERE b.status IN ('confirmed', 'checked_in', 'held') AND b.start <= p.start AND b."end" > p.start
		AND b.offering = p.offering) AS n FROM bookings p WHERE p.start LIKE '2026-11-27%')`).Row(&peak)
	if err != nil {
		t.Fatal(err)
	}
	return peak
}

// TestWaitlistOfferAcceptExpire walks a waitlist with a fixed clock: joining a full time (a time
// with room refuses, 409), places in order, nothing offered while full; a cancellation offers
// the freed place to the first entries that fit (a larger party behind them waits), the held
// places count against capacity; accepting books with a confirmation mail; an offer not taken
// in 30 minutes is released and its link answers 409; leaving; closed entries go after a day.
func TestWaitlistOfferAcceptExpire(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tokens := s.fillDinner(t, "2026-11-27T19:00")
	page := s.get(t, "/book/dinner?date=2026-11-27&party=2")
	mustContain(t, "booking page", page.body, `data-testid="join-waitlist"`, "/waitlist/dinner?party=2&amp;start=2026-11-27T19%3A00")
	if res := s.get(t, "/waitlist/dinner?start=2026-11-27T19:00&party=2"); res.status != http.StatusOK {
		t.Fatalf("the waitlist form = %d", res.status)
	}
	if res := s.get(t, "/waitlist/dinner?start=2026-11-28T19:00&party=2"); res.status != http.StatusConflict {
		t.Errorf("the waitlist of a time with room = %d, want 409", res.status)
	}
	if res := s.post(t, "/waitlist/dinner", url.Values{"start": {"2026-11-27T19:00"}, "party": {"2"}, "email": {"x"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("joining without name, address or consent = %d, want 422", res.status)
	}
	a := s.joinWaitlist(t, "2026-11-27T19:00", "2", "ann@example.com")
	b := s.joinWaitlist(t, "2026-11-27T19:00", "2", "bob@example.com")
	c := s.joinWaitlist(t, "2026-11-27T19:00", "8", "cat@example.com")
	mustContain(t, "Bob's page", s.get(t, "/w/"+b).body, "number 2 in the queue")
	if res, err := s.jobs.ProcessWaitlist(s.now); err != nil || res.Offered != 0 {
		t.Fatalf("a full time offered %d (%v)", res.Offered, err)
	}

	if res := s.post(t, "/b/"+tokens[0]+"/cancel", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d", res.status)
	}
	res, err := s.jobs.ProcessWaitlist(s.now)
	if err != nil || res.Offered != 2 {
		t.Fatalf("after a cancellation of 8: %d offers (%v), want Ann and Bob", res.Offered, err)
	}
	if s.entry(t, a)["status"] != "offered" || s.entry(t, b)["status"] != "offered" || s.entry(t, c)["status"] != "waiting" {
		t.Fatalf("statuses: %v %v %v", s.entry(t, a), s.entry(t, b), s.entry(t, c))
	}
	if peak := peopleAt(t, s); peak != 36 {
		t.Errorf("people at the peak with two holds: %d, want 36", peak)
	}
	var offerText string
	_ = s.app.DB().Select("text").From("outbox").Where(dbx.HashExp{"kind": "waitlist_offer", "to_email": "ann@example.com"}).Row(&offerText)
	m := offerLink.FindStringSubmatch(offerText)
	if m == nil {
		t.Fatalf("Ann's offer mail has no link:\n%s", offerText)
	}
	mustContain(t, "Ann's offer page", s.get(t, "/w/"+m[1]).body, "A place is free for you", `data-testid="waitlist-accept"`)
	accepted := s.post(t, "/w/"+m[1]+"/accept", url.Values{})
	manage := manageLink.FindStringSubmatch(accepted.header.Get("Location"))
	if accepted.status != http.StatusSeeOther || manage == nil {
		t.Fatalf("accept = %d\n%s", accepted.status, snippet(accepted.body))
	}
	booked := s.bookingByToken(t, manage[1])
	if booked.Status != booking.StatusConfirmed || booked.Party != 2 || booked.Email != "ann@example.com" || booked.Customer == "" {
		t.Fatalf("the accepted booking: %+v", booked)
	}
	// Its confirmation carries the link the acceptance sent Ann to.
	var token string
	_ = s.app.DB().Select("token").From("outbox").Where(dbx.HashExp{"kind": "confirmation", "booking": booked.ID}).Row(&token)
	if token == "" || !strings.HasSuffix(token, manage[1]) {
		t.Errorf("the confirmation's link: %q, want the manage link %s", token, manage[1])
	}
	var confirmations int
	_ = s.app.DB().Select("count(*)").From("outbox").Where(dbx.HashExp{"kind": "confirmation", "to_email": "ann@example.com"}).Row(&confirmations)
	if confirmations != 1 || s.entry(t, a)["status"] != "booked" {
		t.Errorf("Ann: %d confirmations, entry %v", confirmations, s.entry(t, a))
	}
	if again := s.post(t, "/w/"+m[1]+"/accept", url.Values{}); again.status != http.StatusConflict {
		t.Errorf("accepting twice = %d, want 409", again.status)
	}

	// Bob lets his offer run out: released, and his link refuses.
	s.now = s.now.Add(31 * time.Minute)
	if res, err := s.jobs.ProcessWaitlist(s.now); err != nil || res.Expired != 1 || res.Offered != 0 {
		t.Fatalf("after 31 minutes: %+v (%v), want Bob's offer expired and nothing for Cat", res, err)
	}
	if res := s.post(t, "/w/"+b+"/accept", url.Values{}); res.status != http.StatusConflict {
		t.Errorf("an expired offer accepted: %d", res.status)
	}
	if peak := peopleAt(t, s); peak != 34 {
		t.Errorf("people after Bob's release: %d, want 34", peak)
	}
	if res := s.post(t, "/w/"+c+"/leave", url.Values{}); res.status != http.StatusSeeOther || s.entry(t, c)["status"] != "left" {
		t.Errorf("leave = %d, %v", res.status, s.entry(t, c))
	}
	s.now = s.now.Add(25 * time.Hour)
	if res, err := s.jobs.ProcessWaitlist(s.now); err != nil || res.Deleted != 3 {
		t.Errorf("a day later %+v (%v), want the 3 closed entries deleted", res, err)
	}
	mustMatchBookings(t, s, "after the waitlist")
}

// TestWaitlistNeverGivesAPlaceTwice: many cancellations, waitlist runs and acceptances at once
// never put more people on the time than its capacity, never give one held place to two
// entries, and every booked entry has a booking of its own.
func TestWaitlistNeverGivesAPlaceTwice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tokens := s.fillDinner(t, "2026-11-27T19:00")
	var entries []string
	for i := range 12 {
		entries = append(entries, s.joinWaitlist(t, "2026-11-27T19:00", "4", fmt.Sprintf("w%02d@example.com", i)))
	}
	var wg sync.WaitGroup
	for _, tok := range tokens[:3] {
		wg.Go(func() { s.post(t, "/b/"+tok+"/cancel", url.Values{}) })
	}
	for range 4 {
		wg.Go(func() {
			for range 5 {
				if _, err := s.jobs.ProcessWaitlist(s.now); err != nil {
					t.Errorf("waitlist: %v", err)
				}
			}
		})
	}
	for _, tok := range entries {
		wg.Go(func() {
			for range 20 {
				if res := s.post(t, "/w/"+tok+"/accept", url.Values{}); res.status == http.StatusSeeOther {
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	if _, err := s.jobs.ProcessWaitlist(s.now); err != nil {
		t.Fatal(err)
	}
	if peak := peopleAt(t, s); peak > 40 {
		t.Fatalf("%d people at once for 40 places", peak)
	}
	var dup int
	_ = s.app.DB().NewQuery(`SELECT count(*) FROM (SELECT booking FROM waitlist WHERE booking != '' AND status IN ('offered', 'booked')
		GROUP BY booking HAVING count(*) > 1)`).Row(&dup)
	var booked, offered, confirmed int
	_ = s.app.DB().Select("count(*)").From("waitlist").Where(dbx.HashExp{"status": "booked"}).Row(&booked)
	_ = s.app.DB().Select("count(*)").From("waitlist").Where(dbx.HashExp{"status": "offered"}).Row(&offered)
	_ = s.app.DB().NewQuery(`SELECT count(*) FROM waitlist w JOIN bookings b ON b.id = w.booking
		WHERE w.status = 'booked' AND b.status = 'confirmed'`).Row(&confirmed)
	if dup != 0 || booked != confirmed || booked+offered > 6 || booked+offered == 0 {
		t.Errorf("duplicates %d; %d booked (%d confirmed), %d offered: want at most the 6 parties of 4 that 24 freed places hold", dup, booked, confirmed, offered)
	}
	mustMatchBookings(t, s, "after the race")
	if !strings.Contains(s.get(t, "/w/"+entries[0]).body, "waitlist") {
		t.Error("an entry's page fails")
	}
}
