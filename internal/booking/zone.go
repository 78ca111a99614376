package booking

import "time"

// Resolve turns the wall-clock time c on local date d into an instant in loc
// (nil loc means UTC). The returned t is in loc.
//
// A wall-clock time that occurs twice (DST fall-back) resolves to its FIRST
// occurrence with ambiguous = true. A wall-clock time that does not exist (the
// DST spring-forward gap) returns exists = false and t = the instant the
// clock shows after the gap, shifted forward by the gap's length (Berlin's
// nonexistent 02:30 gives 03:30 summer time). c may be 24:00 or later (it rolls
// into the following dates) or negative (the preceding dates).
//
// Resolve does not rely on time.Date's unspecified choice for ambiguous or
// nonexistent times: it walks the zone's offsets in effect within ±48 h of the
// wall time and keeps the instants whose local wall time matches.
func Resolve(d Date, c Clock, loc *time.Location) (t time.Time, exists, ambiguous bool) {
	loc = orUTC(loc)
	days, m := int(c)/minutesPerDay, int(c)%minutesPerDay
	if m < 0 {
		days, m = days-1, m+minutesPerDay
	}
	wall := time.Date(d.Year, d.Month, d.Day+days, m/60, m%60, 0, 0, time.UTC)
	return resolveWall(wall, loc)
}

// zonePeriod is a stretch of time during which loc keeps one UTC offset.
// A zero start or end means unbounded on that side.
type zonePeriod struct {
	start, end time.Time
	offset     time.Duration
}

// resolveProbe bounds the search; real UTC offsets are within ±26 h of each other.
const resolveProbe = 48 * time.Hour

// resolveWall resolves wall, a wall-clock time written as if it were UTC.
func resolveWall(wall time.Time, loc *time.Location) (time.Time, bool, bool) {
	var buf [8]zonePeriod
	periods := zonePeriods(loc, wall.Add(-resolveProbe), wall.Add(resolveProbe), buf[:0])

	// Each period in which wall-offset falls is one occurrence of wall.
	var first time.Time
	n := 0
	for _, p := range periods {
		cand := wall.Add(-p.offset)
		if (!p.start.IsZero() && cand.Before(p.start)) || (!p.end.IsZero() && !cand.Before(p.end)) {
			continue
		}
		if n == 0 || cand.Before(first) {
			first = cand
		}
		n++
	}
	if n > 0 {
		return first.In(loc), true, n > 1
	}

	// No occurrence: wall lies in a gap [T+before, T+after) at a transition T
	// where the offset grows. Read it with the offset before the gap, which
	// lands after the transition, shifted forward by the gap.
	for i := 1; i < len(periods); i++ {
		before, after, at := periods[i-1].offset, periods[i].offset, periods[i].start
		if after > before && !wall.Before(at.Add(before)) && wall.Before(at.Add(after)) {
			return wall.Add(-before).In(loc), false, false
		}
	}
	// Unreachable for well-formed zones; fall back to the standard library.
	y, mo, d := wall.Date()
	h, mi, _ := wall.Clock()
	return time.Date(y, mo, d, h, mi, 0, 0, loc), false, false
}

// zonePeriods appends to buf the periods of loc that cover [from, to], in order.
func zonePeriods(loc *time.Location, from, to time.Time, buf []zonePeriod) []zonePeriod {
	t := from
	for range 64 { // a guard; real zones change a handful of times in four days
		local := t.In(loc)
		_, off := local.Zone()
		start, end := local.ZoneBounds()
		buf = append(buf, zonePeriod{start: start, end: end, offset: time.Duration(off) * time.Second})
		if end.IsZero() || end.After(to) || !end.After(t) {
			break
		}
		t = end
	}
	return buf
}
