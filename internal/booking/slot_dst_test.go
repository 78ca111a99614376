package booking

import (
	"fmt"
	"testing"
	"time"
)

// formatDST writes slots as "15:04[*] 2006-01-02T15:04Z": the local start, a
// "*" when ambiguous, and the UTC instant, so a test pins both.
func formatDST(slots []Slot, loc *time.Location) []string {
	out := make([]string, 0, len(slots))
	for _, s := range slots {
		mark := ""
		if s.Ambiguous {
			mark = "*"
		}
		out = append(out, fmt.Sprintf("%s%s %sZ", s.Start.In(loc).Format("15:04"), mark, s.Start.UTC().Format("2006-01-02T15:04")))
	}
	return out
}

// TestSlotsDST opens 00:00-06:00 on the transition days (all Sundays) with
// 1 h bookings every 30 min, and pins the exact starts offered.
func TestSlotsDST(t *testing.T) {
	o := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 4, Mode: ModePeople}
	tests := []struct {
		name, zone, date string
		want             []string
	}{
		{
			name: "berlin spring forward", zone: "Europe/Berlin", date: "2026-03-29",
			want: []string{
				"00:00 2026-03-28T23:00Z", "00:30 2026-03-28T23:30Z", "01:00 2026-03-29T00:00Z", "01:30 2026-03-29T00:30Z",
				// 02:00 and 02:30 do not exist.
				"03:00 2026-03-29T01:00Z", "03:30 2026-03-29T01:30Z", "04:00 2026-03-29T02:00Z", "04:30 2026-03-29T02:30Z",
				"05:00 2026-03-29T03:00Z",
			},
		},
		{
			name: "berlin fall back", zone: "Europe/Berlin", date: "2026-10-25",
			want: []string{
				"00:00 2026-10-24T22:00Z", "00:30 2026-10-24T22:30Z", "01:00 2026-10-24T23:00Z", "01:30 2026-10-24T23:30Z",
				// 02:00 and 02:30 happen twice; only the first (summer time) is offered.
				"02:00* 2026-10-25T00:00Z", "02:30* 2026-10-25T00:30Z",
				"03:00 2026-10-25T02:00Z", "03:30 2026-10-25T02:30Z", "04:00 2026-10-25T03:00Z", "04:30 2026-10-25T03:30Z",
				"05:00 2026-10-25T04:00Z",
			},
		},
		{
			name: "sydney spring forward", zone: "Australia/Sydney", date: "2026-10-04",
			want: []string{
				"00:00 2026-10-03T14:00Z", "00:30 2026-10-03T14:30Z", "01:00 2026-10-03T15:00Z", "01:30 2026-10-03T15:30Z",
				"03:00 2026-10-03T16:00Z", "03:30 2026-10-03T16:30Z", "04:00 2026-10-03T17:00Z", "04:30 2026-10-03T17:30Z",
				"05:00 2026-10-03T18:00Z",
			},
		},
		{
			name: "sydney fall back", zone: "Australia/Sydney", date: "2026-04-05",
			want: []string{
				"00:00 2026-04-04T13:00Z", "00:30 2026-04-04T13:30Z", "01:00 2026-04-04T14:00Z", "01:30 2026-04-04T14:30Z",
				"02:00* 2026-04-04T15:00Z", "02:30* 2026-04-04T15:30Z",
				"03:00 2026-04-04T17:00Z", "03:30 2026-04-04T17:30Z", "04:00 2026-04-04T18:00Z", "04:30 2026-04-04T18:30Z",
				"05:00 2026-04-04T19:00Z",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, tt.zone)
			d := mustDate(t, tt.date)
			cal := Calendar{Hours: weekly(0, 6*60, time.Sunday)}
			slots := o.Slots(cal, d, utc(t, "2026-01-01T00:00"), loc)
			if got := formatDST(slots, loc); !equalStrings(got, tt.want) {
				t.Errorf("Slots(%s) =\n%q\nwant\n%q", tt.date, got, tt.want)
			}
			checkDSTDay(t, o, cal, d, loc)
		})
	}
}

