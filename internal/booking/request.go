package booking

import (
	"fmt"
	"time"
)

// Request asks for one booking.
type Request struct {
	// Start is a local "2006-01-02T15:04" (slot kind) or a session ID (session kind).
	Start string
	Party int
	// Ignore is the ID of a reservation to leave out of the capacity count,
	// for moving an existing booking; "" leaves none out.
	Ignore string
	// Resource is the pool's resource the booking wants (a staff member the visitor picked);
	// "" is any. See Offering.Assign.
	Resource string
	// Prefer is a resource the booking gets when it is free, else any (a booking being moved
	// keeps its staff member or table where it can). Resource, when given, wins.
	Prefer string
}

// ParseStart splits a slot-kind start "2006-01-02T15:04" into its local date
// and clock. It is strict: exactly that layout, a real date in 1900..9999,
// a clock below 24:00. The error wraps ErrInvalidStart. Callers use the date
// to know which Window to load before Check.
func ParseStart(s string) (Date, Clock, error) {
	if len(s) != 16 || s[10] != 'T' {
		return Date{}, 0, fmt.Errorf("%w: %q", ErrInvalidStart, s)
	}
	d, err := ParseDate(s[:10])
	if err != nil {
		return Date{}, 0, fmt.Errorf("%w: %q", ErrInvalidStart, s)
	}
	c, err := ParseClock(s[11:])
	if err != nil || c >= minutesPerDay {
		return Date{}, 0, fmt.Errorf("%w: %q", ErrInvalidStart, s)
	}
	return d, c, nil
}

// Check validates r at now in the venue's loc (nil means UTC) and returns the
// slot it would book, with Remaining as before the booking. On failure it
// returns the zero Slot and exactly one of these errors, tested in this order:
//
//   - ErrPartyTooSmall, ErrPartyTooLarge: see CheckParty;
//   - ErrInvalidStart: Start is malformed (slot kind) or names no session in
//     cal.Sessions (session kind);
//   - ErrClosed: the date is closed (see below);
//   - ErrInvalidStart: the start is not one Slots would list for an open date,
//     leaving lead time, horizon, capacity and part-day closures aside (a local
//     time that does not exist, off the grid, outside the hours, or running
//     past closing);
//   - ErrClosedTime: the booking [start, end) overlaps a PartClosure (session
//     kind: the session does);
//   - ErrTooSoon, ErrTooFarAhead: see Offering.LeadTime and Offering.Horizon;
//   - ErrUnknownResource: r.Resource is not in cal.Pool (slot kind);
//   - ErrFull: Need(r.Party) is more than the capacity left, not counting the
//     reservation whose ID is r.Ignore, or cal.Pool has no resource (or combination) free
//     for the booking (Offering.Assign; r.Resource when given), Slot.Resources naming the
//     one it gets otherwise.
//
// Slot kind: a start on date D belongs to D's own opening hours or to a rule
// of D-1 that runs past midnight over it; a date's opening hours are its
// special hours where they cover it, else its weekday's (Calendar.HoursOn). The start is closed when every rule
// that spans its clock belongs to a date in a Closure, or, when no rule spans
// it, when D is in a Closure or has no rules at all; a start outside the hours
// of an open date is ErrInvalidStart. An ambiguous local time books its first
// occurrence, as Slots lists it. Session kind: the start is closed when the
// session's local date is in a Closure.
func (o Offering) Check(cal Calendar, r Request, now time.Time, loc *time.Location) (Slot, error) {
	loc = orUTC(loc)
	if err := o.CheckParty(r.Party); err != nil {
		return Slot{}, err
	}
	o = o.ForParty(r.Party)
	var (
		slot Slot
		err  error
	)
	if o.Kind == KindSession {
		slot, err = o.sessionStart(cal, r.Start, loc)
	} else {
		slot, err = o.gridStart(cal, r.Start, loc)
	}
	if err != nil {
		return Slot{}, err
	}
	earliest, latest, bounded := o.bookable(now)
	if slot.Start.Before(earliest) {
		return Slot{}, ErrTooSoon
	}
	if bounded && slot.Start.After(latest) {
		return Slot{}, ErrTooFarAhead
	}
	if o.Kind == KindSession {
		slot.Remaining = o.seatsLeft(cal.Sessions[sessionIndex(cal.Sessions, slot.Session)], cal.Reservations, r.Ignore)
	} else {
		from, to := o.blocked(slot.Start, slot.End)
		slot.Remaining = o.remainingAt(o.usage(cal.Reservations, r.Ignore, from, to), slot.Start)
		o.pace(&slot, cal.Reservations, r.Ignore, loc)
		p := o.Preferring(r.Resource)
		p.prefer = r.Prefer
		if err := p.assignSlot(&slot, cal, r.Ignore, loc); err != nil {
			return Slot{}, err
		}
	}
	if !slot.Fits(o, r.Party) {
		return Slot{}, ErrFull
	}
	return slot, nil
}

