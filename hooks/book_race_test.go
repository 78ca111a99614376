package hooks

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pocketbase/dbx"

	"reserva/internal/store"
)

// TestConcurrentBookingsNeverExceedCapacity fires many simultaneous bookings at one time:
// exactly as many as fit succeed, every other one gets the "just taken" page, and the stored
// rows agree.
func TestConcurrentBookingsNeverExceedCapacity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		slug     string
		start    func(s *testServer) string
		party    int
		capacity int // people
		requests int
		pacing   int // covers per quarter hour set on the offering (0: none)
	}{
		{"dinner for one, 40 seats", "dinner", func(*testServer) string { return "2026-11-27T19:00" }, 1, 40, 240, 0},
		{"dinner for three, 40 seats", "dinner", func(*testServer) string { return "2026-11-27T19:00" }, 3, 40, 200, 0},
		{"pottery for two, 12 seats", "pottery", firstSession, 2, 12, 200, 0},
		{"dinner for two, 40 seats paced at 10 covers", "dinner", func(*testServer) string { return "2026-11-27T19:00" }, 2, 10, 200, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			if tt.pacing > 0 {
				o := s.offering(t, tt.slug)
				o.Pacing = tt.pacing
				if _, err := store.SaveOffering(s.app, *o); err != nil {
					t.Fatal(err)
				}
			}
			srv := httptest.NewServer(s.mux)
			defer srv.Close()
			client := srv.Client()
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = tt.requests
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

			start := tt.start(s)
			form := bookingForm(start, "1")
			form.Set("party", strconv.Itoa(tt.party))
			body := form.Encode()

			var (
				wg      sync.WaitGroup
				ready   = make(chan struct{})
				mu      sync.Mutex
				counts  = map[int]int{}
				badBody int
			)
			for range tt.requests {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-ready
					res, err := client.Post(srv.URL+"/book/"+tt.slug, "application/x-www-form-urlencoded", strings.NewReader(body))
					if err != nil {
						t.Error(err)
						return
					}
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					mu.Lock()
					defer mu.Unlock()
					counts[res.StatusCode]++
					if res.StatusCode == http.StatusConflict && !strings.Contains(string(b), "just taken") {
						badBody++
					}
				}()
			}
			close(ready)
			wg.Wait()

			want := tt.capacity / tt.party
			if counts[http.StatusSeeOther] != want || counts[http.StatusConflict] != tt.requests-want {
				t.Errorf("statuses = %v, want %d × 303 and %d × 409", counts, want, tt.requests-want)
			}
			if badBody > 0 {
				t.Errorf("%d conflicts without the just-taken page", badBody)
			}
			var stored struct {
				N     int `db:"n"`
				Seats int `db:"seats"`
			}
			err := s.app.DB().NewQuery("SELECT count(*) AS n, coalesce(sum(party), 0) AS seats FROM bookings WHERE status = 'confirmed'").One(&stored)
			if err != nil {
				t.Fatal(err)
			}
			if stored.N != want || stored.Seats > tt.capacity {
				t.Errorf("stored %d bookings with %d seats, want %d bookings within %d seats", stored.N, stored.Seats, want, tt.capacity)
			}
			var refs int
			if err := s.app.DB().Select("count(DISTINCT reference)").From("bookings").Row(&refs); err != nil || refs != want {
				t.Errorf("distinct references = %d (%v), want %d", refs, err, want)
			}
		})
	}
}

func firstSession(s *testServer) string {
	var id string
	_ = s.app.DB().Select("id").From("sessions").Where(dbx.NewExp("1=1")).OrderBy("start").Limit(1).Row(&id)
	return id
}