// TestSlotsDSTEdges covers rules that open, close or run over a transition.
func TestSlotsDSTEdges(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	hour := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 1, Mode: ModeUnits}
	half := Offering{Duration: 30 * time.Minute, Capacity: 1, Mode: ModeUnits}
	tests := []struct {
		name  string
		o     Offering
		hours []Hours
		date  string
		res   []Reservation
		want  []string
	}{
		{
			name: "saturday night runs into the gap", o: hour, date: "2026-03-28",
			hours: []Hours{{time.Saturday, 22 * 60, 28 * 60}}, // to Sunday 04:00
			want: []string{
				"22:00 2026-03-28T21:00Z", "22:30 2026-03-28T21:30Z", "23:00 2026-03-28T22:00Z", "23:30 2026-03-28T22:30Z",
				"00:00 2026-03-28T23:00Z", "00:30 2026-03-28T23:30Z", "01:00 2026-03-29T00:00Z", "01:30 2026-03-29T00:30Z",
				"03:00 2026-03-29T01:00Z",
			},
		},
		{
			// Opening at the nonexistent 02:30 means 03:30 summer time: the
			// 03:00 start is on the wall-clock grid but before opening.
			name: "opens at a time that does not exist", o: hour, date: "2026-03-29",
			hours: []Hours{{time.Sunday, 2*60 + 30, 6 * 60}},
			want:  []string{"03:30 2026-03-29T01:30Z", "04:00 2026-03-29T02:00Z", "04:30 2026-03-29T02:30Z", "05:00 2026-03-29T03:00Z"},
		},
		{
			// Closing at the nonexistent 02:30 means 03:30 summer time.
			name: "closes at a time that does not exist", o: hour, date: "2026-03-29",
			hours: []Hours{{time.Sunday, 0, 2*60 + 30}},
			want:  []string{"00:00 2026-03-28T23:00Z", "00:30 2026-03-28T23:30Z", "01:00 2026-03-29T00:00Z", "01:30 2026-03-29T00:30Z"},
		},
		{
			// Closing at the ambiguous 02:30 means its first occurrence.
			name: "closes at a time that happens twice", o: half, date: "2026-10-25",
			hours: []Hours{{time.Sunday, 0, 2*60 + 30}},
			want: []string{"00:00 2026-10-24T22:00Z", "00:30 2026-10-24T22:30Z", "01:00 2026-10-24T23:00Z", "01:30 2026-10-24T23:30Z",
				"02:00* 2026-10-25T00:00Z"},
		},
		{
			name: "opens at a time that happens twice", o: half, date: "2026-10-25",
			hours: []Hours{{time.Sunday, 2*60 + 30, 4 * 60}},
			want:  []string{"02:30* 2026-10-25T00:30Z", "03:00 2026-10-25T02:00Z", "03:30 2026-10-25T02:30Z"},
		},
		{
			// A booking made at the second 02:30 (01:30Z-02:30Z) blocks real time:
			// the 03:00 start (02:00Z) but not the first 02:30 (00:30Z-01:30Z).
			name: "capacity in real time over the overlap", o: hour, date: "2026-10-25",
			hours: []Hours{{time.Sunday, 60, 4 * 60}},
			res:   []Reservation{{ID: "second", Start: utc(t, "2026-10-25T01:30"), End: utc(t, "2026-10-25T02:30"), Party: 1}},
			want: []string{"01:00 2026-10-24T23:00Z", "01:30 2026-10-24T23:30Z", "02:00* 2026-10-25T00:00Z", "02:30* 2026-10-25T00:30Z",
				"03:00 2026-10-25T02:00Z 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustDate(t, tt.date)
			cal := Calendar{Hours: tt.hours, Reservations: tt.res}
			slots := tt.o.Slots(cal, d, utc(t, "2026-01-01T00:00"), berlin)
			got := formatDST(slots, berlin)
			for i, s := range slots {
				if s.Remaining == 0 {
					got[i] += " 0"
				}
			}
			if !equalStrings(got, tt.want) {
				t.Errorf("Slots(%s) =\n%q\nwant\n%q", tt.date, got, tt.want)
			}
			checkDSTDay(t, tt.o, cal, d, berlin)
		})
	}
}

