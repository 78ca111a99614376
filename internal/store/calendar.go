package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// maxBookingLength bounds how long before a window a booking that overlaps it can start
// (offering durations are at most a day; sessions are at most two).
const maxBookingLength = 48 * time.Hour

// DayCalendar is what the booking rules need for one offering on one local date, plus the
// closures (whole-day and part-day) and special hours found (their reasons and times are shown
// to visitors).
type DayCalendar struct {
	booking.Calendar
	Closures []Closure
	Special  []SpecialHours
}

// ClosedMessage says why date d has no times: the whole-day closure that covers it (its reason
// may be empty), or closed with no closure when a slot offering has no opening hours that day
// (no weekly hours that weekday, or special hours without any). closed is false when the date
// is open; part-day closures leave it open.
func (c DayCalendar) ClosedMessage(o *Offering, d booking.Date) (closure *Closure, closed bool) {
	day := d.String()
	for i := range c.Closures {
		if !c.Closures[i].PartDay() && c.Closures[i].StartDate <= day && day <= c.Closures[i].EndDate {
			return &c.Closures[i], true
		}
	}
	if o.IsSession() {
		return nil, false
	}
	return nil, len(c.HoursOn(d)) == 0
}

// SpecialOn returns the special hours that apply to date d (the offering's own over the
// venue's, as booking.Calendar.HoursOn reads them), nil when the weekly hours apply.
func (c DayCalendar) SpecialOn(d booking.Date) []SpecialHours {
	day := d.String()
	var own, venue []SpecialHours
	for _, s := range c.Special {
		if s.StartDate <= day && day <= s.EndDate {
			if s.Offering != "" {
				own = append(own, s)
			} else {
				venue = append(venue, s)
			}
		}
	}
	if len(own) > 0 {
		return own
	}
	return venue
}

// PartClosedOn returns the part-day closures of date d.
func (c DayCalendar) PartClosedOn(d booking.Date) []Closure {
	day := d.String()
	var out []Closure
	for _, cl := range c.Closures {
		if cl.PartDay() && cl.StartDate <= day && day <= cl.EndDate {
			out = append(out, cl)
		}
	}
	return out
}

// LoadCalendar reads the opening hours, closures, sessions and active bookings that can affect
// offering o on local date d, leaving out the booking with id ignore ("" for none). Inside a
// transaction pass txApp: the check and the insert must see the same rows.
//
// Its parameters are wrapped in CAST(… AS TEXT) (a no-op on these text columns) to keep the
// plans of its statements independent of the values bound: this SQLite is built with STAT4,
// and once ANALYZE has sampled an index, a statement whose plan looked at a bound value is
// prepared again each time it is bound (a third of a booking's time on the writer). A cast
// is not looked into, so the statement stays prepared.
// Store.LoadCalendar is the same with the rules kept in memory.
func LoadCalendar(app core.App, o *Offering, d booking.Date, loc *time.Location, ignore string) (DayCalendar, error) {
	from, to := o.Rules().Window(d, loc)
	return loadCalendar(app, nil, o, d, loc, ignore, from, to)
}

// LoadCalendar is the package's LoadCalendar with the opening hours and closures kept in
// memory (see rulesCache) when app is the app or a write of the booking writer; another
// transaction reads its own.
func (s *Store) LoadCalendar(app core.App, o *Offering, d booking.Date, loc *time.Location, ignore string) (DayCalendar, error) {
	from, to := o.Rules().Window(d, loc)
	return loadCalendar(app, s, o, d, loc, ignore, from, to)
}

// LoadCheckCalendar is LoadCalendar for checking one start (booking.Offering.Check): the same
// opening hours, closures and sessions, and only the reservations that can change the answer
// for start (booking.Offering.CheckWindow) instead of two days of them. The booking writer
// reads it for every booking, and a busy day holds many.
func (s *Store) LoadCheckCalendar(app core.App, o *Offering, d booking.Date, loc *time.Location, ignore, start string) (DayCalendar, error) {
	from, to, ok := o.Rules().CheckWindow(start, loc)
	if !ok {
		return s.LoadCalendar(app, o, d, loc, ignore)
	}
	return loadCalendar(app, s, o, d, loc, ignore, from, to)
}

