package booking

import (
	"testing"
	"time"
	_ "time/tzdata" // zones load on any machine
)

// mustLoc loads the named zone or stops the test.
func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

// utc returns the instant of a UTC "2006-01-02T15:04" or stops the test.
func utc(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse("2006-01-02T15:04", s)
	if err != nil {
		tb.Fatalf("time.Parse(%q): %v", s, err)
	}
	return t
}

// wallOf returns the wall-clock time of t in loc written as if it were UTC.
func wallOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// bruteResolve is an oracle for Resolve that shares no code with it: it scans
// every minute within ±30 h of the wall time and keeps the instants that show
// it. For a wall time in a gap, shifted is where the clock lands when read
// with the offset from before the gap.
func bruteResolve(d Date, c Clock, loc *time.Location) (first time.Time, count int, shifted time.Time) {
	wall := time.Date(d.Year, d.Month, d.Day, 0, int(c), 0, 0, time.UTC)
	prevWall := time.Time{}
	for i := wall.Add(-30 * time.Hour); !i.After(wall.Add(30 * time.Hour)); i = i.Add(time.Minute) {
		w := wallOf(i, loc)
		if w.Equal(wall) {
			if count == 0 {
				first = i
			}
			count++
		}
		// A jump forward over wall: the clock went from prevWall to w.
		if shifted.IsZero() && !prevWall.IsZero() && prevWall.Before(wall) && w.After(wall) {
			shifted = i.Add(wall.Sub(prevWall.Add(time.Minute)))
		}
		prevWall = w
	}
	return first, count, shifted
}

// wallTimes is an oracle of which instants show each wall-clock minute of a
// range of local dates, built by scanning every minute; it shares no code
// with Resolve.
type wallTimes struct {
	from, to Date  // the local dates covered
	base     int64 // Unix seconds of from's midnight written as UTC
	seen     []wallSeen
}

type wallSeen struct {
	first int64 // Unix seconds
	count int
}

func scanWalls(loc *time.Location, from, to Date) wallTimes {
	base := time.Date(from.Year, from.Month, from.Day, 0, 0, 0, 0, time.UTC)
	end := time.Date(to.Year, to.Month, to.Day+1, 0, 0, 0, 0, time.UTC)
	w := wallTimes{from: from, to: to, base: base.Unix(), seen: make([]wallSeen, int(end.Sub(base)/time.Minute))}
	for i := base.Add(-30 * time.Hour); i.Before(end.Add(30 * time.Hour)); i = i.Add(time.Minute) {
		_, off := i.In(loc).Zone()
		k := (i.Unix() + int64(off) - w.base) / 60
		if k < 0 || k >= int64(len(w.seen)) {
			continue
		}
		if w.seen[k].count == 0 {
			w.seen[k].first = i.Unix()
		}
		w.seen[k].count++
	}
	return w
}

// lookup returns the first instant showing clock c on date d and how many do.
func (w wallTimes) lookup(tb testing.TB, d Date, c Clock) (time.Time, int) {
	tb.Helper()
	if d.Compare(w.from) < 0 || d.Compare(w.to) > 0 || c < 0 || c >= minutesPerDay {
		tb.Fatalf("wallTimes covers %s..%s, asked for %s %s", w.from, w.to, d, c)
	}
	k := (time.Date(d.Year, d.Month, d.Day, 0, int(c), 0, 0, time.UTC).Unix() - w.base) / 60
	s := w.seen[k]
	if s.count == 0 {
		return time.Time{}, 0
	}
	return time.Unix(s.first, 0), s.count
}

