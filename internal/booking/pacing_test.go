package booking

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestTurnTimes: a booking's length follows its party, the starts listed for a party end by
// the closing time with the party's length, and capacity is counted over each booking's own
// length.
func TestTurnTimes(t *testing.T) {
	tt, err := ParseTurnTimes(" 2:90, 4:120 ")
	if err != nil {
		t.Fatal(err)
	}
	o := Offering{Duration: 150 * time.Minute, Interval: 30 * time.Minute, Capacity: 4, TurnTimes: tt}
	for party, want := range map[int]time.Duration{1: 90 * time.Minute, 2: 90 * time.Minute, 3: 2 * time.Hour, 4: 2 * time.Hour, 5: 150 * time.Minute} {
		if got := o.DurationFor(party); got != want {
			t.Errorf("DurationFor(%d) = %s, want %s", party, got, want)
		}
	}
	if s := FormatTurnTimes(tt); s != "2:90, 4:120" {
		t.Errorf("FormatTurnTimes = %q", s)
	}
	loc := mustLoc(t, "Europe/Berlin")
	d := mustDate(t, "2026-06-15")
	cal := Calendar{Hours: weekly(18*60, 22*60, time.Monday)}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	last := func(party int) string {
		slots := o.ForParty(party).Slots(cal, d, now, loc)
		return slots[len(slots)-1].Start.In(loc).Format("15:04")
	}
	// 22:00 closing: two people may start at 20:30 (90 min), five at 19:30 (150 min).
	if got := last(2); got != "20:30" {
		t.Errorf("last start for 2 = %s, want 20:30", got)
	}
	if got := last(5); got != "19:30" {
		t.Errorf("last start for 5 = %s, want 19:30", got)
	}
	slot, err := o.Check(cal, Request{Start: "2026-06-15T18:00", Party: 2}, now, loc)
	if err != nil || slot.End.Sub(slot.Start) != 90*time.Minute {
		t.Fatalf("Check for 2 = %v, %v; want a 90-minute booking", slot, err)
	}
	if _, err := o.Check(cal, Request{Start: "2026-06-15T20:30", Party: 5}, now, loc); !errors.Is(err, ErrInvalidStart) {
		t.Errorf("a 150-minute booking past closing = %v, want ErrInvalidStart", err)
	}
	// Two people booked 18:00–19:30 in people mode with capacity 4: at 19:30 the table is free
	// again for a party of four, but at 19:00 only two places are left.
	cal.Reservations = []Reservation{{ID: "a", Start: slot.Start, End: slot.End, Party: 2}}
	if _, err := o.Check(cal, Request{Start: "2026-06-15T19:30", Party: 4}, now, loc); err != nil {
		t.Errorf("four at 19:30 after two until 19:30: %v", err)
	}
	if _, err := o.Check(cal, Request{Start: "2026-06-15T19:00", Party: 3}, now, loc); !errors.Is(err, ErrFull) {
		t.Errorf("three at 19:00 beside two until 19:30 = %v, want ErrFull", err)
	}
	for _, bad := range []string{"4:120, 2:90", "2:90, 2:120", "0:90", "2:4", "2:1441", "2-90", "x:90", "1:5,2:5,3:5,4:5,5:5,6:5,7:5,8:5,9:5,10:5,11:5"} {
		if _, err := ParseTurnTimes(bad); !errors.Is(err, ErrInvalidTurnTimes) {
			t.Errorf("ParseTurnTimes(%q) = %v, want ErrInvalidTurnTimes", bad, err)
		}
	}
	if tt, err := ParseTurnTimes(""); err != nil || tt != nil {
		t.Errorf("ParseTurnTimes(\"\") = %v, %v", tt, err)
	}
}

