package booking

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// FuzzCheck derives an offering, a calendar, a zone, now and a sequence of
// requests from the input, books every request Check accepts, and checks
// after each step, with code independent of the package where it matters:
//
//   - capacity is never exceeded (the peak of all blocked intervals, or the
//     seats of each session);
//   - an accepted slot-kind start is inside an opening rule of its date (or of
//     the day before, past midnight), on its grid, on a date not closed,
//     not before the opening time, and ends by the closing time; on a date
//     with special hours the rules are those special hours (the offering's
//     own over the venue's), never the weekly ones unless they coincide;
//   - no accepted or listed booking (slot or session) overlaps the closed time
//     of a part-day closure, and Check answers ErrClosedTime exactly when the
//     booking it would make without the part-day closures overlaps one;
//   - it is not before now+LeadTime nor, with a Horizon, after now+Horizon;
//   - its local wall time is the requested one, as its first occurrence;
//   - Check and Slots agree both ways, Remaining matches a brute-force count,
//     and loading only the rows in Window changes nothing.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		runFuzz(t, decodeFuzz(t, data))
	})
}

// fuzzDays are the zones and dates the fuzzer plays around: DST transitions
// of 2026 (Havana's at midnight, Lord Howe's by half an hour) and plain days.
var fuzzDays = []struct{ zone, date string }{
	{"Europe/Berlin", "2026-03-29"}, {"Europe/Berlin", "2026-10-25"},
	{"Australia/Sydney", "2026-10-04"}, {"Australia/Sydney", "2026-04-05"},
	{"America/New_York", "2026-03-08"}, {"America/New_York", "2026-11-01"},
	{"UTC", "2026-06-15"},
	{"Australia/Lord_Howe", "2026-10-04"}, {"Australia/Lord_Howe", "2026-04-05"},
	{"America/Havana", "2026-03-08"}, {"America/Havana", "2026-11-01"},
	{"Europe/Berlin", "2026-06-15"},
}

var (
	fuzzDurations = []time.Duration{15, 30, 45, 50, 60, 90, 120, 180, 240}
	fuzzIntervals = []time.Duration{0, 10, 15, 20, 30, 45, 60, 90}
)

// fuzzSpec is the readable form of the bytes FuzzCheck decodes, for seeds.
type fuzzSpec struct {
	day, shift         int // index into fuzzDays; days from it (-1..1)
	session, units     bool
	interval, duration int // indexes into fuzzIntervals, fuzzDurations
	capacity           int // 0..7
	minParty, maxParty int // 0..2, 0..6
	before, after      int // buffers in steps of 10 and 15 minutes, 0..3
	lead               int // lead time in half hours, 0..12
	horizon            int // horizon in hours, 0 (none)..71
	nowHours, nowFives int // now = the day's start - 48 h + hours + 5-minute steps
	hours              []fuzzHours
	closures           []fuzzClosure
	sessions           []fuzzSession
	special            []fuzzSpecial
	parts              []fuzzPart
	requests           []fuzzRequest
}

type fuzzHours struct {
	weekday    int // 0: the day's, 1: the day before's, 2: the day after's, 3..9: Sunday..Saturday
	open, span int // quarter hours: open 0..95, span 1..80
}

type fuzzClosure struct{ from, length int } // from: days from the day (-2..2); length -1..2 days more

// fuzzSpecial is special hours from..from+length days from the day (as fuzzClosure), the
// offering's own or the venue's, with 0..2 spans (open 0..95 quarter hours, span 1..80).
type fuzzSpecial struct {
	from, length int
	own          bool
	spans        []fuzzHours // weekday unused
}

// fuzzPart is a part-day closure from..from+length days from the day, closed from open for
// span quarter hours (open 0..95, span 1..80).
type fuzzPart struct{ from, length, open, span int }

type fuzzSession struct {
	shift, quarter int // days from the day (-1..1), start in quarter hours (0..95)
	quarters       int // length 1..8 quarter hours
	seats          int // 0..6
}

type fuzzRequest struct {
	shift   int // days from the day (-1..1)
	quarter int // clock in quarter hours (0..95), or session index (session kind)
	offGrid int // 1..63: an off-grid clock instead
	party   int // 0..6
	ignore  int // 1..8: leave out the ignore-th reservation made so far (a move)
}

func (s fuzzSpec) bytes() []byte {
	flags := s.interval << 2
	if s.session {
		flags |= 1
	}
	if s.units {
		flags |= 2
	}
	if len(s.hours) == 0 { // the input always holds at least one rule
		s.hours = []fuzzHours{{weekday: 0, open: 0, span: 1}}
	}
	b := []byte{byte(s.day), byte(s.shift + 1), byte(flags), byte(s.duration), byte(s.capacity),
		byte(s.minParty), byte(s.maxParty), byte(s.before), byte(s.after), byte(s.lead), byte(s.horizon),
		byte(s.nowHours), byte(s.nowFives), byte(len(s.hours) - 1)}
	for _, h := range s.hours {
		b = append(b, byte(h.weekday), byte(h.open), byte(h.span-1))
	}
	b = append(b, byte(len(s.closures)))
	for _, c := range s.closures {
		b = append(b, byte(c.from+2), byte(c.length+1))
	}
	b = append(b, byte(len(s.sessions)))
	for _, ss := range s.sessions {
		b = append(b, byte(ss.shift+1), byte(ss.quarter), byte(ss.quarters-1+8*ss.seats))
	}
	b = append(b, byte(len(s.special)))
	for _, sh := range s.special {
		flags := len(sh.spans) << 1
		if sh.own {
			flags |= 1
		}
		b = append(b, byte(sh.from+2), byte(sh.length+1), byte(flags))
		for _, sp := range sh.spans {
			b = append(b, byte(sp.open), byte(sp.span-1))
		}
	}
	b = append(b, byte(len(s.parts)))
	for _, pc := range s.parts {
		b = append(b, byte(pc.from+2), byte(pc.length+1), byte(pc.open), byte(pc.span-1))
	}
	for _, r := range s.requests {
		clock := r.quarter
		if r.offGrid > 0 {
			clock = 192 + r.offGrid
		}
		b = append(b, byte(r.shift+1+4*r.ignore), byte(clock), byte(r.party))
	}
	return b
}

