package hooks

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reserva/internal/booking"
	"reserva/internal/store"

	"github.com/pocketbase/pocketbase/core"
)

// busyDay adds an offering "busy" (capacity 1000 people, 15-minute starts, 17:00-23:00 every
// day) and fills Friday 27 November 2026 with n bookings spread over the evening.
func busyDay(tb testing.TB, s *testServer, n int) {
	tb.Helper()
	off := s.addOffering(tb, store.Offering{Name: "Busy", Slug: "busy", Kind: booking.KindSlot, Duration: 120, Interval: 15,
		Capacity: 1000, Mode: booking.ModePeople, MinParty: 1, MaxParty: 8, Horizon: 90, Active: true}, "17:00", "23:00")
	evening := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC) // 17:00 in Berlin
	err := s.app.RunInTransaction(func(tx core.App) error {
		for i := range n {
			start := evening.Add(time.Duration(i%17) * 15 * time.Minute)
			_, err := store.InsertBooking(tx, store.NewBooking{Offering: off.ID, Party: 1 + i%4, Status: booking.StatusConfirmed,
				Slot: booking.Slot{Start: start, End: start.Add(2 * time.Hour)}, Source: store.SourceWeb, Name: "Guest",
				Email: fmt.Sprintf("guest%d@example.com", i), NoticeVersion: 1, Now: s.now})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkAvailabilityBusyDay serves the booking page and the JSON availability of a day with
// 300 bookings, through the full router (middlewares, queries, rules, rendering).
func BenchmarkAvailabilityBusyDay(b *testing.B) {
	s := newServer(b)
	busyDay(b, s, 300)
	for _, target := range []string{
		"/book/busy?date=2026-11-27&party=2",
		"/api/reserva/availability?offering=busy&date=2026-11-27&party=2",
	} {
		b.Run(strings.SplitN(target, "?", 2)[0], func(b *testing.B) {
			if res := s.get(b, target); res.status != http.StatusOK || !strings.Contains(res.body, "2026-11-27T21:00") {
				b.Fatalf("GET %s = %d", target, res.status)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, target, nil)
					rec := httptest.NewRecorder()
					s.mux.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Errorf("status %d", rec.Code)
					}
				}
			})
		})
	}
}

// BenchmarkBookContended books one time of one offering from many goroutines at once: every
// booking takes the write transaction (capacity check and insert). It reports bookings/s.
func BenchmarkBookContended(b *testing.B) {
	s := newServer(b)
	busyDay(b, s, 0)
	// Room for every booking the benchmark makes: the check still reads every row of the time.
	if _, err := s.app.DB().NewQuery("UPDATE offerings SET capacity = 100000000 WHERE slug = 'busy'").Execute(); err != nil {
		b.Fatal(err)
	}
	body := bookingForm("2026-11-27T19:00", "2").Encode()
	var booked atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/book/busy", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			s.mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				b.Errorf("status %d: %.300s", rec.Code, rec.Body.String())
				return
			}
			booked.Add(1)
		}
	})
	b.ReportMetric(float64(booked.Load())/time.Since(start).Seconds(), "bookings/s")
}

// BenchmarkStaffPagesBusyDay serves the staff pages of a day with 300 bookings, signed in:
// each request finds the session, checks the role, reads the day and writes its audit entry.
// The visitor's booking page of the same day runs in the same benchmark as the yardstick.
func BenchmarkStaffPagesBusyDay(b *testing.B) {
	s := newServer(b)
	s.now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	busyDay(b, s, 300)
	cookie, _ := s.signedIn(b, "manager")
	for _, target := range []string{
		"/book/busy?date=2026-11-27&party=2",
		"/admin/?date=2026-11-27",
		"/admin/bookings?from=2026-11-27&to=2026-11-27",
		"/admin/export?from=2026-11-27&to=2026-11-27",
	} {
		b.Run(strings.SplitN(target, "?", 2)[0], func(b *testing.B) {
			if res := s.as(b, cookie, http.MethodGet, target, nil); res.status != http.StatusOK {
				b.Fatalf("GET %s = %d", target, res.status)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, target, nil)
					req.Header.Set("Cookie", cookie)
					rec := httptest.NewRecorder()
					s.mux.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Errorf("status %d", rec.Code)
					}
				}
			})
		})
	}
}
