package booking

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// formatSlots writes slots as "01-02 15:04 N" in loc: local start, remaining
// capacity, a "*" after the time when ambiguous, the session ID in front.
func formatSlots(slots []Slot, loc *time.Location) []string {
	out := make([]string, 0, len(slots))
	for _, s := range slots {
		mark := ""
		if s.Ambiguous {
			mark = "*"
		}
		line := fmt.Sprintf("%s%s %d", s.Start.In(loc).Format("01-02 15:04"), mark, s.Remaining)
		if s.Session != "" {
			line = s.Session + " " + line
		}
		out = append(out, line)
	}
	return out
}

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }

// weekly returns the same opening rule on each of the weekdays.
func weekly(open, close Clock, days ...time.Weekday) []Hours {
	hours := make([]Hours, 0, len(days))
	for _, d := range days {
		hours = append(hours, Hours{Weekday: d, Open: open, Close: close})
	}
	return hours
}

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}

// dinner is a restaurant: 2 h tables every 30 min, 10 seats, open 17:00-23:00
// Monday to Saturday. 2026-06-15 is a Monday.
var dinner = Offering{Kind: KindSlot, Duration: 2 * time.Hour, Interval: 30 * time.Minute, Capacity: 10, Mode: ModePeople, MaxParty: 8}

func dinnerHours() []Hours { return weekly(17*60, 23*60, weekdays...) }