// fuzzBytes hands out input bytes, then zeros.
type fuzzBytes []byte

func (in *fuzzBytes) next() int {
	if len(*in) == 0 {
		return 0
	}
	v := (*in)[0]
	*in = (*in)[1:]
	return int(v)
}

type fuzzScenario struct {
	loc      *time.Location
	day      Date
	o        Offering
	cal      Calendar // without reservations
	now      time.Time
	requests []Request
	ignores  []int // per request: index into the reservations made so far, or -1
}

func decodeFuzz(tb testing.TB, data []byte) fuzzScenario {
	in := fuzzBytes(data)
	fd := fuzzDays[in.next()%len(fuzzDays)]
	sc := fuzzScenario{loc: mustLoc(tb, fd.zone)}
	sc.day = mustDate(tb, fd.date).AddDays(in.next()%3 - 1)
	flags := in.next()
	sc.o = Offering{Kind: KindSlot, Mode: ModePeople, Interval: fuzzIntervals[flags>>2&7] * time.Minute}
	if flags&1 != 0 {
		sc.o.Kind = KindSession
	}
	if flags&2 != 0 {
		sc.o.Mode = ModeUnits
	}
	sc.o.Duration = fuzzDurations[in.next()%len(fuzzDurations)] * time.Minute
	sc.o.Capacity = in.next() % 8
	sc.o.MinParty = in.next() % 3
	sc.o.MaxParty = in.next() % 7
	sc.o.BufferBefore = time.Duration(in.next()%4) * 10 * time.Minute
	sc.o.BufferAfter = time.Duration(in.next()%4) * 15 * time.Minute
	sc.o.LeadTime = time.Duration(in.next()%13) * 30 * time.Minute
	sc.o.Horizon = time.Duration(in.next()%72) * time.Hour
	dayStart := time.Date(sc.day.Year, sc.day.Month, sc.day.Day, 0, 0, 0, 0, sc.loc) // any instant near the day's start will do
	sc.now = dayStart.Add(-48*time.Hour + time.Duration(in.next()%72)*time.Hour + time.Duration(in.next()%12)*5*time.Minute)

	for n := 1 + in.next()%3; n > 0; n-- {
		sel := in.next() % 10
		wd := time.Weekday((sel - 3) % 7)
		if sel < 3 {
			wd = sc.day.AddDays([]int{0, -1, 1}[sel]).Weekday()
		}
		open := Clock(in.next()%96) * 15
		span := Clock(1+in.next()%80) * 15
		sc.cal.Hours = append(sc.cal.Hours, Hours{Weekday: wd, Open: open, Close: open + span})
	}
	for n := in.next() % 3; n > 0; n-- {
		from := sc.day.AddDays(in.next()%5 - 2)
		sc.cal.Closures = append(sc.cal.Closures, Closure{From: from, To: from.AddDays(in.next()%4 - 1)})
	}
	for i, n := 0, in.next()%5; i < n; i++ {
		d := sc.day.AddDays(in.next()%3 - 1)
		start := time.Date(d.Year, d.Month, d.Day, 0, in.next()%96*15, 0, 0, sc.loc)
		v := in.next()
		sc.cal.Sessions = append(sc.cal.Sessions, Session{
			ID: fmt.Sprintf("s%d", i), Start: start, End: start.Add(time.Duration(1+v%8) * 15 * time.Minute), Seats: v / 8 % 7,
		})
	}
	for n := in.next() % 3; n > 0; n-- {
		from := sc.day.AddDays(in.next()%5 - 2)
		sh := SpecialHours{From: from, To: from.AddDays(in.next()%4 - 1)}
		flags := in.next()
		sh.Own = flags&1 != 0
		for k := flags >> 1 % 3; k > 0; k-- {
			open := Clock(in.next()%96) * 15
			sh.Spans = append(sh.Spans, Span{Open: open, Close: open + Clock(1+in.next()%80)*15})
		}
		sc.cal.Special = append(sc.cal.Special, sh)
	}
	for n := in.next() % 3; n > 0; n-- {
		from := sc.day.AddDays(in.next()%5 - 2)
		pc := PartClosure{From: from, To: from.AddDays(in.next()%4 - 1)}
		pc.Open = Clock(in.next()%96) * 15
		pc.Close = pc.Open + Clock(1+in.next()%80)*15
		sc.cal.PartClosures = append(sc.cal.PartClosures, pc)
	}
	for len(in) > 0 && len(sc.requests) < 24 {
		a, c, p := in.next(), in.next(), in.next()
		r := Request{Party: p % 7}
		if sc.o.Kind == KindSession {
			if i := c % (len(sc.cal.Sessions) + 1); i < len(sc.cal.Sessions) {
				r.Start = sc.cal.Sessions[i].ID
			} else {
				r.Start = "nope"
			}
		} else {
			clock := Clock(c%96) * 15
			if c >= 192 {
				clock = Clock((c-192)*23) % minutesPerDay
			}
			r.Start = sc.day.AddDays(a%4%3-1).String() + "T" + clock.String()
		}
		ignore := -1
		if ig := a >> 2; ig >= 1 && ig <= 8 {
			ignore = ig - 1
		}
		sc.requests = append(sc.requests, r)
		sc.ignores = append(sc.ignores, ignore)
	}
	return sc
}

