package booking

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestAssignStaff: "any" takes the first free staff member in the pool's order, a wanted one
// only when free, a staff member's own hours hold the whole booking (after midnight too), and
// a booking being moved frees its own staff member.
func TestAssignStaff(t *testing.T) {
	loc := mustLoc(t, "Europe/Berlin")
	d := mustDate(t, "2026-06-15") // a Monday
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	o := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 10, Mode: ModeUnits, BufferAfter: 15 * time.Minute}
	anna, err := ParseWeekHours("Mon-Fri 09:00-12:00")
	if err != nil {
		t.Fatal(err)
	}
	cal := Calendar{Hours: weekly(9*60, 18*60, time.Monday), Pool: Pool{Resources: []Resource{
		{ID: "anna", Kind: ResourceStaff, Hours: anna}, {ID: "ben", Kind: ResourceStaff}}}}
	book := func(start, want string) (Slot, error) {
		t.Helper()
		s, err := o.Check(cal, Request{Start: "2026-06-15T" + start, Party: 1, Resource: want}, now, loc)
		if err == nil {
			cal.Reservations = append(cal.Reservations, Reservation{ID: fmt.Sprint(len(cal.Reservations)), Start: s.Start, End: s.End, Party: 1, Resources: s.Resources})
		}
		return s, err
	}
	for _, step := range []struct {
		start, want string
		got         []string
		err         error
	}{
		{"10:00", "", []string{"anna"}, nil},
		{"10:00", "", []string{"ben"}, nil},
		{"10:30", "", nil, ErrFull},     // both busy
		{"11:00", "anna", nil, ErrFull}, // her 10:00 booking's buffer runs to 11:15
		{"11:30", "anna", nil, ErrFull}, // 11:30-12:30 runs past her shift
		{"11:30", "", []string{"ben"}, nil},
		{"13:00", "anna", nil, ErrFull}, // after her shift
		{"13:00", "nobody", nil, ErrUnknownResource},
		{"13:00", "ben", []string{"ben"}, nil},
	} {
		s, err := book(step.start, step.want)
		if !errors.Is(err, step.err) || !slices.Equal(s.Resources, step.got) {
			t.Fatalf("%s wanting %q = %v, %v; want %v, %v", step.start, step.want, s.Resources, err, step.got, step.err)
		}
	}
	// Slots agrees with Check at every start, for any and for each staff member.
	for _, want := range []string{"", "anna", "ben"} {
		for _, s := range o.Preferring(want).ForParty(1).Slots(cal, d, now, loc) {
			_, err := o.Check(cal, Request{Start: s.Start.In(loc).Format("2006-01-02T15:04"), Party: 1, Resource: want}, now, loc)
			if s.Fits(o, 1) != (err == nil) {
				t.Fatalf("%s wanting %q: Slots fits=%v, Check %v", s.Start.In(loc).Format("15:04"), want, s.Fits(o, 1), err)
			}
		}
	}
	checkPoolHeld(t, o, cal.Pool, cal.Reservations, loc)
	// Moving booking 0 (Anna, 10:00) to 10:30: it does not block itself.
	s, err := o.Check(cal, Request{Start: "2026-06-15T10:30", Party: 1, Ignore: "0"}, now, loc)
	if err != nil || !slices.Equal(s.Resources, []string{"anna"}) {
		t.Errorf("moving Anna's booking to 10:30 = %v, %v", s.Resources, err)
	}
	// Preferring a staff member who is free gives them, where "any" gives the first (Anna);
	// preferring one who is busy gives any other.
	empty := cal
	empty.Reservations = nil
	if s, err := o.Check(empty, Request{Start: "2026-06-15T10:00", Party: 1, Prefer: "ben"}, now, loc); err != nil || !slices.Equal(s.Resources, []string{"ben"}) {
		t.Errorf("10:00 preferring Ben = %v, %v", s.Resources, err)
	}
	if s, err := o.Check(cal, Request{Start: "2026-06-15T10:30", Party: 1, Ignore: "0", Prefer: "ben"}, now, loc); err != nil || !slices.Equal(s.Resources, []string{"anna"}) {
		t.Errorf("moving Anna's booking to 10:30 preferring busy Ben = %v, %v", s.Resources, err)
	}
}

