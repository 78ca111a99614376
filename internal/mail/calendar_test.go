package mail

import (
	"strings"
	"testing"
	"time"
)

// TestFeed: a feed is one VCALENDAR with an event per booking in UTC (a cancelled one left
// out), every line ending in CRLF and at most 75 octets, long text folded and control
// characters unable to break a line; Calendar keeps its zone and shares the same event code.
func TestFeed(t *testing.T) {
	t.Parallel()
	start := time.Date(2027, 3, 28, 17, 0, 0, 0, time.UTC)
	long := strings.Repeat("Überfluß 山田 ", 12)
	events := []Event{
		{UID: "a.staff@reserva", Start: start, End: start.Add(2 * time.Hour), Summary: long, Description: "Reference: K7M-4QX\r\nX-INJECTED:yes", Stamp: start},
		{UID: "b.staff@reserva", Start: start, End: start.Add(time.Hour), Summary: "Gone", Cancelled: true, Stamp: start},
	}
	out, err := Feed("Anna · Demo", 30*time.Minute, events)
	if err != nil {
		t.Fatal(err)
	}
	body := string(out)
	for i, l := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if len(l) > 75 || strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d: %q", i+1, l)
		}
		if strings.HasPrefix(l, "X-INJECTED") {
			t.Errorf("a description made its own line: %q", l)
		}
	}
	unfolded := strings.ReplaceAll(body, "\r\n ", "")
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "METHOD:PUBLISH\r\n", "X-WR-CALNAME:Anna · Demo\r\n", "REFRESH-INTERVAL;VALUE=DURATION:PT30M\r\n",
		"UID:a.staff@reserva\r\n", "DTSTART:20270328T170000Z\r\n", "DTEND:20270328T190000Z\r\n", "SUMMARY:" + strings.TrimSpace(long) + " \r\n",
		`DESCRIPTION:Reference: K7M-4QX\nX-INJECTED:yes` + "\r\n", "END:VCALENDAR\r\n"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("the feed lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "b.staff@reserva") || strings.Contains(body, "TZID") {
		t.Errorf("a cancelled event or a zone in the feed:\n%s", body)
	}
	if _, err := Feed("x", time.Hour, []Event{{UID: "c", Start: start, End: start}}); err == nil {
		t.Error("an event that ends as it starts was taken")
	}

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	file, err := Calendar(Event{UID: "a@reserva", Start: start, End: start.Add(time.Hour), Location: berlin, Summary: "Dinner", Stamp: start})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(file), "DTSTART;TZID=Europe/Berlin:20270328T190000\r\n") {
		t.Errorf("Calendar lost its zone:\n%s", file)
	}
}
