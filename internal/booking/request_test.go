package booking

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func TestParseStart(t *testing.T) {
	tests := []struct {
		in        string
		wantDate  string
		wantClock string
		wantErr   bool
	}{
		{in: "2026-06-15T18:30", wantDate: "2026-06-15", wantClock: "18:30"},
		{in: "2026-06-15T00:00", wantDate: "2026-06-15", wantClock: "00:00"},
		{in: "2026-06-15T23:59", wantDate: "2026-06-15", wantClock: "23:59"},
		{in: "2026-06-15T24:00", wantErr: true},
		{in: "2026-06-15T25:30", wantErr: true},
		{in: "2026-06-15T18:60", wantErr: true},
		{in: "2026-02-30T18:30", wantErr: true},
		{in: "1899-12-31T18:30", wantErr: true},
		{in: "2026-06-15 18:30", wantErr: true},
		{in: "2026-06-15t18:30", wantErr: true},
		{in: "2026-06-15T18:30:00", wantErr: true},
		{in: "2026-06-15T18:30Z", wantErr: true},
		{in: "2026-06-15T8:30", wantErr: true},
		{in: "2026-06-15T18:30 ", wantErr: true},
		{in: "2026-06-15", wantErr: true},
		{in: "2026-6-15T18:30", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, c, err := ParseStart(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidStart) {
					t.Errorf("ParseStart(%q) = %v, %v, %v; want error wrapping ErrInvalidStart", tt.in, d, c, err)
				}
				return
			}
			if err != nil || d.String() != tt.wantDate || c.String() != tt.wantClock {
				t.Errorf("ParseStart(%q) = %v, %v, %v; want %s, %s, nil", tt.in, d, c, err, tt.wantDate, tt.wantClock)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02T15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	o := dinner // 2 h, every 30 min, 10 people, parties up to 8, Mon-Sat 17:00-23:00
	o.MinParty = 2
	o.LeadTime = 2 * time.Hour
	o.Horizon = 60 * 24 * time.Hour
	now := at("2026-06-10T12:00")
	full := []Reservation{
		{ID: "a", Start: at("2026-06-15T19:00"), End: at("2026-06-15T21:00"), Party: 6},
		{ID: "b", Start: at("2026-06-15T19:00"), End: at("2026-06-15T21:00"), Party: 2},
	}
	cal := Calendar{
		Hours:        append(dinnerHours(), Hours{time.Friday, 23 * 60, 27 * 60}), // Fridays also 23:00-03:00
		Closures:     []Closure{{mustDate(t, "2026-06-22"), mustDate(t, "2026-06-23")}, {mustDate(t, "2026-06-26"), mustDate(t, "2026-06-26")}, {mustDate(t, "2026-07-04"), mustDate(t, "2026-07-04")}},
		Reservations: full,
	}
	tests := []struct {
		name      string
		o         Offering
		r         Request
		now       time.Time
		want      error
		wantStart time.Time
		wantLeft  int
	}{
		{name: "ok", r: Request{Start: "2026-06-15T17:00", Party: 4}, wantStart: at("2026-06-15T17:00"), wantLeft: 10},
		{name: "ok with others", r: Request{Start: "2026-06-15T18:00", Party: 2}, wantStart: at("2026-06-15T18:00"), wantLeft: 2},
		{name: "party too small", r: Request{Start: "2026-06-15T17:00", Party: 1}, want: ErrPartyTooSmall},
		{name: "party zero", r: Request{Start: "2026-06-15T17:00", Party: 0}, want: ErrPartyTooSmall},
		{name: "party too large", r: Request{Start: "2026-06-15T17:00", Party: 9}, want: ErrPartyTooLarge},
		{name: "party is checked first", r: Request{Start: "garbage", Party: 9}, want: ErrPartyTooLarge},
		{name: "malformed", r: Request{Start: "2026-06-15 17:00", Party: 2}, want: ErrInvalidStart},
		{name: "empty start", r: Request{Party: 2}, want: ErrInvalidStart},
		{name: "not a date", r: Request{Start: "2026-06-31T17:00", Party: 2}, want: ErrInvalidStart},
		{name: "closed weekday", r: Request{Start: "2026-06-14T18:00", Party: 2}, want: ErrClosed},
		{name: "closure", r: Request{Start: "2026-06-23T18:00", Party: 2}, want: ErrClosed},
		{name: "closed wins over off-grid", r: Request{Start: "2026-06-14T18:10", Party: 2}, want: ErrClosed},
		{name: "closed wins over too soon", r: Request{Start: "2026-06-07T18:00", Party: 2}, want: ErrClosed},
		{name: "off grid", r: Request{Start: "2026-06-15T18:10", Party: 2}, want: ErrInvalidStart},
		{name: "before opening", r: Request{Start: "2026-06-15T16:30", Party: 2}, want: ErrInvalidStart},
		{name: "runs past closing", r: Request{Start: "2026-06-15T21:30", Party: 2}, want: ErrInvalidStart},
		{name: "off grid wins over too soon", r: Request{Start: "2026-06-10T18:10", Party: 2}, want: ErrInvalidStart},
		{name: "past", r: Request{Start: "2026-06-09T18:00", Party: 2}, want: ErrTooSoon},
		{name: "inside lead time", r: Request{Start: "2026-06-15T17:00", Party: 2}, now: at("2026-06-15T15:01"), want: ErrTooSoon},
		{name: "at lead time", r: Request{Start: "2026-06-15T17:00", Party: 2}, now: at("2026-06-15T15:00"), wantStart: at("2026-06-15T17:00"), wantLeft: 10},
		{name: "too far ahead", r: Request{Start: "2026-08-10T18:00", Party: 2}, want: ErrTooFarAhead},
		{name: "at the horizon", r: Request{Start: "2026-08-08T18:00", Party: 2}, now: at("2026-06-09T18:00"), wantStart: at("2026-08-08T18:00"), wantLeft: 10},
		{name: "too soon wins over full", r: Request{Start: "2026-06-15T19:00", Party: 2}, now: at("2026-06-15T18:00"), want: ErrTooSoon},
		{name: "full", r: Request{Start: "2026-06-15T19:00", Party: 4}, want: ErrFull},
		{name: "full for three, not for two", r: Request{Start: "2026-06-15T19:30", Party: 3}, want: ErrFull},
		{name: "room for two", r: Request{Start: "2026-06-15T19:30", Party: 2}, wantStart: at("2026-06-15T19:30"), wantLeft: 2},
		{name: "moving a booking frees its seats", r: Request{Start: "2026-06-15T19:30", Party: 6, Ignore: "a"}, wantStart: at("2026-06-15T19:30"), wantLeft: 8},
		{name: "ignoring an unknown ID frees nothing", r: Request{Start: "2026-06-15T19:30", Party: 6, Ignore: "zz"}, want: ErrFull},
		{name: "units mode", o: func() Offering { o := o; o.Mode = ModeUnits; return o }(),
			r: Request{Start: "2026-06-15T19:00", Party: 8}, wantStart: at("2026-06-15T19:00"), wantLeft: 8},
		{name: "friday late, on saturday", r: Request{Start: "2026-06-20T00:30", Party: 2}, wantStart: at("2026-06-20T00:30"), wantLeft: 10},
		{name: "friday late, runs past closing", r: Request{Start: "2026-06-20T01:30", Party: 2}, want: ErrInvalidStart},
		{name: "friday late, off grid", r: Request{Start: "2026-06-20T00:45", Party: 2}, want: ErrInvalidStart},
		{name: "friday closed closes its night", r: Request{Start: "2026-06-27T00:30", Party: 2}, want: ErrClosed},
		{name: "saturday outside friday's night", r: Request{Start: "2026-06-20T03:00", Party: 2}, want: ErrInvalidStart},
		{name: "saturday closed keeps friday's night", r: Request{Start: "2026-07-04T00:30", Party: 2}, wantStart: at("2026-07-04T00:30"), wantLeft: 10},
		{name: "saturday closed", r: Request{Start: "2026-07-04T18:00", Party: 2}, want: ErrClosed},
		{name: "sunday after saturday", r: Request{Start: "2026-06-21T00:30", Party: 2}, want: ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off := o
			if !reflect.DeepEqual(tt.o, Offering{}) {
				off = tt.o
			}
			n := now
			if !tt.now.IsZero() {
				n = tt.now
			}
			got, err := off.Check(cal, tt.r, n, berlin)
			if err != tt.want {
				t.Fatalf("Check(%+v) = %+v, %v; want error %v", tt.r, got, err, tt.want)
			}
			if tt.want != nil {
				if !reflect.DeepEqual(got, Slot{}) {
					t.Errorf("Check(%+v) = %+v with an error, want the zero Slot", tt.r, got)
				}
				return
			}
			if !got.Start.Equal(tt.wantStart) || !got.End.Equal(tt.wantStart.Add(off.Duration)) || got.Remaining != tt.wantLeft {
				t.Errorf("Check(%+v) = %v-%v left %d, want %v-%v left %d", tt.r, got.Start, got.End, got.Remaining,
					tt.wantStart, tt.wantStart.Add(off.Duration), tt.wantLeft)
			}
		})
	}
}

// TestCheckOwners: each rule has its own grid, counted from its Open, and a
// start after midnight may belong to its own date or to the night before.
func TestCheckOwners(t *testing.T) {
	o := Offering{Duration: time.Hour, Interval: 30 * time.Minute, Capacity: 1}
	cal := Calendar{
		Hours: []Hours{
			{time.Friday, 23 * 60, 27 * 60},        // to Saturday 03:00
			{time.Saturday, 15, 3 * 60},            // 00:15-03:00
			{time.Sunday, 9*60 + 15, 12 * 60},      // 09:15-12:00
			{time.Sunday, 9*60 + 15, 9*60 + 45},    // too short for an hour
			{time.Monday, 13 * 60, 13*60 + 30 + 1}, // likewise
		},
		Closures: []Closure{{mustDate(t, "2026-06-26"), mustDate(t, "2026-06-26")}},
	}
	now := utc(t, "2026-06-01T00:00")
	tests := []struct {
		start string
		want  error
	}{
		{"2026-06-21T09:15", nil},
		{"2026-06-21T09:30", ErrInvalidStart},
		{"2026-06-21T10:45", nil},
		{"2026-06-21T11:15", ErrInvalidStart}, // runs past 12:00
		{"2026-06-21T11:45", ErrInvalidStart},
		{"2026-06-22T13:00", ErrInvalidStart},
		{"2026-06-20T00:30", nil}, // Friday's grid
		{"2026-06-20T00:45", nil}, // Saturday's grid
		{"2026-06-20T02:00", nil}, // Friday's, ends at 03:00
		{"2026-06-20T02:15", ErrInvalidStart},
		{"2026-06-27T00:30", ErrInvalidStart}, // only on closed Friday's grid
		{"2026-06-27T00:45", nil},
		{"2026-06-27T00:00", ErrClosed}, // only Friday's rule spans it
	}
	for _, tt := range tests {
		if _, err := o.Check(cal, Request{Start: tt.start, Party: 1}, now, time.UTC); err != tt.want {
			t.Errorf("Check(%s) = %v, want %v", tt.start, err, tt.want)
		}
	}
}

func TestCheckSessions(t *testing.T) {
	sydney := mustLoc(t, "Australia/Sydney")
	o := Offering{Kind: KindSession, Mode: ModePeople, MaxParty: 6, LeadTime: time.Hour, Horizon: 14 * 24 * time.Hour}
	cal := Calendar{
		Sessions: []Session{
			{ID: "yoga", Start: utc(t, "2026-06-15T08:00"), End: utc(t, "2026-06-15T09:00"), Seats: 10},
			{ID: "closed", Start: utc(t, "2026-06-18T08:00"), End: utc(t, "2026-06-18T09:00"), Seats: 10},
			{ID: "far", Start: utc(t, "2026-07-15T08:00"), End: utc(t, "2026-07-15T09:00"), Seats: 10},
			// 02:30 on 2026-04-05 happens twice in Sydney; this class is at the second one.
			{ID: "dst", Start: utc(t, "2026-04-04T16:30"), End: utc(t, "2026-04-04T17:30"), Seats: 10},
		},
		Closures: []Closure{{mustDate(t, "2026-06-18"), mustDate(t, "2026-06-18")}}, // 18:00 Sydney
		Reservations: []Reservation{
			{ID: "a", Session: "yoga", Party: 4},
			{ID: "b", Session: "yoga", Party: 3},
			{ID: "x", Session: "other", Party: 5},
		},
	}
	now := utc(t, "2026-06-14T00:00")
	tests := []struct {
		name     string
		r        Request
		now      time.Time
		want     error
		wantLeft int
	}{
		{name: "ok", r: Request{Start: "yoga", Party: 3}, wantLeft: 3},
		{name: "full", r: Request{Start: "yoga", Party: 4}, want: ErrFull},
		{name: "moving within the session", r: Request{Start: "yoga", Party: 6, Ignore: "b"}, wantLeft: 6},
		{name: "party first", r: Request{Start: "nope", Party: 7}, want: ErrPartyTooLarge},
		{name: "unknown session", r: Request{Start: "nope", Party: 2}, want: ErrInvalidStart},
		{name: "empty session", r: Request{Start: "", Party: 2}, want: ErrInvalidStart},
		{name: "a slot start is not a session", r: Request{Start: "2026-06-15T18:00", Party: 2}, want: ErrInvalidStart},
		{name: "closed", r: Request{Start: "closed", Party: 2}, want: ErrClosed},
		{name: "too soon", r: Request{Start: "yoga", Party: 2}, now: utc(t, "2026-06-15T07:30"), want: ErrTooSoon},
		{name: "too far", r: Request{Start: "far", Party: 2}, want: ErrTooFarAhead},
		{name: "second occurrence kept", r: Request{Start: "dst", Party: 2}, now: utc(t, "2026-04-01T00:00"), wantLeft: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := now
			if !tt.now.IsZero() {
				n = tt.now
			}
			got, err := o.Check(cal, tt.r, n, sydney)
			if err != tt.want {
				t.Fatalf("Check(%+v) = %+v, %v; want error %v", tt.r, got, err, tt.want)
			}
			if err != nil {
				return
			}
			s := cal.Sessions[sessionIndex(cal.Sessions, tt.r.Start)]
			if got.Session != s.ID || !got.Start.Equal(s.Start) || !got.End.Equal(s.End) || got.Remaining != tt.wantLeft {
				t.Errorf("Check(%+v) = %+v, want session %s %v-%v left %d", tt.r, got, s.ID, s.Start, s.End, tt.wantLeft)
			}
			if tt.r.Start == "dst" && !got.Ambiguous {
				t.Errorf("Check(dst).Ambiguous = false, want true")
			}
		})
	}
}