// loadCalendar is LoadCalendar with the reservations of [resFrom, resTo) (those with start <
// resTo and end > resFrom), and the rules kept by s when it is not nil.
func loadCalendar(app core.App, s *Store, o *Offering, d booking.Date, loc *time.Location, ignore string, resFrom, resTo time.Time) (DayCalendar, error) {
	var cal DayCalendar
	r := o.Rules()
	from, to := r.Window(d, loc)
	db := app.DB()
	// Closures are stored as local dates, so the window's local dates bound them; the day
	// before counts too, since a rule that closes after midnight belongs to the day it opens.
	firstDay, lastDay := booking.DateOf(from, loc).AddDays(-1).String(), booking.DateOf(to, loc).String()

	var hours []HoursRule
	var kept *rulesCache
	if s != nil {
		var err error
		if kept, err = s.keptRules(app, firstDay); err != nil {
			return cal, err
		}
	}
	if kept != nil {
		hours = kept.hours[o.ID]
		for _, c := range kept.closures {
			if (c.Offering == "" || c.Offering == o.ID) && c.StartDate <= lastDay && c.EndDate >= firstDay {
				cal.Closures = append(cal.Closures, c)
			}
		}
		for _, sh := range kept.special {
			if (sh.Offering == "" || sh.Offering == o.ID) && sh.StartDate <= lastDay && sh.EndDate >= firstDay {
				cal.Special = append(cal.Special, sh)
			}
		}
		cal.Calendar.Pool = kept.pools[o.ID]
	} else {
		err := db.NewQuery("SELECT id, offering, weekday, opens, closes FROM opening_hours WHERE offering = CAST({:o} AS TEXT)").
			Bind(dbx.Params{"o": o.ID}).All(&hours)
		if err != nil {
			return cal, fmt.Errorf("calendar: opening hours: %w", err)
		}
		err = db.NewQuery(`SELECT ` + closureColumns + ` FROM closures
			WHERE (offering = '' OR offering = CAST({:o} AS TEXT)) AND start_date <= CAST({:last} AS TEXT) AND end_date >= CAST({:first} AS TEXT)
			ORDER BY start_date`).
			Bind(dbx.Params{"o": o.ID, "first": firstDay, "last": lastDay}).All(&cal.Closures)
		if err != nil {
			return cal, fmt.Errorf("calendar: closures: %w", err)
		}
		if cal.Special, err = specialHoursOf(db, o.ID, firstDay, lastDay); err != nil {
			return cal, err
		}
		if r.Kind != booking.KindSession {
			if cal.Calendar.Pool, err = OfferingPool(app, o.ID); err != nil {
				return cal, err
			}
		}
	}
	cal.Hours = bookingHours(app, hours)

	for _, c := range cal.Closures {
		f, err1 := booking.ParseDate(c.StartDate)
		t, err2 := booking.ParseDate(c.EndDate)
		if err1 != nil || err2 != nil {
			app.Logger().Warn("calendar: skipping malformed closure", "id", c.ID)
			continue
		}
		if !c.PartDay() {
			cal.Calendar.Closures = append(cal.Calendar.Closures, booking.Closure{From: f, To: t})
			continue
		}
		open, err1 := booking.ParseClock(c.Opens)
		shut, err2 := booking.ParseClock(c.Closes)
		if err1 != nil || err2 != nil || !(booking.Span{Open: open, Close: shut}).Valid() {
			// The schema's patterns keep the clocks readable; an unusable span closes the whole
			// dates rather than none of them.
			app.Logger().Warn("calendar: malformed part-day closure closes its whole dates", "id", c.ID)
			cal.Calendar.Closures = append(cal.Calendar.Closures, booking.Closure{From: f, To: t})
			continue
		}
		cal.Calendar.PartClosures = append(cal.Calendar.PartClosures, booking.PartClosure{From: f, To: t, Open: open, Close: shut})
	}
	for _, sh := range cal.Special {
		rules, ok := sh.Rules()
		if !ok {
			app.Logger().Warn("calendar: skipping malformed special hours", "id", sh.ID)
			continue
		}
		cal.Calendar.Special = append(cal.Calendar.Special, rules)
	}

	if r.Kind == booking.KindSession {
		var sessions []Session
		err := db.NewQuery(`SELECT id, offering, start, end, seats, cancelled FROM sessions
			WHERE offering = CAST({:o} AS TEXT) AND cancelled = FALSE AND start >= CAST({:from} AS TEXT) AND start < CAST({:to} AS TEXT)
			ORDER BY start`).
			Bind(dbx.Params{"o": o.ID, "from": DBTime(from), "to": DBTime(to)}).All(&sessions)
		if err != nil {
			return cal, fmt.Errorf("calendar: sessions: %w", err)
		}
		for _, s := range sessions {
			cal.Sessions = append(cal.Sessions, booking.Session{ID: s.ID, Start: s.Start.Time(), End: s.End.Time(), Seats: s.Seats})
		}
	}

	if !cal.Calendar.Pool.Empty() && r.Kind != booking.KindSession {
		return cal, pooledReservations(app, &cal, o, ignore, resFrom, resTo)
	}
	// The active bookings, merged by start, end and session (their parties summed, counted), as
	// the booking_usage triggers keep them: a busy time is one row, however many bookings it
	// holds. ignore (a booking being moved) is taken out again: it frees its own place.
	var rows []struct {
		Start   types.DateTime `db:"start"`
		End     types.DateTime `db:"end"`
		Party   int            `db:"party"`
		Count   int            `db:"n"`
		Session string         `db:"session"`
	}
	err := db.NewQuery(`SELECT start, "end", session, party, n FROM booking_usage
		WHERE offering = CAST({:o} AS TEXT) AND start >= CAST({:lo} AS TEXT) AND start < CAST({:to} AS TEXT) AND "end" > CAST({:from} AS TEXT)`).
		Bind(dbx.Params{"o": o.ID, "lo": DBTime(resFrom.Add(-maxBookingLength)), "to": DBTime(resTo), "from": DBTime(resFrom)}).All(&rows)
	if err != nil {
		return cal, fmt.Errorf("calendar: bookings: %w", err)
	}
	var own struct {
		Start   types.DateTime `db:"start"`
		End     types.DateTime `db:"end"`
		Party   int            `db:"party"`
		Session string         `db:"session"`
	}
	if ignore != "" {
		err := db.NewQuery(`SELECT start, "end", party, session FROM bookings
			WHERE id = {:id} AND offering = {:o} AND status IN ('confirmed', 'checked_in', 'held')`).
			Bind(dbx.Params{"id": ignore, "o": o.ID}).One(&own)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return cal, fmt.Errorf("calendar: booking: %w", err)
		}
	}
	cal.Reservations = make([]booking.Reservation, 0, len(rows))
	for _, row := range rows {
		if own.Party > 0 && row.Start.Equal(own.Start) && row.End.Equal(own.End) && row.Session == own.Session {
			row.Party -= own.Party
			row.Count--
			if row.Count <= 0 {
				continue
			}
		}
		cal.Reservations = append(cal.Reservations, booking.Reservation{
			Start: row.Start.Time(), End: row.End.Time(), Party: row.Party, Count: row.Count, Session: row.Session,
		})
	}
	return cal, nil
}