// TestAssignTables: the smallest table that holds the party, then the smallest free
// combination, and a table never holds two parties at once.
func TestAssignTables(t *testing.T) {
	loc := mustLoc(t, "Europe/Paris")
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	o := Offering{Duration: 90 * time.Minute, Interval: 15 * time.Minute, Capacity: 100}
	cal := Calendar{Hours: weekly(18*60, 26*60, time.Friday), Pool: Pool{
		Resources: []Resource{
			{ID: "t6", Kind: ResourceTable, MinSeats: 3, MaxSeats: 6},
			{ID: "t2", Kind: ResourceTable, MinSeats: 1, MaxSeats: 2},
			{ID: "t4", Kind: ResourceTable, MinSeats: 2, MaxSeats: 4},
			{ID: "t4b", Kind: ResourceTable, MinSeats: 2, MaxSeats: 4},
		},
		Combinations: []Combination{
			{ID: "big", Tables: []string{"t4", "t6"}, MinSeats: 7, MaxSeats: 10},
			{ID: "pair", Tables: []string{"t4", "t4b"}, MinSeats: 5, MaxSeats: 8},
		}}}
	book := func(start string, party int) []string {
		t.Helper()
		s, err := o.Check(cal, Request{Start: start, Party: party}, now, loc)
		if errors.Is(err, ErrFull) {
			return nil
		}
		if err != nil {
			t.Fatalf("%s for %d: %v", start, party, err)
		}
		cal.Reservations = append(cal.Reservations, Reservation{ID: fmt.Sprint(len(cal.Reservations)), Start: s.Start, End: s.End, Party: party, Resources: s.Resources})
		return s.Resources
	}
	fri := "2026-06-19T"
	for _, step := range []struct {
		start string
		party int
		want  []string
	}{
		{fri + "19:00", 2, []string{"t2"}},
		{fri + "19:00", 2, []string{"t4"}}, // t2 is held: the next smallest that holds two
		{fri + "19:00", 8, nil},            // both combinations need t4
		{fri + "19:30", 3, []string{"t4b"}},
		{fri + "20:30", 8, []string{"t4", "t6"}}, // the pair needs t4b, held until 21:00
		{fri + "21:00", 2, []string{"t2"}},
		{fri + "21:00", 5, nil},
		{fri + "22:00", 7, []string{"t4", "t4b"}},     // the pair (8 seats) before the big one (10)
		{"2026-06-20T00:30", 9, []string{"t4", "t6"}}, // after midnight, on Friday's hours
		{"2026-06-20T00:30", 2, []string{"t2"}},       // a single table before any combination
		{"2026-06-20T00:30", 6, nil},                  // t6 is in the big combination
	} {
		if got := book(step.start, step.party); !slices.Equal(got, step.want) {
			t.Fatalf("%s for %d = %v, want %v", step.start, step.party, got, step.want)
		}
	}
	checkPoolHeld(t, o, cal.Pool, cal.Reservations, loc)
}

// TestResourceHoursDST: a staff member's shift is resolved like opening hours, so on the
// spring-forward night a 01:30-03:30 (one real hour) booking fits a 00:00-04:00 shift, and on
// the fall-back night a booking runs in the repeated hour.
func TestResourceHoursDST(t *testing.T) {
	loc := mustLoc(t, "Europe/Berlin")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 5}
	night, err := ParseWeekHours("Sat-Sun 00:00-04:00")
	if err != nil {
		t.Fatal(err)
	}
	cal := Calendar{Hours: weekly(0, 6*60, time.Sunday), Pool: Pool{Resources: []Resource{{ID: "n", Kind: ResourceStaff, Hours: night}}}}
	for start, fits := range map[string]bool{
		"2026-03-29T01:30": true,  // ends 03:30 CEST: one real hour, inside the shift
		"2026-03-29T03:00": true,  // 03:00-04:00
		"2026-03-29T03:30": false, // ends 04:30
		"2026-10-25T02:30": true,  // the first 02:30 (CEST), ends at the second 02:30
		"2026-10-25T03:30": false, // ends 04:30 CET
	} {
		s, err := o.Check(cal, Request{Start: start, Party: 1}, now, loc)
		if (err == nil) != fits || (fits && !slices.Equal(s.Resources, []string{"n"})) {
			t.Errorf("%s: %v, %v; want fits=%v", start, s.Resources, err, fits)
		}
	}
}

