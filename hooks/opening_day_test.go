package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// A night that runs past midnight keeps its late bookings: on the Today page of the evening
// they continue (marked as the next day), in the booking page's times, and when a late time
// is full the page offers the same evening's other times.
func TestTimesAfterMidnightBelongToTheirEvening(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.addOffering(t, store.Offering{Name: "Late bar", Slug: "bar", Kind: booking.KindSlot, Duration: 60, Interval: 30,
		Capacity: 1, Mode: booking.ModeUnits, MinParty: 1, MaxParty: 4, Horizon: 60, Active: true}, "20:00", "26:00")
	cookie, _ := s.signedIn(t, "frontdesk")

	// Friday 27 November: 20:00 to Saturday 02:00.
	page := s.get(t, "/book/bar?date=2026-11-27&party=1")
	mustContain(t, "Friday's times", page.body, `value="2026-11-28T00:30"`, "00:30 (next day)", "23:30</span>")
	mustNotContain(t, "Friday's times", page.body, "23:30 (next day)")
	sat := s.get(t, "/book/bar?date=2026-11-28&party=1")
	mustNotContain(t, "Saturday's times", sat.body, `value="2026-11-28T00:30"`)

	s.bookSlug(t, "bar", "2026-11-28T00:00", "2")
	late := s.bookSlug(t, "bar", "2026-11-28T01:00", "1")
	s.bookSlug(t, "bar", "2026-11-28T21:00", "3") // Saturday evening
	s.bookSlug(t, "bar", "2026-11-29T00:30", "4") // Saturday's night

	fri := s.as(t, cookie, http.MethodGet, "/admin/?date=2026-11-27", nil)
	section := todaySection(t, fri.body, "bar")
	mustContain(t, "Friday's Today", section, "00:00 (next day)–01:00", "01:00 (next day)–02:00")
	mustNotContain(t, "Friday's Today", section, "21:00–22:00", "00:30 (next day)–", "No bookings")
	satToday := todaySection(t, s.as(t, cookie, http.MethodGet, "/admin/?date=2026-11-28", nil).body, "bar")
	mustContain(t, "Saturday's Today", satToday, "21:00–22:00", "00:30 (next day)–01:30")
	mustNotContain(t, "Saturday's Today", satToday, "00:00 (next day)–01:00", "01:00 (next day)–02:00")

	// 00:00 is full (and with it 23:30 and 00:30, which overlap it): the answer is Friday's page
	// with its other times, not a closed Saturday.
	res := s.post(t, "/book/bar", bookingForm("2026-11-28T00:00", "1"))
	if res.status != http.StatusConflict {
		t.Fatalf("booking a full 00:00 = %d, want 409", res.status)
	}
	mustContain(t, "409 page", res.body, "Free times on Friday 27 November 2026", `value="2026-11-27T22:00"`, `value="2026-11-27T23:00"`)
	mustNotContain(t, "409 page", res.body, `data-testid="closed"`)

	// Moving the 01:00 booking opens the change page on Friday.
	change := s.get(t, "/b/"+late+"/change")
	mustContain(t, "change page", change.body, "Free times on Friday 27 November 2026", `value="2026-11-28T01:00" class="time current"`)
	confirm := s.get(t, "/b/"+late+"/change?"+url.Values{"party": {"1"}, "start": {"2026-11-27T23:00"}}.Encode())
	mustContain(t, "confirm", confirm.body, `data-testid="confirm"`, "Saturday 28 November 2026, 01:00–02:00 · 1 person",
		"Friday 27 November 2026, 23:00–00:00 · 1 person", "Free times on Friday 27 November 2026")
}

// todaySection is the part of the Today page about offering slug.
func todaySection(t *testing.T, body, slug string) string {
	t.Helper()
	i := strings.Index(body, `data-testid="today-`+slug+`"`)
	if i < 0 {
		t.Fatalf("no section for %s on the Today page:\n%s", slug, snippet(body))
	}
	rest := body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