func TestSlots(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	monday := "2026-06-15"
	early := utc(t, "2026-06-01T00:00")
	at := func(s string) time.Time { // a Berlin summer wall time
		tm, err := time.ParseInLocation("2006-01-02T15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	withInterval := func(o Offering, iv time.Duration) Offering { o.Interval = iv; return o }
	tests := []struct {
		name string
		o    Offering
		cal  Calendar
		date string
		now  time.Time
		want []string
	}{
		{
			name: "grid", o: dinner, cal: Calendar{Hours: dinnerHours()}, date: monday, now: early,
			want: []string{"06-15 17:00 10", "06-15 17:30 10", "06-15 18:00 10", "06-15 18:30 10", "06-15 19:00 10",
				"06-15 19:30 10", "06-15 20:00 10", "06-15 20:30 10", "06-15 21:00 10"},
		},
		{
			name: "interval zero means duration", o: withInterval(dinner, 0), cal: Calendar{Hours: dinnerHours()}, date: monday, now: early,
			want: []string{"06-15 17:00 10", "06-15 19:00 10", "06-15 21:00 10"},
		},
		{
			name: "interval longer than duration", o: Offering{Duration: 45 * time.Minute, Interval: 90 * time.Minute, Capacity: 1},
			cal: Calendar{Hours: weekly(9*60, 13*60, time.Monday)}, date: monday, now: early,
			want: []string{"06-15 09:00 1", "06-15 10:30 1", "06-15 12:00 1"},
		},
		{
			name: "grid counts from each rule's open", o: Offering{Duration: time.Hour, Capacity: 1},
			cal: Calendar{Hours: weekly(9*60+15, 12*60, time.Monday)}, date: monday, now: early,
			want: []string{"06-15 09:15 1", "06-15 10:15 1"},
		},
		{
			name: "closed weekday", o: dinner, cal: Calendar{Hours: dinnerHours()}, date: "2026-06-14", now: early,
			want: []string{},
		},
		{
			name: "lead time", o: func() Offering { o := dinner; o.LeadTime = time.Hour; return o }(),
			cal: Calendar{Hours: dinnerHours()}, date: monday, now: at("2026-06-15T18:10"),
			want: []string{"06-15 19:30 10", "06-15 20:00 10", "06-15 20:30 10", "06-15 21:00 10"},
		},
		{
			name: "lead time boundary is bookable", o: func() Offering { o := dinner; o.LeadTime = time.Hour; return o }(),
			cal: Calendar{Hours: dinnerHours()}, date: monday, now: at("2026-06-15T19:30"),
			want: []string{"06-15 20:30 10", "06-15 21:00 10"},
		},
		{
			name: "past starts are gone", o: dinner, cal: Calendar{Hours: dinnerHours()}, date: monday, now: at("2026-06-15T20:00"),
			want: []string{"06-15 20:00 10", "06-15 20:30 10", "06-15 21:00 10"},
		},
		{
			name: "horizon", o: func() Offering { o := dinner; o.Horizon = 24 * time.Hour; return o }(),
			cal: Calendar{Hours: dinnerHours()}, date: monday, now: at("2026-06-14T18:00"),
			want: []string{"06-15 17:00 10", "06-15 17:30 10", "06-15 18:00 10"},
		},
		{
			name: "two rules", o: Offering{Duration: time.Hour, Capacity: 2},
			cal: Calendar{Hours: []Hours{{time.Monday, 18 * 60, 20 * 60}, {time.Monday, 11 * 60, 13 * 60}}}, date: monday, now: early,
			want: []string{"06-15 11:00 2", "06-15 12:00 2", "06-15 18:00 2", "06-15 19:00 2"},
		},
		{
			name: "overlapping rules list a start once", o: Offering{Duration: time.Hour, Capacity: 2},
			cal: Calendar{Hours: []Hours{{time.Monday, 10 * 60, 13 * 60}, {time.Monday, 11 * 60, 14 * 60}}}, date: monday, now: early,
			want: []string{"06-15 10:00 2", "06-15 11:00 2", "06-15 12:00 2", "06-15 13:00 2"},
		},
		{
			name: "invalid rule ignored", o: Offering{Duration: time.Hour, Capacity: 2},
			cal: Calendar{Hours: []Hours{{time.Monday, 13 * 60, 11 * 60}, {time.Monday, 25 * 60, 26 * 60}}}, date: monday, now: early,
			want: []string{},
		},
		{
			name: "duration under a minute offers nothing", o: Offering{Duration: 30 * time.Second, Capacity: 2},
			cal: Calendar{Hours: dinnerHours()}, date: monday, now: early,
			want: []string{},
		},
		{
			name: "not a real date", o: dinner, cal: Calendar{Hours: dinnerHours()}, date: "", now: early,
			want: []string{},
		},
		{
			name: "full starts are listed with nothing left", o: dinner,
			cal: Calendar{Hours: dinnerHours(), Reservations: []Reservation{
				{ID: "a", Start: at("2026-06-15T19:00"), End: at("2026-06-15T21:00"), Party: 6},
				{ID: "b", Start: at("2026-06-15T19:00"), End: at("2026-06-15T21:00"), Party: 6}, // overbooked by staff
			}},
			date: monday, now: early,
			want: []string{"06-15 17:00 10", "06-15 17:30 0", "06-15 18:00 0", "06-15 18:30 0", "06-15 19:00 0",
				"06-15 19:30 0", "06-15 20:00 0", "06-15 20:30 0", "06-15 21:00 10"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Date
			if tt.date != "" {
				d = mustDate(t, tt.date)
			}
			got := formatSlots(tt.o.Slots(tt.cal, d, tt.now, berlin), berlin)
			if !equalStrings(got, tt.want) {
				t.Errorf("Slots(%s) =\n%q\nwant\n%q", tt.date, got, tt.want)
			}
		})
	}
}

func TestSlotsClosures(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	o := Offering{Duration: 3 * time.Hour, Capacity: 4}
	hours := weekly(9*60, 15*60, weekdays...)
	early := utc(t, "2026-06-01T00:00")
	open := []string{"09:00", "12:00"}
	tests := []struct {
		name     string
		closures []Closure
		date     string
		want     []string // local clocks
	}{
		{"no closure", nil, "2026-06-16", open},
		{"single day", []Closure{{mustDate(t, "2026-06-16"), mustDate(t, "2026-06-16")}}, "2026-06-16", nil},
		{"single day, the day after", []Closure{{mustDate(t, "2026-06-16"), mustDate(t, "2026-06-16")}}, "2026-06-17", open},
		{"range start", []Closure{{mustDate(t, "2026-06-16"), mustDate(t, "2026-06-19")}}, "2026-06-16", nil},
		{"range inside", []Closure{{mustDate(t, "2026-06-16"), mustDate(t, "2026-06-19")}}, "2026-06-18", nil},
		{"range end", []Closure{{mustDate(t, "2026-06-16"), mustDate(t, "2026-06-19")}}, "2026-06-19", nil},
		{"range, the day before", []Closure{{mustDate(t, "2026-06-16"), mustDate(t, "2026-06-19")}}, "2026-06-15", open},
		{"range, the day after", []Closure{{mustDate(t, "2026-06-16"), mustDate(t, "2026-06-19")}}, "2026-06-20", open},
		{"over a month end", []Closure{{mustDate(t, "2026-06-29"), mustDate(t, "2026-07-03")}}, "2026-07-01", nil},
		{"over a year end", []Closure{{mustDate(t, "2026-12-24"), mustDate(t, "2027-01-06")}}, "2027-01-02", nil},
		{"reversed range closes nothing", []Closure{{mustDate(t, "2026-06-19"), mustDate(t, "2026-06-16")}}, "2026-06-17", open},
		{"second of several", []Closure{{mustDate(t, "2026-05-01"), mustDate(t, "2026-05-01")}, {mustDate(t, "2026-06-17"), mustDate(t, "2026-06-17")}}, "2026-06-17", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustDate(t, tt.date)
			slots := o.Slots(Calendar{Hours: hours, Closures: tt.closures}, d, early, berlin)
			var got []string
			for _, s := range slots {
				got = append(got, s.Start.In(berlin).Format("15:04"))
			}
			if !equalStrings(got, tt.want) {
				t.Errorf("Slots(%s) = %v, want %v", tt.date, got, tt.want)
			}
			_, err := o.Check(Calendar{Hours: hours, Closures: tt.closures}, Request{Start: tt.date + "T09:00", Party: 1}, early, berlin)
			if wantErr := map[bool]error{true: nil, false: ErrClosed}[tt.want != nil]; err != wantErr {
				t.Errorf("Check(%sT09:00) = %v, want %v", tt.date, err, wantErr)
			}
		})
	}
}

// TestSlotsPastMidnight: a rule that closes after midnight lists its late
// starts on the date it opens, and a closure of that date closes them.
func TestSlotsPastMidnight(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	o := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 2, Mode: ModeUnits}
	early := utc(t, "2026-06-01T00:00")
	hours := []Hours{
		{time.Friday, 22 * 60, 25*60 + 30}, // Friday 22:00 to Saturday 01:30
		{time.Saturday, 12 * 60, 14 * 60},
	}
	fri, sat := mustDate(t, "2026-06-19"), mustDate(t, "2026-06-20")
	tests := []struct {
		name     string
		closures []Closure
		date     Date
		want     []string
	}{
		{"friday runs into saturday", nil, fri, []string{"06-19 22:00 2", "06-19 22:30 2", "06-19 23:00 2", "06-19 23:30 2", "06-20 00:00 2", "06-20 00:30 2"}},
		{"saturday lists only its own rule", nil, sat, []string{"06-20 12:00 2", "06-20 12:30 2", "06-20 13:00 2"}},
		{"friday closed closes its night", []Closure{{fri, fri}}, fri, []string{}},
		{"saturday closed keeps friday's night", []Closure{{sat, sat}}, fri, []string{"06-19 22:00 2", "06-19 22:30 2", "06-19 23:00 2", "06-19 23:30 2", "06-20 00:00 2", "06-20 00:30 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatSlots(o.Slots(Calendar{Hours: hours, Closures: tt.closures}, tt.date, early, berlin), berlin)
			if !equalStrings(got, tt.want) {
				t.Errorf("Slots(%s) = %q, want %q", tt.date, got, tt.want)
			}
		})
	}

	// A booking running past midnight counts against the late starts.
	cal := Calendar{Hours: hours, Reservations: []Reservation{
		{ID: "a", Start: utc(t, "2026-06-19T22:00"), End: utc(t, "2026-06-19T23:00"), Party: 3}, // 00:00-01:00 Berlin
	}}
	got := formatSlots(o.Slots(cal, fri, early, berlin), berlin)
	want := []string{"06-19 22:00 2", "06-19 22:30 2", "06-19 23:00 2", "06-19 23:30 1", "06-20 00:00 1", "06-20 00:30 1"}
	if !equalStrings(got, want) {
		t.Errorf("Slots(%s) with a booking at 00:00 = %q, want %q", fri, got, want)
	}
}

