package booking

import (
	"testing"
	"time"
)

// localStarts writes slots as local "2006-01-02T15:04" with a "*" when ambiguous.
func localStarts(slots []Slot, loc *time.Location) []string {
	out := make([]string, 0, len(slots))
	for _, s := range slots {
		mark := ""
		if s.Ambiguous {
			mark = "*"
		}
		out = append(out, s.Start.In(loc).Format("2006-01-02T15:04")+mark)
	}
	return out
}

// span builds a Span from "HH:MM" clocks.
func span(tb testing.TB, open, close string) Span {
	tb.Helper()
	return Span{Open: mustClock(tb, open), Close: mustClock(tb, close)}
}

// TestSpecialHours lists dates whose weekly hours special hours replace: 1 h bookings every 30
// minutes, Monday to Saturday 17:00–23:00 by the week. 2026-06-15 is a Monday.
func TestSpecialHours(t *testing.T) {
	o := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 4}
	week := weekly(17*60, 23*60, weekdays...)
	d := func(s string) Date { return mustDate(t, s) }
	lunch := []Span{span(t, "12:00", "15:00")}
	tests := []struct {
		name, date string
		special    []SpecialHours
		closures   []Closure
		want       []string
	}{
		{"replace the weekly hours", "2026-06-15", []SpecialHours{{From: d("2026-06-15"), To: d("2026-06-15"), Spans: lunch}}, nil,
			[]string{"2026-06-15T12:00", "2026-06-15T12:30", "2026-06-15T13:00", "2026-06-15T13:30", "2026-06-15T14:00"}},
		{"a date inside a range", "2026-06-17", []SpecialHours{{From: d("2026-06-16"), To: d("2026-06-18"), Spans: lunch}}, nil,
			[]string{"2026-06-17T12:00", "2026-06-17T12:30", "2026-06-17T13:00", "2026-06-17T13:30", "2026-06-17T14:00"}},
		{"the day after a range keeps the week", "2026-06-19", []SpecialHours{{From: d("2026-06-16"), To: d("2026-06-18"), Spans: lunch}}, nil,
			[]string{"2026-06-19T17:00", "2026-06-19T17:30", "2026-06-19T18:00", "2026-06-19T18:30", "2026-06-19T19:00", "2026-06-19T19:30",
				"2026-06-19T20:00", "2026-06-19T20:30", "2026-06-19T21:00", "2026-06-19T21:30", "2026-06-19T22:00"}},
		{"open a Sunday without weekly hours", "2026-06-21", []SpecialHours{{From: d("2026-06-21"), To: d("2026-06-21"), Spans: []Span{span(t, "10:00", "12:00")}}}, nil,
			[]string{"2026-06-21T10:00", "2026-06-21T10:30", "2026-06-21T11:00"}},
		{"two spans", "2026-06-15", []SpecialHours{{From: d("2026-06-15"), To: d("2026-06-15"), Spans: []Span{span(t, "18:00", "20:00"), span(t, "12:00", "14:00")}}}, nil,
			[]string{"2026-06-15T12:00", "2026-06-15T12:30", "2026-06-15T13:00", "2026-06-15T18:00", "2026-06-15T18:30", "2026-06-15T19:00"}},
		{"the offering's own override the venue's", "2026-06-15", []SpecialHours{
			{From: d("2026-06-15"), To: d("2026-06-15"), Spans: lunch},
			{From: d("2026-06-14"), To: d("2026-06-15"), Spans: []Span{span(t, "18:00", "20:00")}, Own: true},
		}, nil, []string{"2026-06-15T18:00", "2026-06-15T18:30", "2026-06-15T19:00"}},
		{"the offering's own on another date leave the venue's", "2026-06-15", []SpecialHours{
			{From: d("2026-06-15"), To: d("2026-06-15"), Spans: lunch},
			{From: d("2026-06-16"), To: d("2026-06-16"), Spans: []Span{span(t, "18:00", "20:00")}, Own: true},
		}, nil, []string{"2026-06-15T12:00", "2026-06-15T12:30", "2026-06-15T13:00", "2026-06-15T13:30", "2026-06-15T14:00"}},
		{"special hours of one kind join", "2026-06-15", []SpecialHours{
			{From: d("2026-06-15"), To: d("2026-06-15"), Spans: []Span{span(t, "12:00", "13:00")}},
			{From: d("2026-06-10"), To: d("2026-06-20"), Spans: []Span{span(t, "12:30", "14:00")}},
		}, nil, []string{"2026-06-15T12:00", "2026-06-15T12:30", "2026-06-15T13:00"}},
		{"without a valid span the date is closed", "2026-06-15", []SpecialHours{{From: d("2026-06-15"), To: d("2026-06-15"), Spans: []Span{span(t, "15:00", "12:00")}}}, nil, nil},
		{"a closure closes special hours too", "2026-06-15", []SpecialHours{{From: d("2026-06-15"), To: d("2026-06-15"), Spans: lunch}},
			[]Closure{{d("2026-06-15"), d("2026-06-15")}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, "Europe/Berlin")
			cal := Calendar{Hours: week, Special: tt.special, Closures: tt.closures}
			date := d(tt.date)
			if got := localStarts(o.Slots(cal, date, utc(t, "2026-01-01T00:00"), loc), loc); !equalStrings(got, tt.want) {
				t.Errorf("Slots(%s) =\n%q\nwant\n%q", tt.date, got, tt.want)
			}
			checkDSTDay(t, o, cal, date, loc)
		})
	}

	// Check refuses the weekly hours on a special date, and a date special hours leave closed.
	loc := mustLoc(t, "Europe/Berlin")
	cal := Calendar{Hours: week, Special: []SpecialHours{
		{From: d("2026-06-15"), To: d("2026-06-15"), Spans: lunch},
		{From: d("2026-06-16"), To: d("2026-06-16")},
	}}
	now := utc(t, "2026-01-01T00:00")
	for _, tc := range []struct {
		start string
		want  error
	}{
		{"2026-06-15T12:00", nil},
		{"2026-06-15T14:00", nil},
		{"2026-06-15T14:30", ErrInvalidStart}, // runs past the special closing time
		{"2026-06-15T17:00", ErrInvalidStart}, // the weekly hours do not apply
		{"2026-06-16T17:00", ErrClosed},       // special hours without spans
		{"2026-06-17T17:00", nil},
	} {
		if _, err := o.Check(cal, Request{Start: tc.start, Party: 1}, now, loc); err != tc.want {
			t.Errorf("Check(%s) = %v, want %v", tc.start, err, tc.want)
		}
	}
	if got, want := cal.HoursOn(d("2026-06-15")), lunch; !equalSpans(got, want) {
		t.Errorf("HoursOn(2026-06-15) = %v, want %v", got, want)
	}
	if got := cal.HoursOn(d("2026-06-16")); got != nil {
		t.Errorf("HoursOn(2026-06-16) = %v, want none", got)
	}
	if got, want := cal.HoursOn(d("2026-06-17")), []Span{span(t, "17:00", "23:00")}; !equalSpans(got, want) {
		t.Errorf("HoursOn(2026-06-17) = %v, want %v", got, want)
	}
	if !cal.SpecialOn(d("2026-06-16")) || cal.SpecialOn(d("2026-06-17")) {
		t.Errorf("SpecialOn(16th, 17th) = %v, %v; want true, false", cal.SpecialOn(d("2026-06-16")), cal.SpecialOn(d("2026-06-17")))
	}
}

