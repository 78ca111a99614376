package hooks

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// The party size picked beside the times is the one booked: the time buttons belong to the
// picker's form, a move is confirmed on a page that says from what to what, and the booking's
// own time is marked.
func TestChangeConfirmsThePartyPicked(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	base := "/b/" + token + "/change"

	page := s.get(t, base)
	if page.status != http.StatusOK {
		t.Fatalf("change page = %d", page.status)
	}
	// One form: the picker holds date and party, and every time button submits it.
	mustContain(t, "change page", page.body, `<form id="picker"`, `name="party"`,
		`form="picker" name="start" value="2026-11-27T19:00" class="time current" aria-current="true"`, "your booking")
	if n := len(regexp.MustCompile(`<button type="submit" form="picker"`).FindAllString(page.body, -1)); n < 2 {
		t.Errorf("%d time buttons belong to the picker, want all of them", n)
	}
	mustNotContain(t, "change page", page.body, `type="hidden" name="party"`, `data-testid="confirm"`)

	// What a browser sends when the guest picks 6 and then presses 20:00 of the same day.
	confirm := s.get(t, base+"?"+url.Values{"date": {"2026-11-27"}, "party": {"6"}, "start": {"2026-11-27T20:00"}}.Encode())
	if confirm.status != http.StatusOK {
		t.Fatalf("confirm step = %d\n%s", confirm.status, snippet(confirm.body))
	}
	mustContain(t, "confirm step", confirm.body, `data-testid="confirm"`, "Friday 27 November 2026, 19:00–21:00 · 2 people",
		"Friday 27 November 2026, 20:00–22:00 · 6 people", `name="start" value="2026-11-27T20:00"`, `name="party" value="6"`)
	if b := s.bookingByToken(t, token); b.Party != 2 || b.Sequence != 0 {
		t.Fatalf("the confirm step changed the booking: party %d sequence %d", b.Party, b.Sequence)
	}
	res := s.post(t, base, url.Values{"start": {"2026-11-27T20:00"}, "party": {"6"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("confirm = %d\n%s", res.status, snippet(res.body))
	}
	if b := s.bookingByToken(t, token); b.Party != 6 || b.Start.String() != "2026-11-27 19:00:00.000Z" {
		t.Errorf("after the move: party %d at %s, want 6 at 20:00 Berlin", b.Party, b.Start)
	}

	// The date field changed to the 28th but a time of the 27th pressed: the time pressed wins.
	confirm = s.get(t, base+"?"+url.Values{"date": {"2026-11-28"}, "party": {"6"}, "start": {"2026-11-27T21:00"}}.Encode())
	mustContain(t, "confirm of another day's time", confirm.body, "Friday 27 November 2026, 21:00–23:00 · 6 people")

	// Pressing the booking as it stands confirms nothing.
	same := s.get(t, base+"?"+url.Values{"party": {"6"}, "start": {"2026-11-27T20:00"}}.Encode())
	mustContain(t, "the same time", same.body, "That is your booking as it stands")
	mustNotContain(t, "the same time", same.body, `data-testid="confirm"`)

	// A party the time has no room for is said so, not confirmed.
	for range 4 {
		s.book(t, "2026-11-28T20:00", "8")
	}
	s.book(t, "2026-11-28T20:00", "4") // 36 of 40 seats taken
	full := s.get(t, base+"?"+url.Values{"party": {"8"}, "start": {"2026-11-28T20:00"}}.Encode())
	mustContain(t, "no room", full.body, "That time has no room for a party of 8")
	mustNotContain(t, "no room", full.body, `data-testid="confirm"`)
	bad := s.get(t, base+"?start=2026-11-27T20:10")
	if bad.status != http.StatusBadRequest {
		t.Errorf("confirm of a time not offered = %d, want 400", bad.status)
	}
}

// On the booking page the party picked beside the times is the one the details form books.
func TestBookPageKeepsThePartyPicked(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	page := s.get(t, "/book/dinner?date=2026-11-27")
	mustContain(t, "booking page", page.body, `<form id="picker"`, `form="picker" formaction="/book/dinner#details" name="start"`)
	mustNotContain(t, "booking page", page.body, `<form class="times"`)
	details := s.get(t, "/book/dinner?"+url.Values{"date": {"2026-11-27"}, "party": {"6"}, "start": {"2026-11-27T19:00"}}.Encode())
	mustContain(t, "details", details.body, "19:00–21:00</strong> · 6 people", `name="party" value="6"`)
	// A time of another date than the field shows is that time's day.
	other := s.get(t, "/book/dinner?"+url.Values{"date": {"2026-11-28"}, "party": {"3"}, "start": {"2026-11-27T19:00"}}.Encode())
	if other.status != http.StatusOK {
		t.Fatalf("a time of another date = %d\n%s", other.status, snippet(other.body))
	}
	mustContain(t, "another date", other.body, "Friday 27 November 2026, 19:00–21:00</strong> · 3 people")
}
