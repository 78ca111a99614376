package booking

import (
	"testing"
	"time"
)

func TestNeed(t *testing.T) {
	tests := []struct {
		mode  Mode
		party int
		want  int
	}{
		{ModePeople, 1, 1},
		{ModePeople, 6, 6},
		{ModeUnits, 1, 1},
		{ModeUnits, 6, 1},
		{"", 4, 4}, // anything but units counts people
	}
	for _, tt := range tests {
		if got := (Offering{Mode: tt.mode}).Need(tt.party); got != tt.want {
			t.Errorf("Offering{Mode: %q}.Need(%d) = %d, want %d", tt.mode, tt.party, got, tt.want)
		}
	}
}

func TestCheckParty(t *testing.T) {
	tests := []struct {
		name          string
		minP, maxP, p int
		want          error
	}{
		{"zero min means one", 0, 0, 1, nil},
		{"zero party", 0, 0, 0, ErrPartyTooSmall},
		{"negative party", 0, 0, -2, ErrPartyTooSmall},
		{"no upper limit", 0, 0, 500, nil},
		{"at min", 2, 6, 2, nil},
		{"under min", 2, 6, 1, ErrPartyTooSmall},
		{"at max", 2, 6, 6, nil},
		{"over max", 2, 6, 7, ErrPartyTooLarge},
		{"max one", 0, 1, 2, ErrPartyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Offering{MinParty: tt.minP, MaxParty: tt.maxP}
			if got := o.CheckParty(tt.p); got != tt.want {
				t.Errorf("CheckParty(%d) with min %d max %d = %v, want %v", tt.p, tt.minP, tt.maxP, got, tt.want)
			}
		})
	}
}

func TestCancelDeadline(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	start := time.Date(2026, time.June, 15, 18, 0, 0, 0, berlin)
	tests := []struct {
		name   string
		start  time.Time
		cutoff time.Duration
		want   time.Time
	}{
		{"no cutoff", start, 0, start},
		{"two hours", start, 2 * time.Hour, start.Add(-2 * time.Hour)},
		{"a day", start, 24 * time.Hour, time.Date(2026, time.June, 14, 18, 0, 0, 0, berlin)},
		// Real elapsed time: 24 h before 12:00 on the spring-forward day is 11:00 the day before.
		{"across dst", time.Date(2026, time.March, 29, 12, 0, 0, 0, berlin), 24 * time.Hour, time.Date(2026, time.March, 28, 11, 0, 0, 0, berlin)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Offering{CancelCutoff: tt.cutoff}
			if got := o.CancelDeadline(tt.start); !got.Equal(tt.want) {
				t.Errorf("CancelDeadline(%v) = %v, want %v", tt.start, got, tt.want)
			}
		})
	}
}

func TestCanCancel(t *testing.T) {
	start := utc(t, "2026-06-15T18:00")
	o := Offering{CancelCutoff: 24 * time.Hour}
	tests := []struct {
		now  string
		want bool
	}{
		{"2026-06-13T18:00", true},
		{"2026-06-14T18:00", true}, // the deadline itself
		{"2026-06-14T18:01", false},
		{"2026-06-15T19:00", false},
	}
	for _, tt := range tests {
		if got := o.CanCancel(start, utc(t, tt.now)); got != tt.want {
			t.Errorf("CanCancel(%v, %s) = %v, want %v", start, tt.now, got, tt.want)
		}
	}
}

