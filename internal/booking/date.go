package booking

import (
	"fmt"
	"time"
)

// Date is a civil (calendar) date in the venue's time zone: no time of day and
// no zone of its own. The zero Date is not a real date (see IsZero).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses s as "2006-01-02". It is strict: exactly ten characters,
// digits and dashes only, a real day of a year in 1900..9999 (so "2026-02-30",
// "2026-2-3" and "2026-02-03x" are refused). The error wraps ErrInvalidDate.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%w: %q", ErrInvalidDate, s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	date := Date{Year: y, Month: time.Month(m), Day: d}
	if !ok1 || !ok2 || !ok3 || y < 1900 || !date.valid() {
		return Date{}, fmt.Errorf("%w: %q", ErrInvalidDate, s)
	}
	return date, nil
}

// DateOf returns the local date of instant t in loc (nil loc means UTC).
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(orUTC(loc)).Date()
	return Date{Year: y, Month: m, Day: d}
}

// String formats d as "2006-01-02".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return d.noonUTC().Weekday()
}

// AddDays returns the date n days after d (before it when n is negative).
func (d Date) AddDays(n int) Date {
	y, m, day := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC).Date()
	return Date{Year: y, Month: m, Day: day}
}

// Compare returns -1 if d is before o, 0 if they are the same date, +1 if d is after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return sign(d.Year - o.Year)
	case d.Month != o.Month:
		return sign(int(d.Month) - int(o.Month))
	default:
		return sign(d.Day - o.Day)
	}
}

// IsZero reports whether d is the zero Date (no date given).
func (d Date) IsZero() bool {
	return d == Date{}
}

// valid reports whether d is a real calendar date with a year in 1..9999.
func (d Date) valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= time.Date(d.Year, d.Month+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

func (d Date) noonUTC() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
}

// digits parses s as a non-negative decimal made of ASCII digits only.
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