func runFuzz(t *testing.T, sc fuzzScenario) {
	// Part-day closures reach 5 days on: their dates run up to 4 days after the day, past midnight.
	walls := scanWalls(sc.loc, sc.day.AddDays(-3), sc.day.AddDays(5))
	var made []Reservation
	checkListing(t, sc, made, walls)
	checkOpeningDay(t, sc)
	for i, r := range sc.requests {
		cal := sc.cal
		cal.Reservations = made
		if ig := sc.ignores[i]; ig >= 0 && ig < len(made) {
			r.Ignore = made[ig].ID
		}
		slot, err := sc.o.Check(cal, r, sc.now, sc.loc)
		checkAgreement(t, sc, cal, r, slot, err, walls)
		if err != nil {
			continue
		}
		checkAccepted(t, sc, r, slot, walls)
		made = slices.DeleteFunc(made, func(x Reservation) bool { return r.Ignore != "" && x.ID == r.Ignore })
		id := fmt.Sprintf("r%d", i)
		if i%4 == 3 {
			id = "" // rows without an ID count too, and cannot be ignored
		}
		made = append(made, Reservation{ID: id, Start: slot.Start, End: slot.End, Party: r.Party, Session: slot.Session})
		checkCapacity(t, sc, made)
		checkMerged(t, sc, made)
	}
	checkListing(t, sc, made, walls)
}

// checkMerged lists the day from the reservations one by one and merged by start, end and
// session (as the server passes them): the listings must be the same.
func checkMerged(t *testing.T, sc fuzzScenario, made []Reservation) {
	t.Helper()
	type key struct {
		start, end time.Time
		session    string
	}
	idx := map[key]int{}
	var merged []Reservation
	for _, r := range made {
		k := key{r.Start, r.End, r.Session}
		if i, ok := idx[k]; ok {
			merged[i].Party += r.Party
			merged[i].Count++
			continue
		}
		idx[k] = len(merged)
		merged = append(merged, Reservation{Start: r.Start, End: r.End, Session: r.Session, Party: r.Party, Count: 1})
	}
	one, all := sc.cal, sc.cal
	one.Reservations, all.Reservations = made, merged
	for _, d := range []Date{sc.day.AddDays(-1), sc.day, sc.day.AddDays(1)} {
		a, b := sc.o.Slots(one, d, sc.now, sc.loc), sc.o.Slots(all, d, sc.now, sc.loc)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("merged reservations list %s differently:\none by one %+v\nmerged %+v", d, a, b)
		}
	}
}

// checkOpeningDay checks that every start a date lists belongs to that date's opening day
// (OpeningDay, DayStart). Where the rules of two days run at the same time, OpeningDay gives the
// shared starts to the later day from its first opening on, which a listing of the earlier one
// may hold too: those dates are left out.
func checkOpeningDay(t *testing.T, sc fuzzScenario) {
	t.Helper()
	if sc.o.Kind == KindSession {
		return
	}
	for _, d := range []Date{sc.day.AddDays(-1), sc.day, sc.day.AddDays(1)} {
		from, to := sc.cal.DayStart(d, sc.loc), sc.cal.DayStart(d.AddDays(1), sc.loc)
		if !from.Before(to) {
			t.Fatalf("DayStart(%s) = %v, not before DayStart of the next day %v", d, from, to)
		}
		for _, s := range sc.o.Slots(sc.cal, d, sc.now, sc.loc) {
			local := s.Start.In(sc.loc)
			own := sc.cal.OpeningDay(DateOf(local, sc.loc), Clock(local.Hour()*60+local.Minute()))
			inDay := !s.Start.Before(from) && s.Start.Before(to)
			if own == d && inDay {
				continue
			}
			if overlaps(sc.cal, DateOf(local, sc.loc)) {
				continue
			}
			t.Fatalf("Slots(%s) lists %v, but OpeningDay says %s (in [DayStart %v, %v): %t)", d, local, own, from, to, inDay)
		}
	}
}

// overlaps reports whether rules of the day before d still run when d's own first open.
func overlaps(cal Calendar, d Date) bool {
	cut, first := cal.overnight(d)
	return first < cut
}

// fuzzNeed is Need, written again.
func fuzzNeed(o Offering, party int) int {
	if o.Mode == ModeUnits {
		return 1
	}
	return party
}

// fuzzClosed reports whether d is closed, comparing dates as text.
func fuzzClosed(cal Calendar, d Date) bool {
	for _, c := range cal.Closures {
		if c.From.String() <= d.String() && d.String() <= c.To.String() {
			return true
		}
	}
	return false
}

// checkCapacity recomputes the peak usage of all reservations made.
func checkCapacity(t *testing.T, sc fuzzScenario, made []Reservation) {
	t.Helper()
	if sc.o.Kind == KindSession {
		for _, s := range sc.cal.Sessions {
			used := 0
			for _, r := range made {
				if r.Session == s.ID {
					used += fuzzNeed(sc.o, r.Party)
				}
			}
			if used > s.Seats {
				t.Fatalf("session %s has %d of %d seats booked: %+v", s.ID, used, s.Seats, made)
			}
		}
		return
	}
	for _, p := range made {
		at := p.Start.Add(-sc.o.BufferBefore)
		used := 0
		for _, r := range made {
			if !at.Before(r.Start.Add(-sc.o.BufferBefore)) && at.Before(r.End.Add(sc.o.BufferAfter)) {
				used += fuzzNeed(sc.o, r.Party)
			}
		}
		if used > sc.o.Capacity {
			t.Fatalf("%d of capacity %d in use at %v: %+v", used, sc.o.Capacity, at.UTC(), made)
		}
	}
}

