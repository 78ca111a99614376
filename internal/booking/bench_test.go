package booking

import (
	"fmt"
	"testing"
	"time"
)

// busyDay returns a restaurant (capacity 40, 2 h tables every 15 min,
// 17:00-23:00 every day) and n reservations spread over the evening of
// Friday 2026-06-19 in Berlin.
func busyDay(tb testing.TB, n int) (Offering, Calendar, *time.Location) {
	loc := mustLoc(tb, "Europe/Berlin")
	o := Offering{Duration: 2 * time.Hour, Interval: 15 * time.Minute, Capacity: 40, Mode: ModePeople,
		MaxParty: 8, BufferAfter: 15 * time.Minute, LeadTime: time.Hour}
	cal := Calendar{Hours: weekly(17*60, 23*60, time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday)}
	opening := time.Date(2026, time.June, 19, 17, 0, 0, 0, loc)
	seed := uint32(1)
	for i := range n {
		seed = seed*1664525 + 1013904223 // a fixed pseudo-random sequence
		start := opening.Add(time.Duration(seed>>8%17) * 15 * time.Minute)
		cal.Reservations = append(cal.Reservations, Reservation{
			ID: fmt.Sprintf("r%d", i), Start: start, End: start.Add(o.Duration), Party: 1 + int(seed>>16%4),
		})
	}
	return o, cal, loc
}

func BenchmarkSlotsBusyDay(b *testing.B) {
	o, cal, loc := busyDay(b, 300)
	d := mustDate(b, "2026-06-19")
	now := time.Date(2026, time.June, 18, 12, 0, 0, 0, loc)
	if got := len(o.Slots(cal, d, now, loc)); got != 17 {
		b.Fatalf("Slots lists %d starts, want 17", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		o.Slots(cal, d, now, loc)
	}
}

func BenchmarkCheckContended(b *testing.B) {
	o, cal, loc := busyDay(b, 300)
	o.Capacity = 1000 // many reservations overlap 19:00, but it still fits
	now := time.Date(2026, time.June, 18, 12, 0, 0, 0, loc)
	r := Request{Start: "2026-06-19T19:00", Party: 4, Ignore: "r7"}
	if _, err := o.Check(cal, r, now, loc); err != nil {
		b.Fatalf("Check(%+v) = %v", r, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		o.Check(cal, r, now, loc)
	}
}

func BenchmarkResolve(b *testing.B) {
	loc := mustLoc(b, "Europe/Berlin")
	d := mustDate(b, "2026-10-25")
	b.ReportAllocs()
	for b.Loop() {
		Resolve(d, 2*60+30, loc)
	}
}
