package booking

import (
	"errors"
	"testing"
)

// mustClock parses s with ParseClock or stops the test.
func mustClock(tb testing.TB, s string) Clock {
	tb.Helper()
	c, err := ParseClock(s)
	if err != nil {
		tb.Fatalf("ParseClock(%q): %v", s, err)
	}
	return c
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in      string
		want    Clock
		wantErr bool
	}{
		{in: "00:00", want: 0},
		{in: "09:05", want: 9*60 + 5},
		{in: "17:30", want: 17*60 + 30},
		{in: "23:59", want: 23*60 + 59},
		{in: "24:00", want: 24 * 60},
		{in: "25:30", want: 25*60 + 30},
		{in: "47:59", want: 47*60 + 59},
		{in: "48:00", wantErr: true},
		{in: "99:00", wantErr: true},
		{in: "12:60", wantErr: true},
		{in: "9:00", wantErr: true},
		{in: "09:0", wantErr: true},
		{in: "0900", wantErr: true},
		{in: "09.00", wantErr: true},
		{in: "09:00 ", wantErr: true},
		{in: "09:00:00", wantErr: true},
		{in: "-1:00", wantErr: true},
		{in: "+9:00", wantErr: true},
		{in: "ab:cd", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseClock(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidClock) {
					t.Errorf("ParseClock(%q) = %v, %v; want error wrapping ErrInvalidClock", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseClock(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("ParseClock(%q).String() = %q, want the input back", tt.in, got.String())
			}
		})
	}
}

func TestClockString(t *testing.T) {
	tests := []struct {
		c    Clock
		want string
	}{
		{0, "00:00"},
		{61, "01:01"},
		{24*60 + 90, "25:30"},
		{-30, "-00:30"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Clock(%d).String() = %q, want %q", int(tt.c), got, tt.want)
		}
	}
}