// brutePeak counts the most capacity in use at once within [from, to).
func brutePeak(o Offering, res []Reservation, from, to time.Time) int {
	top := 0
	points := []time.Time{from}
	for _, r := range res {
		if a := r.Start.Add(-o.BufferBefore); a.After(from) && a.Before(to) {
			points = append(points, a)
		}
	}
	for _, p := range points {
		used := 0
		for _, r := range res {
			if !p.Before(r.Start.Add(-o.BufferBefore)) && p.Before(r.End.Add(o.BufferAfter)) {
				used += fuzzNeed(o, r.Party)
			}
		}
		top = max(top, used)
	}
	return top
}

// checkAccepted checks one slot that Check accepted.
func checkAccepted(t *testing.T, sc fuzzScenario, r Request, slot Slot, walls wallTimes) {
	t.Helper()
	if earliest := sc.now.Add(sc.o.LeadTime); slot.Start.Before(earliest) {
		t.Fatalf("Check(%q) booked %v, before now+lead %v", r.Start, slot.Start.UTC(), earliest.UTC())
	}
	if latest := sc.now.Add(sc.o.Horizon); sc.o.Horizon > 0 && slot.Start.After(latest) {
		t.Fatalf("Check(%q) booked %v, after now+horizon %v", r.Start, slot.Start.UTC(), latest.UTC())
	}
	if sc.o.Kind == KindSession {
		i := slices.IndexFunc(sc.cal.Sessions, func(s Session) bool { return s.ID == r.Start })
		if i < 0 || slot.Session != r.Start || !slot.Start.Equal(sc.cal.Sessions[i].Start) || !slot.End.Equal(sc.cal.Sessions[i].End) {
			t.Fatalf("Check(%q) booked %+v, not that session", r.Start, slot)
		}
		if d := DateOf(slot.Start, sc.loc); fuzzClosed(sc.cal, d) {
			t.Fatalf("Check(%q) booked a session on closed %s", r.Start, d)
		}
		if fuzzPartClosed(t, sc, slot.Start, slot.End, walls) {
			t.Fatalf("Check(%q) booked a session %v-%v in a part-day closure %+v", r.Start, slot.Start.In(sc.loc), slot.End.In(sc.loc), sc.cal.PartClosures)
		}
		return
	}
	local := slot.Start.In(sc.loc)
	if got := local.Format("2006-01-02T15:04"); got != r.Start {
		t.Fatalf("Check(%q) booked local %s", r.Start, got)
	}
	d := DateOf(slot.Start, sc.loc)
	c := clockOf(slot.Start, sc.loc)
	first, count := walls.lookup(t, d, c)
	if count == 0 || !first.Equal(slot.Start) || slot.Ambiguous != (count > 1) {
		t.Fatalf("Check(%q) booked %v ambiguous %v; the wall time occurs %d times, first %v", r.Start, slot.Start.UTC(), slot.Ambiguous, count, first.UTC())
	}
	if got := slot.End.Sub(slot.Start); got != sc.o.Duration {
		t.Fatalf("Check(%q) booked %v long, want %v", r.Start, got, sc.o.Duration)
	}
	if !insideRule(t, sc, slot, walls) {
		t.Fatalf("Check(%q) booked %v-%v outside every open rule %+v (special %+v, closures %+v)", r.Start, slot.Start.In(sc.loc), slot.End.In(sc.loc), sc.cal.Hours, sc.cal.Special, sc.cal.Closures)
	}
	if fuzzPartClosed(t, sc, slot.Start, slot.End, walls) {
		t.Fatalf("Check(%q) booked %v-%v in a part-day closure %+v", r.Start, slot.Start.In(sc.loc), slot.End.In(sc.loc), sc.cal.PartClosures)
	}
}

// fuzzRules returns the opening rules of date d, written again: the spans of the offering's own
// special hours that cover d if there are any, else those of the venue's, else the weekly rules
// of d's weekday.
func fuzzRules(cal Calendar, d Date) []Span {
	valid := func(sp Span) bool { return sp.Open >= 0 && sp.Open < 24*60 && sp.Open < sp.Close && sp.Close < 48*60 }
	for _, own := range []bool{true, false} {
		var out []Span
		found := false
		for _, s := range cal.Special {
			if s.Own != own || s.From.String() > d.String() || d.String() > s.To.String() {
				continue
			}
			found = true
			for _, sp := range s.Spans {
				if valid(sp) {
					out = append(out, sp)
				}
			}
		}
		if found {
			return out
		}
	}
	var out []Span
	wd := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
	for _, h := range cal.Hours {
		if h.Weekday == wd && valid(Span{h.Open, h.Close}) {
			out = append(out, Span{h.Open, h.Close})
		}
	}
	return out
}

