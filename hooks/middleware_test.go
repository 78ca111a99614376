package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tok := strings.Repeat("x", 43)
	tests := []struct{ in, want string }{
		{"/b/" + tok, "/b/%7Btoken%7D"},
		{"/b/" + tok + "/cancel", "/b/%7Btoken%7D/cancel"},
		{"/b/" + tok + "/calendar.ics?x=1", "/b/%7Btoken%7D/calendar.ics?x=redacted"},
		{"/book/dinner?date=2026-11-27&party=2", "/book/dinner?date=2026-11-27&party=2"},
		{"/book/dinner?email=ada%40example.com&date=2026-11-27", "/book/dinner?date=2026-11-27&email=redacted"},
		{"https://u:p@example.com/b/" + tok + "#frag", "https://example.com/b/%7Btoken%7D"},
		{"/", "/"},
		{"/b/", "/b/"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := redactURL(u, "").String(); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRequestLogHoldsNoTokenOrEmail makes requests that PocketBase writes to its request log
// (form posts, errors), with the token in the path, the Referer and the query, then reads the
// log table itself.
func TestRequestLogHoldsNoTokenOrEmail(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.app.Settings().Logs.MaxDays = 7
	token := s.book(t, "2026-11-27T19:00", "2")
	other := s.book(t, "2026-11-28T19:00", "2")
	unknown := strings.Repeat("Q", 43)

	s.do(t, http.MethodGet, "/static/style.css", nil, "Referer", "https://reserva.test/b/"+token)
	s.get(t, "/b/"+unknown)                                       // 404: logged
	s.get(t, "/b/"+token+"/nothing-here?email=ada%40example.com") // 404: logged
	s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-28T20:00"}, "party": {"2"}})
	s.post(t, "/b/"+other+"/cancel", url.Values{})
	s.do(t, http.MethodPost, "/book/dinner?email=ada%40example.com", bookingForm("2026-11-27T20:00", "2"),
		"Referer", "https://reserva.test/b/"+other+"/change")

	log, n := s.appLog(t, 7)
	if n < 7 {
		t.Fatalf("request log has %d entries, want at least 7:\n%s", n, log)
	}
	mustNotContain(t, "request log", log, token, other, unknown, "ada@example.com", "ada%40example.com", "Ada Lovelace")
	mustContain(t, "request log", log, "/b/{token}/change", "/b/{token}/cancel", "/b/%7Btoken%7D", "email=redacted")
}
