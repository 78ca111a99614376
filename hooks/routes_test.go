package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"reserva/internal/store"

	"github.com/pocketbase/dbx"
)

// TestPublicRoutesNeverFailWithServerErrors walks every public route with malformed paths,
// queries, bodies and methods: each answer is below 500 and shows no internals.
func TestPublicRoutesNeverFailWithServerErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")

	ids := []string{
		token, strings.Repeat("A", 43), "x", "%00", "%FF%FE", "..%2F..%2Fetc%2Fpasswd", "%E2%80%AE",
		strings.Repeat("z", 5000), "dinner", "pottery", "<script>", "'%20OR%201=1--",
	}
	queries := []string{
		"", "?date=", "?date=2026-13-45", "?date=0000-01-01", "?date=9999-12-31", "?date=-1", "?date=2026-11-27T19:00",
		"?date=%00", "?date=" + strings.Repeat("9", 3000), "?party=-5", "?party=0", "?party=1e9",
		"?party=99999999999999999999999", "?party=NaN", "?party=%FF", "?start=%00", "?start=2026-11-27T19:00&party=8",
		"?start=" + strings.Repeat("s", 500), "?date=2026-11-27&date=2026-11-28", "?m=%3Cscript%3E", "?offering=dinner&date=x&party=y",
		"?offering=%00", "?offering=dinner&date=2026-11-27&party=999",
	}
	pathTemplates := []string{"/", "/book/%s", "/b/%s", "/b/%s/change", "/b/%s/calendar.ics", "/b/%s/cancel",
		"/b/%s/texts/stop", "/privacy", "/.well-known/security.txt", "/static/%s", "/healthz", "/api/reserva/availability", "/feeds/%s.ics", "/feeds/%s", "/%s"}
	bodies := []struct {
		contentType, body string
	}{
		{"application/x-www-form-urlencoded", ""},
		{"application/x-www-form-urlencoded", "start=%ZZ&party=%%%"},
		{"application/x-www-form-urlencoded", "start=2026-11-27T19:00&party=2&name=%00&email=%FF&consent=yes"},
		{"application/x-www-form-urlencoded", "start=2026-11-27T19:00&start=2026-11-28T19:00&party=2&party=3&name=A&email=a@b.co&consent=yes&consent=no"},
		{"application/x-www-form-urlencoded", "party=1e400&start=" + strings.Repeat("9", 1000)},
		{"application/json", `{"start":"2026-11-27T19:00","party":2,"name":"A","email":"a@b.co","consent":"yes"}`},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"party\"\r\n\r\n2\r\n--x--\r\n"},
		{"multipart/form-data", "garbage"},
		{"text/plain", "\x00\x01\x02\xff"},
		{"", strings.Repeat("&", 3000)},
	}

	requests := 0
	check := func(method, target string, res response) {
		t.Helper()
		requests++
		if res.status >= 500 {
			t.Errorf("%s %s = %d\n%.400s", method, target, res.status, res.body)
		}
		lower := strings.ToLower(res.body)
		for _, leak := range []string{"goroutine ", "panic", ".go:", "runtime error", "sql:", "sqlite", "⟦", "%!"} {
			if strings.Contains(lower, leak) {
				t.Errorf("%s %s shows %q:\n%.400s", method, target, leak, res.body)
			}
		}
	}
	for _, tmpl := range pathTemplates {
		for _, id := range ids {
			path := tmpl
			if strings.Contains(tmpl, "%s") {
				path = strings.Replace(tmpl, "%s", id, 1)
			} else if id != ids[0] {
				continue
			}
			for _, q := range queries {
				target := path + q
				if _, err := url.ParseRequestURI(target); err != nil {
					continue
				}
				check(http.MethodGet, target, s.get(t, target))
				check(http.MethodHead, target, s.do(t, http.MethodHead, target, nil))
			}
			for _, b := range bodies {
				for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
					if method != http.MethodPost && b.body != bodies[0].body {
						continue
					}
					check(method, path, s.doBody(t, method, path, b.contentType, b.body))
				}
			}
		}
	}
	t.Logf("%d requests", requests)
	// Some garbage is a valid booking after all (repeated fields take the first value); what
	// was stored is whole.
	var recs []*store.Booking
	if err := s.app.DB().NewQuery("SELECT * FROM bookings").All(&recs); err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		for f, v := range map[string]string{"reference": rec.Reference, "name": rec.Name, "email": rec.Email, "start": rec.Start.String(),
			"end": rec.End.String(), "customer": rec.Customer, "consent_at": rec.ConsentAt.String()} {
			if v == "" {
				t.Errorf("booking %s stored without %s", rec.ID, f)
			}
		}
		// The manage link of the booking's answer (its confirmation mail carries the same one).
		if n := s.count(t, "booking_tokens", dbx.HashExp{"booking": rec.ID}); n < 1 {
			t.Errorf("booking %s has %d manage tokens, want at least 1", rec.ID, n)
		}
		if n := s.count(t, "outbox", dbx.HashExp{"booking": rec.ID, "kind": "confirmation"}); n != 1 {
			t.Errorf("booking %s has %d confirmation mails, want 1", rec.ID, n)
		}
	}
}