// fuzzPartClosed reports whether [start, end) (the instant start when end is not after it)
// overlaps the closed time of a part-day closure, each resolved with the oracles.
func fuzzPartClosed(t *testing.T, sc fuzzScenario, start, end time.Time, walls wallTimes) bool {
	t.Helper()
	for _, pc := range sc.cal.PartClosures {
		if !(pc.Open >= 0 && pc.Open < 24*60 && pc.Open < pc.Close && pc.Close < 48*60) {
			continue
		}
		for d := pc.From; d.String() <= pc.To.String(); d = d.AddDays(1) {
			from := fuzzInstant(t, d, pc.Open, sc.loc, walls)
			to := fuzzInstant(t, d.AddDays(int(pc.Close)/minutesPerDay), pc.Close%minutesPerDay, sc.loc, walls)
			if end.After(start) && start.Before(to) && from.Before(end) {
				return true
			}
			if !end.After(start) && !start.Before(from) && start.Before(to) {
				return true
			}
		}
	}
	return false
}

// insideRule reports whether a slot-kind slot lies on the grid of an opening
// rule of an open date (its own, or the day before's past midnight), starts
// at or after that rule's opening time and ends by its closing time.
func insideRule(t *testing.T, sc fuzzScenario, slot Slot, walls wallTimes) bool {
	t.Helper()
	d := DateOf(slot.Start, sc.loc)
	c := clockOf(slot.Start, sc.loc)
	step := int(sc.o.Interval / time.Minute)
	if step == 0 {
		step = int(sc.o.Duration / time.Minute)
	}
	for back := 0; back <= 1; back++ {
		owner := d.AddDays(-back)
		cc := int(c) + back*minutesPerDay
		if fuzzClosed(sc.cal, owner) {
			continue
		}
		for _, h := range fuzzRules(sc.cal, owner) {
			if cc < int(h.Open) || cc >= int(h.Close) || (cc-int(h.Open))%step != 0 {
				continue
			}
			openAt := fuzzInstant(t, owner, h.Open, sc.loc, walls)
			closeAt := fuzzInstant(t, owner.AddDays(int(h.Close)/minutesPerDay), h.Close%minutesPerDay, sc.loc, walls)
			if !slot.Start.Before(openAt) && !slot.End.After(closeAt) {
				return true
			}
		}
	}
	return false
}

// fuzzInstant resolves a rule's opening or closing time with the oracles:
// the first occurrence, or for a time in a gap the time shifted forward.
func fuzzInstant(t *testing.T, d Date, c Clock, loc *time.Location, walls wallTimes) time.Time {
	t.Helper()
	at, count := walls.lookup(t, d, c)
	if count == 0 {
		_, _, at = bruteResolve(d, c, loc)
	}
	return at
}

// listedAt returns what Slots lists for the request's start, and whether it does.
func listedAt(sc fuzzScenario, cal Calendar, start string) (Slot, bool) {
	var dates []Date
	if sc.o.Kind == KindSession {
		i := slices.IndexFunc(cal.Sessions, func(s Session) bool { return s.ID == start })
		if i < 0 {
			return Slot{}, false
		}
		dates = []Date{DateOf(cal.Sessions[i].Start, sc.loc)}
	} else {
		d, _, err := ParseStart(start)
		if err != nil {
			return Slot{}, false
		}
		dates = []Date{d, d.AddDays(-1)}
	}
	for _, d := range dates {
		for _, s := range sc.o.Slots(cal, d, sc.now, sc.loc) {
			if (sc.o.Kind == KindSession && s.Session == start) ||
				(sc.o.Kind != KindSession && s.Start.In(sc.loc).Format("2006-01-02T15:04") == start) {
				return s, true
			}
		}
	}
	return Slot{}, false
}

// checkAgreement checks Check's answer to r against Slots and against Check
// with only the rows in Window.
func checkAgreement(t *testing.T, sc fuzzScenario, cal Calendar, r Request, slot Slot, err error, walls wallTimes) {
	t.Helper()
	switch {
	case r.Party < max(sc.o.MinParty, 1):
		if err != ErrPartyTooSmall {
			t.Fatalf("Check(%+v) = %v, want ErrPartyTooSmall", r, err)
		}
		return
	case sc.o.MaxParty > 0 && r.Party > sc.o.MaxParty:
		if err != ErrPartyTooLarge {
			t.Fatalf("Check(%+v) = %v, want ErrPartyTooLarge", r, err)
		}
		return
	}
	without := cal
	without.Reservations = slices.DeleteFunc(slices.Clone(cal.Reservations), func(x Reservation) bool { return r.Ignore != "" && x.ID == r.Ignore })
	listed, ok := listedAt(sc, without, r.Start)
	switch err {
	case nil:
		if !ok || !listed.Start.Equal(slot.Start) || !listed.End.Equal(slot.End) || listed.Remaining != slot.Remaining ||
			listed.Ambiguous != slot.Ambiguous || listed.Session != slot.Session || !listed.Fits(sc.o, r.Party) {
			t.Fatalf("Check(%+v) = %+v, but Slots lists %+v (listed %v)", r, slot, listed, ok)
		}
	case ErrFull:
		if !ok || listed.Fits(sc.o, r.Party) {
			t.Fatalf("Check(%+v) = ErrFull, but Slots lists %+v (listed %v)", r, listed, ok)
		}
	case ErrClosed, ErrClosedTime, ErrInvalidStart, ErrTooSoon, ErrTooFarAhead:
		if ok {
			t.Fatalf("Check(%+v) = %v, but Slots lists %+v", r, err, listed)
		}
	default:
		t.Fatalf("Check(%+v) = %v, not one of the package's errors", r, err)
	}
	// Without the part-day closures: ErrClosedTime stands for a start that is otherwise one of
	// the date's, and an accepted booking that overlaps a closed time must have been refused.
	open := cal
	open.PartClosures = nil
	oslot, oerr := sc.o.Check(open, r, sc.now, sc.loc)
	switch {
	case err == ErrClosedTime && (oerr == ErrClosed || oerr == ErrInvalidStart):
		t.Fatalf("Check(%+v) = ErrClosedTime, but without part-day closures %v", r, oerr)
	case err != ErrClosedTime && (oerr != err || !reflect.DeepEqual(oslot, slot)):
		t.Fatalf("Check(%+v) = %+v, %v, but without part-day closures %+v, %v", r, slot, err, oslot, oerr)
	case oerr == nil:
		if closed := fuzzPartClosed(t, sc, oslot.Start, oslot.End, walls); closed != (err == ErrClosedTime) {
			t.Fatalf("Check(%+v) = %v; without part-day closures it books %v-%v, which overlaps one: %v (%+v)",
				r, err, oslot.Start.In(sc.loc), oslot.End.In(sc.loc), closed, sc.cal.PartClosures)
		}
	}
	if sc.o.Kind == KindSession {
		return
	}
	d, _, perr := ParseStart(r.Start)
	if perr != nil {
		if err != ErrInvalidStart {
			t.Fatalf("Check(%+v) = %v for a malformed start, want ErrInvalidStart", r, err)
		}
		return
	}
	from, to := sc.o.Window(d, sc.loc)
	windowed := cal
	windowed.Reservations = slices.DeleteFunc(slices.Clone(cal.Reservations), func(x Reservation) bool { return !(x.Start.Before(to) && x.End.After(from)) })
	if wslot, werr := sc.o.Check(windowed, r, sc.now, sc.loc); werr != err || !reflect.DeepEqual(wslot, slot) {
		t.Fatalf("Check(%+v) with Window's reservations = %+v, %v; with all %+v, %v", r, wslot, werr, slot, err)
	}
}