func equalSpans(a, b []Span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSpecialHoursDST pins the starts of special hours across daylight-saving changes: 1 h
// bookings every 30 minutes, special hours on a Sunday that has no weekly hours.
func TestSpecialHoursDST(t *testing.T) {
	o := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 4}
	tests := []struct {
		name, zone, date, open, close string
		want                          []string
	}{
		{"berlin spring forward", "Europe/Berlin", "2026-03-29", "01:00", "04:00",
			// 02:00 and 02:30 do not exist; 01:30 lasts until 03:30; 03:30 would end after 04:00.
			[]string{"01:00 2026-03-29T00:00Z", "01:30 2026-03-29T00:30Z", "03:00 2026-03-29T01:00Z"}},
		{"berlin fall back", "Europe/Berlin", "2026-10-25", "01:00", "04:00",
			[]string{"01:00 2026-10-24T23:00Z", "01:30 2026-10-24T23:30Z", "02:00* 2026-10-25T00:00Z", "02:30* 2026-10-25T00:30Z", "03:00 2026-10-25T02:00Z"}},
		{"new york spring forward", "America/New_York", "2026-03-08", "01:00", "04:00",
			[]string{"01:00 2026-03-08T06:00Z", "01:30 2026-03-08T06:30Z", "03:00 2026-03-08T07:00Z"}},
		{"new york fall back", "America/New_York", "2026-11-01", "00:30", "02:30",
			// 02:00 is after the second 01:59 and would end after 02:30.
			[]string{"00:30 2026-11-01T04:30Z", "01:00* 2026-11-01T05:00Z", "01:30* 2026-11-01T05:30Z"}},
		{"lord howe spring forward by half an hour", "Australia/Lord_Howe", "2026-10-04", "01:00", "04:00",
			[]string{"01:00 2026-10-03T14:30Z", "01:30 2026-10-03T15:00Z", "02:30 2026-10-03T15:30Z", "03:00 2026-10-03T16:00Z"}},
		{"lord howe fall back by half an hour", "Australia/Lord_Howe", "2026-04-05", "01:00", "03:00",
			[]string{"01:00 2026-04-04T14:00Z", "01:30* 2026-04-04T14:30Z", "02:00 2026-04-04T15:30Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, tt.zone)
			d := mustDate(t, tt.date)
			cal := Calendar{Hours: weekly(17*60, 23*60, weekdays...), Special: []SpecialHours{{From: d, To: d, Spans: []Span{span(t, tt.open, tt.close)}}}}
			if got := formatDST(o.Slots(cal, d, utc(t, "2026-01-01T00:00"), loc), loc); !equalStrings(got, tt.want) {
				t.Errorf("Slots(%s) =\n%q\nwant\n%q", tt.date, got, tt.want)
			}
			checkDSTDay(t, o, cal, d, loc)
		})
	}
}