// TestPacing: at most Pacing covers start in one local quarter hour, whatever the capacity;
// the quarter hours are the venue's own (Kathmandu is UTC+05:45); a moved booking does not
// count against itself; Slots and Check agree.
func TestPacing(t *testing.T) {
	o := Offering{Duration: 90 * time.Minute, Interval: 15 * time.Minute, Capacity: 40, Pacing: 6}
	for _, zone := range []string{"Europe/Berlin", "Asia/Kathmandu"} {
		t.Run(zone, func(t *testing.T) {
			loc := mustLoc(t, zone)
			d := mustDate(t, "2026-06-15")
			cal := Calendar{Hours: weekly(18*60, 23*60, time.Monday)}
			now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			at := func(s string) time.Time {
				tm, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
				if err != nil {
					t.Fatal(err)
				}
				return tm
			}
			// 4 covers at 19:00 and 1 at 19:10 (a booking made by staff off the grid): one more
			// cover fits in 19:00–19:14, six at 19:15.
			cal.Reservations = []Reservation{
				{ID: "a", Start: at("2026-06-15T19:00"), End: at("2026-06-15T20:30"), Party: 4},
				{ID: "b", Start: at("2026-06-15T19:10"), End: at("2026-06-15T20:40"), Party: 1},
			}
			if _, err := o.Check(cal, Request{Start: "2026-06-15T19:00", Party: 2}, now, loc); !errors.Is(err, ErrFull) {
				t.Errorf("two more at 19:00 = %v, want ErrFull", err)
			}
			if s, err := o.Check(cal, Request{Start: "2026-06-15T19:00", Party: 1}, now, loc); err != nil || s.CoversLeft != 1 || s.Remaining != 1 {
				t.Errorf("one more at 19:00 = %+v, %v; want it to fit with 1 cover left", s, err)
			}
			if _, err := o.Check(cal, Request{Start: "2026-06-15T19:15", Party: 6}, now, loc); err != nil {
				t.Errorf("six at 19:15 = %v", err)
			}
			// Moving booking a to 19:00 with six people: its own four covers are not counted.
			if _, err := o.Check(cal, Request{Start: "2026-06-15T19:00", Party: 5, Ignore: "a"}, now, loc); err != nil {
				t.Errorf("moving a to five people = %v", err)
			}
			for _, s := range o.Slots(cal, d, now, loc) {
				for party := 1; party <= 7; party++ {
					_, err := o.Check(cal, Request{Start: s.Start.In(loc).Format("2006-01-02T15:04"), Party: party}, now, loc)
					if s.Fits(o, party) != (err == nil) {
						t.Fatalf("%s party %d: Slots says fits=%v, Check says %v", s.Start.In(loc).Format("15:04"), party, s.Fits(o, party), err)
					}
				}
			}
		})
	}
}

