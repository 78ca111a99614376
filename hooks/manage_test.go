package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestManageUnknownTokens(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.book(t, "2026-11-27T19:00", "2")
	unknown := strings.Repeat("A", 43) // a well-formed token nobody holds
	for _, target := range []string{
		"/b/" + unknown,
		"/b/short",
		"/b/" + unknown + "/change",
		"/b/" + unknown + "/calendar.ics",
		"/b/%00%ff",
	} {
		res := s.get(t, target)
		if res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, res.status)
		}
		mustContain(t, target, res.body, "Booking not found")
		mustNotContain(t, target, res.body, "Ada")
	}
	for _, target := range []string{"/b/" + unknown + "/cancel", "/b/" + unknown + "/change"} {
		res := s.post(t, target, url.Values{"start": {"2026-11-27T19:00"}, "party": {"2"}})
		if res.status != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", target, res.status)
		}
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	mustNotContain(t, "a confirmed booking's page", s.get(t, "/b/"+token).body, `data-testid="book-again"`)
	res := s.post(t, "/b/"+token+"/cancel", url.Values{})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/b/"+token+"?m=cancelled" {
		t.Fatalf("cancel = %d %q", res.status, res.header.Get("Location"))
	}
	rec := s.bookingByToken(t, token)
	if rec.Status != "cancelled" || rec.Sequence != 1 || rec.CancelledAt.IsZero() {
		t.Errorf("after cancel: status %q sequence %d cancelled_at %v", rec.Status, rec.Sequence, rec.CancelledAt)
	}
	page := s.get(t, "/b/"+token+"?m=cancelled")
	mustContain(t, "cancelled page", page.body, "Your booking has been cancelled", `data-testid="status">Cancelled`,
		`href="/book/dinner?party=2" data-testid="book-again"`)
	mustNotContain(t, "cancelled page", page.body, `data-testid="cancel"`, `data-testid="change"`)

	// Cancelling again lands on the cancelled booking; nothing changes.
	if res := s.post(t, "/b/"+token+"/cancel", url.Values{}); res.status != http.StatusSeeOther {
		t.Errorf("second cancel = %d, want 303", res.status)
	}
	rec = s.bookingByToken(t, token)
	if rec.Sequence != 1 {
		t.Errorf("sequence after a second cancel = %d, want 1", rec.Sequence)
	}
	// A change of a cancelled booking is refused.
	if res := s.get(t, "/b/"+token+"/change"); res.status != http.StatusConflict {
		t.Errorf("change page of a cancelled booking = %d, want 409", res.status)
	}
}

func TestCancelFreesThePlace(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var tokens []string
	for range 5 {
		tokens = append(tokens, s.book(t, "2026-11-27T19:00", "8"))
	}
	if res := s.post(t, "/book/dinner", bookingForm("2026-11-27T19:00", "8")); res.status != http.StatusConflict {
		t.Fatalf("sixth party = %d, want 409", res.status)
	}
	s.post(t, "/b/"+tokens[0]+"/cancel", url.Values{})
	s.book(t, "2026-11-27T19:00", "8")
}

func TestCancelAfterCutOff(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	// The dinner's cut-off is two hours: 17:00 local is the last moment, 17:01 is too late.
	s.now = time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	if page := s.get(t, "/b/"+token); !strings.Contains(page.body, `data-testid="cancel"`) {
		t.Errorf("at the cut-off the booking cannot be cancelled")
	}
	s.now = s.now.Add(time.Minute)
	page := s.get(t, "/b/"+token)
	mustContain(t, "manage after cut-off", page.body, `data-testid="too-late"`)
	mustNotContain(t, "manage after cut-off", page.body, `data-testid="cancel"`)
	res := s.post(t, "/b/"+token+"/cancel", url.Values{})
	if res.status != http.StatusConflict {
		t.Fatalf("late cancel = %d, want 409", res.status)
	}
	mustContain(t, "late cancel", res.body, "too late to change or cancel online")
	rec := s.bookingByToken(t, token)
	if rec.Status != "confirmed" {
		t.Errorf("status after a refused cancel = %q", rec.Status)
	}
	if res := s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-28T19:00"}, "party": {"2"}}); res.status != http.StatusConflict {
		t.Errorf("late change = %d, want 409", res.status)
	}
}

func TestChange(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	page := s.get(t, "/b/"+token+"/change")
	if page.status != http.StatusOK {
		t.Fatalf("change page = %d", page.status)
	}
	// The booking's own time is offered (its own place counts as free).
	mustContain(t, "change page", page.body, `value="2026-11-27T19:00"`, `action="/b/`+token+`/change"`)

	res := s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-28T20:00"}, "party": {"4"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/b/"+token+"?m=changed" {
		t.Fatalf("change = %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	rec := s.bookingByToken(t, token)
	if got := rec.Start.String(); got != "2026-11-28 19:00:00.000Z" {
		t.Errorf("start after change = %s", got)
	}
	if rec.Party != 4 || rec.Sequence != 1 {
		t.Errorf("party %d sequence %d, want 4 and 1", rec.Party, rec.Sequence)
	}

	// Others fill 20:00 on the 28th up to 36 of 40 seats: the booking still fits there with its
	// own 4 (its place counts as free), but not as a party of 8.
	for range 4 {
		s.book(t, "2026-11-28T20:00", "8")
	}
	s.book(t, "2026-11-28T20:00", "4")
	res = s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-28T20:00"}, "party": {"4"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("change to its own time = %d, want 303\n%s", res.status, res.body)
	}
	res = s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-28T20:00"}, "party": {"8"}})
	if res.status != http.StatusConflict {
		t.Fatalf("change into a full time = %d, want 409", res.status)
	}
	mustContain(t, "full change", res.body, "just taken")
	res = s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-30T20:00"}, "party": {"2"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("change to a closed day = %d, want 422", res.status)
	}
	mustContain(t, "closed change", res.body, "closed at that time")
	res = s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-28T20:00"}, "party": {"x"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("change with a bad party = %d, want 422", res.status)
	}
	rec = s.bookingByToken(t, token)
	if rec.Party != 4 || rec.Sequence != 2 {
		t.Errorf("refused changes altered the booking: party %d sequence %d", rec.Party, rec.Sequence)
	}
}

func TestCalendarFile(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	res := s.get(t, "/b/"+token+"/calendar.ics")
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("ics = %d %q", res.status, res.header.Get("Content-Type"))
	}
	rec := s.bookingByToken(t, token)
	mustContain(t, "ics", res.body, "METHOD:PUBLISH", "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
		"DTSTART;TZID=Europe/Berlin:20261127T190000", "DTEND;TZID=Europe/Berlin:20261127T210000",
		"UID:"+rec.ID+"@reserva", "SEQUENCE:0", "STATUS:CONFIRMED", rec.Reference)
	mustNotContain(t, "ics", res.body, token)

	s.post(t, "/b/"+token+"/cancel", url.Values{})
	res = s.get(t, "/b/"+token+"/calendar.ics")
	mustContain(t, "cancelled ics", res.body, "METHOD:CANCEL", "STATUS:CANCELLED", "SEQUENCE:1", "UID:"+rec.ID+"@reserva")
}