// TestSpecialHoursAfterMidnight checks that special hours that run past midnight own the
// starts after it, as weekly ones do, and that special hours that do not take that away from
// the weekly rule. 2026-06-19 is a Friday; by the week Friday is open 18:00–26:00.
func TestSpecialHoursAfterMidnight(t *testing.T) {
	o := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 4}
	loc := mustLoc(t, "Europe/Berlin")
	fri, sat := mustDate(t, "2026-06-19"), mustDate(t, "2026-06-20")
	week := []Hours{{Weekday: time.Friday, Open: 18 * 60, Close: 26 * 60}}
	now := utc(t, "2026-01-01T00:00")
	tests := []struct {
		name       string
		special    []SpecialHours
		clock      string // a clock of Saturday
		openingDay Date
		dayStart   string // Saturday's DayStart, local
		check      error  // Check of Saturday's clock
	}{
		{"by the week", nil, "01:00", fri, "02:00", nil},
		{"Friday's special hours end before midnight", []SpecialHours{{From: fri, To: fri, Spans: []Span{span(t, "12:00", "15:00")}}},
			"00:30", sat, "00:00", ErrClosed},
		{"Friday's special hours run until 03:00", []SpecialHours{{From: fri, To: fri, Spans: []Span{span(t, "20:00", "27:00")}}},
			"01:30", fri, "03:00", nil},
		{"Saturday's special hours open while Friday's run", []SpecialHours{{From: sat, To: sat, Spans: []Span{span(t, "01:00", "03:00")}}},
			"00:30", fri, "01:00", nil},
		{"Saturday's special hours take over from their opening", []SpecialHours{{From: sat, To: sat, Spans: []Span{span(t, "01:00", "03:00")}}},
			"01:30", sat, "01:00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := Calendar{Hours: week, Special: tt.special}
			if got := cal.OpeningDay(sat, mustClock(t, tt.clock)); got != tt.openingDay {
				t.Errorf("OpeningDay(%s %s) = %s, want %s", sat, tt.clock, got, tt.openingDay)
			}
			if got := cal.DayStart(sat, loc).In(loc).Format("15:04"); got != tt.dayStart {
				t.Errorf("DayStart(%s) = %s, want %s", sat, got, tt.dayStart)
			}
			if _, err := o.Check(cal, Request{Start: sat.String() + "T" + tt.clock, Party: 1}, now, loc); err != tt.check {
				t.Errorf("Check(%s %s) = %v, want %v", sat, tt.clock, err, tt.check)
			}
			checkDSTDay(t, o, cal, fri, loc)
		})
	}
}

