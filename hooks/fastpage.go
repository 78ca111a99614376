package hooks

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// fastPages answers the kept availability answers (GET /book/{slug} and /embed/{slug} without
// a chosen time and GET /api/reserva/availability, see pagecache.go) before PocketBase's
// router and the middleware chain run: on a busy evening most requests are such a view, and
// the chain cost more than the answer. Everything else, and any request the short path is
// unsure of, goes to next, the full chain.
//
// The answer is the same as the chain's: its headers are those the chain sent with the kept
// answer (security headers, CORS, Cache-Control), with a fresh X-Request-Id and HSTS under
// TLS, as the middlewares add them; the page rate limit counts it (a request over the limit
// goes to the chain, which answers 429); and successful page views are not logged, as on the
// chain (apis.SkipSuccessActivityLog).
func (h *handlers) fastPages(app core.App, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.serveFast(app, w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

func (h *handlers) serveFast(app core.App, w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet || strings.HasPrefix(r.Host, "www.") || !cacheable(r) { // www.: PocketBase may redirect it
		return false
	}
	var slug string
	switch p := r.URL.Path; {
	case p == "/api/reserva/availability":
		slug = r.URL.Query().Get("offering")
	case strings.HasPrefix(p, "/book/") && !strings.Contains(p[len("/book/"):], "/"):
		if r.URL.Query().Has("start") {
			return false
		}
		slug = p[len("/book/"):]
	case strings.HasPrefix(p, embedPrefix) && !strings.Contains(p[len(embedPrefix):], "/"):
		if r.URL.Query().Has("start") {
			return false
		}
		slug = p[len(embedPrefix):]
	default:
		return false
	}
	now := h.now()
	p, ok := h.cache.current(cacheKey(r), now)
	if !ok || p.offering != slug || p.origin != (r.Header.Get("Origin") != "") {
		return false
	}
	e := &core.RequestEvent{App: app}
	e.Request = r
	if allowed, _ := h.pages.allow(e.RealIP(), now); !allowed {
		return false // the chain answers the 429
	}
	hdr := w.Header()
	for k, v := range p.header {
		hdr[k] = v
	}
	hdr.Set("X-Request-Id", newRequestID())
	if viaHTTPS(r) {
		hdr.Set("Strict-Transport-Security", hstsValue)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.body) // a failed write is a client gone
	h.fastServed.Add(1)
	return true
}
