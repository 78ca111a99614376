package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// dinnerForm is the offering form of the demo dinner as it stands, with pacing and turn times.
func dinnerForm(pacing, turnTimes string) url.Values {
	return url.Values{"name": {"Dinner"}, "slug": {"dinner"}, "kind": {"slot"}, "mode": {"people"}, "active": {"yes"},
		"duration": {"120"}, "interval": {"30"}, "capacity": {"40"}, "min_party": {"1"}, "max_party": {"8"},
		"buffer_before": {"0"}, "buffer_after": {"0"}, "lead_time": {"60"}, "horizon": {"90"}, "cancel_cutoff": {"120"},
		"sort": {"1"}, "pacing": {pacing}, "turn_times": {turnTimes}}
}

// TestPacingAndTurnTimes: a manager sets the dinner's pacing and turn times on its form (bad
// turn times refused beside the field); the booking page and the API then offer two people
// the later start their shorter turn allows, and at most six covers start per quarter hour.
func TestPacingAndTurnTimes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	dinner := s.offering(t, "dinner").ID
	for _, bad := range []string{"4:120, 2:90", "2:3", "two:90"} {
		res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+dinner, dinnerForm("6", bad))
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("turn times %q = %d, want 422", bad, res.status)
		}
		mustContain(t, "bad turn times", res.body, "party sizes rising", `id="turn_times-error"`)
	}
	if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+dinner, dinnerForm("-1", "")); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("negative pacing = %d, want 422", res.status)
	}
	if o := s.offering(t, "dinner"); o.Pacing != 0 || o.TurnTimes != "" {
		t.Fatalf("refused forms stored pacing %d, turn times %q", o.Pacing, o.TurnTimes)
	}
	res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+dinner, dinnerForm("6", " 2:90 "))
	if res.status != http.StatusSeeOther {
		t.Fatalf("save = %d\n%s", res.status, snippet(res.body))
	}
	if o := s.offering(t, "dinner"); o.Pacing != 6 || o.TurnTimes != "2:90" {
		t.Fatalf("stored pacing %d, turn times %q", o.Pacing, o.TurnTimes)
	}
	page := s.as(t, cookie, http.MethodGet, "/admin/offerings/"+dinner, nil)
	mustContain(t, "offering page", page.body, `name="pacing"`, `value="6"`, `value="2:90"`)

	// 17:00–23:00: two hours for three people (last start 21:00), 90 minutes for two (21:30).
	two := s.get(t, "/book/dinner?date=2026-11-27&party=2")
	mustContain(t, "party of two", two.body, `value="2026-11-27T21:30"`)
	three := s.get(t, "/book/dinner?date=2026-11-27&party=3")
	mustContain(t, "party of three", three.body, `value="2026-11-27T21:00"`)
	mustNotContain(t, "party of three", three.body, `value="2026-11-27T21:30"`)
	tok := s.book(t, "2026-11-27T21:30", "2")
	if b := s.bookingByToken(t, tok); b.End.Time().Sub(b.Start.Time()).Minutes() != 90 {
		t.Errorf("a booking for two lasts %v", b.End.Time().Sub(b.Start.Time()))
	}
	if res := s.post(t, "/book/dinner", bookingForm("2026-11-27T21:30", "3")); res.status != http.StatusUnprocessableEntity {
		t.Errorf("three at 21:30 (past closing with two hours) = %d, want 422", res.status)
	}

	// Pacing: four and two at 19:00 fill its quarter hour; one more is full there, not at 19:30.
	s.book(t, "2026-11-27T19:00", "4")
	s.book(t, "2026-11-27T19:00", "2")
	if res := s.post(t, "/book/dinner", bookingForm("2026-11-27T19:00", "1")); res.status != http.StatusConflict {
		t.Errorf("a seventh cover at 19:00 = %d, want 409", res.status)
	}
	s.book(t, "2026-11-27T19:30", "1")
	// A manager booking over capacity with a reason passes the pacing too.
	over := url.Values{"offering": {dinner}, "start": {"2026-11-27T19:00"}, "party": {"2"}, "name": {"Regulars"},
		"email": {"regulars@example.com"}, "consent": {"yes"}, "override": {"Regulars, a table kept"}}
	if res := s.as(t, cookie, http.MethodPost, "/admin/bookings/new", over); res.status != http.StatusSeeOther {
		t.Errorf("over capacity at a paced-out 19:00 = %d\n%s", res.status, snippet(res.body))
	}
	api := s.get(t, "/api/reserva/availability?offering=dinner&date=2026-11-27&party=1")
	if !strings.Contains(api.body, `"value":"2026-11-27T19:00","start":`) {
		t.Fatalf("availability answer:\n%s", api.body)
	}
	at19 := api.body[strings.Index(api.body, `"value":"2026-11-27T19:00"`):]
	at19 = at19[:strings.Index(at19, "}")]
	if !strings.Contains(at19, `"available":false`) {
		t.Errorf("the API offers 19:00 to one more: %s", at19)
	}
}