// TestPartClosures lists and checks dates with closed parts: 1 h bookings every 30 minutes,
// Monday to Saturday 10:00–18:00 and Friday until 26:00. No booking may start or run in the
// closed time.
func TestPartClosures(t *testing.T) {
	o := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 4}
	week := append(weekly(10*60, 18*60, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Saturday),
		Hours{Weekday: time.Friday, Open: 18 * 60, Close: 26 * 60})
	d := func(s string) Date { return mustDate(t, s) }
	part := func(from, to, open, close string) PartClosure {
		sp := span(t, open, close)
		return PartClosure{From: d(from), To: d(to), Open: sp.Open, Close: sp.Close}
	}
	tests := []struct {
		name, date string
		parts      []PartClosure
		want       []string
		refused    []string // starts Check refuses with ErrClosedTime
	}{
		{"an afternoon closed", "2026-06-15", []PartClosure{part("2026-06-15", "2026-06-15", "14:00", "17:00")},
			[]string{"2026-06-15T10:00", "2026-06-15T10:30", "2026-06-15T11:00", "2026-06-15T11:30", "2026-06-15T12:00", "2026-06-15T12:30",
				"2026-06-15T13:00", "2026-06-15T17:00"},
			[]string{"2026-06-15T13:30", "2026-06-15T14:00", "2026-06-15T16:30"}},
		{"a date inside the range", "2026-06-16", []PartClosure{part("2026-06-15", "2026-06-17", "10:00", "16:00")},
			[]string{"2026-06-16T16:00", "2026-06-16T16:30", "2026-06-16T17:00"}, []string{"2026-06-16T10:00", "2026-06-16T15:30"}},
		{"the day after the range", "2026-06-18", []PartClosure{part("2026-06-15", "2026-06-17", "10:00", "16:00")},
			[]string{"2026-06-18T10:00", "2026-06-18T10:30", "2026-06-18T11:00", "2026-06-18T11:30", "2026-06-18T12:00", "2026-06-18T12:30",
				"2026-06-18T13:00", "2026-06-18T13:30", "2026-06-18T14:00", "2026-06-18T14:30", "2026-06-18T15:00", "2026-06-18T15:30",
				"2026-06-18T16:00", "2026-06-18T16:30", "2026-06-18T17:00"}, nil},
		{"after midnight, closed from Friday 23:00 to 01:00", "2026-06-19", []PartClosure{part("2026-06-19", "2026-06-19", "23:00", "25:00")},
			[]string{"2026-06-19T18:00", "2026-06-19T18:30", "2026-06-19T19:00", "2026-06-19T19:30", "2026-06-19T20:00", "2026-06-19T20:30",
				"2026-06-19T21:00", "2026-06-19T21:30", "2026-06-19T22:00", "2026-06-20T01:00"},
			[]string{"2026-06-19T22:30", "2026-06-19T23:30", "2026-06-20T00:00", "2026-06-20T00:30"}},
		{"Saturday's closed midnight hour closes Friday's night", "2026-06-19", []PartClosure{part("2026-06-20", "2026-06-20", "00:00", "01:00")},
			[]string{"2026-06-19T18:00", "2026-06-19T18:30", "2026-06-19T19:00", "2026-06-19T19:30", "2026-06-19T20:00", "2026-06-19T20:30",
				"2026-06-19T21:00", "2026-06-19T21:30", "2026-06-19T22:00", "2026-06-19T22:30", "2026-06-19T23:00", "2026-06-20T01:00"},
			[]string{"2026-06-19T23:30", "2026-06-20T00:00", "2026-06-20T00:30"}},
		{"a span that is not valid closes nothing", "2026-06-15", []PartClosure{part("2026-06-15", "2026-06-15", "17:00", "14:00")},
			[]string{"2026-06-15T10:00", "2026-06-15T10:30", "2026-06-15T11:00", "2026-06-15T11:30", "2026-06-15T12:00", "2026-06-15T12:30",
				"2026-06-15T13:00", "2026-06-15T13:30", "2026-06-15T14:00", "2026-06-15T14:30", "2026-06-15T15:00", "2026-06-15T15:30",
				"2026-06-15T16:00", "2026-06-15T16:30", "2026-06-15T17:00"}, nil},
	}
	now := utc(t, "2026-01-01T00:00")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, "Europe/Berlin")
			cal := Calendar{Hours: week, PartClosures: tt.parts}
			date := d(tt.date)
			if got := localStarts(o.Slots(cal, date, now, loc), loc); !equalStrings(got, tt.want) {
				t.Errorf("Slots(%s) =\n%q\nwant\n%q", tt.date, got, tt.want)
			}
			for _, start := range tt.refused {
				if _, err := o.Check(cal, Request{Start: start, Party: 1}, now, loc); err != ErrClosedTime {
					t.Errorf("Check(%s) = %v, want ErrClosedTime", start, err)
				}
			}
			checkDSTDay(t, o, cal, date, loc)
		})
	}
}

