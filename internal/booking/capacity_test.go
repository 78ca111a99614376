package booking

import (
	"slices"
	"testing"
	"time"
)

// TestRemaining checks the capacity left at one start (18:00 UTC, Monday
// 2026-06-15) against hand-counted reservations, through Slots and Check.
func TestRemaining(t *testing.T) {
	res := func(id, from, to string, party int) Reservation {
		return Reservation{ID: id, Start: utc(t, "2026-06-15T"+from), End: utc(t, "2026-06-15T"+to), Party: party}
	}
	people := Offering{Duration: 2 * time.Hour, Interval: 15 * time.Minute, Capacity: 10, Mode: ModePeople}
	units := people
	units.Mode = ModeUnits
	buffered := Offering{Duration: time.Hour, Interval: 15 * time.Minute, Capacity: 1, Mode: ModeUnits, BufferAfter: 15 * time.Minute}
	bothBuffers := buffered
	bothBuffers.BufferBefore = 15 * time.Minute
	tests := []struct {
		name  string
		o     Offering
		res   []Reservation
		start string
		want  int
	}{
		{"empty", people, nil, "18:00", 10},
		{"one party", people, []Reservation{res("a", "18:00", "20:00", 4)}, "18:00", 6},
		{"a reservation without ID counts", people, []Reservation{res("", "18:00", "20:00", 4)}, "18:00", 6},
		{"one party, units", units, []Reservation{res("a", "18:00", "20:00", 4)}, "18:00", 9},
		{"overlaps the end", people, []Reservation{res("a", "19:30", "21:30", 4)}, "18:00", 6},
		{"overlaps the start", people, []Reservation{res("a", "16:30", "18:30", 4)}, "18:00", 6},
		{"ends as it starts", people, []Reservation{res("a", "16:00", "18:00", 4)}, "18:00", 10},
		{"starts as it ends", people, []Reservation{res("a", "20:00", "22:00", 4)}, "18:00", 10},
		// Both overlap the candidate 18:00-20:00 but not each other: at most 5 at once.
		{"do not stack", people, []Reservation{res("a", "17:00", "19:00", 5), res("b", "19:00", "21:00", 5)}, "18:00", 5},
		{"do not stack, units", units, []Reservation{res("a", "17:00", "19:00", 5), res("b", "19:00", "21:00", 5)}, "18:00", 9},
		{"stack where they overlap", people, []Reservation{res("a", "17:00", "19:00", 5), res("b", "18:30", "20:30", 4)}, "18:00", 1},
		{"peak of a chain", people, []Reservation{
			res("a", "17:00", "18:30", 3), res("b", "18:15", "19:00", 2), res("c", "18:45", "20:30", 4), res("d", "19:30", "21:00", 1),
		}, "18:00", 4}, // a+b 5, b+c 6, c+d 5
		{"many small ones inside", people, []Reservation{
			res("a", "18:00", "18:30", 2), res("b", "18:30", "19:00", 2), res("c", "19:00", "19:30", 2), res("d", "19:30", "20:00", 2),
		}, "18:00", 8},
		{"outside the candidate", people, []Reservation{res("a", "12:00", "14:00", 9), res("b", "21:00", "23:00", 9)}, "18:00", 10},
		{"never negative", people, []Reservation{res("a", "18:00", "20:00", 8), res("b", "18:00", "20:00", 8)}, "18:00", 0},
		{"zero party uses nothing", people, []Reservation{res("a", "18:00", "20:00", 0)}, "18:00", 10},
		{"end before start is a point", people, []Reservation{res("a", "18:30", "18:00", 3)}, "18:00", 10},
		// Buffer after: a 17:00-18:00 booking holds the unit until 18:15.
		{"buffer after blocks", buffered, []Reservation{res("a", "17:00", "18:00", 1)}, "18:00", 0},
		{"buffer after ends", buffered, []Reservation{res("a", "17:00", "18:00", 1)}, "18:15", 1},
		{"candidate's buffer after", buffered, []Reservation{res("a", "19:00", "20:00", 1)}, "18:00", 0},
		{"candidate's buffer after clear", buffered, []Reservation{res("a", "19:15", "20:00", 1)}, "18:00", 1},
		// Both buffers: the reservation's after-buffer and the candidate's before-buffer add up.
		{"both buffers block", bothBuffers, []Reservation{res("a", "17:00", "18:00", 1)}, "18:15", 0},
		{"both buffers clear", bothBuffers, []Reservation{res("a", "17:00", "18:00", 1)}, "18:30", 1},
		{"before-buffer of a later one", bothBuffers, []Reservation{res("a", "19:30", "20:00", 1)}, "18:15", 0},
		{"before-buffer of a later one clear", bothBuffers, []Reservation{res("a", "19:45", "20:00", 1)}, "18:15", 1},
	}
	hours := weekly(9*60, 23*60, time.Monday)
	now := utc(t, "2026-06-01T00:00")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := Calendar{Hours: hours, Reservations: tt.res}
			start := utc(t, "2026-06-15T"+tt.start)
			got := -1
			for _, s := range tt.o.Slots(cal, mustDate(t, "2026-06-15"), now, time.UTC) {
				if s.Start.Equal(start) {
					got = s.Remaining
				}
			}
			if got != tt.want {
				t.Errorf("Slots: Remaining at %s = %d, want %d", tt.start, got, tt.want)
			}
			slot, err := tt.o.Check(cal, Request{Start: "2026-06-15T" + tt.start, Party: 1}, now, time.UTC)
			switch {
			case tt.want == 0 && err != ErrFull:
				t.Errorf("Check(%s) = %v, want ErrFull", tt.start, err)
			case tt.want > 0 && (err != nil || slot.Remaining != tt.want):
				t.Errorf("Check(%s) = Remaining %d, %v; want %d, nil", tt.start, slot.Remaining, err, tt.want)
			}
		})
	}
}

