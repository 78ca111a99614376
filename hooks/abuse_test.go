package hooks

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
)

func TestParseRateAndLimitsFromEnv(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want Rate
		bad  bool
	}{
		{"10/10m", Rate{10, 10 * time.Minute}, false},
		{"60/1m", Rate{60, time.Minute}, false},
		{"off", Rate{}, false},
		{"0", Rate{}, false},
		{"10", Rate{}, true},
		{"x/1m", Rate{}, true},
		{"5/-1s", Rate{}, true},
		{"-5/1m", Rate{}, true},
	} {
		got, err := ParseRate(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.bad)
		}
	}
	env := map[string]string{}
	l, err := LimitsFromEnv(func(k string) string { return env[k] })
	if err != nil || l.Booking != (Rate{10, 10 * time.Minute}) || l.BookingsPerEmail != 10 || l.FormMinFill != 3*time.Second {
		t.Errorf("defaults = %+v, %v", l, err)
	}
	env["RESERVA_BOOKINGS_PER_EMAIL"] = "many"
	if _, err := LimitsFromEnv(func(k string) string { return env[k] }); err == nil || !strings.HasPrefix(err.Error(), "RESERVA_BOOKINGS_PER_EMAIL:") {
		t.Errorf("bad cap: error %v, want one naming the variable", err)
	}
}

func TestLimiterAllowsBurstThenPaces(t *testing.T) {
	t.Parallel()
	l := newLimiter(Rate{N: 3, Per: time.Minute})
	now := testNow
	for i := range 3 {
		if ok, _ := l.allow("a", now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("a", now)
	if ok || wait != 20*time.Second {
		t.Fatalf("4th request: ok %v wait %v, want refused for 20s", ok, wait)
	}
	if ok, _ := l.allow("b", now); !ok {
		t.Errorf("another client was refused")
	}
	if ok, _ := l.allow("a", now.Add(20*time.Second)); !ok {
		t.Errorf("refused after waiting the announced time")
	}
}

func TestRateLimitAnswers429ThenRecovers(t *testing.T) {
	t.Parallel()
	s := newServerWith(t, Limits{Booking: Rate{N: 2, Per: time.Minute}, Pages: Rate{N: 3, Per: time.Minute}})
	for i := range 3 {
		if res := s.get(t, "/book/dinner?date=2026-11-27"); res.status != http.StatusOK {
			t.Fatalf("page %d = %d", i+1, res.status)
		}
	}
	res := s.get(t, "/book/dinner?date=2026-11-27")
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "20" {
		t.Fatalf("4th page = %d, Retry-After %q; want 429 and 20", res.status, res.header.Get("Retry-After"))
	}
	mustContain(t, "429 page", res.body, "Too many requests", "Please wait 20 seconds and try again.")
	api := s.get(t, "/api/reserva/availability?offering=dinner&date=2026-11-27")
	if api.status != http.StatusTooManyRequests || !strings.Contains(api.body, `"status":429`) {
		t.Errorf("API over the limit = %d %s", api.status, api.body)
	}
	// Other pages are not limited; a client behind another address is not affected.
	if res := s.get(t, "/"); res.status != http.StatusOK {
		t.Errorf("home = %d", res.status)
	}
	s.now = s.now.Add(20 * time.Second)
	if res := s.get(t, "/book/dinner?date=2026-11-27"); res.status != http.StatusOK {
		t.Errorf("after waiting = %d, want 200", res.status)
	}

	s.book(t, "2026-11-27T19:00", "2")
	s.book(t, "2026-11-27T19:00", "2")
	res = s.post(t, "/book/dinner", bookingForm("2026-11-27T19:00", "2"))
	if res.status != http.StatusTooManyRequests {
		t.Errorf("3rd post in a minute = %d, want 429", res.status)
	}
	if n := s.count(t, "bookings", dbx.NewExp("1=1")); n != 2 {
		t.Errorf("bookings = %d, want 2", n)
	}
}

var stampField = regexp.MustCompile(`name="t" value="([^"]+)"`)

func TestBookingFormRefusesBots(t *testing.T) {
	t.Parallel()
	s := newServerWith(t, Limits{FormMinFill: 3 * time.Second})
	page := s.get(t, "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00")
	m := stampField.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no form stamp in the page")
	}
	mustContain(t, "form", page.body, `name="website"`, `class="hp" aria-hidden="true"`, `tabindex="-1"`)
	form := bookingForm("2026-11-27T19:00", "2")

	// No stamp, a forged one, one sent back at once: refused, nothing stored, details kept.
	for name, stamp := range map[string]string{"none": "", "forged": "1795000000.00", "too fast": m[1]} {
		form.Set("t", stamp)
		res := s.post(t, "/book/dinner", form)
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", name, res.status)
		}
		mustContain(t, name, res.body, "send the form again", `value="Ada Lovelace"`)
	}
	// The honeypot filled in, even late: refused.
	s.now = s.now.Add(time.Minute)
	form.Set("t", m[1])
	form.Set("website", "http://spam.example")
	if res := s.post(t, "/book/dinner", form); res.status != http.StatusUnprocessableEntity {
		t.Errorf("honeypot: status %d, want 422", res.status)
	}
	if n := s.count(t, "bookings", dbx.NewExp("1=1")); n != 0 {
		t.Fatalf("bookings = %d, want 0", n)
	}
	// A person, a minute later, with the honeypot empty: booked.
	form.Del("website")
	if res := s.post(t, "/book/dinner", form); res.status != http.StatusSeeOther {
		t.Errorf("person: status %d, want 303\n%s", res.status, res.body)
	}
}