// TestPartClosuresDST closes parts of the nights the clocks change, with 30-minute bookings
// every 30 minutes on Sundays 00:00–06:00: the closed time is the instants between the closed
// span's ends, resolved as opening times are.
func TestPartClosuresDST(t *testing.T) {
	o := Offering{Duration: 30 * time.Minute, Capacity: 4}
	tests := []struct {
		name, zone, date, open, close string
		closed                        []string // local starts the closure takes away, with "*" when ambiguous
	}{
		{"berlin fall back: both 02:00 hours", "Europe/Berlin", "2026-10-25", "02:00", "03:00", []string{"02:00*", "02:30*"}},
		{"berlin spring forward: the hour that does not exist", "Europe/Berlin", "2026-03-29", "02:00", "03:00", nil},
		{"new york spring forward: across the gap", "America/New_York", "2026-03-08", "01:30", "03:30", []string{"01:30", "03:00"}},
		{"new york fall back: the first 01:00 to the second", "America/New_York", "2026-11-01", "01:00", "02:00", []string{"01:00*", "01:30*"}},
		{"lord howe spring forward: inside the half hour gap", "Australia/Lord_Howe", "2026-10-04", "02:00", "02:30", nil},
		{"lord howe spring forward: across it", "Australia/Lord_Howe", "2026-10-04", "01:30", "02:30", []string{"01:30"}},
		{"lord howe fall back: the repeated half hour", "Australia/Lord_Howe", "2026-04-05", "01:30", "02:00", []string{"01:30*"}},
	}
	now := utc(t, "2026-01-01T00:00")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, tt.zone)
			d := mustDate(t, tt.date)
			open := Calendar{Hours: weekly(0, 6*60, time.Sunday)}
			sp := span(t, tt.open, tt.close)
			cal := open
			cal.PartClosures = []PartClosure{{From: d, To: d, Open: sp.Open, Close: sp.Close}}
			var gone []string
			left := o.Slots(cal, d, now, loc)
			for _, s := range o.Slots(open, d, now, loc) {
				kept := false
				for _, l := range left {
					kept = kept || l.Start.Equal(s.Start)
				}
				if !kept {
					mark := ""
					if s.Ambiguous {
						mark = "*"
					}
					gone = append(gone, s.Start.In(loc).Format("15:04")+mark)
					if _, err := o.Check(cal, Request{Start: s.Start.In(loc).Format("2006-01-02T15:04"), Party: 1}, now, loc); err != ErrClosedTime {
						t.Errorf("Check(%s) = %v, want ErrClosedTime", s.Start.In(loc), err)
					}
				}
			}
			if !equalStrings(gone, tt.closed) {
				t.Errorf("closing %s–%s takes away %q, want %q", tt.open, tt.close, gone, tt.closed)
			}
			checkDSTDay(t, o, cal, d, loc)
		})
	}
}

// TestPartClosuresSessions refuses the sessions that overlap a closed time.
func TestPartClosuresSessions(t *testing.T) {
	o := Offering{Kind: KindSession}
	loc := mustLoc(t, "Europe/Berlin")
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	d := mustDate(t, "2026-06-15")
	cal := Calendar{
		Sessions: []Session{
			{ID: "noon", Start: at("2026-06-15T12:00"), End: at("2026-06-15T14:00"), Seats: 5},
			{ID: "afternoon", Start: at("2026-06-15T14:00"), End: at("2026-06-15T16:00"), Seats: 5},
			{ID: "evening", Start: at("2026-06-15T16:00"), End: at("2026-06-15T18:00"), Seats: 5},
		},
		PartClosures: []PartClosure{{From: d, To: d, Open: 15 * 60, Close: 16 * 60}},
	}
	now := utc(t, "2026-01-01T00:00")
	var ids []string
	for _, s := range o.Slots(cal, d, now, loc) {
		ids = append(ids, s.Session)
	}
	if want := []string{"noon", "evening"}; !equalStrings(ids, want) {
		t.Errorf("Slots = %q, want %q", ids, want)
	}
	for id, want := range map[string]error{"noon": nil, "afternoon": ErrClosedTime, "evening": nil} {
		if _, err := o.Check(cal, Request{Start: id, Party: 1}, now, loc); err != want {
			t.Errorf("Check(%s) = %v, want %v", id, err, want)
		}
	}
}
