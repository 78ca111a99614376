package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// TestSpecialHoursAndPartClosuresLoad: the special hours and part-day closures saved reach the
// calendar of the dates they cover (through the kept rules and in a transaction), the
// offering's own special hours over the venue's, and a booking's opening day follows special
// hours that run past midnight.
func TestSpecialHoursAndPartClosuresLoad(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	app := st.App()
	mk := func(slug string) *store.Offering {
		t.Helper()
		id, err := store.SaveOffering(app, store.Offering{Name: slug, Slug: slug, Kind: booking.KindSlot, Duration: 60,
			Interval: 60, Capacity: 4, Mode: booking.ModePeople, MinParty: 1, MaxParty: 4, Horizon: 3650, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		off, err := store.OfferingByID(app, id)
		if err != nil {
			t.Fatal(err)
		}
		return off
	}
	dinner, lunch := mk("dinner"), mk("lunch")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	day := booking.DateOf(time.Now().AddDate(0, 0, 10), berlin)
	clock := func(s string) booking.Clock {
		c, err := booking.ParseClock(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, off := range []*store.Offering{dinner, lunch} {
		for i := range 7 {
			if _, err := store.AddHours(app, off.ID, booking.Hours{Weekday: time.Weekday(i), Open: clock("17:00"), Close: clock("22:00")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	starts := func(app core.App, off *store.Offering, d booking.Date) []string {
		t.Helper()
		cal, err := st.LoadCalendar(app, off, d, berlin, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range off.Rules().Slots(cal.Calendar, d, time.Now(), berlin) {
			out = append(out, s.Start.In(berlin).Format("01-02 15:04"))
		}
		return out
	}
	at := func(d booking.Date, c string) string { return d.String()[5:] + " " + c }
	if got := starts(app, dinner, day); len(got) != 5 {
		t.Fatalf("before any special hours the day lists %q", got)
	}

	// The venue's special hours for two days, the dinner's own on the first.
	if _, err := store.AddSpecialHours(app, "", day, day.AddDays(1), []booking.Span{{Open: clock("12:00"), Close: clock("14:00")}}, "Holiday"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddSpecialHours(app, dinner.ID, day, day, []booking.Span{{Open: clock("20:00"), Close: clock("26:00")}}, ""); err != nil {
		t.Fatal(err)
	}
	if got, want := starts(app, lunch, day), []string{at(day, "12:00"), at(day, "13:00")}; !slices.Equal(got, want) {
		t.Errorf("lunch on the venue's special day lists %q, want %q", got, want)
	}
	next := day.AddDays(1)
	if got, want := starts(app, dinner, day), []string{at(day, "20:00"), at(day, "21:00"), at(day, "22:00"), at(day, "23:00"), at(next, "00:00"), at(next, "01:00")}; !slices.Equal(got, want) {
		t.Errorf("dinner on its own special day lists %q, want %q", got, want)
	}
	if got, want := starts(app, dinner, next), []string{at(next, "12:00"), at(next, "13:00")}; !slices.Equal(got, want) {
		t.Errorf("dinner on the venue's second special day lists %q, want %q", got, want)
	}
	cal, err := st.LoadCalendar(app, dinner, day, berlin, "")
	if err != nil {
		t.Fatal(err)
	}
	if own := cal.SpecialOn(day); len(own) != 1 || own[0].Offering != dinner.ID || own[0].Spans != "20:00-26:00" {
		t.Errorf("SpecialOn(day) = %+v, want the dinner's own", own)
	}
	// The night of the dinner's special day owns 01:00 of the next date.
	if d, err := store.StartDate(app, dinner, next.String()+"T01:00", berlin); err != nil || d != day {
		t.Errorf("StartDate(%s 01:00) = %s, %v; want %s", next, d, err, day)
	}
	if d, err := store.StartDate(app, lunch, next.String()+"T01:00", berlin); err != nil || d != next {
		t.Errorf("StartDate of lunch (%s 01:00) = %s, %v; want %s", next, d, err, next)
	}

	// A part-day closure of the lunch's second special day, venue-wide.
	id, err := store.AddPartClosure(app, "", next, next, booking.Span{Open: clock("13:00"), Close: clock("13:30")}, "Staff meeting")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := starts(app, lunch, next), []string{at(next, "12:00")}; !slices.Equal(got, want) {
		t.Errorf("lunch with a part-day closure lists %q, want %q", got, want)
	}
	cal, err = st.LoadCalendar(app, lunch, next, berlin, "")
	if err != nil {
		t.Fatal(err)
	}
	if parts := cal.PartClosedOn(next); len(parts) != 1 || parts[0].Reason != "Staff meeting" || parts[0].Opens != "13:00" || parts[0].Closes != "13:30" {
		t.Errorf("PartClosedOn = %+v", parts)
	}
	if _, closed := cal.ClosedMessage(lunch, next); closed {
		t.Error("a part-day closure closes the whole date")
	}
	if _, err := lunch.Rules().Check(cal.Calendar, booking.Request{Start: next.String() + "T13:00", Party: 1}, time.Now(), berlin); err != booking.ErrClosedTime {
		t.Errorf("Check in the part-day closure = %v, want ErrClosedTime", err)
	}
	// Inside the booking writer (kept rules) the same.
	var inWriter []string
	if err := st.Writer().Do(t.Context(), func(tx *store.Tx) error { inWriter = starts(tx.App, lunch, next); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{at(next, "12:00")}; !slices.Equal(inWriter, want) {
		t.Errorf("the writer lists %q, want %q", inWriter, want)
	}
	if _, err := store.DeleteClosure(app, id); err != nil {
		t.Fatal(err)
	}
	if got := starts(app, lunch, next); len(got) != 2 {
		t.Errorf("after the part-day closure is deleted lunch lists %q", got)
	}

	// Listed for the staff page, and gone when deleted.
	list, err := store.SpecialHoursFrom(app, day)
	if err != nil || len(list) != 2 {
		t.Fatalf("SpecialHoursFrom = %+v, %v", list, err)
	}
	for _, sh := range list {
		if _, err := store.DeleteSpecialHours(app, sh.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := starts(app, dinner, day); len(got) != 5 {
		t.Errorf("after the special hours are deleted the day lists %q", got)
	}
}

// TestParseSpans reads and writes stored spans.
func TestParseSpans(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"12:00-15:00", true}, {"12:00-15:00 18:00-25:30", true}, {"", true},
		{"15:00-12:00", false}, {"24:00-25:00", false}, {"12:00", false}, {"12:00-48:00", false}, {"1200-1500", false},
	} {
		spans, err := store.ParseSpans(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseSpans(%q) = %v, %v; want ok %v", tt.in, spans, err, tt.ok)
			continue
		}
		if err == nil && store.FormatSpans(spans) != tt.in {
			t.Errorf("FormatSpans(ParseSpans(%q)) = %q", tt.in, store.FormatSpans(spans))
		}
	}
}