func TestOpeningDay(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	cal := Calendar{Hours: []Hours{
		{time.Friday, 18 * 60, 26 * 60},      // Friday 18:00 to Saturday 02:00
		{time.Friday, 11 * 60, 14 * 60},      // and a lunch
		{time.Saturday, 12 * 60, 25*60 + 30}, // Saturday noon to Sunday 01:30
		{time.Sunday, 10 * 60, 20 * 60},      // Sunday stays within its day
		{time.Monday, 23 * 60, 47*60 + 59},   // Monday 23:00 to Tuesday 23:59, the longest a rule runs
	}}
	fri, sat, sun, mon, tue := mustDate(t, "2026-06-19"), mustDate(t, "2026-06-20"), mustDate(t, "2026-06-21"), mustDate(t, "2026-06-22"), mustDate(t, "2026-06-23")
	tests := []struct {
		date  Date
		clock Clock
		want  Date
	}{
		{sat, 0, fri},          // midnight: still Friday's night
		{sat, 60 + 59, fri},    // 01:59
		{sat, 2 * 60, sat},     // 02:00: Friday has closed
		{sat, 12 * 60, sat},    // Saturday's own lunch
		{sun, 60, sat},         // 01:00 Sunday is Saturday's
		{sun, 90, sun},         // 01:30: Saturday has closed
		{fri, 0, fri},          // Thursday has no hours
		{mon, 0, mon},          // Sunday closes at 20:00
		{tue, 23*60 + 58, mon}, // Monday runs to Tuesday 23:59
		{tue, 23*60 + 59, tue}, // and closes then
	}
	for _, tt := range tests {
		if got := cal.OpeningDay(tt.date, tt.clock); got != tt.want {
			t.Errorf("OpeningDay(%s, %s) = %s, want %s", tt.date, tt.clock, got, tt.want)
		}
	}
	starts := []struct {
		date Date
		want string // local
	}{
		{fri, "2026-06-19 00:00"},
		{sat, "2026-06-20 02:00"},
		{sun, "2026-06-21 01:30"},
		{mon, "2026-06-22 00:00"},
		{tue, "2026-06-23 23:59"},
	}
	for _, tt := range starts {
		if got := cal.DayStart(tt.date, berlin).In(berlin).Format("2006-01-02 15:04"); got != tt.want {
			t.Errorf("DayStart(%s) = %s, want %s", tt.date, got, tt.want)
		}
	}

	// Saturday's own hours open at 01:00 while Friday's still run: Saturday takes over then.
	early := Calendar{Hours: []Hours{{time.Friday, 18 * 60, 26 * 60}, {time.Saturday, 60, 4 * 60}}}
	if got := early.OpeningDay(sat, 30); got != fri {
		t.Errorf("OpeningDay(Saturday 00:30) with Saturday opening at 01:00 = %s, want Friday", got)
	}
	if got := early.OpeningDay(sat, 60); got != sat {
		t.Errorf("OpeningDay(Saturday 01:00) with Saturday opening at 01:00 = %s, want Saturday", got)
	}
	if got := early.DayStart(sat, berlin).In(berlin).Format("15:04"); got != "01:00" {
		t.Errorf("DayStart(Saturday opening at 01:00) = %s, want 01:00", got)
	}

	// The autumn night: Saturday 2026-10-24 runs to 03:30 on Sunday, after the hour that occurs
	// twice; Sunday begins at 03:30 CET.
	night := Calendar{Hours: []Hours{{time.Saturday, 20 * 60, 27*60 + 30}}}
	if got := night.DayStart(mustDate(t, "2026-10-25"), berlin).In(berlin).Format("2006-01-02 15:04 MST"); got != "2026-10-25 03:30 CET" {
		t.Errorf("DayStart on the autumn night = %s, want 2026-10-25 03:30 CET", got)
	}
	// The spring night: a close at 02:30 (which does not exist) moves to 03:30 CEST.
	spring := Calendar{Hours: []Hours{{time.Saturday, 20 * 60, 26*60 + 30}}}
	if got := spring.DayStart(mustDate(t, "2026-03-29"), berlin).In(berlin).Format("2006-01-02 15:04 MST"); got != "2026-03-29 03:30 CEST" {
		t.Errorf("DayStart on the spring night = %s, want 2026-03-29 03:30 CEST", got)
	}
	// ...unless Sunday's own hours open before that instant (03:15): Sunday begins then, and
	// OpeningDay gives its 03:15 start to Sunday (found by FuzzCheck).
	springEarly := Calendar{Hours: []Hours{{time.Saturday, 20 * 60, 26*60 + 30}, {time.Sunday, 3*60 + 15, 6 * 60}}}
	sunday := mustDate(t, "2026-03-29")
	if got := springEarly.DayStart(sunday, berlin).In(berlin).Format("2006-01-02 15:04 MST"); got != "2026-03-29 03:15 CEST" {
		t.Errorf("DayStart on the spring night with Sunday opening at 03:15 = %s, want 2026-03-29 03:15 CEST", got)
	}
	if got := springEarly.OpeningDay(sunday, 3*60+15); got != sunday {
		t.Errorf("OpeningDay(Sunday 03:15) = %s, want Sunday", got)
	}
}

