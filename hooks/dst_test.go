package hooks

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// nightOwl adds an offering open every night 00:00-06:00 with one-hour bookings every 30
// minutes, bookable a year ahead, to see DST nights through the whole stack.
func nightOwl(t *testing.T, s *testServer) {
	t.Helper()
	s.addOffering(t, store.Offering{Name: "Night", Slug: "night", Kind: booking.KindSlot, Duration: 60, Interval: 30,
		Capacity: 2, Mode: booking.ModeUnits, MinParty: 1, MaxParty: 4, Horizon: 365, Active: true}, "00:00", "06:00")
}

func TestDSTNightsInBerlin(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	nightOwl(t, s)
	s.now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	// Spring forward, 2026-03-29: 02:00-02:59 does not exist.
	page := s.get(t, "/book/night?date=2026-03-29&party=1")
	mustContain(t, "spring page", page.body, `value="2026-03-29T01:30"`, `value="2026-03-29T03:00"`)
	mustNotContain(t, "spring page", page.body, `value="2026-03-29T02:00"`, `value="2026-03-29T02:30"`)
	res := s.post(t, "/book/night", bookingForm("2026-03-29T02:30", "1"))
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("booking a time that does not exist = %d, want 422", res.status)
	}

	// Fall back, 2026-10-25: 02:00-02:59 occurs twice and is offered once, with its zone.
	page = s.get(t, "/book/night?date=2026-10-25&party=1")
	if n := strings.Count(page.body, `value="2026-10-25T02:30"`); n != 1 {
		t.Errorf("02:30 offered %d times, want once", n)
	}
	mustContain(t, "fall page", page.body, ">02:30 CEST<", ">02:00 CEST<", ">03:00<")
	mustNotContain(t, "fall page", page.body, "02:30 CET<")

	api := s.get(t, "/api/reserva/availability?offering=night&date=2026-10-25&party=1")
	var ans availabilityAnswer
	if err := json.Unmarshal([]byte(api.body), &ans); err != nil {
		t.Fatalf("availability JSON: %v\n%s", err, api.body)
	}
	var locals []string
	for _, tm := range ans.Times {
		locals = append(locals, tm.Local)
		if tm.Local == "2026-10-25T02:30" && (!tm.Ambiguous || !tm.Start.Equal(time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC))) {
			t.Errorf("02:30 = %+v, want the first occurrence (00:30 UTC), ambiguous", tm)
		}
	}
	// 00:00 to 05:00 every 30 minutes: eleven wall-clock starts (the repeated hour once);
	// the last start ends at 06:00.
	if want := 11; len(locals) != want {
		t.Errorf("starts = %v, want %d", locals, want)
	}

	token := s.bookSlug(t, "night", "2026-10-25T02:30", "1")
	rec := s.bookingByToken(t, token)
	if got := rec.Start.String(); got != "2026-10-25 00:30:00.000Z" {
		t.Errorf("stored start = %s, want the first 02:30 (00:30 UTC)", got)
	}
	manage := s.get(t, "/b/"+token)
	mustContain(t, "manage", manage.body, "Sunday 25 October 2026, 02:30 CEST–02:30 CET")
	// The calendar file names the two instants in UTC (a TZID time of that night could be
	// either), with CRLF line ends (RFC 5545 §3.1).
	ics := s.get(t, "/b/"+token+"/calendar.ics")
	mustContain(t, "ics", ics.body, "\r\nDTSTART:20261025T003000Z\r\n", "\r\nDTEND:20261025T013000Z\r\n", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100")
	if bare := strings.Count(ics.body, "\n") - strings.Count(ics.body, "\r\n"); bare != 0 {
		t.Errorf("the calendar file has %d lines ending in a bare LF", bare)
	}
	// Away from that night, times keep the venue's TZID.
	later := s.get(t, "/b/"+s.bookSlug(t, "night", "2026-10-25T04:00", "1")+"/calendar.ics")
	mustContain(t, "ics at 04:00", later.body, "DTSTART;TZID=Europe/Berlin:20261025T040000", "DTEND;TZID=Europe/Berlin:20261025T050000")
}
