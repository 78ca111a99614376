package hooks

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// TestShortPathAnswersAsTheChainDoes: a kept page or availability answer served ahead of the
// router carries the same status, body and headers as the full chain's answer (a fresh request
// id aside), with and without an Origin (CORS) and under TLS (HSTS).
func TestShortPathAnswersAsTheChainDoes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	send := func(target string, origin bool, tlsOn bool) (*httptest.ResponseRecorder, bool) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if origin {
			req.Header.Set("Origin", "https://other.example")
		}
		if tlsOn {
			req.TLS = &tls.ConnectionState{}
		}
		before := s.h.fastServed.Load()
		rec := httptest.NewRecorder()
		s.mux.ServeHTTP(rec, req)
		return rec, s.h.fastServed.Load() > before
	}
	for _, target := range []string{"/book/dinner?date=2026-11-27&party=2", "/api/reserva/availability?offering=dinner&date=2026-11-28&party=2"} {
		for _, origin := range []bool{false, true} {
			for _, tlsOn := range []bool{false, true} {
				s.now = s.now.Add(2 * time.Second) // past the kept answers' second
				chain, fast1 := send(target, origin, tlsOn)
				short, fast2 := send(target, origin, tlsOn)
				if fast1 || !fast2 {
					t.Fatalf("%s origin %v tls %v: short path used %v then %v, want the chain then the short path", target, origin, tlsOn, fast1, fast2)
				}
				if chain.Code != http.StatusOK || short.Code != chain.Code || short.Body.String() != chain.Body.String() {
					t.Errorf("%s: statuses %d and %d, bodies equal %v", target, chain.Code, short.Code, short.Body.String() == chain.Body.String())
				}
				if a, b := chain.Header().Get("X-Request-Id"), short.Header().Get("X-Request-Id"); a == "" || b == "" || a == b {
					t.Errorf("%s: request ids %q and %q, want two fresh ones", target, a, b)
				}
				for _, h := range []http.Header{chain.Header(), short.Header()} {
					h.Del("X-Request-Id")
					h.Del("Date")
				}
				if !sameHeaders(chain.Header(), short.Header()) {
					t.Errorf("%s origin %v tls %v: headers differ:\nchain %v\nshort %v", target, origin, tlsOn, chain.Header(), short.Header())
				}
				if got := short.Header().Get("Strict-Transport-Security") != ""; got != tlsOn {
					t.Errorf("%s tls %v: HSTS sent %v", target, tlsOn, got)
				}
				if got := short.Header().Get("Access-Control-Allow-Origin") != ""; got != (origin && target[1] == 'a') {
					t.Errorf("%s origin %v: CORS allowed %v", target, origin, got)
				}
			}
		}
	}
	// An answer kept from a request without Origin is not the answer to one with it.
	s.now = s.now.Add(2 * time.Second)
	send("/api/reserva/availability?offering=dinner&date=2026-11-28&party=2", false, false)
	if res, fast := send("/api/reserva/availability?offering=dinner&date=2026-11-28&party=2", true, false); fast ||
		res.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("a cross-origin request got the answer kept for a same-origin one (short path %v, CORS %q)",
			fast, res.Header().Get("Access-Control-Allow-Origin"))
	}
	// What the short path leaves to the chain: a chosen time, HEAD, www.
	s.get(t, "/book/dinner?date=2026-11-27&party=2")
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00", nil),
		httptest.NewRequest(http.MethodHead, "/book/dinner?date=2026-11-27&party=2", nil),
		httptest.NewRequest(http.MethodGet, "http://www.booking.test/book/dinner?date=2026-11-27&party=2", nil),
	} {
		before := s.h.fastServed.Load()
		s.mux.ServeHTTP(httptest.NewRecorder(), req)
		if s.h.fastServed.Load() != before {
			t.Errorf("%s %s %s was answered by the short path", req.Method, req.Host, req.URL)
		}
	}
}

func sameHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestShortPathCountsTowardThePageLimit: kept pages count like rendered ones; over the limit
// the chain answers 429.
func TestShortPathCountsTowardThePageLimit(t *testing.T) {
	t.Parallel()
	s := newServerWith(t, Limits{Pages: Rate{N: 3, Per: time.Minute}})
	for i := range 3 {
		if res := s.get(t, "/book/dinner?date=2026-11-27"); res.status != http.StatusOK {
			t.Fatalf("page %d = %d", i+1, res.status)
		}
	}
	if s.h.fastServed.Load() != 2 {
		t.Fatalf("%d answers from the short path, want 2 (the first was rendered)", s.h.fastServed.Load())
	}
	if res := s.get(t, "/book/dinner?date=2026-11-27"); res.status != http.StatusTooManyRequests {
		t.Errorf("4th kept page = %d, want 429", res.status)
	}
}