// TestSlotsDSTOtherZones runs the day checks on more transition days.
func TestSlotsDSTOtherZones(t *testing.T) {
	o := Offering{Duration: 45 * time.Minute, Interval: 15 * time.Minute, Capacity: 2}
	days := []struct{ zone, date string }{
		{"America/New_York", "2026-03-08"}, {"America/New_York", "2026-11-01"},
		{"America/Havana", "2026-03-08"}, {"America/Havana", "2026-11-01"},
		{"Australia/Lord_Howe", "2026-10-04"}, {"Australia/Lord_Howe", "2026-04-05"},
	}
	for _, day := range days {
		t.Run(day.zone+" "+day.date, func(t *testing.T) {
			loc := mustLoc(t, day.zone)
			d := mustDate(t, day.date)
			cal := Calendar{Hours: []Hours{{d.Weekday(), 0, 8 * 60}, {d.AddDays(-1).Weekday(), 20 * 60, 27 * 60}}}
			checkDSTDay(t, o, cal, d, loc)
			checkDSTDay(t, o, cal, d.AddDays(-1), loc)
		})
	}
}

// checkDSTDay checks Slots of d against the brute-force oracle and Check:
// every start exists and is the first occurrence of its wall time, ambiguous
// exactly when the wall time happens twice, listed once, 1 Duration long; and
// Check accepts exactly the listed starts among every grid time of the date
// and the next.
func checkDSTDay(t *testing.T, o Offering, cal Calendar, d Date, loc *time.Location) {
	t.Helper()
	now := utc(t, "2026-01-01T00:00")
	slots := o.Slots(cal, d, now, loc)
	walls := scanWalls(loc, d.AddDays(-1), d.AddDays(2))
	listed := map[string]Slot{}
	for i, s := range slots {
		local := s.Start.In(loc)
		wall := local.Format("2006-01-02T15:04")
		first, count := walls.lookup(t, DateOf(local, loc), clockOf(local, loc))
		switch {
		case count == 0:
			t.Errorf("Slots(%s) offers %s, which does not exist", d, wall)
		case !first.Equal(s.Start):
			t.Errorf("Slots(%s) offers %s at %v, want its first occurrence %v", d, wall, s.Start.UTC(), first.UTC())
		case s.Ambiguous != (count > 1):
			t.Errorf("Slots(%s) offers %s with Ambiguous %v, but it occurs %d times", d, wall, s.Ambiguous, count)
		}
		if _, dup := listed[wall]; dup {
			t.Errorf("Slots(%s) offers %s twice", d, wall)
		}
		if i > 0 && !slots[i-1].Start.Before(s.Start) {
			t.Errorf("Slots(%s) not sorted at %s", d, wall)
		}
		if got := s.End.Sub(s.Start); got != o.Duration {
			t.Errorf("Slots(%s) offers %s lasting %v, want %v", d, wall, got, o.Duration)
		}
		listed[wall] = s
	}
	// Check every minute step of d and the next date against the list.
	for _, date := range []Date{d, d.AddDays(1)} {
		for c := Clock(0); c < minutesPerDay; c += 15 {
			start := date.String() + "T" + c.String()
			got, err := o.Check(cal, Request{Start: start, Party: 1}, now, loc)
			want, ok := listed[start]
			switch {
			case ok && (err != nil || !got.Start.Equal(want.Start) || got.Ambiguous != want.Ambiguous || got.Remaining != want.Remaining):
				if !(err == ErrFull && want.Remaining == 0) {
					t.Errorf("Check(%s) = %v %v, %v; Slots lists %v %v", start, got.Start.UTC(), got.Remaining, err, want.Start.UTC(), want.Remaining)
				}
			case !ok && date == d && err == nil:
				t.Errorf("Check(%s) accepted %v, but Slots(%s) does not list it", start, got.Start.UTC(), d)
			}
			if _, count := walls.lookup(t, date, c); count == 0 && err != ErrInvalidStart && err != ErrClosed {
				t.Errorf("Check(%s) = %v for a time that does not exist, want ErrInvalidStart", start, err)
			}
		}
	}
}
