package booking

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrInvalidSeries means a series rule is not usable: no weekday, a start time outside
// 00:00..23:59, no seats (or more than MaxSeats), no first date, a last date before the first,
// or more than MaxExceptions dates left out.
var ErrInvalidSeries = errors.New("booking: invalid series")

// Limits of a series rule.
const (
	// MaxSeats is the most seats a session (of a series or not) may have.
	MaxSeats = 100000
	// MaxExceptions is the most dates a series may leave out.
	MaxExceptions = 100
)

// Weekdays is a set of days of the week: bit d is time.Weekday d (Sunday is bit 0).
type Weekdays uint8

// allWeekdays is every day of the week.
const allWeekdays Weekdays = 1<<7 - 1

// WeekdaysOf returns the set of days.
func WeekdaysOf(days ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range days {
		w |= 1 << uint(d%7)
	}
	return w
}

// Has reports whether d is in w.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<uint(d%7)) != 0 }

// Days lists the days of w from Monday to Sunday, as people read a week.
func (w Weekdays) Days() []time.Weekday {
	var out []time.Weekday
	for i := 1; i <= 7; i++ {
		if d := time.Weekday(i % 7); w.Has(d) {
			out = append(out, d)
		}
	}
	return out
}

// Series is a weekly rule that makes the dated sessions of a session offering: one session on
// every date from From to Until (inclusive; a zero Until never ends) whose weekday is in Days,
// except the dates in Except, each starting at the local time Time and offering Seats seats.
//
// A session belongs to the date the rule makes it on, and its start resolves like every local
// time (Resolve): a Time that a DST gap skips on a date starts after the gap, shifted forward by
// its length (a 02:30 class on Berlin's spring-forward Sunday starts at 03:30), and a Time that
// occurs twice starts at its first occurrence. Time is below 24:00: a class at 00:30 on
// Saturdays is Saturday's, not Friday night's.
type Series struct {
	Days   Weekdays
	Time   Clock
	Seats  int
	From   Date
	Until  Date
	Except []Date // ascending, no repeats (NormalizeDates)
}

// Validate reports why s cannot make sessions, wrapping ErrInvalidSeries; nil when it can.
func (s Series) Validate() error {
	switch {
	case s.Days == 0 || s.Days&^allWeekdays != 0:
		return fmt.Errorf("%w: no weekday", ErrInvalidSeries)
	case s.Time < 0 || s.Time >= minutesPerDay:
		return fmt.Errorf("%w: start time %s is not within a day", ErrInvalidSeries, s.Time)
	case s.Seats < 1 || s.Seats > MaxSeats:
		return fmt.Errorf("%w: %d seats", ErrInvalidSeries, s.Seats)
	case s.From.IsZero() || !s.From.valid():
		return fmt.Errorf("%w: no first date", ErrInvalidSeries)
	case !s.Until.IsZero() && (!s.Until.valid() || s.Until.Compare(s.From) < 0):
		return fmt.Errorf("%w: the last date %s is before the first %s", ErrInvalidSeries, s.Until, s.From)
	case len(s.Except) > MaxExceptions:
		return fmt.Errorf("%w: %d dates left out (at most %d)", ErrInvalidSeries, len(s.Except), MaxExceptions)
	}
	return nil
}

// On reports whether s makes a session on d.
func (s Series) On(d Date) bool {
	if d.Compare(s.From) < 0 || (!s.Until.IsZero() && d.Compare(s.Until) > 0) || !s.Days.Has(d.Weekday()) {
		return false
	}
	_, skipped := slices.BinarySearchFunc(s.Except, d, Date.Compare)
	return !skipped
}

// Occurrence is one session a series makes.
type Occurrence struct {
	Date  Date      // the date the rule makes it on
	Start time.Time // its start, in the zone it was resolved in
	// Shifted means Time does not exist on Date (a DST gap): Start is after the gap.
	Shifted bool
	// Ambiguous means Time occurs twice on Date (a DST overlap): Start is the first.
	Ambiguous bool
}

// Occurrences lists the sessions s makes on the dates from..to (inclusive), by date, with
// their starts resolved in loc (nil: UTC).
func (s Series) Occurrences(from, to Date, loc *time.Location) []Occurrence {
	if from.Compare(s.From) < 0 {
		from = s.From
	}
	if !s.Until.IsZero() && to.Compare(s.Until) > 0 {
		to = s.Until
	}
	var out []Occurrence
	for d := from; d.Compare(to) <= 0; d = d.AddDays(1) {
		if !s.On(d) {
			continue
		}
		t, exists, ambiguous := Resolve(d, s.Time, loc)
		out = append(out, Occurrence{Date: d, Start: t, Shifted: !exists, Ambiguous: ambiguous})
	}
	return out
}

// EndBefore is s ending on the date before d: the part of s that an edit "from d on" keeps.
// Its Except keeps the dates before d; a rule that ends before d already is unchanged.
func (s Series) EndBefore(d Date) Series {
	if s.Until.IsZero() || s.Until.Compare(d) >= 0 {
		s.Until = d.AddDays(-1)
	}
	i, _ := slices.BinarySearchFunc(s.Except, d, Date.Compare)
	s.Except = slices.Clone(s.Except[:i])
	return s
}

// StartingOn is s starting on d (or on its own first date if later): the part of s from d on.
// Its Except keeps the dates from d on.
func (s Series) StartingOn(d Date) Series {
	if d.Compare(s.From) > 0 {
		s.From = d
	}
	i, _ := slices.BinarySearchFunc(s.Except, s.From, Date.Compare)
	s.Except = slices.Clone(s.Except[i:])
	return s
}

// ParseDates parses a list of "2006-01-02" dates separated by commas, spaces or line breaks,
// as people type dates to leave out; it returns them ascending without repeats (NormalizeDates).
// The error wraps ErrInvalidDate with the first bad date.
func ParseDates(s string) ([]Date, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	out := make([]Date, 0, len(fields))
	for _, f := range fields {
		d, err := ParseDate(f)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return NormalizeDates(out), nil
}

// NormalizeDates sorts ds ascending and drops repeats, in place.
func NormalizeDates(ds []Date) []Date {
	slices.SortFunc(ds, Date.Compare)
	return slices.Compact(ds)
}

// FormatDates writes ds as ParseDates reads them, comma-separated.
func FormatDates(ds []Date) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ", ")
}