func TestResolve(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	sydney := mustLoc(t, "Australia/Sydney")
	newYork := mustLoc(t, "America/New_York")
	havana := mustLoc(t, "America/Havana")
	lordHowe := mustLoc(t, "Australia/Lord_Howe")
	tests := []struct {
		name          string
		date, clock   string
		loc           *time.Location
		want          string // UTC
		wantExists    bool
		wantAmbiguous bool
	}{
		{"utc", "2026-06-15", "18:00", time.UTC, "2026-06-15T18:00", true, false},
		{"nil is utc", "2026-06-15", "18:00", nil, "2026-06-15T18:00", true, false},
		{"berlin summer", "2026-06-15", "18:00", berlin, "2026-06-15T16:00", true, false},
		{"berlin winter", "2026-01-15", "18:00", berlin, "2026-01-15T17:00", true, false},
		{"berlin before gap", "2026-03-29", "01:59", berlin, "2026-03-29T00:59", true, false},
		{"berlin gap start", "2026-03-29", "02:00", berlin, "2026-03-29T01:00", false, false},
		{"berlin in gap", "2026-03-29", "02:30", berlin, "2026-03-29T01:30", false, false},
		{"berlin after gap", "2026-03-29", "03:00", berlin, "2026-03-29T01:00", true, false},
		{"berlin before overlap", "2026-10-25", "01:59", berlin, "2026-10-24T23:59", true, false},
		{"berlin overlap start", "2026-10-25", "02:00", berlin, "2026-10-25T00:00", true, true},
		{"berlin overlap", "2026-10-25", "02:30", berlin, "2026-10-25T00:30", true, true},
		{"berlin overlap end", "2026-10-25", "02:59", berlin, "2026-10-25T00:59", true, true},
		{"berlin after overlap", "2026-10-25", "03:00", berlin, "2026-10-25T02:00", true, false},
		{"berlin midnight on gap day", "2026-03-29", "00:00", berlin, "2026-03-28T23:00", true, false},
		{"berlin clock past midnight into gap", "2026-03-28", "26:30", berlin, "2026-03-29T01:30", false, false},
		{"berlin clock past midnight into overlap", "2026-10-24", "26:30", berlin, "2026-10-25T00:30", true, true},
		{"berlin 47:59", "2026-06-15", "47:59", berlin, "2026-06-16T21:59", true, false},
		{"sydney gap", "2026-10-04", "02:30", sydney, "2026-10-03T16:30", false, false},
		{"sydney after gap", "2026-10-04", "03:00", sydney, "2026-10-03T16:00", true, false},
		{"sydney before gap", "2026-10-04", "01:30", sydney, "2026-10-03T15:30", true, false},
		{"sydney overlap", "2026-04-05", "02:30", sydney, "2026-04-04T15:30", true, true},
		{"sydney after overlap", "2026-04-05", "03:00", sydney, "2026-04-04T17:00", true, false},
		{"new york gap", "2026-03-08", "02:15", newYork, "2026-03-08T07:15", false, false},
		{"new york overlap", "2026-11-01", "01:15", newYork, "2026-11-01T05:15", true, true},
		{"havana midnight does not exist", "2026-03-08", "00:00", havana, "2026-03-08T05:00", false, false},
		{"havana midnight occurs twice", "2026-11-01", "00:00", havana, "2026-11-01T04:00", true, true},
		{"lord howe half-hour gap", "2026-10-04", "02:15", lordHowe, "2026-10-03T15:45", false, false},
		{"lord howe half-hour overlap", "2026-04-05", "01:45", lordHowe, "2026-04-04T14:45", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, c := mustDate(t, tt.date), mustClock(t, tt.clock)
			got, exists, ambiguous := Resolve(d, c, tt.loc)
			want := utc(t, tt.want)
			if !got.Equal(want) || exists != tt.wantExists || ambiguous != tt.wantAmbiguous {
				t.Errorf("Resolve(%s, %s) = %s, %v, %v; want %s, %v, %v", tt.date, tt.clock,
					got.UTC().Format(time.RFC3339), exists, ambiguous, want.Format(time.RFC3339), tt.wantExists, tt.wantAmbiguous)
			}
			if tt.loc != nil && got.Location() != tt.loc {
				t.Errorf("Resolve(%s, %s) is in %v, want %v", tt.date, tt.clock, got.Location(), tt.loc)
			}
		})
	}
}

func TestResolveNegativeClock(t *testing.T) {
	got, exists, _ := Resolve(mustDate(t, "2026-06-15"), -90, time.UTC)
	if want := utc(t, "2026-06-14T22:30"); !got.Equal(want) || !exists {
		t.Errorf("Resolve(2026-06-15, -01:30) = %v, %v; want %v, true", got, exists, want)
	}
}

// TestResolveMatchesBruteForce checks every quarter hour of the transition
// days of several zones against an independent minute-by-minute scan.
func TestResolveMatchesBruteForce(t *testing.T) {
	days := []struct{ zone, date string }{
		{"Europe/Berlin", "2026-03-29"}, {"Europe/Berlin", "2026-10-25"},
		{"Australia/Sydney", "2026-10-04"}, {"Australia/Sydney", "2026-04-05"},
		{"America/New_York", "2026-03-08"}, {"America/New_York", "2026-11-01"},
		{"America/Havana", "2026-03-08"}, {"America/Havana", "2026-11-01"},
		{"Australia/Lord_Howe", "2026-10-04"}, {"Australia/Lord_Howe", "2026-04-05"},
		{"Asia/Kolkata", "2026-03-29"}, {"UTC", "2026-03-29"},
		{"Europe/Berlin", "2099-10-25"}, // past the zone's listed transitions
	}
	for _, day := range days {
		loc := mustLoc(t, day.zone)
		d := mustDate(t, day.date)
		walls := scanWalls(loc, d, d)
		for c := Clock(0); c < minutesPerDay; c += 15 {
			got, exists, ambiguous := Resolve(d, c, loc)
			want, count := walls.lookup(t, d, c)
			if count == 0 {
				_, _, want = bruteResolve(d, c, loc)
			}
			if !got.Equal(want) || exists != (count > 0) || ambiguous != (count > 1) {
				t.Errorf("%s: Resolve(%s, %s) = %s, %v, %v; want %s, %v, %v", day.zone, d, c,
					got.UTC().Format(time.RFC3339), exists, ambiguous, want.UTC().Format(time.RFC3339), count > 0, count > 1)
			}
		}
	}
}