// gridStart finds the slot-kind start that start names, without lead time,
// horizon and capacity.
func (o Offering) gridStart(cal Calendar, start string, loc *time.Location) (Slot, error) {
	d, c, err := ParseStart(start)
	if err != nil {
		return Slot{}, ErrInvalidStart
	}
	// The start, as a clock of its own date and of the day before (whose
	// rules may run past midnight over it).
	owners := [2]struct {
		date  Date
		clock Clock
		open  bool // a rule of date spans clock and date is not closed
	}{{date: d, clock: c}, {date: d.AddDays(-1), clock: c + minutesPerDay}}
	spanned, open := false, false
	for i := range owners {
		ow := &owners[i]
		for h := range cal.hoursOn(ow.date) {
			if h.Open <= ow.clock && ow.clock < h.Close {
				spanned = true
				ow.open = !cal.closedOn(ow.date)
				open = open || ow.open
				break
			}
		}
	}
	switch {
	case spanned && !open:
		return Slot{}, ErrClosed
	case !spanned && (cal.closedOn(d) || !cal.hasHours(d)):
		return Slot{}, ErrClosed
	case !spanned:
		return Slot{}, ErrInvalidStart // outside the hours of an open date
	}
	step := o.step()
	if step <= 0 || o.Duration < time.Minute {
		return Slot{}, ErrInvalidStart
	}
	at, exists, ambiguous := Resolve(d, c, loc)
	if !exists {
		return Slot{}, ErrInvalidStart
	}
	end := at.Add(o.Duration)
	for _, ow := range owners {
		if !ow.open {
			continue
		}
		for h := range cal.hoursOn(ow.date) {
			if ow.clock < h.Open || ow.clock >= h.Close || (ow.clock-h.Open)%step != 0 {
				continue
			}
			if openAt, closeAt := h.instants(ow.date, loc); !at.Before(openAt) && !end.After(closeAt) {
				if cal.closedAt(at, end, loc) {
					return Slot{}, ErrClosedTime
				}
				return Slot{Start: at, End: end, Ambiguous: ambiguous}, nil
			}
		}
	}
	return Slot{}, ErrInvalidStart
}

// sessionStart finds the session that id names, without lead time, horizon and seats.
func (o Offering) sessionStart(cal Calendar, id string, loc *time.Location) (Slot, error) {
	i := sessionIndex(cal.Sessions, id)
	if i < 0 {
		return Slot{}, ErrInvalidStart
	}
	s := cal.Sessions[i]
	if cal.closedOn(DateOf(s.Start, loc)) {
		return Slot{}, ErrClosed
	}
	if cal.closedAt(s.Start, s.End, loc) {
		return Slot{}, ErrClosedTime
	}
	return sessionSlot(s, loc), nil
}

// sessionIndex returns the index of the first session with ID id, or -1
// (always -1 for an empty id).
func sessionIndex(sessions []Session, id string) int {
	if id == "" {
		return -1
	}
	for i := range sessions {
		if sessions[i].ID == id {
			return i
		}
	}
	return -1
}
