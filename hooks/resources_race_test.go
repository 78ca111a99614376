package hooks

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// TestConcurrentBookingsPerResourceKind fires many simultaneous bookings at one time of an
// offering served by a pool, per kind of resource: exactly as many succeed as the pool has
// free resources for the party (the 40 seats of capacity are never the limit), every other one
// is refused with 409, and no resource is held by two of the stored bookings.
func TestConcurrentBookingsPerResourceKind(t *testing.T) {
	t.Parallel()
	type res struct {
		kind     booking.ResourceKind
		name     string
		min, max int
	}
	tests := []struct {
		name     string
		pool     []res
		combo    []string // names of tables combined for 3-4 people
		party    int
		want     string // the name of the resource every request wants ("": any)
		requests int
		booked   int
	}{
		{"staff: anyone of three", []res{{booking.ResourceStaff, "Anna", 0, 0}, {booking.ResourceStaff, "Ben", 0, 0}, {booking.ResourceStaff, "Cleo", 0, 0}}, nil, 2, "", 150, 3},
		{"staff: everyone wants Ben", []res{{booking.ResourceStaff, "Anna", 0, 0}, {booking.ResourceStaff, "Ben", 0, 0}}, nil, 2, "Ben", 150, 1},
		{"rooms: anyone of two", []res{{booking.ResourceRoom, "Garden", 0, 0}, {booking.ResourceRoom, "Cellar", 0, 0}}, nil, 2, "", 150, 2},
		{"tables for two: three tables", []res{{booking.ResourceTable, "T2a", 1, 2}, {booking.ResourceTable, "T2b", 1, 2}, {booking.ResourceTable, "T4", 2, 4}}, []string{"T2a", "T2b"}, 2, "", 150, 3},
		{"tables for four: a table and a combination", []res{{booking.ResourceTable, "T2a", 1, 2}, {booking.ResourceTable, "T2b", 1, 2}, {booking.ResourceTable, "T4", 2, 4}}, []string{"T2a", "T2b"}, 4, "", 150, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			dinner := s.offering(t, "dinner").ID
			ids := map[string]string{}
			for _, r := range tt.pool {
				ids[r.name] = s.addResource(t, dinner, r.kind, r.name, r.min, r.max, "")
			}
			if tt.combo != nil {
				var tables []string
				for _, n := range tt.combo {
					tables = append(tables, ids[n])
				}
				if _, err := store.AddCombination(s.app, dinner, tables, 3, 4); err != nil {
					t.Fatal(err)
				}
			}
			srv := httptest.NewServer(s.mux)
			defer srv.Close()
			client := srv.Client()
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = tt.requests
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			form := bookingForm("2026-11-27T19:00", strconv.Itoa(tt.party))
			if tt.want != "" {
				form.Set("with", ids[tt.want])
			}
			body := form.Encode()
			var (
				wg     sync.WaitGroup
				ready  = make(chan struct{})
				mu     sync.Mutex
				counts = map[int]int{}
			)
			for range tt.requests {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-ready
					res, err := client.Post(srv.URL+"/book/dinner", "application/x-www-form-urlencoded", strings.NewReader(body))
					if err != nil {
						t.Error(err)
						return
					}
					res.Body.Close()
					mu.Lock()
					counts[res.StatusCode]++
					mu.Unlock()
				}()
			}
			close(ready)
			wg.Wait()
			if counts[http.StatusSeeOther] != tt.booked || counts[http.StatusConflict] != tt.requests-tt.booked {
				t.Errorf("statuses = %v, want %d × 303 and %d × 409", counts, tt.booked, tt.requests-tt.booked)
			}
			var stored []string
			if err := s.app.DB().NewQuery("SELECT resources FROM bookings WHERE status = 'confirmed'").Column(&stored); err != nil {
				t.Fatal(err)
			}
			if len(stored) != tt.booked {
				t.Fatalf("stored %d bookings, want %d", len(stored), tt.booked)
			}
			held := map[string]bool{}
			for _, r := range stored {
				if r == "" {
					t.Fatalf("a booking holds no resource: %v", stored)
				}
				for _, id := range strings.Fields(r) {
					if held[id] {
						t.Fatalf("resource %s is held twice at one time: %v", id, stored)
					}
					held[id] = true
				}
			}
			if tt.want != "" && (len(stored) != 1 || stored[0] != ids[tt.want]) {
				t.Errorf("wanted %s, stored %v", tt.want, stored)
			}
		})
	}
}
