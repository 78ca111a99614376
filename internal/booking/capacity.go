package booking

import (
	"math"
	"slices"
	"sort"
	"time"
)

// usage is the capacity in use over a span of time [base, base+span], as a
// step function: from steps[i].at (nanoseconds after base) until the next
// step, steps[i].level is in use; before the first step nothing is.
type usage struct {
	base  time.Time
	steps []usageStep
}

// usageStep is one breakpoint of a usage. While a usage is built it holds a
// change (+need or -need) instead of a level.
type usageStep struct {
	at    int64
	level int
}

// blocked returns the interval a booking from start to end keeps from others:
// [start-BufferBefore, end+BufferAfter).
func (o Offering) blocked(start, end time.Time) (from, to time.Time) {
	if end.Before(start) {
		end = start
	}
	return start.Add(-o.before()), end.Add(o.after())
}

// usage returns the capacity in use within [from, to) by the reservations,
// leaving out the one with ID ignore (when ignore is not empty). It allocates
// once and sorts the reservations' boundaries once.
func (o Offering) usage(res []Reservation, ignore string, from, to time.Time) usage {
	u := usage{base: from}
	// Reservations outside [from, to) do not matter; the others are clipped
	// to it. Offsets saturate (time.Time.Sub does), so far-off rows are safe.
	span := int64(to.Sub(from))
	before, after := int64(o.before()), int64(o.after())
	steps := make([]usageStep, 0, 2*len(res))
	for i := range res {
		r := &res[i]
		need := o.needOf(r)
		if need <= 0 || (ignore != "" && r.ID == ignore) {
			continue
		}
		start := int64(r.Start.Sub(from))
		end := max(int64(r.End.Sub(from)), start)
		start, end = addSat(start, -before), addSat(end, after)
		if start >= end || start >= span || end <= 0 {
			continue
		}
		steps = append(steps, usageStep{max(start, 0), need}, usageStep{min(end, span), -need})
	}
	if len(steps) == 0 {
		return u
	}
	slices.SortFunc(steps, func(x, y usageStep) int {
		switch {
		case x.at < y.at:
			return -1
		case x.at > y.at:
			return 1
		}
		return 0
	})

	// Merge changes at the same instant and turn them into levels, in place.
	out, level := steps[:0], 0
	for i := 0; i < len(steps); {
		at := steps[i].at
		for ; i < len(steps) && steps[i].at == at; i++ {
			level += steps[i].level
		}
		out = append(out, usageStep{at, level})
	}
	u.steps = out
	return u
}

// addSat returns a+b, saturated at the int64 bounds.
func addSat(a, b int64) int64 {
	c := a + b
	switch {
	case b > 0 && c < a:
		return math.MaxInt64
	case b < 0 && c > a:
		return math.MinInt64
	}
	return c
}

// peak returns the highest level of u within [from, to), which must lie
// within the span u was built for.
func (u usage) peak(from, to time.Time) int {
	a, b := int64(from.Sub(u.base)), int64(to.Sub(u.base))
	i := sort.Search(len(u.steps), func(i int) bool { return u.steps[i].at > a })
	top := 0
	if i > 0 {
		top = u.steps[i-1].level
	}
	for ; i < len(u.steps) && u.steps[i].at < b; i++ {
		top = max(top, u.steps[i].level)
	}
	return top
}

// remainingAt returns the capacity left for a booking starting at start:
// Capacity minus the peak usage over the candidate's blocked interval, never
// negative.
func (o Offering) remainingAt(u usage, start time.Time) int {
	from, to := o.blocked(start, start.Add(o.Duration))
	return max(o.Capacity-u.peak(from, to), 0)
}

// seatsLeft returns the seats of s left, never negative: Seats minus the need
// of the reservations of s, leaving out the one with ID ignore (when not empty).
func (o Offering) seatsLeft(s Session, res []Reservation, ignore string) int {
	used := 0
	for i := range res {
		r := &res[i]
		if r.Session != s.ID || (ignore != "" && r.ID == ignore) {
			continue
		}
		used += max(o.needOf(r), 0)
	}
	return max(s.Seats-used, 0)
}