func TestParseWeekHours(t *testing.T) {
	h, err := ParseWeekHours("mon-wed 09:00-12:00, Fri-Sun 18:00-26:00, Thu 10:00-11:00")
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatWeekHours(h); got != "Mon 09:00-12:00, Tue 09:00-12:00, Wed 09:00-12:00, Fri 18:00-26:00, Sat 18:00-26:00, Sun 18:00-26:00, Thu 10:00-11:00" {
		t.Errorf("FormatWeekHours = %q", got)
	}
	if again, err := ParseWeekHours(FormatWeekHours(h)); err != nil || !reflect.DeepEqual(again, h) {
		t.Errorf("round trip = %v, %v", again, err)
	}
	if h, err := ParseWeekHours("  "); err != nil || h != nil {
		t.Errorf("empty = %v, %v", h, err)
	}
	for _, bad := range []string{"Mon", "Mon 9-12", "Mon 12:00-09:00", "Xyz 09:00-12:00", "Mon-Fri09:00-12:00", "Mon 24:00-25:00", "Mon 09:00-48:00",
		"Mon-Sun 01:00-02:00, Mon-Sun 03:00-04:00, Mon-Sun 05:00-06:00, Mon-Sun 07:00-08:00, Mon-Sun 09:00-10:00"} {
		if _, err := ParseWeekHours(bad); !errors.Is(err, ErrInvalidWeekHours) {
			t.Errorf("ParseWeekHours(%q) = %v, want ErrInvalidWeekHours", bad, err)
		}
	}
}

// checkPoolHeld checks by brute force, minute by minute, that no resource is held by two
// reservations at once (over their blocked intervals), and that each holds a party it fits.
func checkPoolHeld(t *testing.T, o Offering, pool Pool, res []Reservation, loc *time.Location) {
	t.Helper()
	for i, a := range res {
		af, at := a.Start.Add(-o.BufferBefore), a.End.Add(o.BufferAfter)
		if len(a.Resources) > 1 {
			var c *Combination
			for k := range pool.Combinations {
				if slices.Equal(pool.Combinations[k].Tables, a.Resources) {
					c = &pool.Combinations[k]
				}
			}
			if c == nil || !c.Fits(a.Party) {
				t.Fatalf("%v holds %v, no combination that fits %d", a.ID, a.Resources, a.Party)
			}
		}
		for _, id := range a.Resources {
			r, ok := pool.Resource(id)
			if !ok || (len(a.Resources) == 1 && !r.Fits(a.Party)) {
				t.Fatalf("%v holds %s, which does not take %d", a.ID, id, a.Party)
			}
			if !r.works(a.Start, a.End, loc) {
				t.Fatalf("%v holds %s outside its hours", a.ID, id)
			}
			for j, b := range res[i+1:] {
				if !slices.Contains(b.Resources, id) {
					continue
				}
				bf, bt := b.Start.Add(-o.BufferBefore), b.End.Add(o.BufferAfter)
				for m := af; m.Before(at); m = m.Add(time.Minute) {
					if !m.Before(bf) && m.Before(bt) {
						t.Fatalf("%s is held by %v and %v at %s", id, a.ID, res[i+1+j].ID, m.In(loc).Format("15:04"))
					}
				}
			}
		}
	}
}