func TestWindow(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		name     string
		o        Offering
		date     string
		loc      *time.Location
		from, to string // UTC
	}{
		{"slot, plain day", Offering{Duration: 2 * time.Hour}, "2026-06-15", berlin, "2026-06-14T22:00", "2026-06-16T22:00"},
		{"slot with buffers", Offering{Duration: time.Hour, BufferBefore: 15 * time.Minute, BufferAfter: 30 * time.Minute},
			"2026-06-15", berlin, "2026-06-14T21:15", "2026-06-16T22:45"},
		// The gap day has 23 hours, the day after it 24, so the window is 47 h.
		{"slot, spring forward", Offering{Duration: time.Hour}, "2026-03-29", berlin, "2026-03-28T23:00", "2026-03-30T22:00"},
		{"slot, fall back", Offering{Duration: time.Hour}, "2026-10-25", berlin, "2026-10-24T22:00", "2026-10-26T23:00"},
		{"session, plain day", Offering{Kind: KindSession, BufferAfter: time.Hour}, "2026-06-15", berlin, "2026-06-14T22:00", "2026-06-15T22:00"},
		{"session, fall back", Offering{Kind: KindSession}, "2026-10-25", berlin, "2026-10-24T22:00", "2026-10-25T23:00"},
		{"nil loc is utc", Offering{Kind: KindSession}, "2026-10-25", nil, "2026-10-25T00:00", "2026-10-26T00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := tt.o.Window(mustDate(t, tt.date), tt.loc)
			if want := utc(t, tt.from); !from.Equal(want) {
				t.Errorf("Window(%s) from = %v, want %v", tt.date, from.UTC(), want)
			}
			if want := utc(t, tt.to); !to.Equal(want) {
				t.Errorf("Window(%s) to = %v, want %v", tt.date, to.UTC(), want)
			}
		})
	}
}

// TestWindowCoversSlots checks that loading only the reservations that overlap
// Window changes nothing, for a rule that closes after midnight, with buffers.
func TestWindowCoversSlots(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	o := Offering{Duration: 90 * time.Minute, Interval: 30 * time.Minute, Capacity: 3, Mode: ModeUnits,
		BufferBefore: 20 * time.Minute, BufferAfter: 40 * time.Minute}
	fri := mustDate(t, "2026-06-19")
	cal := Calendar{Hours: []Hours{{time.Friday, mustClock(t, "18:00"), mustClock(t, "27:00")}}}
	// One reservation every 10 minutes from Thursday to Sunday.
	for i, at := 0, utc(t, "2026-06-18T00:00"); at.Before(utc(t, "2026-06-22T00:00")); i, at = i+1, at.Add(10*time.Minute) {
		cal.Reservations = append(cal.Reservations, Reservation{ID: "r" + at.Format("0102T1504"), Start: at, End: at.Add(time.Duration(i%4+1) * 5 * time.Minute), Party: 1})
	}
	from, to := o.Window(fri, berlin)
	var inWindow []Reservation
	for _, r := range cal.Reservations {
		if r.Start.Before(to) && r.End.After(from) {
			inWindow = append(inWindow, r)
		}
	}
	all := o.Slots(cal, fri, utc(t, "2026-06-01T00:00"), berlin)
	cal.Reservations = inWindow
	windowed := o.Slots(cal, fri, utc(t, "2026-06-01T00:00"), berlin)
	if len(all) == 0 || len(inWindow) == 0 {
		t.Fatalf("test is vacuous: %d slots, %d reservations in window", len(all), len(inWindow))
	}
	if got, want := formatSlots(windowed, berlin), formatSlots(all, berlin); !equalStrings(got, want) {
		t.Errorf("Slots with the window's reservations = %v, want %v", got, want)
	}
}

func TestHoursValid(t *testing.T) {
	tests := []struct {
		name string
		h    Hours
		want bool
	}{
		{"day", Hours{time.Monday, 9 * 60, 17 * 60}, true},
		{"past midnight", Hours{time.Friday, 18 * 60, 26 * 60}, true},
		{"up to 47:59", Hours{time.Friday, 0, 47*60 + 59}, true},
		{"close 48:00", Hours{time.Friday, 0, 48 * 60}, false},
		{"open at 24:00", Hours{time.Friday, 24 * 60, 25 * 60}, false},
		{"empty", Hours{time.Monday, 9 * 60, 9 * 60}, false},
		{"reversed", Hours{time.Monday, 17 * 60, 9 * 60}, false},
		{"negative open", Hours{time.Monday, -60, 9 * 60}, false},
		{"bad weekday", Hours{7, 9 * 60, 17 * 60}, false},
	}
	for _, tt := range tests {
		if got := tt.h.Valid(); got != tt.want {
			t.Errorf("%s: %+v.Valid() = %v, want %v", tt.name, tt.h, got, tt.want)
		}
	}
}
