package mail

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{-1, time.Minute},
		{0, time.Minute},
		{1, time.Minute},
		{2, 2 * time.Minute},
		{3, 4 * time.Minute},
		{4, 8 * time.Minute},
		{5, 16 * time.Minute},
		{6, 32 * time.Minute},
		{7, 64 * time.Minute},
		{8, 128 * time.Minute},
		{9, 256 * time.Minute},
		{10, 6 * time.Hour}, // 512m, capped
		{11, 6 * time.Hour},
		{64, 6 * time.Hour},
		{1 << 30, 6 * time.Hour},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempt); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}

// TestBackoffSchedule states the whole schedule: with GiveUp checked before each attempt, a
// message is tried 12 times within MaxAge.
func TestBackoffSchedule(t *testing.T) {
	first := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	var at []time.Duration
	now := first
	for attempt := 1; !GiveUp(first, now); attempt++ {
		at = append(at, now.Sub(first))
		now = now.Add(Backoff(attempt))
	}
	want := []time.Duration{
		0,
		time.Minute,
		3 * time.Minute,
		7 * time.Minute,
		15 * time.Minute,
		31 * time.Minute,
		time.Hour + 3*time.Minute,
		2*time.Hour + 7*time.Minute,
		4*time.Hour + 15*time.Minute,
		8*time.Hour + 31*time.Minute,
		14*time.Hour + 31*time.Minute,
		20*time.Hour + 31*time.Minute,
	}
	if len(at) != 12 {
		t.Fatalf("attempts before GiveUp = %d (at %v), want 12", len(at), at)
	}
	for i := range want {
		if at[i] != want[i] {
			t.Errorf("attempt %d at +%v, want +%v", i+1, at[i], want[i])
		}
	}
	if got, want := now.Sub(first), 26*time.Hour+31*time.Minute; got != want {
		t.Errorf("13th attempt would be at +%v, want +%v", got, want)
	}
}

func TestGiveUp(t *testing.T) {
	first := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"at first attempt", first, false},
		{"a second before", first.Add(MaxAge - time.Second), false},
		{"exactly 24h", first.Add(24 * time.Hour), true},
		{"later", first.Add(30 * time.Hour), true},
		{"clock behind", first.Add(-time.Hour), false},
	}
	for _, tt := range tests {
		if got := GiveUp(first, tt.now); got != tt.want {
			t.Errorf("%s: GiveUp(%v, %v) = %v, want %v", tt.name, first, tt.now, got, tt.want)
		}
	}
}

func TestJitter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := 10 * time.Minute
	lo, hi := 9*time.Minute, 11*time.Minute
	seen := map[time.Duration]bool{}
	for range 1000 {
		got := Jitter(d, r)
		if got < lo || got > hi {
			t.Fatalf("Jitter(%v) = %v, want within [%v, %v]", d, got, lo, hi)
		}
		seen[got] = true
	}
	if len(seen) < 100 {
		t.Errorf("Jitter(%v) gave only %d distinct values in 1000 calls", d, len(seen))
	}
	for _, d := range []time.Duration{0, -time.Second, 5} {
		if got := Jitter(d, r); got != d {
			t.Errorf("Jitter(%v) = %v, want it unchanged", d, got)
		}
	}
	if got := Jitter(d, nil); got < lo || got > hi {
		t.Errorf("Jitter(%v, nil) = %v, want within [%v, %v]", d, got, lo, hi)
	}
}