// TestCheckWindowKeepsTheAnswer: for random offerings, reservations and starts (in a zone with
// DST), Check with only the reservations of CheckWindow answers exactly as with all of them.
func TestCheckWindowKeepsTheAnswer(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	rnd := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 3, 28, 0, 0, 0, 0, berlin) // the DST change of 29 March inside
	for i := range 3000 {
		o := Offering{Kind: KindSlot, Duration: time.Duration(30+rnd.IntN(8)*15) * time.Minute,
			Interval: time.Duration(15+rnd.IntN(4)*15) * time.Minute, Capacity: 4 + rnd.IntN(12), Mode: ModePeople,
			BufferBefore: time.Duration(rnd.IntN(4)*15) * time.Minute, BufferAfter: time.Duration(rnd.IntN(4)*15) * time.Minute}
		cal := Calendar{}
		for wd := range 7 {
			cal.Hours = append(cal.Hours, Hours{Weekday: time.Weekday(wd), Open: Clock(rnd.IntN(4) * 60), Close: Clock(22*60 + rnd.IntN(5)*60)})
		}
		for range rnd.IntN(40) {
			s := base.Add(time.Duration(rnd.IntN(4*24*4)) * 15 * time.Minute)
			cal.Reservations = append(cal.Reservations, Reservation{ID: fmt.Sprint(rnd.IntN(1000)), Start: s,
				End: s.Add(time.Duration(1+rnd.IntN(12)) * 15 * time.Minute), Party: 1 + rnd.IntN(4)})
		}
		start := base.Add(time.Duration(rnd.IntN(3*24*4)) * 15 * time.Minute).Format("2006-01-02T15:04")
		r := Request{Start: start, Party: 1 + rnd.IntN(4)}
		if rnd.IntN(4) == 0 && len(cal.Reservations) > 0 {
			r.Ignore = cal.Reservations[0].ID
		}
		want, wantErr := o.Check(cal, r, base.Add(-time.Hour), berlin)
		from, to, ok := o.CheckWindow(start, berlin)
		if !ok {
			if wantErr == nil {
				t.Fatalf("case %d: no window for %s, which Check books", i, start)
			}
			continue
		}
		narrow := cal
		narrow.Reservations = nil
		for _, res := range cal.Reservations {
			if res.Start.Before(to) && res.End.After(from) {
				narrow.Reservations = append(narrow.Reservations, res)
			}
		}
		got, gotErr := o.Check(narrow, r, base.Add(-time.Hour), berlin)
		if !reflect.DeepEqual(got, want) || !errors.Is(gotErr, wantErr) && gotErr != wantErr {
			t.Fatalf("case %d (%s, party %d): with the window's %d of %d reservations Check = %+v, %v; with all %+v, %v",
				i, start, r.Party, len(narrow.Reservations), len(cal.Reservations), got, gotErr, want, wantErr)
		}
	}
}
