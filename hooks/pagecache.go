package hooks

import (
	"bytes"
	"net/http"
	"sync"
	"time"

	"reserva/views"

	"github.com/pocketbase/pocketbase/core"
)

// pageCache keeps the rendered availability answers (the booking page without a chosen time,
// the availability JSON) for a moment: on a busy evening many visitors look at the same date.
// An entry is served only while nothing that shapes its offering's availability has changed
// since it was rendered (the store's version of the offering, which moves after every committed
// change to its bookings and to sessions, closures, opening hours, offerings or the venue) and
// for at most pageCacheTTL (the clock moves the bookable window; a change written by another
// process, such as `reserva demo`, shows within it). Bookings themselves never read it: the capacity check runs in the write transaction.
// The pages it keeps hold no personal data.
type pageCache struct {
	version  func(offering string) int64 // store.Store.Version
	mu       sync.Mutex
	entries  map[string]pageEntry
	inflight map[string]chan struct{} // answers being rendered, closed when done
}

type pageEntry struct {
	offering string // its slug
	body     []byte
	header   http.Header // as the chain sent it, less X-Request-Id and HSTS (fastpage.go)
	origin   bool        // whether the request had an Origin header (CORS answers differ)
	version  int64
	at       time.Time
}

const (
	pageCacheTTL = time.Second
	pageCacheMax = 512 // entries; when full, it starts again empty
)

// serveOrLead writes the kept answer for the request, if a current one exists. Otherwise the
// caller renders it and must call done afterwards (after keep); while it does, other requests
// for the same answer wait for it instead of rendering it too, so a crowd of visitors at an
// expired entry costs one rendering. A waiter whose leader kept nothing (an error page) renders
// its own answer.
func (c *pageCache) serveOrLead(e *core.RequestEvent, now time.Time) (served bool, done func()) {
	if c.serve(e, now) {
		return true, nil
	}
	key := cacheKey(e.Request)
	c.mu.Lock()
	if wait, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-wait:
		case <-e.Request.Context().Done():
		}
		if c.serve(e, now) {
			return true, nil
		}
		return false, func() {}
	}
	if c.inflight == nil {
		c.inflight = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	c.inflight[key] = ch
	c.mu.Unlock()
	return false, func() {
		c.mu.Lock()
		delete(c.inflight, key)
		c.mu.Unlock()
		close(ch)
	}
}

// serve writes the kept answer for the request, if a current one exists.
func (c *pageCache) serve(e *core.RequestEvent, now time.Time) bool {
	p, ok := c.current(cacheKey(e.Request), now)
	if !ok {
		return false
	}
	_ = writeBody(e, http.StatusOK, p.header.Get("Content-Type"), p.body) // a failed write is a client gone
	return true
}

// cacheKey names the answer to r: its address, and what chooses its language (the visitor's
// remembered choice and the browser's languages; a request that picks one with ?lang= is
// never kept, as its answer sets the cookie). A framed page reads no cookie (visitorLanguage).
func cacheKey(r *http.Request) string {
	lang := ""
	if c, err := r.Cookie(langCookie); err == nil && views.HasLanguage(c.Value) && !embedded(r) {
		lang = c.Value
	}
	return r.URL.RequestURI() + "\x00" + lang + "\x00" + views.MatchLanguage(r.Header.Get("Accept-Language"))
}

// cacheable reports whether the answer to r may be kept: not when it picks a language, but for
// a framed page, whose ?lang= sets no cookie (its language is in its address).
func cacheable(r *http.Request) bool { return !r.URL.Query().Has("lang") || embedded(r) }

// current is the kept answer for key (cacheKey), if there is one and it is current.
func (c *pageCache) current(key string, now time.Time) (pageEntry, bool) {
	c.mu.Lock()
	p, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || p.version != c.version(p.offering) || now.Sub(p.at) >= pageCacheTTL || now.Before(p.at) {
		return pageEntry{}, false
	}
	return p, true
}

// keep stores body as the answer to the request about offering (a slug), stamped with the
// offering's version (read before the answer was computed, so a change committed meanwhile
// makes it stale at once).
func (c *pageCache) keep(e *core.RequestEvent, offering string, version int64, now time.Time, contentType string, body []byte) {
	if !cacheable(e.Request) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= pageCacheMax {
		c.entries = make(map[string]pageEntry, 64)
	}
	// The headers the answer goes out with (writeBody's among them), for the short path.
	header := e.Response.Header().Clone()
	header.Set("Content-Type", contentType)
	header.Set("Cache-Control", "no-store")
	header.Del("X-Request-Id")
	header.Del("Strict-Transport-Security")
	c.entries[cacheKey(e.Request)] = pageEntry{offering: offering, body: bytes.Clone(body), header: header,
		origin: e.Request.Header.Get("Origin") != "", version: version, at: now}
}