// checkListing checks Slots of the dates around the day, and that Check
// accepts exactly the listed starts that fit.
func checkListing(t *testing.T, sc fuzzScenario, made []Reservation, walls wallTimes) {
	t.Helper()
	cal := sc.cal
	cal.Reservations = made
	party := max(sc.o.MinParty, 1)
	if sc.o.MaxParty > 0 && party > sc.o.MaxParty {
		return
	}
	for _, d := range []Date{sc.day.AddDays(-1), sc.day, sc.day.AddDays(1)} {
		slots := sc.o.Slots(cal, d, sc.now, sc.loc)
		if len(slots) > 0 && fuzzClosed(cal, d) {
			t.Fatalf("Slots(%s) lists %d starts on a closed date", d, len(slots))
		}
		for i, s := range slots {
			// Slot starts are unique; sessions may share a start and then sort by ID.
			if i > 0 && !slots[i-1].Start.Before(s.Start) &&
				!(sc.o.Kind == KindSession && slots[i-1].Start.Equal(s.Start) && slots[i-1].Session < s.Session) {
				t.Fatalf("Slots(%s) not sorted at %d: %+v, %+v", d, i, slots[i-1], s)
			}
			if s.Start.Before(sc.now.Add(sc.o.LeadTime)) || (sc.o.Horizon > 0 && s.Start.After(sc.now.Add(sc.o.Horizon))) {
				t.Fatalf("Slots(%s) lists %v out of reach", d, s.Start.UTC())
			}
			var start string
			if sc.o.Kind == KindSession {
				start = s.Session
				si := slices.IndexFunc(cal.Sessions, func(x Session) bool { return x.ID == s.Session })
				used := 0
				for _, r := range made {
					if r.Session == s.Session {
						used += fuzzNeed(sc.o, r.Party)
					}
				}
				if si < 0 || DateOf(cal.Sessions[si].Start, sc.loc) != d || s.Remaining != max(cal.Sessions[si].Seats-used, 0) {
					t.Fatalf("Slots(%s) lists %+v; sessions %+v, %d used", d, s, cal.Sessions, used)
				}
				if fuzzPartClosed(t, sc, s.Start, s.End, walls) {
					t.Fatalf("Slots(%s) lists session %+v in a part-day closure %+v", d, s, cal.PartClosures)
				}
			} else {
				start = s.Start.In(sc.loc).Format("2006-01-02T15:04")
				first, count := walls.lookup(t, DateOf(s.Start, sc.loc), clockOf(s.Start, sc.loc))
				if count == 0 || !first.Equal(s.Start) || s.Ambiguous != (count > 1) {
					t.Fatalf("Slots(%s) lists %s at %v ambiguous %v; it occurs %d times, first %v", d, start, s.Start.UTC(), s.Ambiguous, count, first.UTC())
				}
				if !insideRule(t, sc, s, walls) {
					t.Fatalf("Slots(%s) lists %s outside every open rule", d, start)
				}
				if fuzzPartClosed(t, sc, s.Start, s.End, walls) {
					t.Fatalf("Slots(%s) lists %s-%s in a part-day closure %+v", d, start, s.End.In(sc.loc).Format("15:04"), cal.PartClosures)
				}
				from, to := s.Start.Add(-sc.o.BufferBefore), s.End.Add(sc.o.BufferAfter)
				if want := max(sc.o.Capacity-brutePeak(sc.o, made, from, to), 0); s.Remaining != want {
					t.Fatalf("Slots(%s) lists %s with %d left, brute force counts %d", d, start, s.Remaining, want)
				}
			}
			got, err := sc.o.Check(cal, Request{Start: start, Party: party}, sc.now, sc.loc)
			switch {
			case s.Fits(sc.o, party) && (err != nil || !got.Start.Equal(s.Start) || got.Remaining != s.Remaining):
				t.Fatalf("Slots(%s) lists %+v that fits %d, but Check = %+v, %v", d, s, party, got, err)
			case !s.Fits(sc.o, party) && err != ErrFull:
				t.Fatalf("Slots(%s) lists %+v full for %d, but Check = %+v, %v", d, s, party, got, err)
			}
		}
		// Loading only the rows in Window changes nothing.
		from, to := sc.o.Window(d, sc.loc)
		windowed := Calendar{Hours: cal.Hours, Special: cal.Special, Closures: cal.Closures, PartClosures: cal.PartClosures}
		for _, s := range cal.Sessions {
			if !s.Start.Before(from) && s.Start.Before(to) {
				windowed.Sessions = append(windowed.Sessions, s)
			}
		}
		for _, r := range made {
			if r.Start.Before(to) && r.End.After(from) {
				windowed.Reservations = append(windowed.Reservations, r)
			}
		}
		if got := sc.o.Slots(windowed, d, sc.now, sc.loc); !reflect.DeepEqual(got, slots) {
			t.Fatalf("Slots(%s) with Window's rows = %v, with all %v", d, got, slots)
		}
	}
}

