package booking

import "time"

// Kind says how an offering is booked.
type Kind string

// Kinds of offering. Any Kind other than KindSession is booked as KindSlot.
const (
	// KindSlot is for appointments, tables and rooms: starts on a grid inside
	// the opening hours, sharing one capacity over time.
	KindSlot Kind = "slot"
	// KindSession is for classes, tours and events: fixed seats at fixed dated
	// times (Session).
	KindSession Kind = "session"
)

// Mode says how a booking uses capacity.
type Mode string

// Modes of counting capacity. Any Mode other than ModeUnits counts people.
const (
	// ModePeople counts the party size: capacity is the sum of party sizes.
	ModePeople Mode = "people"
	// ModeUnits counts bookings: each uses one unit (a table, a room) whatever its party.
	ModeUnits Mode = "units"
)

// Offering is something that can be booked, with its booking rules.
// Negative buffers, lead time and horizon are treated as zero.
type Offering struct {
	Kind Kind
	// Duration is the length of one booking (slot kind). Sessions carry their
	// own Start and End. It must be at least a minute for a slot offering to
	// offer anything.
	Duration time.Duration
	// Interval is the step between offered start times (slot kind), counted in
	// whole minutes of wall-clock time from each rule's Open; 0 means Duration.
	Interval time.Duration
	// Capacity is the capacity shared over time (slot kind), in Mode units.
	Capacity int
	Mode     Mode
	// MinParty is the smallest party; 0 is treated as 1.
	MinParty int
	// MaxParty is the largest party; 0 means no upper limit.
	MaxParty int
	// BufferBefore is time blocked before each booking (slot kind).
	BufferBefore time.Duration
	// BufferAfter is time blocked after each booking (slot kind).
	BufferAfter time.Duration
	// LeadTime makes now + LeadTime the earliest bookable start.
	LeadTime time.Duration
	// Horizon makes now + Horizon the latest bookable start; 0 means no limit.
	Horizon time.Duration
	// CancelCutoff lets visitors cancel or change until start - CancelCutoff.
	// It is used as given: a negative cutoff allows changes after the start.
	CancelCutoff time.Duration
	// Pacing is the most covers (people) whose bookings may start within one
	// quarter hour of local time (slot kind); 0 means no limit. See pacing.go.
	Pacing int
	// TurnTimes give a booking a length by its party, rising by MaxParty
	// (ParseTurnTimes); a party larger than all takes Duration (slot kind).
	TurnTimes []TurnTime

	party  int    // the party a booking of ForParty is for (0: any)
	want   string // the resource a booking of Preferring wants ("": any)
	prefer string // the resource a booking checked with Request.Prefer gets when it is free
}

// Need returns the capacity one booking of party uses: the party itself in
// people mode, 1 in units mode.
func (o Offering) Need(party int) int {
	if o.Mode == ModeUnits {
		return 1
	}
	return party
}

// needOf returns the capacity a reservation uses: its (summed) party in
// people mode, its count of bookings in units mode.
func (o Offering) needOf(r *Reservation) int {
	if o.Mode == ModeUnits {
		return max(r.Count, 1)
	}
	return r.Party
}

// CheckParty returns ErrPartyTooSmall if party is under MinParty (at least 1),
// ErrPartyTooLarge if MaxParty > 0 and party is over it, and nil otherwise.
func (o Offering) CheckParty(party int) error {
	if party < max(o.MinParty, 1) {
		return ErrPartyTooSmall
	}
	if o.MaxParty > 0 && party > o.MaxParty {
		return ErrPartyTooLarge
	}
	return nil
}

// CancelDeadline returns the last instant a visitor may cancel or change a
// booking that starts at start: start - CancelCutoff.
func (o Offering) CancelDeadline(start time.Time) time.Time {
	return start.Add(-o.CancelCutoff)
}

// CanCancel reports whether at now a visitor may still cancel or change a
// booking that starts at start, that is now is not after CancelDeadline(start).
func (o Offering) CanCancel(start, now time.Time) bool {
	return !now.After(o.CancelDeadline(start))
}

// Window returns the instant range [from, to) whose rows can affect the slots
// of local date d (nil loc means UTC), so a caller can load just those rows.
//
// Slot kind: pass the reservations that overlap the window (Start < to and
// End > from). The window covers buffers, rules that close past midnight (up
// to 47:59) and DST. Window of a start's date (ParseStart) also covers Check
// of that start.
//
// Session kind: [from, to) is local date d. Pass the sessions whose Start is
// in it and the reservations of those sessions, which count by Session ID
// whatever their times.
func (o Offering) Window(d Date, loc *time.Location) (from, to time.Time) {
	loc = orUTC(loc)
	dayStart, _, _ := Resolve(d, 0, loc)
	if o.Kind == KindSession {
		next, _, _ := Resolve(d.AddDays(1), 0, loc)
		return dayStart, next
	}
	// A reservation touches a candidate when their blocked intervals meet: the
	// candidates of d start at or after d's first instant and end by the last
	// closing time, before d+2 begins.
	pad := o.before() + o.after()
	end, _, _ := Resolve(d.AddDays(2), 0, loc)
	return dayStart.Add(-pad), end.Add(pad)
}

// CheckWindow returns the instant range [from, to) of the reservations that can change what
// Check answers for start, slot kind: pass those with Start < to and End > from (and End not
// before Start), and Check answers as it would with every reservation of Window. A writer that
// checks one start under a lock reads a handful of rows instead of two days'. ok is false for
// session kind (pass the session's reservations, whatever their times) and for a start that
// is malformed or does not exist locally (Check refuses it without counting anything).
func (o Offering) CheckWindow(start string, loc *time.Location) (from, to time.Time, ok bool) {
	if o.Kind == KindSession {
		return time.Time{}, time.Time{}, false
	}
	d, c, err := ParseStart(start)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	at, exists, _ := Resolve(d, c, orUTC(loc)) // the instant gridStart books
	if !exists {
		return time.Time{}, time.Time{}, false
	}
	// Check counts the reservations within the slot's blocked span [at-before, end+after),
	// each widened by the buffers too (the longest turn time: the party is not known here), and
	// under Pacing those starting in at's quarter hour.
	pad := o.before() + o.after()
	from, to = at.Add(-pad), at.Add(max(o.longest(), 0)).Add(pad)
	if o.Pacing > 0 {
		q := paceStart(at, orUTC(loc))
		from, to = minTime(from, q), maxTime(to, q.Add(PacingSpan))
	}
	return from, to, true
}

// step returns the wall-clock step between starts in whole minutes (0 if none).
func (o Offering) step() Clock {
	iv := o.Interval
	if iv <= 0 {
		iv = o.Duration
	}
	return Clock(iv / time.Minute)
}

func (o Offering) before() time.Duration { return max(o.BufferBefore, 0) }
func (o Offering) after() time.Duration  { return max(o.BufferAfter, 0) }

// bookable returns the earliest and, when bounded, the latest bookable start at now.
func (o Offering) bookable(now time.Time) (earliest, latest time.Time, bounded bool) {
	earliest = now.Add(max(o.LeadTime, 0))
	if o.Horizon > 0 {
		return earliest, now.Add(o.Horizon), true
	}
	return earliest, time.Time{}, false
}

// inReach reports whether start is within lead time and horizon at now.
func (o Offering) inReach(start, now time.Time) bool {
	earliest, latest, bounded := o.bookable(now)
	return !start.Before(earliest) && !(bounded && start.After(latest))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