func TestBookingsPerEmailPerDay(t *testing.T) {
	t.Parallel()
	s := newServerWith(t, Limits{BookingsPerEmail: 2})
	s.book(t, "2026-11-27T19:00", "2")
	s.book(t, "2026-11-28T19:00", "2")
	form := bookingForm("2026-11-29T19:00", "2")
	form.Set("email", "ADA@example.com")
	res := s.post(t, "/book/dinner", form)
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("third booking of the day = %d, want 429", res.status)
	}
	mustContain(t, "cap", res.body, "as many bookings today as we accept online")
	form.Set("email", "grace@example.com")
	if res := s.post(t, "/book/dinner", form); res.status != http.StatusSeeOther {
		t.Errorf("another address = %d, want 303", res.status)
	}
}

func TestCORSIsClosedExceptAvailability(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	origin := []string{"Origin", "https://elsewhere.example"}
	for _, target := range []string{"/", "/book/dinner", "/api/collections/bookings/records", "/api/health"} {
		res := s.do(t, http.MethodGet, target, nil, origin...)
		if acao := res.header.Get("Access-Control-Allow-Origin"); acao != "" {
			t.Errorf("GET %s from another origin: Access-Control-Allow-Origin %q", target, acao)
		}
	}
	res := s.do(t, http.MethodGet, "/api/reserva/availability?offering=dinner&date=2026-11-27", nil, origin...)
	if acao := res.header.Get("Access-Control-Allow-Origin"); acao != "*" {
		t.Errorf("availability: Access-Control-Allow-Origin %q, want *", acao)
	}
	if res.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("availability allows credentials")
	}
}

func TestSuperuserNetworks(t *testing.T) {
	t.Parallel()
	nets, err := ParseNets("203.0.113.7, 10.0.0.0/8,2001:db8::/32")
	if err != nil || len(nets) != 3 {
		t.Fatalf("ParseNets = %v, %v", nets, err)
	}
	if _, err := ParseNets("10.0.0.0/8, intranet"); err == nil {
		t.Errorf("ParseNets accepted a name")
	}
	s := newServerWith(t, Limits{SuperuserNets: nets})
	for _, tc := range []struct {
		path, from string
		want       int
	}{
		{"/_/", "192.0.2.1:1234", http.StatusForbidden},
		{"/api/collections/_superusers/auth-methods", "192.0.2.1:1234", http.StatusForbidden},
		{"/api/collections/_superusers/auth-methods", "10.1.2.3:1234", http.StatusOK},
		{"/api/collections/_superusers/auth-methods", "203.0.113.7:1234", http.StatusOK},
		{"/api/collections/_superusers/auth-methods", "[2001:db8::1]:1234", http.StatusOK},
		{"/api/health", "192.0.2.1:1234", http.StatusOK},
		{"/api/reserva/availability?offering=dinner&date=2026-11-27", "192.0.2.1:1234", http.StatusOK},
		{"/", "192.0.2.1:1234", http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.RemoteAddr = tc.from
		rec := httptest.NewRecorder()
		s.mux.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("GET %s from %s = %d, want %d", tc.path, tc.from, rec.Code, tc.want)
		}
	}
}