// fuzzSeeds cover the DST days with rules across the transitions, both kinds,
// both modes, buffers, lead time, horizon, closures and moves.
var fuzzSeeds = []fuzzSpec{
	{ // Berlin spring forward: 00:00-06:00, 1 h every 30 min; asks for the missing 02:00 and 02:30.
		day: 0, interval: 4, duration: 4, capacity: 4, hours: []fuzzHours{{0, 0, 24}},
		requests: []fuzzRequest{{quarter: 0, party: 2}, {quarter: 6, party: 3}, {quarter: 8, party: 1}, {quarter: 10, party: 2},
			{quarter: 12, party: 4}, {quarter: 12, party: 1}, {quarter: 20, party: 2}, {quarter: 22, party: 2}, {quarter: 6, party: 1}},
	},
	{ // Berlin fall back: the ambiguous 02:00 and 02:30, capacity in real time, a move.
		day: 1, interval: 4, duration: 4, capacity: 3, units: true, hours: []fuzzHours{{0, 0, 24}},
		requests: []fuzzRequest{{quarter: 8, party: 2}, {quarter: 10, party: 2}, {quarter: 10, party: 2}, {quarter: 12, party: 1},
			{quarter: 10, party: 1}, {quarter: 10, party: 1}, {quarter: 14, party: 1, ignore: 3}, {quarter: 10, party: 1}},
	},
	{ // Sydney spring forward with buffers and lead time.
		day: 2, interval: 2, duration: 5, capacity: 6, before: 1, after: 2, lead: 2, nowHours: 46,
		hours:    []fuzzHours{{0, 0, 32}, {1, 80, 40}},
		requests: []fuzzRequest{{quarter: 4, party: 3}, {quarter: 8, party: 2}, {quarter: 10, party: 2}, {quarter: 12, party: 3}, {quarter: 13, party: 3}},
	},
	{ // Sydney fall back, the night before running over the transition.
		day: 3, shift: -1, interval: 4, duration: 6, capacity: 2, units: true, hours: []fuzzHours{{0, 80, 40}},
		requests: []fuzzRequest{{shift: 1, quarter: 8, party: 1}, {shift: 1, quarter: 10, party: 1}, {shift: 1, quarter: 10, party: 1},
			{quarter: 88, party: 2}, {shift: 1, quarter: 12, party: 1}},
	},
	{ // New York with a horizon and a closure of the day before.
		day: 4, interval: 3, duration: 2, capacity: 5, maxParty: 4, horizon: 50, nowHours: 40,
		hours: []fuzzHours{{0, 4, 40}, {1, 84, 30}}, closures: []fuzzClosure{{-1, 0}},
		requests: []fuzzRequest{{quarter: 9, party: 4}, {quarter: 9, party: 2}, {quarter: 11, party: 1}, {shift: 1, quarter: 40, party: 3},
			{quarter: 5, offGrid: 7, party: 2}, {shift: -1, quarter: 90, party: 1}},
	},
	{ // New York fall back: 01:00-01:59 twice.
		day: 5, interval: 2, duration: 0, capacity: 1, hours: []fuzzHours{{0, 0, 20}},
		requests: []fuzzRequest{{quarter: 4, party: 1}, {quarter: 5, party: 1}, {quarter: 8, party: 1}, {quarter: 4, party: 1}},
	},
	{ // Havana: midnight does not exist on the spring day.
		day: 9, interval: 4, duration: 4, capacity: 3, hours: []fuzzHours{{0, 0, 16}, {1, 88, 20}},
		requests: []fuzzRequest{{quarter: 0, party: 1}, {quarter: 2, party: 1}, {quarter: 4, party: 1}, {shift: -1, quarter: 92, party: 2}},
	},
	{ // Havana fall back: midnight happens twice.
		day: 10, interval: 4, duration: 4, capacity: 3, hours: []fuzzHours{{0, 0, 16}, {1, 88, 20}},
		requests: []fuzzRequest{{quarter: 0, party: 1}, {quarter: 2, party: 2}, {shift: -1, quarter: 92, party: 2}, {quarter: 0, party: 2}},
	},
	{ // Lord Howe's half-hour shifts.
		day: 7, interval: 2, duration: 2, capacity: 2, hours: []fuzzHours{{0, 0, 24}},
		requests: []fuzzRequest{{quarter: 8, party: 1}, {quarter: 9, party: 1}, {quarter: 10, party: 2}, {quarter: 11, party: 1}},
	},
	{ // Sessions in Berlin's fall-back night, one at a second occurrence.
		day: 1, session: true, capacity: 0, lead: 1, nowHours: 20,
		sessions: []fuzzSession{{0, 8, 4, 3}, {0, 10, 4, 2}, {-1, 90, 8, 6}, {1, 40, 2, 1}},
		requests: []fuzzRequest{{quarter: 0, party: 2}, {quarter: 0, party: 2}, {quarter: 1, party: 2}, {quarter: 2, party: 5},
			{quarter: 3, party: 1}, {quarter: 4, party: 1}, {quarter: 0, party: 3, ignore: 1}},
	},
	{ // Sessions in units at Lord Howe's fall back, a closure.
		day: 8, session: true, units: true, closures: []fuzzClosure{{1, 0}},
		sessions: []fuzzSession{{0, 6, 4, 2}, {1, 40, 2, 2}, {0, 7, 2, 0}},
		requests: []fuzzRequest{{quarter: 0, party: 6}, {quarter: 0, party: 1}, {quarter: 0, party: 1}, {quarter: 1, party: 1}, {quarter: 2, party: 1}},
	},
	{ // Berlin spring forward: the venue's special hours across the gap, the offering's own the day after, a part-day closure past midnight.
		day: 0, interval: 4, duration: 4, capacity: 4, hours: []fuzzHours{{0, 68, 24}, {2, 68, 24}},
		special: []fuzzSpecial{{from: 0, length: 0, spans: []fuzzHours{{open: 4, span: 16}}},
			{from: 1, length: 0, own: true, spans: []fuzzHours{{open: 80, span: 24}}}, {from: 1, length: 1, spans: []fuzzHours{{open: 40, span: 8}}}},
		parts: []fuzzPart{{from: 0, length: 0, open: 10, span: 2}, {from: 1, length: 0, open: 92, span: 8}},
		requests: []fuzzRequest{{quarter: 4, party: 1}, {quarter: 8, party: 1}, {quarter: 10, party: 2}, {quarter: 12, party: 1}, {quarter: 68, party: 1},
			{shift: 1, quarter: 80, party: 1}, {shift: 1, quarter: 88, party: 1}, {shift: 1, quarter: 92, party: 1}, {shift: 1, quarter: 40, party: 1}},
	},
	{ // Berlin fall back: a part-day closure of the repeated hour, special hours with none of its spans valid the day before.
		day: 1, interval: 2, duration: 2, capacity: 2, hours: []fuzzHours{{0, 0, 24}, {1, 80, 30}},
		special: []fuzzSpecial{{from: -1, length: 0}},
		parts:   []fuzzPart{{from: 0, length: 0, open: 8, span: 4}},
		requests: []fuzzRequest{{quarter: 6, party: 1}, {quarter: 7, party: 1}, {quarter: 8, party: 1}, {quarter: 10, party: 1}, {quarter: 12, party: 1},
			{shift: -1, quarter: 84, party: 1}},
	},
	{ // New York fall back: special hours after midnight of the day before own the early starts.
		day: 5, interval: 2, duration: 2, capacity: 3, hours: []fuzzHours{{0, 40, 20}},
		special: []fuzzSpecial{{from: -1, length: 0, spans: []fuzzHours{{open: 84, span: 24}}}},
		parts:   []fuzzPart{{from: 0, length: 0, open: 5, span: 2}},
		requests: []fuzzRequest{{quarter: 0, party: 1}, {quarter: 4, party: 1}, {quarter: 5, party: 1}, {quarter: 6, party: 2}, {quarter: 8, party: 1},
			{quarter: 40, party: 1}, {shift: -1, quarter: 88, party: 1}},
	},
	{ // Lord Howe spring forward: a part-day closure inside the half-hour gap and one across it.
		day: 7, interval: 2, duration: 2, capacity: 2, hours: []fuzzHours{{0, 0, 24}},
		parts:    []fuzzPart{{from: 0, length: 0, open: 8, span: 2}, {from: 0, length: 1, open: 14, span: 2}},
		requests: []fuzzRequest{{quarter: 6, party: 1}, {quarter: 7, party: 1}, {quarter: 10, party: 1}, {quarter: 14, party: 1}, {quarter: 16, party: 1}},
	},
	{ // Sessions in Berlin's summer with part-day closures over some of them.
		day: 11, session: true, nowHours: 20,
		sessions: []fuzzSession{{0, 56, 8, 4}, {0, 64, 4, 4}, {0, 72, 4, 4}, {1, 4, 4, 2}},
		parts:    []fuzzPart{{from: 0, length: 0, open: 64, span: 4}, {from: 0, length: 0, open: 95, span: 6}},
		requests: []fuzzRequest{{quarter: 0, party: 1}, {quarter: 1, party: 1}, {quarter: 2, party: 1}, {quarter: 3, party: 1}},
	},
	{ // A plain UTC day: two rules, min and max party, buffers, moves.
		day: 6, interval: 1, duration: 3, capacity: 7, minParty: 2, maxParty: 5, before: 2, after: 3,
		hours: []fuzzHours{{0, 44, 16}, {0, 68, 20}, {4, 0, 8}}, closures: []fuzzClosure{{1, 1}},
		requests: []fuzzRequest{{quarter: 44, party: 5}, {quarter: 45, offGrid: 3, party: 2}, {quarter: 46, party: 2}, {quarter: 68, party: 1},
			{quarter: 70, party: 6}, {quarter: 72, party: 5}, {quarter: 72, party: 2, ignore: 1}, {shift: 1, quarter: 44, party: 2}},
	},
}
