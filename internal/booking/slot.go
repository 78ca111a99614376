package booking

import (
	"slices"
	"strings"
	"time"
)

// Slot is one bookable start.
type Slot struct {
	// Start and End are the booking's instants, in the venue's location.
	Start, End time.Time
	// Session is the session's ID (session kind), "" for the slot kind.
	Session string
	// Remaining is the capacity left at this start, in the offering's Mode
	// units; never negative. Under Pacing in people mode it is no larger than
	// CoversLeft.
	Remaining int
	// Paced reports that the offering paces its starts (Offering.Pacing):
	// CoversLeft more covers may start in this start's quarter hour.
	Paced      bool
	CoversLeft int
	// Ambiguous reports that the local start time occurs twice on this date
	// (DST fall-back). For the slot kind Start is then the FIRST occurrence;
	// for sessions it is the session's own Start.
	Ambiguous bool
	// Pooled reports that the offering's bookings are served by a Pool: a booking of this
	// start gets Resources (none: no resource is free for the party, and Remaining is 0).
	Pooled    bool
	Resources []string
}

// Fits reports whether a booking of party fits in what is left of s:
// s.Remaining >= o.Need(party), under pacing s.CoversLeft >= party, and with a pool a
// resource is free for the party (Slots of ForParty(party) assign for that party).
func (s Slot) Fits(o Offering, party int) bool {
	return s.Remaining >= o.Need(party) && (!s.Paced || s.CoversLeft >= party) && (!s.Pooled || len(s.Resources) > 0)
}

// Slots lists the bookable starts of local date d (nil loc means UTC), sorted
// by Start, with the capacity left at each. Full starts are listed with
// Remaining 0. It returns nil when nothing is bookable, including when d is
// not a real date or is in a Closure.
//
// Slot kind: the starts of every opening span of d (Calendar.HoursOn: its
// special hours where they cover it, else the valid Hours rules of its
// weekday) are the
// wall-clock times Open, Open+Interval, ... whose booking [start,
// start+Duration) lies between the rule's Open and Close instants (see
// Resolve: a nonexistent Open or Close is shifted forward, an ambiguous one is
// its first occurrence); a start past midnight (Close after 24:00) belongs to
// d. Starts that do not exist locally are skipped and a start that occurs
// twice is listed once, as its first occurrence. Starts produced by two rules
// are listed once.
//
// Neither kind lists a booking that overlaps a PartClosure (a slot's
// [Start, End), a session's own times).
//
// Session kind: the sessions whose Start falls on local date d; opening hours
// do not apply.
//
// Either kind lists only starts at or after now+LeadTime and, if Horizon > 0,
// at or before now+Horizon.
func (o Offering) Slots(cal Calendar, d Date, now time.Time, loc *time.Location) []Slot {
	loc = orUTC(loc)
	if !d.valid() || cal.closedOn(d) {
		return nil
	}
	if o.Kind == KindSession {
		return o.sessionSlots(cal, d, now, loc)
	}
	step := o.step()
	if step <= 0 || o.Duration < time.Minute {
		return nil
	}
	n, rules := 0, 0
	for h := range cal.hoursOn(d) {
		n += int((h.Close-h.Open+step-1)/step) + 1
		rules++
	}
	if n == 0 {
		return nil
	}
	out := make([]Slot, 0, n)
	for h := range cal.hoursOn(d) {
		openAt, closeAt := h.instants(d, loc)
		for c := h.Open; c < h.Close; c += step {
			start, exists, ambiguous := Resolve(d, c, loc)
			if !exists {
				continue
			}
			end := start.Add(o.Duration)
			if start.Before(openAt) || end.After(closeAt) || !o.inReach(start, now) || cal.closedAt(start, end, loc) {
				continue
			}
			out = append(out, Slot{Start: start, End: end, Ambiguous: ambiguous})
		}
	}
	if len(out) == 0 {
		return nil
	}
	byStart := func(a, b Slot) int { return a.Start.Compare(b.Start) }
	if !slices.IsSortedFunc(out, byStart) {
		slices.SortFunc(out, byStart)
	}
	if rules > 1 {
		out = slices.CompactFunc(out, func(a, b Slot) bool { return a.Start.Equal(b.Start) })
	}
	// All starts share one Duration, so the first and last bound every
	// blocked interval.
	from, _ := o.blocked(out[0].Start, out[0].End)
	_, to := o.blocked(out[len(out)-1].Start, out[len(out)-1].End)
	profile := o.usage(cal.Reservations, "", from, to)
	for i := range out {
		out[i].Remaining = o.remainingAt(profile, out[i].Start)
		o.pace(&out[i], cal.Reservations, "", loc)
		if err := o.assignSlot(&out[i], cal, "", loc); err != nil {
			return nil // a wanted resource that is not in the pool: nothing to list
		}
	}
	return out
}

// sessionSlots lists the sessions starting on d that are in reach at now.
func (o Offering) sessionSlots(cal Calendar, d Date, now time.Time, loc *time.Location) []Slot {
	var out []Slot
	for _, s := range cal.Sessions {
		if s.ID == "" || DateOf(s.Start, loc) != d || !o.inReach(s.Start, now) || cal.closedAt(s.Start, s.End, loc) {
			continue
		}
		slot := sessionSlot(s, loc)
		slot.Remaining = o.seatsLeft(s, cal.Reservations, "")
		out = append(out, slot)
	}
	slices.SortFunc(out, func(a, b Slot) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Session, b.Session)
	})
	return out
}

// sessionSlot returns the slot of session s, without its Remaining.
func sessionSlot(s Session, loc *time.Location) Slot {
	start := s.Start.In(loc)
	_, _, ambiguous := Resolve(DateOf(start, loc), clockOf(start, loc), loc)
	return Slot{Start: start, End: s.End.In(loc), Session: s.ID, Ambiguous: ambiguous}
}