func TestSlotsSessions(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02T15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	yoga := Offering{Kind: KindSession, Mode: ModePeople, LeadTime: time.Hour, Horizon: 30 * 24 * time.Hour, MaxParty: 4}
	sessions := []Session{
		{ID: "eve", Start: at("2026-06-15T19:00"), End: at("2026-06-15T20:00"), Seats: 12},
		{ID: "morn", Start: at("2026-06-15T07:00"), End: at("2026-06-15T08:00"), Seats: 8},
		{ID: "late", Start: at("2026-06-15T23:30"), End: at("2026-06-16T00:30"), Seats: 5},
		{ID: "tue", Start: at("2026-06-16T00:30"), End: at("2026-06-16T01:30"), Seats: 5},
		{ID: "far", Start: at("2026-08-15T07:00"), End: at("2026-08-15T08:00"), Seats: 5},
		{ID: "", Start: at("2026-06-15T10:00"), End: at("2026-06-15T11:00"), Seats: 5}, // no ID: ignored
	}
	reservations := []Reservation{
		{ID: "a", Session: "eve", Party: 3},
		{ID: "b", Session: "eve", Party: 4},
		{ID: "c", Session: "morn", Party: 9}, // overbooked by staff
		{ID: "d", Session: "", Party: 2, Start: at("2026-06-15T10:00"), End: at("2026-06-15T11:00")},
	}
	tests := []struct {
		name     string
		o        Offering
		date     string
		now      time.Time
		closures []Closure
		want     []string
	}{
		{"people", yoga, "2026-06-15", at("2026-06-01T00:00"), nil, []string{"morn 06-15 07:00 0", "eve 06-15 19:00 5", "late 06-15 23:30 5"}},
		{"units", func() Offering { o := yoga; o.Mode = ModeUnits; return o }(), "2026-06-15", at("2026-06-01T00:00"), nil,
			[]string{"morn 06-15 07:00 7", "eve 06-15 19:00 10", "late 06-15 23:30 5"}},
		{"lead time", yoga, "2026-06-15", at("2026-06-15T18:00"), nil, []string{"eve 06-15 19:00 5", "late 06-15 23:30 5"}},
		{"lead time, just missed", yoga, "2026-06-15", at("2026-06-15T18:01"), nil, []string{"late 06-15 23:30 5"}},
		{"next date", yoga, "2026-06-16", at("2026-06-01T00:00"), nil, []string{"tue 06-16 00:30 5"}},
		{"horizon", yoga, "2026-08-15", at("2026-06-01T00:00"), nil, []string{}},
		{"within horizon", yoga, "2026-08-15", at("2026-07-20T00:00"), nil, []string{"far 08-15 07:00 5"}},
		{"closure", yoga, "2026-06-15", at("2026-06-01T00:00"), []Closure{{mustDate(t, "2026-06-15"), mustDate(t, "2026-06-15")}}, []string{}},
		{"no sessions", yoga, "2026-06-17", at("2026-06-01T00:00"), nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := Calendar{Sessions: sessions, Reservations: reservations, Closures: tt.closures,
				Hours: weekly(12*60, 13*60, time.Monday)} // hours do not apply to sessions
			got := formatSlots(tt.o.Slots(cal, mustDate(t, tt.date), tt.now, berlin), berlin)
			if !equalStrings(got, tt.want) {
				t.Errorf("Slots(%s) = %q, want %q", tt.date, got, tt.want)
			}
		})
	}
}

func TestSlotFits(t *testing.T) {
	tests := []struct {
		mode      Mode
		remaining int
		party     int
		want      bool
	}{
		{ModePeople, 4, 4, true},
		{ModePeople, 4, 5, false},
		{ModePeople, 0, 1, false},
		{ModeUnits, 1, 8, true},
		{ModeUnits, 0, 1, false},
	}
	for _, tt := range tests {
		o := Offering{Mode: tt.mode}
		if got := (Slot{Remaining: tt.remaining}).Fits(o, tt.party); got != tt.want {
			t.Errorf("Slot{Remaining: %d}.Fits(%s, %d) = %v, want %v", tt.remaining, tt.mode, tt.party, got, tt.want)
		}
	}
}
