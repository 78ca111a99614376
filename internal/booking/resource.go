package booking

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Resources of a slot offering: the staff members, rooms and tables that serve its bookings.
//
// An offering with a Pool gives every booking one resource of it, or one Combination of tables,
// that is free over the booking's blocked interval [start-BufferBefore, end+BufferAfter): no
// reservation holding it overlaps that interval, its own weekly hours (if any) hold the whole
// booking, and a table's seats hold the party. The offering's Capacity, Mode and Pacing still
// apply on top: a pool adds a condition, it never raises a limit.
//
// Which resource a booking gets (Assign):
//   - a wanted resource (a visitor picked a staff member), when it is free, else none;
//   - otherwise the first free single resource in the pool's order, tables by fewest seats
//     first (the smallest table that holds the party), the pool's order breaking ties;
//   - otherwise, for tables, the free Combination with the fewest seats, then the fewest tables.
//
// Reservations name the resources they hold (Reservation.Resources); one without any (made
// before the pool, or seated by staff with none) counts against Capacity only.

// ResourceKind says what a resource is.
type ResourceKind string

// Kinds of resource.
const (
	// ResourceStaff is a person who serves one booking at a time; visitors may pick one.
	ResourceStaff ResourceKind = "staff"
	// ResourceRoom is a room booked whole; visitors may pick one.
	ResourceRoom ResourceKind = "room"
	// ResourceTable is a table for parties of MinSeats..MaxSeats; tables may be combined.
	ResourceTable ResourceKind = "table"
)

// Pickable reports whether visitors may choose a resource of kind k (staff members and rooms).
func (k ResourceKind) Pickable() bool { return k == ResourceStaff || k == ResourceRoom }

// Resource is one member of a pool. IDs are unique and not empty.
type Resource struct {
	ID   string
	Kind ResourceKind
	// MinSeats and MaxSeats bound the parties it takes; 0 means no bound. Staff members and
	// rooms usually leave them 0.
	MinSeats, MaxSeats int
	// Hours are its own weekly hours (a staff member's shifts), within which each of its
	// bookings must lie whole; nil means the offering's hours alone.
	Hours []Hours
}

// Combination is tables pushed together for one larger party: every table of it must be free.
type Combination struct {
	ID                 string
	Tables             []string // resource IDs, at least two
	MinSeats, MaxSeats int
}

// Pool is the resources of an offering, in the order staff set, and its table combinations.
type Pool struct {
	Resources    []Resource
	Combinations []Combination
}

// Empty reports whether the pool has no resources: bookings then take capacity only.
func (p Pool) Empty() bool { return len(p.Resources) == 0 }

// ErrUnknownResource means a wanted resource is not in the offering's pool.
var ErrUnknownResource = errors.New("booking: unknown resource")

// fitsParty reports whether a party fits min..max seats (0: no bound).
func fitsParty(minSeats, maxSeats, party int) bool {
	return party >= minSeats && (maxSeats <= 0 || party <= maxSeats)
}

// Fits reports whether r takes a party of party.
func (r Resource) Fits(party int) bool { return fitsParty(r.MinSeats, r.MaxSeats, party) }

// Fits reports whether c takes a party of party.
func (c Combination) Fits(party int) bool { return fitsParty(c.MinSeats, c.MaxSeats, party) }

// Resource returns the pool's resource with ID id.
func (p Pool) Resource(id string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.ID == id {
			return r, true
		}
	}
	return Resource{}, false
}

// works reports whether r's own hours hold the whole booking [start, end) on local date d (a
// rule of d, or of d-1 that runs past midnight). Without own hours it always does.
func (r Resource) works(start, end time.Time, loc *time.Location) bool {
	if len(r.Hours) == 0 {
		return true
	}
	d := DateOf(start, loc)
	for _, day := range []Date{d, d.AddDays(-1)} {
		for _, h := range r.Hours {
			if !h.Valid() || h.Weekday != day.Weekday() {
				continue
			}
			open, close := Span{Open: h.Open, Close: h.Close}.instants(day, loc)
			if !start.Before(open) && !end.After(close) {
				return true
			}
		}
	}
	return false
}