// FuzzPacing books a random sequence of requests against an offering with pacing, turn times,
// buffers and a capacity (people or units), accepting what Check accepts, and checks with code
// of its own after every booking: no local quarter hour has more covers starting in it than
// Pacing, no instant has more capacity in use than Capacity (over each booking's own length and
// buffers), each booking lasts its party's turn time, and Slots of ForParty(party) lists a start
// as fitting exactly when Check accepts it; CheckWindow's rows give the same answers as all rows.
func FuzzPacing(f *testing.F) {
	f.Add([]byte{3, 2, 1, 0, 4, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{7, 7, 7, 7, 7, 7, 200, 100, 50, 25, 12, 6, 3, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := int(data[0])
			data = data[1:]
			return b
		}
		days := []struct{ zone, date string }{{"Europe/Berlin", "2026-03-29"}, {"Europe/Berlin", "2026-10-25"}, {"Asia/Kathmandu", "2026-06-15"}, {"UTC", "2026-06-15"}}
		day := days[next()%len(days)]
		loc := mustLoc(t, day.zone)
		d := mustDate(t, day.date)
		o := Offering{
			Duration: time.Duration(30+15*(next()%8)) * time.Minute, Interval: time.Duration(15*(1+next()%4)) * time.Minute,
			Capacity: 1 + next()%12, Pacing: 1 + next()%8, BufferAfter: time.Duration(15*(next()%3)) * time.Minute,
		}
		if next()%2 == 1 {
			o.Mode = ModeUnits
		}
		if next()%2 == 1 {
			o.TurnTimes = []TurnTime{{MaxParty: 2, Duration: 45 * time.Minute}, {MaxParty: 4, Duration: time.Duration(60+15*(next()%4)) * time.Minute}}
		}
		// Open 00:00–04:00 (over the DST transitions) and 18:00–23:30.
		cal := Calendar{Hours: []Hours{{Weekday: d.Weekday(), Open: 0, Close: 4 * 60}, {Weekday: d.Weekday(), Open: 18 * 60, Close: 23*60 + 30}}}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		n := 0
		for len(data) > 0 && n < 40 {
			slots := o.Slots(cal, d, now, loc)
			if len(slots) == 0 {
				return
			}
			party := 1 + next()%6
			s := slots[next()%len(slots)]
			start := s.Start.In(loc).Format("2006-01-02T15:04")
			slot, err := o.Check(cal, Request{Start: start, Party: party}, now, loc)
			var fits bool
			for _, ps := range o.ForParty(party).Slots(cal, d, now, loc) {
				if ps.Start.Equal(s.Start) {
					fits = ps.Fits(o, party)
				}
			}
			if fits != (err == nil) {
				t.Fatalf("%s party %d: Slots(ForParty) says fits=%v, Check says %v", start, party, fits, err)
			}
			if from, to, ok := o.CheckWindow(start, loc); ok {
				var near []Reservation
				for _, r := range cal.Reservations {
					if r.Start.Before(to) && r.End.After(from) {
						near = append(near, r)
					}
				}
				c2 := cal
				c2.Reservations = near
				_, err2 := o.Check(c2, Request{Start: start, Party: party}, now, loc)
				if !errors.Is(err2, err) && !(err == nil && err2 == nil) {
					t.Fatalf("%s party %d: with all rows %v, with CheckWindow's %v", start, party, err, err2)
				}
			}
			if err != nil {
				continue
			}
			if got, want := slot.End.Sub(slot.Start), o.DurationFor(party); got != want {
				t.Fatalf("party %d booked for %s, want %s", party, got, want)
			}
			n++
			cal.Reservations = append(cal.Reservations, Reservation{ID: fmt.Sprint(n), Start: slot.Start, End: slot.End, Party: party})
			checkPaced(t, o, cal.Reservations, loc)
		}
	})
}

// checkPaced checks the pacing and the capacity of res by brute force, minute by minute.
func checkPaced(t *testing.T, o Offering, res []Reservation, loc *time.Location) {
	t.Helper()
	quarters := map[string]int{}
	var first, last time.Time
	for _, r := range res {
		l := r.Start.In(loc)
		key := fmt.Sprintf("%s %02d:%02d %s", l.Format("2006-01-02"), l.Hour(), l.Minute()/15*15, l.Format("-0700"))
		quarters[key] += r.Party
		if quarters[key] > o.Pacing {
			t.Fatalf("%d covers start in the quarter hour %s, pacing %d: %v", quarters[key], key, o.Pacing, res)
		}
		if first.IsZero() || r.Start.Before(first) {
			first = r.Start
		}
		if e := r.End.Add(o.BufferAfter); e.After(last) {
			last = e
		}
	}
	for at := first; at.Before(last); at = at.Add(time.Minute) {
		used := 0
		for _, r := range res {
			if !at.Before(r.Start) && at.Before(r.End.Add(o.BufferAfter)) {
				used += o.Need(r.Party)
			}
		}
		if used > o.Capacity {
			t.Fatalf("%d in use at %s, capacity %d", used, at.In(loc).Format("15:04"), o.Capacity)
		}
	}
}
