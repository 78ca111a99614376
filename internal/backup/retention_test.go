package backup

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestPolicyValidate(t *testing.T) {
	h, d := time.Hour, 24*time.Hour
	tests := []struct {
		name  string
		p     Policy
		valid bool
	}{
		{"default", DefaultPolicy(), true},
		{"all equal", Policy{All: h, Hourly: h, Daily: h}, true},
		{"long", Policy{All: d, Hourly: 30 * d, Daily: 365 * d}, true},
		{"zero", Policy{}, false},
		{"zero all", Policy{All: 0, Hourly: 48 * h, Daily: 7 * d}, false},
		{"zero hourly", Policy{All: h, Hourly: 0, Daily: 7 * d}, false},
		{"zero daily", Policy{All: h, Hourly: 48 * h, Daily: 0}, false},
		{"negative", Policy{All: -h, Hourly: 48 * h, Daily: 7 * d}, false},
		{"all longer than hourly", Policy{All: 49 * h, Hourly: 48 * h, Daily: 7 * d}, false},
		{"hourly longer than daily", Policy{All: h, Hourly: 8 * d, Daily: 7 * d}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); (err == nil) != tt.valid {
				t.Errorf("%+v.Validate() = %v, want valid %v", tt.p, err, tt.valid)
			}
		})
	}
	if got, want := DefaultPolicy(), (Policy{All: time.Hour, Hourly: 48 * time.Hour, Daily: 7 * 24 * time.Hour}); got != want {
		t.Errorf("DefaultPolicy() = %+v, want %+v", got, want)
	}
}

func utcTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t.UTC()
}

