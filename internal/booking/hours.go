package booking

import (
	"cmp"
	"slices"
)

// MergeHours returns the valid rules of hs as one week's opening times, as a venue's front
// page lists them: sorted by weekday and opening time, with the rules of one weekday that
// overlap or touch (12:00–15:00 and 14:00–18:00, or 12:00–14:00 and 14:00–16:00) joined into
// one. A rule that runs past midnight stays on the weekday it opens on. Invalid rules are
// left out; hs is not changed.
func MergeHours(hs []Hours) []Hours {
	out := make([]Hours, 0, len(hs))
	for _, h := range hs {
		if h.Valid() {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b Hours) int {
		return cmp.Or(cmp.Compare(a.Weekday, b.Weekday), cmp.Compare(a.Open, b.Open), cmp.Compare(a.Close, b.Close))
	})
	merged := out[:0]
	for _, h := range out {
		if n := len(merged); n > 0 && merged[n-1].Weekday == h.Weekday && h.Open <= merged[n-1].Close {
			merged[n-1].Close = max(merged[n-1].Close, h.Close)
			continue
		}
		merged = append(merged, h)
	}
	return merged
}
