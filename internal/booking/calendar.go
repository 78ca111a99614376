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

// Closure closes every venue-local date From..To inclusive. A single day has
// From == To; a Closure whose To is before From closes nothing.
type Closure struct {
	From, To Date
}

// Span is one stretch of a date's opening hours, or a closed part of a date: from Open to Close,
// with the limits of an Hours rule (Open below 24:00 and below Close; Close up to 47:59, "25:30"
// being 01:30 of the next day). A Span that breaks them is ignored.
type Span struct {
	Open, Close Clock
}

// Valid reports whether s is a span the package uses: 00:00 <= Open < 24:00, Open < Close <= 47:59.
func (s Span) Valid() bool {
	return s.Open >= 0 && s.Open < minutesPerDay && s.Open < s.Close && s.Close <= maxClock
}

// instants returns when s opens and closes on date d, resolved as Resolve does.
func (s Span) instants(d Date, loc *time.Location) (open, close time.Time) {
	open, _, _ = Resolve(d, s.Open, loc)
	close, _, _ = Resolve(d, s.Close, loc)
	return open, close
}

// SpecialHours replaces the weekly Hours of every venue-local date From..To inclusive with
// Spans: on those dates only the Spans open (Close past midnight as in Hours), whatever the
// weekday's rules say. Own marks the offering's own special hours; on a date that both the
// offering's and the venue's special hours cover, only the offering's apply (the venue's are
// overridden, not joined). Several SpecialHours of one kind on one date are joined. Special
// hours without a valid Span leave their dates without opening hours (closed). A whole-day
// Closure closes a date whatever its special hours say. Sessions do not read opening hours, so
// special hours do not change them.
type SpecialHours struct {
	From, To Date
	Spans    []Span
	Own      bool
}

// covers reports whether s applies to date d.
func (s SpecialHours) covers(d Date) bool {
	return s.From.Compare(d) <= 0 && d.Compare(s.To) <= 0
}

