package backup

import (
	"fmt"
	"slices"
	"time"
)

// Policy says which backups to keep, by age relative to now. Each period
// counts back from now; a backup is kept if any rule keeps it:
//
//   - All: every backup newer than now-All;
//   - Hourly: the newest backup of each UTC clock hour, if newer than now-Hourly;
//   - Daily: the newest backup of each UTC calendar day, if newer than now-Daily;
//   - and always the newest backup of all, however old.
//
// "Newer than" is strict: a backup exactly at now-All is no longer kept by
// All. The newest backup of an hour or a day is the newest of all backups in
// it, including those All still keeps, so older backups of the current hour
// expire at once. Running Expired again later never wants back what it
// deleted before: an hour's newest backup stays its newest as it ages, and a
// day's newest is also the newest of its last hour.
type Policy struct {
	All    time.Duration
	Hourly time.Duration
	Daily  time.Duration
}

// DefaultPolicy returns Reserva's retention: every backup of the last hour,
// one an hour for 48 hours, one a day for 7 days.
func DefaultPolicy() Policy {
	return Policy{All: time.Hour, Hourly: 48 * time.Hour, Daily: 7 * 24 * time.Hour}
}

// Validate returns an error unless every period is positive and
// All <= Hourly <= Daily.
func (p Policy) Validate() error {
	switch {
	case p.All <= 0 || p.Hourly <= 0 || p.Daily <= 0:
		return fmt.Errorf("backup: retention policy (all %v, hourly %v, daily %v): every period must be positive", p.All, p.Hourly, p.Daily)
	case p.All > p.Hourly:
		return fmt.Errorf("backup: retention policy: all %v is longer than hourly %v", p.All, p.Hourly)
	case p.Hourly > p.Daily:
		return fmt.Errorf("backup: retention policy: hourly %v is longer than daily %v", p.Hourly, p.Daily)
	}
	return nil
}

// Expired returns the backups (by their times) that p no longer keeps at now:
// those to delete. backups may come in any order and hold duplicates;
// instants are compared with time.Time.Equal, whatever their location. The
// result holds values taken from backups, oldest first, each instant once, and
// is nil when nothing expires.
//
// Expired never returns the newest backup, so a venue always has one, and
// keeps backups dated after now (a clock that was ahead). For an invalid
// policy (Validate) it returns nil: a configuration mistake never deletes.
func (p Policy) Expired(now time.Time, backups []time.Time) []time.Time {
	if len(backups) == 0 || p.Validate() != nil {
		return nil
	}
	seen := make(map[time.Time]bool, len(backups))
	unique := make([]time.Time, 0, len(backups))
	for _, t := range backups {
		k := t.Round(0).UTC() // comparable with ==: no monotonic reading, one location
		if !seen[k] {
			seen[k] = true
			unique = append(unique, t)
		}
	}
	slices.SortFunc(unique, time.Time.Compare)

	// Ascending order: the last backup seen in a bucket is its newest.
	newestOfHour := make(map[time.Time]time.Time)
	newestOfDay := make(map[time.Time]time.Time)
	for _, t := range unique {
		newestOfHour[hourOf(t)] = t
		newestOfDay[dayOf(t)] = t
	}
	allFrom, hourlyFrom, dailyFrom := now.Add(-p.All), now.Add(-p.Hourly), now.Add(-p.Daily)
	var expired []time.Time
	for i, t := range unique {
		keep := i == len(unique)-1 ||
			t.After(allFrom) ||
			t.After(hourlyFrom) && newestOfHour[hourOf(t)].Equal(t) ||
			t.After(dailyFrom) && newestOfDay[dayOf(t)].Equal(t)
		if !keep {
			expired = append(expired, t)
		}
	}
	return expired
}

// hourOf returns the start of t's UTC clock hour.
func hourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// dayOf returns the start of t's UTC calendar day.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
