package booking

import (
	"fmt"
	"time"
)

// Clock is a wall-clock time as minutes after local midnight. Opening times
// are below 24:00; closing times may run past midnight up to 47:59, written
// "25:30" for 01:30 the next day.
type Clock int

const (
	minutesPerDay = 24 * 60
	// maxClock is the latest clock ParseClock accepts and an Hours rule may close at.
	maxClock Clock = 2*minutesPerDay - 1
)

// ParseClock parses s as "HH:MM" in 00:00..47:59. It is strict: exactly two
// digits, a colon, two digits, minutes below 60. The error wraps ErrInvalidClock.
func ParseClock(s string) (Clock, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%w: %q", ErrInvalidClock, s)
	}
	h, ok1 := digits(s[0:2])
	m, ok2 := digits(s[3:5])
	if !ok1 || !ok2 || h > 47 || m > 59 {
		return 0, fmt.Errorf("%w: %q", ErrInvalidClock, s)
	}
	return Clock(h*60 + m), nil
}

// String formats c as "HH:MM" (hours past 23 for times after midnight, a
// leading minus for negative values).
func (c Clock) String() string {
	if c < 0 {
		return "-" + (-c).String()
	}
	return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60)
}

// clockOf returns the local wall-clock time of t in loc, to the minute.
func clockOf(t time.Time, loc *time.Location) Clock {
	h, m, _ := t.In(loc).Clock()
	return Clock(h*60 + m)
}