// PartClosure closes the time Open..Close of every venue-local date From..To inclusive, the
// venue's or one offering's (Close may run past midnight as in Hours: 22:00–26:00 closes until
// 02:00 the next day). The closed time is the instants from Open to Close resolved as Resolve
// does, so a span inside a spring-forward gap closes nothing and one across a fall-back hour
// closes both of its occurrences. No booking may take place in it: a slot whose booking
// [Start, End) overlaps it is not offered, and Check refuses it with ErrClosedTime, as it
// refuses a session that overlaps it (buffers may reach into it). A PartClosure whose To is
// before From, or whose span is not Valid, closes nothing.
type PartClosure struct {
	From, To    Date
	Open, Close Clock
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
	// Resources are the pool's resources the reservation holds (one, or a combination's
	// tables); none counts against capacity only.
	Resources []string
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

// Calendar is what the rules of one offering read: its weekly hours, the special hours that
// replace them on some dates, its closures of whole dates and of parts of dates (venue-wide and
// its own), its sessions and its reservations.
type Calendar struct {
	Hours        []Hours
	Special      []SpecialHours
	Closures     []Closure
	PartClosures []PartClosure
	Sessions     []Session
	Reservations []Reservation
	// Pool is the offering's resources (slot kind); empty means bookings take capacity only.
	Pool Pool
}

// HoursOn returns the opening hours of local date d: the Spans of the special hours that cover
// it (the offering's own when any do, else the venue's), or else the valid weekly Hours of its
// weekday, in the order given. Invalid spans are left out. Nil when d has none.
func (c Calendar) HoursOn(d Date) []Span {
	var out []Span
	for sp := range c.hoursOn(d) {
		out = append(out, sp)
	}
	return out
}

// SpecialOn reports whether special hours replace the weekly hours of local date d.
func (c Calendar) SpecialOn(d Date) bool {
	return c.specialLevel(d) != 0
}

// specialLevel tells which special hours apply to d: 0 none, 1 the venue's, 2 the offering's own.
func (c Calendar) specialLevel(d Date) int {
	level := 0
	for _, s := range c.Special {
		if !s.covers(d) {
			continue
		}
		if s.Own {
			return 2
		}
		level = 1
	}
	return level
}

// hoursOn yields the opening spans of date d, as HoursOn returns them.
func (c Calendar) hoursOn(d Date) func(yield func(Span) bool) {
	return func(yield func(Span) bool) {
		level := c.specialLevel(d)
		if level == 0 {
			wd := d.Weekday()
			for _, h := range c.Hours {
				if h.Weekday == wd && h.Valid() && !yield(Span{h.Open, h.Close}) {
					return
				}
			}
			return
		}
		for _, s := range c.Special {
			if !s.covers(d) || s.Own != (level == 2) {
				continue
			}
			for _, sp := range s.Spans {
				if sp.Valid() && !yield(sp) {
					return
				}
			}
		}
	}
}

// closedAt reports whether a booking [start, end) overlaps the closed time of a PartClosure
// (a booking whose end is not after its start counts as the instant start).
func (c Calendar) closedAt(start, end time.Time, loc *time.Location) bool {
	if len(c.PartClosures) == 0 {
		return false
	}
	if !end.After(start) {
		end = start.Add(time.Nanosecond)
	}
	// A closed span of date x ends before x+2 begins, and one that overlaps the booking starts
	// before its end: the dates from the day before the start's to the end's are enough.
	first, last := DateOf(start, loc).AddDays(-2), DateOf(end, loc)
	for _, pc := range c.PartClosures {
		if !(Span{pc.Open, pc.Close}).Valid() {
			continue
		}
		from, to := first, last
		if pc.From.Compare(from) > 0 {
			from = pc.From
		}
		if pc.To.Compare(to) < 0 {
			to = pc.To
		}
		for d := from; d.Compare(to) <= 0; d = d.AddDays(1) {
			if cs, ce := (Span{pc.Open, pc.Close}).instants(d, loc); start.Before(ce) && cs.Before(end) {
				return true
			}
		}
	}
	return false
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

// hasHours reports whether date d has opening hours (HoursOn).
func (c Calendar) hasHours(d Date) bool {
	for range c.hoursOn(d) {
		return true
	}
	return false
}

// OpeningDay is the date whose opening hours a start at clock c of local date d belongs to, the
// date Slots lists it under: the day before when one of that day's rules runs past midnight over
// c (a Friday 18:00–26:00 rule owns Saturday's 00:30), else d itself. Staff and visitors see such
// a start on the evening it continues. When d's own hours open while the day before's still run,
// d takes over from its first opening on. The hours read are HoursOn's: special hours on their
// dates (special hours of Friday until 26:00 own Saturday's 01:30, whatever the weekly rules).
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
//
// "Earlier" compares instants: on the spring night a close at 02:30, which does not exist,
// is 03:30 summer time, so d's own hours opening at 03:15 begin d at 03:15.
func (c Calendar) DayStart(d Date, loc *time.Location) time.Time {
	loc = orUTC(loc)
	cut, first := c.overnight(d)
	at, _, _ := Resolve(d, min(cut, first), loc)
	if cut < first && first < minutesPerDay {
		if own, _, _ := Resolve(d, first, loc); own.Before(at) {
			at = own
		}
	}
	return at
}

// carryOver is the clock of date d up to which the day before's rules own its starts: 0 when
// none runs past midnight.
func (c Calendar) carryOver(d Date) Clock {
	cut, first := c.overnight(d)
	return min(cut, first)
}

// overnight is how far into date d the day before's hours run (0: not past midnight), and when
// d's own hours first open (24:00 when d has none). Hours are those of HoursOn: special hours
// on their dates.
func (c Calendar) overnight(d Date) (cut, first Clock) {
	first = minutesPerDay
	for sp := range c.hoursOn(d.AddDays(-1)) {
		cut = max(cut, sp.Close-minutesPerDay)
	}
	for sp := range c.hoursOn(d) {
		first = min(first, sp.Open)
	}
	return cut, first
}