// pooledReservations reads the reservations of an offering served by a pool one by one, with
// the resources each holds (booking_usage merges them): those with start < resTo and end >
// resFrom, leaving out ignore (a booking being moved). A pool serves a handful of bookings at
// a time, so the rows are few.
func pooledReservations(app core.App, cal *DayCalendar, o *Offering, ignore string, resFrom, resTo time.Time) error {
	var rows []struct {
		ID        string         `db:"id"`
		Start     types.DateTime `db:"start"`
		End       types.DateTime `db:"end"`
		Party     int            `db:"party"`
		Resources string         `db:"resources"`
	}
	err := app.DB().NewQuery(`SELECT id, start, "end", party, resources FROM bookings
		WHERE offering = CAST({:o} AS TEXT) AND start >= CAST({:lo} AS TEXT) AND start < CAST({:to} AS TEXT) AND "end" > CAST({:from} AS TEXT)
		AND status IN ` + placeStatuses).
		Bind(dbx.Params{"o": o.ID, "lo": DBTime(resFrom.Add(-maxBookingLength)), "to": DBTime(resTo), "from": DBTime(resFrom)}).All(&rows)
	if err != nil {
		return fmt.Errorf("calendar: bookings: %w", err)
	}
	cal.Reservations = make([]booking.Reservation, 0, len(rows))
	for _, row := range rows {
		if row.ID == ignore {
			continue
		}
		cal.Reservations = append(cal.Reservations, booking.Reservation{ID: row.ID, Start: row.Start.Time(), End: row.End.Time(),
			Party: row.Party, Count: 1, Resources: strings.Fields(row.Resources)})
	}
	return nil
}

