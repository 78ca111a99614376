package booking

import (
	"errors"
	"testing"
	"time"
)

// mustDate parses s with ParseDate or stops the test.
func mustDate(tb testing.TB, s string) Date {
	tb.Helper()
	d, err := ParseDate(s)
	if err != nil {
		tb.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{in: "2026-06-15", want: Date{2026, time.June, 15}},
		{in: "1900-01-01", want: Date{1900, time.January, 1}},
		{in: "9999-12-31", want: Date{9999, time.December, 31}},
		{in: "2024-02-29", want: Date{2024, time.February, 29}},
		{in: "2000-02-29", want: Date{2000, time.February, 29}},
		{in: "1900-02-29", wantErr: true},
		{in: "2026-02-29", wantErr: true},
		{in: "2026-02-30", wantErr: true},
		{in: "2026-04-31", wantErr: true},
		{in: "2026-00-10", wantErr: true},
		{in: "2026-13-01", wantErr: true},
		{in: "2026-01-00", wantErr: true},
		{in: "1899-12-31", wantErr: true},
		{in: "0000-01-01", wantErr: true},
		{in: "2026-6-15", wantErr: true},
		{in: "2026-06-5", wantErr: true},
		{in: "2026-06-15 ", wantErr: true},
		{in: " 2026-06-15", wantErr: true},
		{in: "2026-06-15x", wantErr: true},
		{in: "2026-06-15T10:00", wantErr: true},
		{in: "2026/06/15", wantErr: true},
		{in: "+026-06-15", wantErr: true},
		{in: "2026-+6-15", wantErr: true},
		{in: "2026-06--5", wantErr: true},
		{in: "20260615", wantErr: true},
		{in: "２０２６-06-15", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidDate) {
					t.Errorf("ParseDate(%q) = %v, %v; want error wrapping ErrInvalidDate", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseDate(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("ParseDate(%q).String() = %q, want the input back", tt.in, got.String())
			}
		})
	}
}

func TestDateOf(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	sydney := mustLoc(t, "Australia/Sydney")
	instant := time.Date(2026, time.June, 15, 22, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		loc  *time.Location
		want Date
	}{
		{"utc", time.UTC, Date{2026, time.June, 15}},
		{"nil is utc", nil, Date{2026, time.June, 15}},
		{"berlin is past midnight", berlin, Date{2026, time.June, 16}},
		{"sydney is next morning", sydney, Date{2026, time.June, 16}},
		{"new york is same evening", mustLoc(t, "America/New_York"), Date{2026, time.June, 15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DateOf(instant, tt.loc); got != tt.want {
				t.Errorf("DateOf(%v, %v) = %v, want %v", instant, tt.loc, got, tt.want)
			}
		})
	}
}

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		date        string
		days        int
		wantAdded   string
		wantWeekday time.Weekday
	}{
		{"2026-06-15", 0, "2026-06-15", time.Monday},
		{"2026-06-15", 1, "2026-06-16", time.Monday},
		{"2026-06-15", -15, "2026-05-31", time.Monday},
		{"2026-12-31", 1, "2027-01-01", time.Thursday},
		{"2024-02-28", 1, "2024-02-29", time.Wednesday},
		{"2026-03-28", 1, "2026-03-29", time.Saturday},
		{"2026-10-25", 365, "2027-10-25", time.Sunday},
	}
	for _, tt := range tests {
		d := mustDate(t, tt.date)
		if got := d.AddDays(tt.days).String(); got != tt.wantAdded {
			t.Errorf("%s.AddDays(%d) = %s, want %s", tt.date, tt.days, got, tt.wantAdded)
		}
		if got := d.Weekday(); got != tt.wantWeekday {
			t.Errorf("%s.Weekday() = %v, want %v", tt.date, got, tt.wantWeekday)
		}
	}
}

func TestDateCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2026-06-15", "2026-06-15", 0},
		{"2026-06-14", "2026-06-15", -1},
		{"2026-06-16", "2026-06-15", 1},
		{"2026-05-31", "2026-06-01", -1},
		{"2027-01-01", "2026-12-31", 1},
		{"2025-12-31", "2026-01-01", -1},
	}
	for _, tt := range tests {
		if got := mustDate(t, tt.a).Compare(mustDate(t, tt.b)); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestDateIsZero(t *testing.T) {
	tests := []struct {
		d    Date
		want bool
	}{
		{Date{}, true},
		{Date{2026, time.June, 15}, false},
		{Date{Year: 2026}, false},
	}
	for _, tt := range tests {
		if got := tt.d.IsZero(); got != tt.want {
			t.Errorf("%#v.IsZero() = %v, want %v", tt.d, got, tt.want)
		}
	}
}