// busy returns the resource IDs held over the blocked interval of a booking [start, end), by
// reservations other than the one with ID ignore.
func (o Offering) busy(res []Reservation, ignore string, start, end time.Time) map[string]bool {
	from, to := o.blocked(start, end)
	out := map[string]bool{}
	for i := range res {
		r := &res[i]
		if len(r.Resources) == 0 || (ignore != "" && r.ID == ignore) {
			continue
		}
		rf, rt := o.blocked(r.Start, r.End)
		if rf.Before(to) && from.Before(rt) {
			for _, id := range r.Resources {
				out[id] = true
			}
		}
	}
	return out
}

// Assign picks the resources a booking of party from start to end gets from pool, given the
// reservations (leaving out the one with ID ignore): a wanted resource (want not empty) or,
// as the package comment says, the first that fits. It returns nil when none is free, and
// ErrUnknownResource when want is not in the pool.
func (o Offering) Assign(pool Pool, res []Reservation, ignore, want string, party int, start, end time.Time, loc *time.Location) ([]string, error) {
	loc = orUTC(loc)
	busy := o.busy(res, ignore, start, end)
	free := func(r Resource) bool { return !busy[r.ID] && r.Fits(party) && r.works(start, end, loc) }
	if want != "" {
		r, ok := pool.Resource(want)
		if !ok {
			return nil, ErrUnknownResource
		}
		if free(r) {
			return []string{r.ID}, nil
		}
		return nil, nil
	}
	singles := make([]Resource, 0, len(pool.Resources))
	for _, r := range pool.Resources {
		if free(r) {
			singles = append(singles, r)
		}
	}
	if len(singles) > 0 {
		// Tables by fewest seats (no upper bound counts as the most); others keep their order.
		slices.SortStableFunc(singles, func(a, b Resource) int {
			if a.Kind != ResourceTable || b.Kind != ResourceTable {
				return 0
			}
			return seatsOrder(a.MaxSeats) - seatsOrder(b.MaxSeats)
		})
		return []string{singles[0].ID}, nil
	}
	var best *Combination
	for i := range pool.Combinations {
		c := &pool.Combinations[i]
		if !pool.comboFree(*c, busy, party, start, end, loc) {
			continue
		}
		if best == nil || seatsOrder(c.MaxSeats) < seatsOrder(best.MaxSeats) ||
			(seatsOrder(c.MaxSeats) == seatsOrder(best.MaxSeats) && len(c.Tables) < len(best.Tables)) {
			best = c
		}
	}
	if best == nil {
		return nil, nil
	}
	return slices.Clone(best.Tables), nil
}

// comboFree reports whether combination c takes party and each of its tables is in the pool,
// not busy, and works the whole booking [start, end).
func (p Pool) comboFree(c Combination, busy map[string]bool, party int, start, end time.Time, loc *time.Location) bool {
	if len(c.Tables) < 2 || !c.Fits(party) {
		return false
	}
	for _, id := range c.Tables {
		t, in := p.Resource(id)
		if !in || busy[id] || !t.works(start, end, loc) {
			return false
		}
	}
	return true
}

// seatsOrder orders seat limits: no limit (0 or less) after every limit.
func seatsOrder(maxSeats int) int {
	if maxSeats <= 0 {
		return 1 << 30
	}
	return maxSeats
}

// FreeResources returns the pool's single resources free for a booking of party from start to
// end, in the pool's order, leaving out the reservation with ID ignore: what staff may
// reassign a booking to.
func (o Offering) FreeResources(pool Pool, res []Reservation, ignore string, party int, start, end time.Time, loc *time.Location) []Resource {
	loc = orUTC(loc)
	busy := o.busy(res, ignore, start, end)
	var out []Resource
	for _, r := range pool.Resources {
		if !busy[r.ID] && r.Fits(party) && r.works(start, end, loc) {
			out = append(out, r)
		}
	}
	return out
}

// FreeCombinations returns the pool's combinations whose tables are all free for a booking of
// party from start to end (leaving out the reservation with ID ignore), in the pool's order.
func (o Offering) FreeCombinations(pool Pool, res []Reservation, ignore string, party int, start, end time.Time, loc *time.Location) []Combination {
	loc = orUTC(loc)
	busy := o.busy(res, ignore, start, end)
	var out []Combination
	for _, c := range pool.Combinations {
		if pool.comboFree(c, busy, party, start, end, loc) {
			out = append(out, c)
		}
	}
	return out
}