// TestWithoutVenue: before a venue exists every page says so calmly (503), the health check
// still answers, and nothing fails.
func TestWithoutVenue(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if _, err := s.app.DB().NewQuery("DELETE FROM venue").Execute(); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/", "/book/dinner", "/privacy", "/.well-known/security.txt"} {
		res := s.get(t, target)
		if res.status != http.StatusServiceUnavailable {
			t.Errorf("GET %s without a venue = %d, want 503", target, res.status)
		}
		mustContain(t, target, res.body, "not been set up yet")
	}
	if res := s.get(t, "/api/reserva/availability?offering=dinner&date=2026-11-27"); res.status != http.StatusServiceUnavailable {
		t.Errorf("availability without a venue = %d, want 503", res.status)
	}
	if res := s.get(t, "/healthz"); res.status != http.StatusOK {
		t.Errorf("healthz without a venue = %d, want 200", res.status)
	}
}

func TestSecurityTxtAndHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	res := s.get(t, "/.well-known/security.txt")
	if res.status != http.StatusOK {
		t.Fatalf("security.txt = %d", res.status)
	}
	mustContain(t, "security.txt", res.body, "Contact: mailto:hello@demo.invalid\n", "Expires: 2027-11-24T09:00:00Z\n")
	token := s.book(t, "2026-11-27T19:00", "2")
	bad := bookingForm("2026-11-27T19:00", "2")
	bad.Del("consent")
	pages := map[string]response{
		"home":          s.get(t, "/"),
		"booking page":  s.get(t, "/book/dinner?date=2026-11-27"),
		"booking form":  s.get(t, "/book/dinner?date=2026-11-27&start=2026-11-27T19:00"),
		"422 form":      s.post(t, "/book/dinner", bad),
		"manage":        s.get(t, "/b/"+token),
		"change":        s.get(t, "/b/"+token+"/change"),
		"calendar file": s.get(t, "/b/"+token+"/calendar.ics"),
		"privacy":       s.get(t, "/privacy"),
		"404":           s.get(t, "/no/such/page"),
		"booking 404":   s.get(t, "/b/"+strings.Repeat("A", 43)),
		"403":           s.do(t, http.MethodPost, "/book/dinner", bad, "Sec-Fetch-Site", "cross-site"),
	}
	for name, page := range pages {
		for header, want := range map[string]string{
			"Referrer-Policy":        "no-referrer",
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Permissions-Policy":     "camera=(), microphone=(), geolocation=(), payment=()",
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
				"base-uri 'none'; frame-ancestors 'none'",
		} {
			if got := page.header.Get(header); got != want {
				t.Errorf("%s: %s = %q, want %q", name, header, got, want)
			}
		}
		if strings.Contains(page.body, "<script") || strings.Contains(page.body, "http://") || strings.Contains(page.body, "https://") {
			t.Errorf("%s: a script or an absolute (third-party) URL in the page", name)
		}
	}
	css := s.get(t, "/static/style.css")
	if css.status != http.StatusOK || css.header.Get("ETag") == "" {
		t.Fatalf("style.css = %d, ETag %q", css.status, css.header.Get("ETag"))
	}
	again := s.do(t, http.MethodGet, "/static/style.css", nil, "If-None-Match", css.header.Get("ETag"))
	if again.status != http.StatusNotModified {
		t.Errorf("style.css revalidation = %d, want 304", again.status)
	}
}

// TestStaffErrorPagesLeadBackToTheDashboard: an error on a staff page (here the identity
// provider's way back, none set up) leads to the dashboard's door; a visitor's error to the
// booking site's start page.
func TestStaffErrorPagesLeadBackToTheDashboard(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	staff := s.get(t, "/admin/oidc/callback?state=x&code=y")
	if staff.status != http.StatusNotFound {
		t.Fatalf("the provider's way back, none set up = %d", staff.status)
	}
	mustContain(t, "staff error", staff.body, `<a href="/admin/">Go to the staff dashboard</a>`)
	visitor := s.get(t, "/b/"+strings.Repeat("A", 43))
	mustContain(t, "visitor error", visitor.body, `<a href="/">Go to the start page</a>`)
	mustNotContain(t, "visitor error", visitor.body, "staff dashboard")
}