func TestExpired(t *testing.T) {
	now := utcTime(t, "2026-11-24T12:00:00Z")
	at := func(s string) time.Time { return utcTime(t, s) }
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		name    string
		p       Policy
		backups []time.Time
		want    []time.Time
	}{
		{"nil", DefaultPolicy(), nil, nil},
		{"empty", DefaultPolicy(), []time.Time{}, nil},
		{"a single old backup is kept", DefaultPolicy(), []time.Time{at("2026-10-01T00:00:00Z")}, nil},
		{"of two old backups the newer is kept", DefaultPolicy(),
			[]time.Time{at("2026-10-02T00:00:00Z"), at("2026-10-01T00:00:00Z")},
			[]time.Time{at("2026-10-01T00:00:00Z")}},
		{"duplicates of the newest are kept", DefaultPolicy(),
			[]time.Time{at("2026-10-01T00:00:00Z"), at("2026-10-01T00:00:00Z"), at("2026-10-01T00:00:00Z")}, nil},
		{"duplicates expire once", DefaultPolicy(),
			[]time.Time{at("2026-10-01T00:00:00Z"), at("2026-11-24T11:30:00Z"), at("2026-10-01T00:00:00Z")},
			[]time.Time{at("2026-10-01T00:00:00Z")}},
		{"the same instant in another zone is a duplicate", DefaultPolicy(),
			[]time.Time{at("2026-10-01T00:00:00Z"), at("2026-10-01T00:00:00Z").In(berlin), at("2026-11-24T11:30:00Z")},
			[]time.Time{at("2026-10-01T00:00:00Z")}},
		{"unsorted input, sorted output", DefaultPolicy(),
			[]time.Time{at("2026-11-24T11:30:00Z"), at("2026-11-15T10:00:00Z"), at("2026-11-14T10:00:00Z"), now, at("2026-11-16T10:00:00Z")},
			[]time.Time{at("2026-11-14T10:00:00Z"), at("2026-11-15T10:00:00Z"), at("2026-11-16T10:00:00Z")}},
		{"all of the last hour", DefaultPolicy(),
			[]time.Time{at("2026-11-24T11:00:01Z"), at("2026-11-24T11:20:00Z"), at("2026-11-24T11:40:00Z"), at("2026-11-24T11:59:59Z"), now}, nil},
		{"an hour's older backups expire once its newest is in", DefaultPolicy(),
			[]time.Time{at("2026-11-24T11:00:00Z"), at("2026-11-24T10:59:00Z"), at("2026-11-24T11:10:00Z")},
			[]time.Time{at("2026-11-24T11:00:00Z")}},
		{"the newest of each hour, not the oldest", DefaultPolicy(),
			[]time.Time{at("2026-11-24T05:00:00Z"), at("2026-11-24T05:10:00Z"), at("2026-11-24T05:40:00Z"), at("2026-11-24T06:05:00Z"), now},
			[]time.Time{at("2026-11-24T05:00:00Z"), at("2026-11-24T05:10:00Z")}},
		{"hourly ends at now-48h, exclusive", DefaultPolicy(),
			[]time.Time{at("2026-11-22T11:30:00Z"), at("2026-11-22T12:00:00Z"), at("2026-11-22T13:00:01Z"), at("2026-11-22T23:00:00Z"), now},
			[]time.Time{at("2026-11-22T11:30:00Z"), at("2026-11-22T12:00:00Z")}},
		{"daily ends at now-7d, exclusive", DefaultPolicy(),
			[]time.Time{at("2026-11-16T23:00:00Z"), at("2026-11-17T12:00:00Z"), at("2026-11-18T12:00:00Z"), now},
			[]time.Time{at("2026-11-16T23:00:00Z"), at("2026-11-17T12:00:00Z")}},
		// 00:30 on the 19th in Berlin is the 18th in UTC: that day's only backup.
		{"the newest of each UTC day", DefaultPolicy(),
			[]time.Time{at("2026-11-19T00:00:00Z"), at("2026-11-19T23:59:59Z"), at("2026-11-19T00:30:00+01:00"), at("2026-11-20T08:00:00Z"), now},
			[]time.Time{at("2026-11-19T00:00:00Z")}},
		{"a backup dated in the future is kept", DefaultPolicy(),
			[]time.Time{at("2026-11-24T13:00:00Z"), at("2026-11-01T00:00:00Z")},
			[]time.Time{at("2026-11-01T00:00:00Z")}},
		{"an invalid policy deletes nothing", Policy{},
			[]time.Time{at("2026-10-01T00:00:00Z"), at("2026-10-02T00:00:00Z"), now}, nil},
		{"a shorter policy", Policy{All: 10 * time.Minute, Hourly: 2 * time.Hour, Daily: 2 * time.Hour},
			[]time.Time{at("2026-11-24T09:55:00Z"), at("2026-11-24T10:05:00Z"), at("2026-11-24T10:55:00Z"), at("2026-11-24T11:05:00Z"),
				at("2026-11-24T11:45:00Z"), at("2026-11-24T11:55:00Z"), now},
			[]time.Time{at("2026-11-24T09:55:00Z"), at("2026-11-24T10:05:00Z"), at("2026-11-24T11:05:00Z"), at("2026-11-24T11:45:00Z")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.backups)
			got := tt.p.Expired(now, in)
			if !slices.EqualFunc(got, tt.want, time.Time.Equal) {
				t.Errorf("Expired(%s, %v) =\n%v\nwant\n%v", now.Format(time.RFC3339), tt.backups, got, tt.want)
			}
			if !slices.Equal(in, tt.backups) {
				t.Errorf("Expired changed its input")
			}
		})
	}
}