// assignSlot sets what the pool leaves of slot s for a booking of o.party (at least 1): the
// resources it would get. With none free, Remaining drops to 0.
func (o Offering) assignSlot(s *Slot, cal Calendar, ignore string, loc *time.Location) error {
	if cal.Pool.Empty() || o.Kind == KindSession {
		return nil
	}
	party := max(o.party, 1)
	var ids []string
	if o.want == "" && o.prefer != "" {
		// A soft preference: that resource when it is free (and still in the pool), else any.
		ids, _ = o.Assign(cal.Pool, cal.Reservations, ignore, o.prefer, party, s.Start, s.End, loc)
	}
	if ids == nil {
		var err error
		if ids, err = o.Assign(cal.Pool, cal.Reservations, ignore, o.want, party, s.Start, s.End, loc); err != nil {
			return err
		}
	}
	s.Pooled, s.Resources = true, ids
	if ids == nil {
		s.Remaining = 0
	}
	return nil
}

// Preferring is o as a booking that wants the resource with ID id sees it ("" is any): Slots
// lists the starts at which that resource is free.
func (o Offering) Preferring(id string) Offering {
	o.want = id
	return o
}

// Weekday names for hours text, as ParseWeekHours reads them.
var weekdayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// ErrInvalidWeekHours means weekly hours are not "Mon-Fri 09:00-17:00, Sat 10:00-14:00".
var ErrInvalidWeekHours = errors.New("booking: invalid weekly hours")

// maxWeekHours bounds how many rules a resource's hours text holds.
const maxWeekHours = 28

// ParseWeekHours reads a resource's weekly hours as people write them: comma-separated rules,
// each a day or a range of days (Mon, Tue, …, Sun; "Mon-Fri", "Fri-Mon" wraps) and a span
// "09:00-17:00" (a close past midnight as in Hours: "18:00-26:00"). An empty text is no
// hours of its own. The error wraps ErrInvalidWeekHours.
func ParseWeekHours(s string) ([]Hours, error) {
	var out []Hours
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		days, span, ok := strings.Cut(part, " ")
		open, close, ok2 := strings.Cut(strings.TrimSpace(span), "-")
		if !ok || !ok2 {
			return nil, fmt.Errorf("%w: %q", ErrInvalidWeekHours, part)
		}
		o, err1 := ParseClock(strings.TrimSpace(open))
		c, err2 := ParseClock(strings.TrimSpace(close))
		first, last, ok3 := parseDays(days)
		if err1 != nil || err2 != nil || !ok3 {
			return nil, fmt.Errorf("%w: %q", ErrInvalidWeekHours, part)
		}
		for d := first; ; d = (d + 1) % 7 {
			h := Hours{Weekday: d, Open: o, Close: c}
			if !h.Valid() {
				return nil, fmt.Errorf("%w: %q", ErrInvalidWeekHours, part)
			}
			out = append(out, h)
			if d == last {
				break
			}
		}
		if len(out) > maxWeekHours {
			return nil, fmt.Errorf("%w: more than %d rules", ErrInvalidWeekHours, maxWeekHours)
		}
	}
	return out, nil
}

// parseDays reads "Mon" or "Mon-Fri" (case-insensitively).
func parseDays(s string) (first, last time.Weekday, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	first, ok = parseWeekday(a)
	if !ok {
		return 0, 0, false
	}
	if !isRange {
		return first, first, true
	}
	last, ok = parseWeekday(b)
	return first, last, ok
}

func parseWeekday(s string) (time.Weekday, bool) {
	for i, n := range weekdayNames {
		if strings.EqualFold(s, n) {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// FormatWeekHours writes hours as ParseWeekHours reads them, one rule per day.
func FormatWeekHours(hours []Hours) string {
	parts := make([]string, 0, len(hours))
	for _, h := range hours {
		if h.Weekday < time.Sunday || h.Weekday > time.Saturday {
			continue
		}
		parts = append(parts, weekdayNames[h.Weekday]+" "+h.Open.String()+"-"+h.Close.String())
	}
	return strings.Join(parts, ", ")
}
