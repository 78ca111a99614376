package booking

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// occurrenceStarts writes occurrences as "date local-start" with "+" when shifted past a gap
// and "*" when ambiguous.
func occurrenceStarts(occ []Occurrence, loc *time.Location) []string {
	out := make([]string, 0, len(occ))
	for _, o := range occ {
		mark := ""
		if o.Shifted {
			mark = "+"
		}
		if o.Ambiguous {
			mark = "*"
		}
		out = append(out, o.Date.String()+" "+o.Start.In(loc).Format("2006-01-02T15:04")+mark)
	}
	return out
}

// TestSeriesOccurrences lists the sessions of weekly rules over DST transitions, across
// midnight and with dates left out. 2026-03-29 and 2026-10-25 are Sundays (Berlin's
// transitions); 2026-03-08 is a Sunday (Havana springs forward at midnight).
func TestSeriesOccurrences(t *testing.T) {
	d := func(s string) Date { return mustDate(t, s) }
	c := func(s string) Clock { return mustClock(t, s) }
	tests := []struct {
		name     string
		zone     string
		s        Series
		from, to string
		want     []string
	}{
		{"every weekday", "Europe/Berlin",
			Series{Days: WeekdaysOf(time.Monday, time.Wednesday, time.Friday), Time: c("18:00"), Seats: 12, From: d("2026-06-15")},
			"2026-06-14", "2026-06-21",
			[]string{"2026-06-15 2026-06-15T18:00", "2026-06-17 2026-06-17T18:00", "2026-06-19 2026-06-19T18:00"}},
		{"from and until bound it", "Europe/Berlin",
			Series{Days: allWeekdays, Time: c("09:00"), Seats: 1, From: d("2026-06-16"), Until: d("2026-06-18")},
			"2026-06-01", "2026-06-30",
			[]string{"2026-06-16 2026-06-16T09:00", "2026-06-17 2026-06-17T09:00", "2026-06-18 2026-06-18T09:00"}},
		{"dates left out", "Europe/Berlin",
			Series{Days: allWeekdays, Time: c("09:00"), Seats: 1, From: d("2026-12-23"), Until: d("2026-12-27"), Except: []Date{d("2026-12-24"), d("2026-12-26")}},
			"2026-12-01", "2026-12-31",
			[]string{"2026-12-23 2026-12-23T09:00", "2026-12-25 2026-12-25T09:00", "2026-12-27 2026-12-27T09:00"}},
		{"spring forward: 02:30 does not exist and starts after the gap", "Europe/Berlin",
			Series{Days: WeekdaysOf(time.Sunday), Time: c("02:30"), Seats: 8, From: d("2026-03-22")},
			"2026-03-22", "2026-04-05",
			[]string{"2026-03-22 2026-03-22T02:30", "2026-03-29 2026-03-29T03:30+", "2026-04-05 2026-04-05T02:30"}},
		{"fall back: 02:30 occurs twice and starts at the first", "Europe/Berlin",
			Series{Days: WeekdaysOf(time.Sunday), Time: c("02:30"), Seats: 8, From: d("2026-10-18")},
			"2026-10-18", "2026-11-01",
			[]string{"2026-10-18 2026-10-18T02:30", "2026-10-25 2026-10-25T02:30*", "2026-11-01 2026-11-01T02:30"}},
		{"a transition at midnight: Havana's 00:30 on 2026-03-08 starts at 01:30", "America/Havana",
			Series{Days: WeekdaysOf(time.Sunday), Time: c("00:30"), Seats: 8, From: d("2026-03-01")},
			"2026-03-01", "2026-03-15",
			[]string{"2026-03-01 2026-03-01T00:30", "2026-03-08 2026-03-08T01:30+", "2026-03-15 2026-03-15T00:30"}},
		{"after midnight: a Saturday 00:15 class is Saturday's", "Europe/Berlin",
			Series{Days: WeekdaysOf(time.Saturday), Time: c("00:15"), Seats: 8, From: d("2026-06-19")},
			"2026-06-19", "2026-06-20",
			[]string{"2026-06-20 2026-06-20T00:15"}},
		{"late evening starts stay on their date", "Europe/Berlin",
			Series{Days: WeekdaysOf(time.Friday), Time: c("23:45"), Seats: 8, From: d("2026-06-19")},
			"2026-06-19", "2026-06-27",
			[]string{"2026-06-19 2026-06-19T23:45", "2026-06-26 2026-06-26T23:45"}},
		{"the range before the first date is empty", "UTC",
			Series{Days: allWeekdays, Time: c("10:00"), Seats: 1, From: d("2026-06-20")},
			"2026-06-01", "2026-06-19", nil},
		{"the range after the last date is empty", "UTC",
			Series{Days: allWeekdays, Time: c("10:00"), Seats: 1, From: d("2026-06-01"), Until: d("2026-06-10")},
			"2026-06-11", "2026-06-30", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			loc := mustLoc(t, tt.zone)
			got := occurrenceStarts(tt.s.Occurrences(d(tt.from), d(tt.to), loc), loc)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Occurrences(%s, %s)\n got %q\nwant %q", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

// TestSeriesValidate refuses rules that cannot make sessions, each with ErrInvalidSeries.
func TestSeriesValidate(t *testing.T) {
	d := func(s string) Date { return mustDate(t, s) }
	ok := Series{Days: WeekdaysOf(time.Monday), Time: 18 * 60, Seats: 10, From: d("2026-06-15")}
	many := make([]Date, MaxExceptions+1)
	for i := range many {
		many[i] = d("2026-06-15").AddDays(i)
	}
	tests := []struct {
		name string
		edit func(*Series)
	}{
		{"no weekday", func(s *Series) { s.Days = 0 }},
		{"a bit past Saturday", func(s *Series) { s.Days = 1 << 7 }},
		{"24:00", func(s *Series) { s.Time = 24 * 60 }},
		{"a negative time", func(s *Series) { s.Time = -1 }},
		{"no seats", func(s *Series) { s.Seats = 0 }},
		{"too many seats", func(s *Series) { s.Seats = MaxSeats + 1 }},
		{"no first date", func(s *Series) { s.From = Date{} }},
		{"the last date before the first", func(s *Series) { s.Until = d("2026-06-14") }},
		{"too many dates left out", func(s *Series) { s.Except = many }},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good rule: %v", err)
	}
	same := ok
	same.Until = ok.From
	if err := same.Validate(); err != nil {
		t.Errorf("a rule of one date: %v", err)
	}
	for _, tt := range tests {
		s := ok
		tt.edit(&s)
		if err := s.Validate(); !errors.Is(err, ErrInvalidSeries) {
			t.Errorf("%s: Validate = %v, want ErrInvalidSeries", tt.name, err)
		}
	}
}

// TestSeriesSplit: editing "from a date on" keeps the dates before it in one rule and the rest
// in the other, with the dates left out divided between them.
func TestSeriesSplit(t *testing.T) {
	d := func(s string) Date { return mustDate(t, s) }
	s := Series{Days: allWeekdays, Time: 600, Seats: 3, From: d("2026-06-01"), Until: d("2026-06-30"),
		Except: []Date{d("2026-06-05"), d("2026-06-10"), d("2026-06-20")}}
	before, after := s.EndBefore(d("2026-06-10")), s.StartingOn(d("2026-06-10"))
	if before.Until != d("2026-06-09") || !slices.Equal(before.Except, []Date{d("2026-06-05")}) {
		t.Errorf("EndBefore = until %s except %v", before.Until, before.Except)
	}
	if after.From != d("2026-06-10") || after.Until != s.Until || !slices.Equal(after.Except, []Date{d("2026-06-10"), d("2026-06-20")}) {
		t.Errorf("StartingOn = from %s until %s except %v", after.From, after.Until, after.Except)
	}
	if early := s.StartingOn(d("2026-05-01")); early.From != s.From || len(early.Except) != 3 {
		t.Errorf("StartingOn a date before the first = from %s except %v", early.From, early.Except)
	}
	// The two parts share nothing with each other's Except slice.
	before.Except[0] = d("2027-01-01")
	if s.Except[0] != d("2026-06-05") {
		t.Error("EndBefore shares its Except with the rule it came from")
	}
}

// TestParseDates reads dates as people type a list of them.
func TestParseDates(t *testing.T) {
	got, err := ParseDates(" 2026-12-31, 2026-12-24;2026-12-24\n2026-12-25 ")
	if err != nil {
		t.Fatal(err)
	}
	if s := FormatDates(got); s != "2026-12-24, 2026-12-25, 2026-12-31" {
		t.Errorf("ParseDates then FormatDates = %q", s)
	}
	if got, err := ParseDates("  "); err != nil || len(got) != 0 {
		t.Errorf("ParseDates(blank) = %v, %v", got, err)
	}
	for _, bad := range []string{"2026-02-30", "24.12.2026", "2026-12-24,x"} {
		if _, err := ParseDates(bad); !errors.Is(err, ErrInvalidDate) {
			t.Errorf("ParseDates(%q) = %v, want ErrInvalidDate", bad, err)
		}
	}
}

// TestWeekdays lists a set Monday first.
func TestWeekdays(t *testing.T) {
	w := WeekdaysOf(time.Sunday, time.Monday, time.Friday)
	if got := w.Days(); !slices.Equal(got, []time.Weekday{time.Monday, time.Friday, time.Sunday}) {
		t.Errorf("Days = %v", got)
	}
	if w.Has(time.Tuesday) || !w.Has(time.Sunday) {
		t.Errorf("Has is wrong for %07b", w)
	}
}

// FuzzSeries derives a rule, a zone and a range from the input and checks Occurrences against
// a brute-force reading of the rule:
//
//   - it lists exactly the dates in the range, from From to Until, on a day of Days and not left
//     out, ascending, once each;
//   - each start shows Time on its date in the zone, as its first occurrence; a start flagged
//     Shifted is one whose Time the zone skips on that date, and then it is the first instant
//     after the gap;
//   - splitting the rule at any date (EndBefore, StartingOn) divides its dates between the two
//     parts without losing or repeating one.
func FuzzSeries(f *testing.F) {
	f.Add(uint8(0b1000001), uint16(150), uint8(0), uint8(10), uint8(20), uint8(3), uint8(7), uint8(0), uint8(0))
	f.Add(uint8(0b0000001), uint16(30), uint8(9), uint8(0), uint8(0), uint8(0), uint8(40), uint8(3), uint8(1))
	f.Add(uint8(0b1111111), uint16(120), uint8(1), uint8(2), uint8(5), uint8(1), uint8(30), uint8(5), uint8(4))
	f.Fuzz(func(t *testing.T, days uint8, clock uint16, zone, fromOff, untilLen, exceptSeed, rangeLen, rangeOff, split uint8) {
		day := fuzzDays[int(zone)%len(fuzzDays)]
		loc := mustLoc(t, day.zone)
		base := mustDate(t, day.date).AddDays(-14)
		s := Series{Days: Weekdays(days) & allWeekdays, Time: Clock(int(clock) % minutesPerDay), Seats: 1, From: base.AddDays(int(fromOff % 32))}
		if s.Days == 0 {
			s.Days = WeekdaysOf(base.Weekday())
		}
		if untilLen%4 != 0 {
			s.Until = s.From.AddDays(int(untilLen % 60))
		}
		for i := 0; i < int(exceptSeed%6); i++ {
			s.Except = append(s.Except, s.From.AddDays(int(exceptSeed)*(i+1)%40))
		}
		s.Except = NormalizeDates(s.Except)
		if err := s.Validate(); err != nil {
			t.Fatalf("Validate(%+v): %v", s, err)
		}
		from := base.AddDays(int(rangeOff % 40))
		to := from.AddDays(int(rangeLen % 64))

		var want []Date
		for d := from; d.Compare(to) <= 0; d = d.AddDays(1) {
			after := d.Compare(s.From) >= 0
			before := s.Until.IsZero() || d.Compare(s.Until) <= 0
			if after && before && s.Days&(1<<uint(d.Weekday())) != 0 && !slices.Contains(s.Except, d) {
				want = append(want, d)
			}
		}
		occ := s.Occurrences(from, to, loc)
		got := make([]Date, len(occ))
		for i, o := range occ {
			got[i] = o.Date
			checkStart(t, o, s.Time, loc)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("rule %+v over %s..%s: dates %v, want %v", s, from, to, got, want)
		}

		at := from.AddDays(int(split % 64))
		var parts []Date
		for _, o := range s.EndBefore(at).Occurrences(from, to, loc) {
			if o.Date.Compare(at) >= 0 {
				t.Fatalf("EndBefore(%s) made %s", at, o.Date)
			}
			parts = append(parts, o.Date)
		}
		for _, o := range s.StartingOn(at).Occurrences(from, to, loc) {
			if o.Date.Compare(at) < 0 {
				t.Fatalf("StartingOn(%s) made %s", at, o.Date)
			}
			parts = append(parts, o.Date)
		}
		if !slices.Equal(parts, want) {
			t.Fatalf("split at %s: dates %v, want %v", at, parts, want)
		}
	})
}

// checkStart checks an occurrence's start minute by minute over the day around it, without
// Resolve: the first instant showing Time on the date, or (shifted) the first after the gap.
func checkStart(t *testing.T, o Occurrence, c Clock, loc *time.Location) {
	t.Helper()
	midnightUTC := time.Date(o.Date.Year, o.Date.Month, o.Date.Day, 0, 0, 0, 0, time.UTC)
	var first time.Time
	matches := 0
	for m := -16 * 60; m <= 40*60; m++ {
		at := midnightUTC.Add(time.Duration(m) * time.Minute)
		if DateOf(at, loc) == o.Date && clockOf(at, loc) == c && at.In(loc).Second() == 0 {
			if matches == 0 {
				first = at
			}
			matches++ // the next minute shows another clock: each match is one occurrence
		}
	}
	switch {
	case matches == 0 && !o.Shifted:
		t.Fatalf("%s %s does not exist in %s, but the occurrence is not flagged shifted (start %v)", o.Date, c, loc, o.Start)
	case matches > 0 && o.Shifted:
		t.Fatalf("%s %s exists in %s, but the occurrence is flagged shifted", o.Date, c, loc)
	case matches > 0 && !o.Start.Equal(first):
		t.Fatalf("%s %s in %s: start %v, want the first occurrence %v", o.Date, c, loc, o.Start, first)
	case matches > 1 != o.Ambiguous:
		t.Fatalf("%s %s in %s: %d occurrences, Ambiguous = %v", o.Date, c, loc, matches, o.Ambiguous)
	case o.Shifted:
		// The zone skipped Time at a transition just before the start: the start is Time read
		// with the offset before the gap (so shifted forward by the gap's length), and the
		// offset grew. Gaps are at most two hours.
		wall := time.Date(o.Date.Year, o.Date.Month, o.Date.Day, int(c)/60, int(c)%60, 0, 0, time.UTC)
		_, before := o.Start.Add(-2 * time.Hour).In(loc).Zone()
		_, after := o.Start.In(loc).Zone()
		if after <= before || !o.Start.Equal(wall.Add(-time.Duration(before)*time.Second)) {
			t.Fatalf("%s %s in %s: shifted start %v is not the time read before the gap", o.Date, c, loc, o.Start)
		}
	}
}