// TestUsageProfile checks the step function directly.
func TestUsageProfile(t *testing.T) {
	o := Offering{Mode: ModePeople}
	res := []Reservation{
		{ID: "a", Start: utc(t, "2026-06-15T10:00"), End: utc(t, "2026-06-15T12:00"), Party: 2},
		{ID: "b", Start: utc(t, "2026-06-15T11:00"), End: utc(t, "2026-06-15T12:00"), Party: 3},
		{ID: "c", Start: utc(t, "2026-06-15T12:00"), End: utc(t, "2026-06-15T13:00"), Party: 1},
	}
	profile := o.usage(res, "", utc(t, "2026-06-15T00:00"), utc(t, "2026-06-16T00:00"))
	tests := []struct {
		from, to string
		want     int
	}{
		{"09:00", "10:00", 0},
		{"09:00", "10:01", 2},
		{"10:30", "11:00", 2},
		{"10:30", "11:30", 5},
		{"12:00", "14:00", 1},
		{"11:59", "12:00", 5},
		{"13:00", "14:00", 0},
	}
	for _, tt := range tests {
		if got := profile.peak(utc(t, "2026-06-15T"+tt.from), utc(t, "2026-06-15T"+tt.to)); got != tt.want {
			t.Errorf("peak over [%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
	day, next := utc(t, "2026-06-15T00:00"), utc(t, "2026-06-16T00:00")
	if got := o.usage(res, "b", day, next).peak(day, next); got != 2 {
		t.Errorf("usage ignoring b peaks at %d, want 2", got)
	}
	// Rows far off in time saturate instead of overflowing.
	far := append(slices.Clone(res),
		Reservation{ID: "forever", Start: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Party: 10},
		Reservation{ID: "long ago", Start: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(1900, 1, 2, 0, 0, 0, 0, time.UTC), Party: 20})
	buffered := Offering{Mode: ModePeople, BufferBefore: time.Hour, BufferAfter: time.Hour}
	if got := buffered.usage(far, "", day, next).peak(day, next); got != 16 { // a, b and c overlap once buffered: 6, plus 10
		t.Errorf("usage with far-off rows peaks at %d, want 16", got)
	}
	// Clipped to a span that starts inside a and ends inside b.
	clipped := o.usage(res, "", utc(t, "2026-06-15T10:30"), utc(t, "2026-06-15T11:30"))
	if got := clipped.peak(utc(t, "2026-06-15T10:30"), utc(t, "2026-06-15T11:30")); got != 5 {
		t.Errorf("clipped usage peaks at %d, want 5", got)
	}
}