// FuzzResources books random requests (party, start, a wanted resource or any) against a pool
// of tables, staff or rooms with shifts and combinations, accepting what Check accepts. After
// every booking it checks with code of its own that no resource is held twice at once and each
// holding fits; that Check refuses a booking only when no resource nor combination is free by
// a brute-force search; and that Slots of Preferring(want).ForParty(party) agrees with Check.
func FuzzResources(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{2, 9, 200, 3, 77, 1, 5, 130, 8, 8, 8, 8, 250, 6, 6, 6, 40, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := int(data[0])
			data = data[1:]
			return b
		}
		days := []struct{ zone, date string }{{"Europe/Berlin", "2026-03-29"}, {"Europe/Berlin", "2026-10-25"}, {"America/New_York", "2026-06-14"}}
		day := days[next()%len(days)]
		loc := mustLoc(t, day.zone)
		d := mustDate(t, day.date)
		o := Offering{Duration: time.Duration(30+30*(next()%4)) * time.Minute, Interval: time.Duration(15*(1+next()%4)) * time.Minute,
			Capacity: 1 + next()%20, BufferBefore: time.Duration(15*(next()%2)) * time.Minute, BufferAfter: time.Duration(15*(next()%3)) * time.Minute}
		if next()%2 == 1 {
			o.Mode = ModeUnits
		}
		kind := []ResourceKind{ResourceTable, ResourceStaff, ResourceRoom}[next()%3]
		var pool Pool
		for i := range 1 + next()%5 {
			r := Resource{ID: fmt.Sprintf("r%d", i), Kind: kind}
			if kind == ResourceTable {
				r.MinSeats, r.MaxSeats = next()%3, 2+next()%5
			}
			if next()%3 == 0 { // a shift over the night, or the evening
				r.Hours = []Hours{{Weekday: d.Weekday(), Open: Clock(60 * (next() % 4)), Close: Clock(60 * (2 + next()%3))}, {Weekday: d.Weekday(), Open: 19 * 60, Close: 23 * 60}}
			}
			pool.Resources = append(pool.Resources, r)
		}
		if kind == ResourceTable && len(pool.Resources) >= 2 {
			for range next() % 3 {
				a, b := next()%len(pool.Resources), next()%len(pool.Resources)
				if a == b {
					continue
				}
				pool.Combinations = append(pool.Combinations, Combination{ID: fmt.Sprint(a, b), Tables: []string{pool.Resources[a].ID, pool.Resources[b].ID},
					MinSeats: 3 + next()%3, MaxSeats: 6 + next()%6})
			}
		}
		cal := Calendar{Hours: []Hours{{Weekday: d.Weekday(), Open: 0, Close: 4 * 60}, {Weekday: d.Weekday(), Open: 18 * 60, Close: 23*60 + 30}}, Pool: pool}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for n := 0; len(data) > 0 && n < 40; {
			slots := o.Slots(cal, d, now, loc)
			if len(slots) == 0 {
				return
			}
			party := 1 + next()%8
			s := slots[next()%len(slots)]
			want := ""
			if kind.Pickable() && next()%2 == 1 {
				want = pool.Resources[next()%len(pool.Resources)].ID
			}
			start := s.Start.In(loc).Format("2006-01-02T15:04")
			slot, err := o.Check(cal, Request{Start: start, Party: party, Resource: want}, now, loc)
			fits := false
			for _, ps := range o.Preferring(want).ForParty(party).Slots(cal, d, now, loc) {
				if ps.Start.Equal(s.Start) {
					fits = ps.Fits(o, party)
				}
			}
			if fits != (err == nil) {
				t.Fatalf("%s party %d want %q: Slots says fits=%v, Check says %v", start, party, want, fits, err)
			}
			// What is free, found by brute force over every resource and combination.
			bare := cal
			bare.Pool = Pool{}
			_, capErr := o.Check(bare, Request{Start: start, Party: party}, now, loc)
			free := bruteFree(o, pool, cal.Reservations, want, party, s.Start, s.Start.Add(o.DurationFor(party)), loc)
			switch {
			case capErr == nil && free && err != nil:
				t.Fatalf("%s party %d want %q: refused (%v), but a resource is free", start, party, want, err)
			case capErr == nil && !free && !errors.Is(err, ErrFull):
				t.Fatalf("%s party %d want %q: %v, but nothing is free", start, party, want, err)
			case capErr != nil && !errors.Is(err, capErr):
				t.Fatalf("%s party %d: without the pool %v, with it %v", start, party, capErr, err)
			}
			if err != nil {
				continue
			}
			if want != "" && !slices.Equal(slot.Resources, []string{want}) {
				t.Fatalf("wanted %s, got %v", want, slot.Resources)
			}
			n++
			cal.Reservations = append(cal.Reservations, Reservation{ID: fmt.Sprint(n), Start: slot.Start, End: slot.End, Party: party, Resources: slot.Resources})
			checkPoolHeld(t, o, pool, cal.Reservations, loc)
		}
	})
}

// bruteFree reports whether some resource (want, when given) or combination is free for a
// booking [start, end) of party: minute by minute against every reservation's blocked time.
func bruteFree(o Offering, pool Pool, res []Reservation, want string, party int, start, end time.Time, loc *time.Location) bool {
	held := func(id string) bool {
		for _, r := range res {
			if !slices.Contains(r.Resources, id) {
				continue
			}
			for m := start.Add(-o.BufferBefore); m.Before(end.Add(o.BufferAfter)); m = m.Add(time.Minute) {
				if !m.Before(r.Start.Add(-o.BufferBefore)) && m.Before(r.End.Add(o.BufferAfter)) {
					return true
				}
			}
		}
		return false
	}
	inShift := func(r Resource) bool {
		if len(r.Hours) == 0 {
			return true
		}
		for m := start; m.Before(end); m = m.Add(time.Minute) {
			local := m.In(loc)
			c := Clock(local.Hour()*60 + local.Minute())
			ok := false
			for _, h := range r.Hours {
				// The fuzz shifts are of the booked date itself and close before midnight.
				if h.Weekday == local.Weekday() && h.Open <= c && c < h.Close {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}
	for _, r := range pool.Resources {
		if (want == "" || r.ID == want) && r.Fits(party) && inShift(r) && !held(r.ID) {
			return true
		}
	}
	if want != "" {
		return false
	}
	for _, c := range pool.Combinations {
		ok := c.Fits(party)
		for _, id := range c.Tables {
			r, _ := pool.Resource(id)
			ok = ok && inShift(r) && !held(id)
		}
		if ok {
			return true
		}
	}
	return false
}
