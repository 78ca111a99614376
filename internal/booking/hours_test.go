package booking

import (
	"slices"
	"testing"
	"time"
)

func TestMergeHours(t *testing.T) {
	h := func(wd time.Weekday, open, close string) Hours {
		t.Helper()
		o, err1 := ParseClock(open)
		c, err2 := ParseClock(close)
		if err1 != nil || err2 != nil {
			t.Fatalf("clock %s–%s", open, close)
		}
		return Hours{Weekday: wd, Open: o, Close: c}
	}
	tests := []struct {
		name string
		in   []Hours
		want []Hours
	}{
		{"none", nil, []Hours{}},
		{"sorted by weekday and time", []Hours{h(time.Friday, "18:00", "23:00"), h(time.Monday, "18:00", "22:00"), h(time.Monday, "12:00", "14:30")},
			[]Hours{h(time.Monday, "12:00", "14:30"), h(time.Monday, "18:00", "22:00"), h(time.Friday, "18:00", "23:00")}},
		{"overlapping joined", []Hours{h(time.Tuesday, "14:00", "18:00"), h(time.Tuesday, "12:00", "15:00")},
			[]Hours{h(time.Tuesday, "12:00", "18:00")}},
		{"touching joined", []Hours{h(time.Tuesday, "12:00", "14:00"), h(time.Tuesday, "14:00", "16:00")},
			[]Hours{h(time.Tuesday, "12:00", "16:00")}},
		{"inside another", []Hours{h(time.Tuesday, "12:00", "23:00"), h(time.Tuesday, "13:00", "14:00")},
			[]Hours{h(time.Tuesday, "12:00", "23:00")}},
		{"past midnight stays on its day", []Hours{h(time.Friday, "18:00", "25:00"), h(time.Saturday, "00:00", "02:00")},
			[]Hours{h(time.Friday, "18:00", "25:00"), h(time.Saturday, "00:00", "02:00")}},
		{"same times of two offerings", []Hours{h(time.Sunday, "10:00", "16:00"), h(time.Sunday, "10:00", "16:00")},
			[]Hours{h(time.Sunday, "10:00", "16:00")}},
		{"invalid left out", []Hours{h(time.Monday, "18:00", "17:00"), {Weekday: 9, Open: 60, Close: 120}, h(time.Monday, "09:00", "10:00")},
			[]Hours{h(time.Monday, "09:00", "10:00")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			if got := MergeHours(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("MergeHours(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("MergeHours changed its argument: %v, was %v", tt.in, in)
			}
		})
	}
}