// TestExpiredSimulation runs the default policy as the server would: a
// backup every 5 minutes for 8 days and a half, deleting what Expired says
// after each one.
func TestExpiredSimulation(t *testing.T) {
	p := DefaultPolicy()
	start, end := utcTime(t, "2026-11-16T00:00:00Z"), utcTime(t, "2026-11-24T12:25:00Z")
	var kept, all []time.Time
	for now := start; !now.After(end); now = now.Add(5 * time.Minute) {
		kept = append(kept, now)
		all = append(all, now)
		expired := p.Expired(now, kept)
		if !slices.IsSortedFunc(expired, time.Time.Compare) {
			t.Fatalf("at %s Expired = %v, not sorted", now, expired)
		}
		for _, e := range expired {
			i := slices.IndexFunc(kept, e.Equal)
			if i < 0 {
				t.Fatalf("at %s Expired returned %s, which is not a backup (or twice)", now, e)
			}
			if e.Equal(now) {
				t.Fatalf("at %s Expired returned the newest backup", now)
			}
			kept = slices.Delete(kept, i, i+1)
		}
		if len(kept) > 12+48+7+1 {
			t.Fatalf("at %s %d backups are kept, want at most 68", now, len(kept))
		}
	}

	// What must remain at 12:25 on the 24th, stated from the clock: all of
	// the last hour (11:30 to 12:25), each hour's last backup (hh:55) since
	// 12:25 on the 22nd, each day's last (23:55) since 12:25 on the 17th.
	now := end
	var want []time.Time
	for _, b := range all {
		if b.After(now.Add(-time.Hour)) ||
			b.Minute() == 55 && b.After(now.Add(-48*time.Hour)) ||
			b.Hour() == 23 && b.Minute() == 55 && b.After(now.Add(-7*24*time.Hour)) {
			want = append(want, b)
		}
	}
	// 12 of the last hour + 47 hours from 22T12:55 to 24T10:55 + 5 days from 17 to 21.
	if len(want) != 12+47+5 {
		t.Fatalf("expected set has %d backups, want 64: the test is wrong", len(want))
	}
	if !slices.EqualFunc(kept, want, time.Time.Equal) {
		t.Errorf("after 8 days %d backups remain:\n%v\nwant %d:\n%v", len(kept), kept, len(want), want)
	}
	for _, tt := range []struct {
		at   string
		kept bool
	}{
		{"2026-11-24T12:25:00Z", true},
		{"2026-11-24T11:30:00Z", true},
		{"2026-11-24T11:25:00Z", false},
		{"2026-11-24T10:55:00Z", true},
		{"2026-11-24T10:50:00Z", false},
		{"2026-11-22T12:55:00Z", true},
		{"2026-11-22T11:55:00Z", false},
		{"2026-11-21T23:55:00Z", true},
		{"2026-11-17T23:55:00Z", true},
		{"2026-11-16T23:55:00Z", false},
	} {
		if got := slices.ContainsFunc(kept, utcTime(t, tt.at).Equal); got != tt.kept {
			t.Errorf("after 8 days, %s kept = %v, want %v", tt.at, got, tt.kept)
		}
	}
}

// TestExpiredIncremental checks, over irregular schedules with gaps, that
// deleting after every backup leaves the same set as one run at the end:
// Expired never deletes what a later run would have kept.
func TestExpiredIncremental(t *testing.T) {
	policies := []Policy{DefaultPolicy(), {All: 10 * time.Minute, Hourly: 3 * time.Hour, Daily: 50 * time.Hour}}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		p := policies[seed%uint64(len(policies))]
		now := utcTime(t, "2026-11-16T00:00:00Z")
		var kept, all []time.Time
		for range 1500 {
			// Mostly every few minutes, sometimes an outage of up to 3 days.
			step := time.Duration(1+rng.IntN(15)) * time.Minute
			if rng.IntN(200) == 0 {
				step = time.Duration(rng.IntN(72*60)) * time.Minute
			}
			now = now.Add(step + time.Duration(rng.IntN(60))*time.Second)
			kept = append(kept, now)
			all = append(all, now)
			for _, e := range p.Expired(now, kept) {
				kept = slices.DeleteFunc(kept, e.Equal)
			}
		}
		expired := p.Expired(now, all)
		want := slices.DeleteFunc(slices.Clone(all), func(b time.Time) bool { return slices.ContainsFunc(expired, b.Equal) })
		if len(want) >= len(all)/2 {
			t.Errorf("seed %d, %+v: %d of %d backups kept, want the policy to thin them out", seed, p, len(want), len(all))
		}
		if !slices.EqualFunc(kept, want, time.Time.Equal) {
			t.Errorf("seed %d, %+v: deleting as it goes keeps %d backups, one run at the end keeps %d", seed, p, len(kept), len(want))
		}
	}
}