// bookingHours reads stored opening rules as the booking rules take them.
func bookingHours(app core.App, rules []HoursRule) []booking.Hours {
	out := make([]booking.Hours, 0, len(rules))
	for _, h := range rules {
		open, err1 := booking.ParseClock(h.Opens)
		closes, err2 := booking.ParseClock(h.Closes)
		if err1 != nil || err2 != nil {
			// The schema's patterns make this unreachable; a bad row closes that rule, not the page.
			app.Logger().Warn("calendar: skipping malformed opening hours", "id", h.ID)
			continue
		}
		out = append(out, booking.Hours{Weekday: time.Weekday(h.Weekday), Open: open, Close: closes})
	}
	return out
}

// rulesCache is every offering's opening hours and the closures and special hours that end on or
// after a date, as
// read at a moment: every booking and every page needs them, and they change when staff edit
// them. Changes through PocketBase's records drop them at once (Store.bind), and they are read
// again after a second at most (changes by another process).
//
// A booking checked by the writer in the moment between a staff change's commit and the hook
// that drops the kept rules is checked against the rules of a moment before: as if it had come
// a little earlier. Capacity is unaffected: the places taken are always read in the writer's
// transaction.
type rulesCache struct {
	at       time.Time
	from     string                  // closures and special hours ending before this local date are not kept
	hours    map[string][]HoursRule  // by offering id
	closures []Closure               // by start date
	special  []SpecialHours          // by start date
	pools    map[string]booking.Pool // by offering id: the pools that serve bookings
}

// rulesFresh bounds how long kept rules are used.
const rulesFresh = time.Second

// keptRules returns the kept rules when they can answer for local dates from firstDay on and
// app may use them (it is the app, or a write of the booking writer: another transaction may
// have changed them itself); nil otherwise.
func (s *Store) keptRules(app core.App, firstDay string) (*rulesCache, error) {
	if _, writer := app.(*batchApp); app.IsTransactional() && !writer {
		return nil, nil
	}
	c := s.rules.Load()
	if c == nil || time.Since(c.at) >= rulesFresh || firstDay < c.from {
		// Read from the committed state (the read pool), also for a write of the writer.
		from := time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)
		if firstDay < from {
			return nil, nil // a past date: read its own
		}
		at, gen := time.Now(), s.rulesGen.Load()
		var hours []HoursRule
		var closures []Closure
		db := s.app.ConcurrentDB()
		if err := db.NewQuery("SELECT id, offering, weekday, opens, closes FROM opening_hours").All(&hours); err != nil {
			return nil, fmt.Errorf("calendar: opening hours: %w", err)
		}
		err := db.NewQuery("SELECT " + closureColumns + " FROM closures WHERE end_date >= {:from} ORDER BY start_date").
			Bind(dbx.Params{"from": from}).All(&closures)
		if err != nil {
			return nil, fmt.Errorf("calendar: closures: %w", err)
		}
		var special []SpecialHours
		err = db.NewQuery("SELECT " + specialColumns + " FROM special_hours WHERE end_date >= {:from} ORDER BY start_date").
			Bind(dbx.Params{"from": from}).All(&special)
		if err != nil {
			return nil, fmt.Errorf("calendar: special hours: %w", err)
		}
		var resources []Resource
		if err := db.NewQuery("SELECT " + resourceColumns + " FROM resources WHERE active = TRUE ORDER BY sort, name, id").All(&resources); err != nil {
			return nil, fmt.Errorf("calendar: resources: %w", err)
		}
		var combos []Combination
		if len(resources) > 0 {
			if err := db.NewQuery("SELECT id, offering, tables, min_seats, max_seats FROM resource_combinations ORDER BY created, id").All(&combos); err != nil {
				return nil, fmt.Errorf("calendar: combinations: %w", err)
			}
		}
		c = &rulesCache{at: at, from: from, hours: map[string][]HoursRule{}, closures: closures, special: special, pools: pools(resources, combos)}
		for _, h := range hours {
			c.hours[h.Offering] = append(c.hours[h.Offering], h)
		}
		s.rulesMu.Lock()
		if s.rulesGen.Load() == gen { // not changed while it was read
			s.rules.Store(c)
		}
		s.rulesMu.Unlock()
	}
	return c, nil
}

// dropRules forgets the kept rules (after a change to opening hours, special hours or closures).
func (s *Store) dropRules() {
	s.rulesMu.Lock()
	s.rulesGen.Add(1)
	s.rules.Store(nil)
	s.rulesMu.Unlock()
}
