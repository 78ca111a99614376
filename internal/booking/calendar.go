package booking

import "time"

// Hours is one weekly opening rule: open on Weekday from Open to Close.
// Open must be below 24:00 and below Close; Close may run past midnight up to
// 47:59 ("25:30" is 01:30 the next day). Rules that break this are ignored.
type Hours struct {
	Weekday     time.Weekday
	Open, Close Clock
}

// Valid reports whether h is a rule the package uses: a real weekday,
// 00:00 <= Open < 24:00, Open < Close <= 47:59.
func (h Hours) Valid() bool {
	return h.Weekday >= time.Sunday && h.Weekday <= time.Saturday &&
		h.Open >= 0 && h.Open < minutesPerDay && h.Open < h.Close && h.Close <= maxClock
}

// instants returns when h opens and closes on date d, resolved as Resolve does.
func (h Hours) instants(d Date, loc *time.Location) (open, close time.Time) {
	open, _, _ = Resolve(d, h.Open, loc)
	close, _, _ = Resolve(d, h.Close, loc)
	return open, close
}

// Closure closes every venue-local date From..To inclusive. A single day has
// From == To; a Closure whose To is before From closes nothing.
type Closure struct {
	From, To Date
}

// Reservation is an existing booking that uses capacity. Callers pass only
// the active ones. A reservation whose End is before its Start is taken to end
// at its Start.
//
// Bookings with the same Start, End and Session may be passed merged into one
// Reservation: Party is then the sum of their parties and Count how many they
// are (0 counts as 1), which uses exactly the capacity they use one by one.
// A merged reservation has no ID of its own.
type Reservation struct {
	ID         string
	Start, End time.Time
	Party      int
	// Count is how many bookings the reservation stands for (0 means 1).
	Count int
	// Session is the session booked (session kind): seats are counted by
	// this ID. Slot capacity counts every reservation passed, whatever its
	// Session.
	Session string
}

// Session is one dated occurrence of a session offering. Callers pass only
// the sessions that take place (a cancelled one is left out, so booking it is
// ErrInvalidStart). IDs are unique and not empty; a session without an ID is
// ignored.
type Session struct {
	ID         string
	Start, End time.Time
	Seats      int
}

// Calendar is what the rules of one offering read: its weekly hours, its
// closures (venue-wide and its own), its sessions and its reservations.
type Calendar struct {
	Hours        []Hours
	Closures     []Closure
	Sessions     []Session
	Reservations []Reservation
}

// closedOn reports whether a Closure covers date d.
func (c Calendar) closedOn(d Date) bool {
	for _, cl := range c.Closures {
		if cl.From.Compare(d) <= 0 && d.Compare(cl.To) <= 0 {
			return true
		}
	}
	return false
}

// hasHours reports whether a valid Hours rule opens on weekday wd.
func (c Calendar) hasHours(wd time.Weekday) bool {
	for _, h := range c.Hours {
		if h.Weekday == wd && h.Valid() {
			return true
		}
	}
	return false
}

// OpeningDay is the date whose opening hours a start at clock c of local date d belongs to, the
// date Slots lists it under: the day before when one of that day's rules runs past midnight over
// c (a Friday 18:00–26:00 rule owns Saturday's 00:30), else d itself. Staff and visitors see such
// a start on the evening it continues. When d's own hours open while the day before's still run,
// d takes over from its first opening on.
func (c Calendar) OpeningDay(d Date, clock Clock) Date {
	if clock < c.carryOver(d) {
		return d.AddDays(-1)
	}
	return d
}

// DayStart is when the opening day of local date d begins (nil loc means UTC): d's midnight, or,
// when rules of the day before run past midnight, the time they close (a Friday 18:00–26:00 rule
// makes Saturday begin at 02:00), or d's first opening if that is earlier. The starts from
// DayStart(d) up to DayStart(d+1) are those OpeningDay gives to d.
func (c Calendar) DayStart(d Date, loc *time.Location) time.Time {
	at, _, _ := Resolve(d, c.carryOver(d), orUTC(loc))
	return at
}

// carryOver is the clock of date d up to which the day before's rules own its starts: 0 when
// none runs past midnight.
func (c Calendar) carryOver(d Date) Clock {
	cut, first := c.overnight(d)
	return min(cut, first)
}

// overnight is how far into date d the day before's rules run (0: not past midnight), and when
// d's own rules first open (24:00 when d has none).
func (c Calendar) overnight(d Date) (cut, first Clock) {
	before, wd := d.AddDays(-1).Weekday(), d.Weekday()
	first = minutesPerDay
	for _, h := range c.Hours {
		switch {
		case !h.Valid():
		case h.Weekday == before && h.Close-minutesPerDay > cut:
			cut = h.Close - minutesPerDay
		case h.Weekday == wd && h.Open < first:
			first = h.Open
		}
	}
	return cut, first
}
