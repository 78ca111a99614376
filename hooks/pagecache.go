package hooks

import (
	"bytes"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// pageCache keeps the rendered availability answers (the booking page without a chosen time,
// the availability JSON) for a moment: on a busy evening many visitors look at the same date.
// An entry is served only while nothing that shapes availability has changed since it was
// rendered (the version, bumped after every committed change to bookings, sessions, closures,
// opening hours, offerings or the venue) and for at most pageCacheTTL (the clock moves the
// bookable window; a change written by another process, such as `reserva demo`, shows within
// it). Bookings themselves never read it: the capacity check runs in the write transaction.
// The pages it keeps hold no personal data.
type pageCache struct {
	version  atomic.Int64
	mu       sync.Mutex
	entries  map[string]pageEntry
	inflight map[string]chan struct{} // answers being rendered, closed when done
}

type pageEntry struct {
	body        []byte
	contentType string
	version     int64
	at          time.Time
}

const (
	pageCacheTTL = time.Second
	pageCacheMax = 512 // entries; when full, it starts again empty
)

// availabilityCollections are the collections whose changes alter what is bookable.
var availabilityCollections = []string{"bookings", "sessions", "closures", "opening_hours", "offerings", "venue"}

// bind bumps the version after every committed create, update or delete of those collections.
func (c *pageCache) bind(app core.App) {
	bump := func(e *core.RecordEvent) error {
		c.version.Add(1)
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess(availabilityCollections...).BindFunc(bump)
	app.OnRecordAfterUpdateSuccess(availabilityCollections...).BindFunc(bump)
	app.OnRecordAfterDeleteSuccess(availabilityCollections...).BindFunc(bump)
}

// serveOrLead writes the kept answer for the request, if a current one exists. Otherwise the
// caller renders it and must call done afterwards (after keep); while it does, other requests
// for the same answer wait for it instead of rendering it too, so a crowd of visitors at an
// expired entry costs one rendering. A waiter whose leader kept nothing (an error page) renders
// its own answer.
func (c *pageCache) serveOrLead(e *core.RequestEvent, now time.Time) (served bool, done func()) {
	if c.serve(e, now) {
		return true, nil
	}
	key := e.Request.URL.RequestURI()
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
	c.mu.Lock()
	p, ok := c.entries[e.Request.URL.RequestURI()]
	c.mu.Unlock()
	if !ok || p.version != c.version.Load() || now.Sub(p.at) >= pageCacheTTL || now.Before(p.at) {
		return false
	}
	_ = writeBody(e, http.StatusOK, p.contentType, p.body) // a failed write is a client gone
	return true
}

// keep stores body as the answer to the request, stamped with version (read before the answer
// was computed, so a change committed meanwhile makes it stale at once).
func (c *pageCache) keep(e *core.RequestEvent, version int64, now time.Time, contentType string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= pageCacheMax {
		c.entries = make(map[string]pageEntry, 64)
	}
	c.entries[e.Request.URL.RequestURI()] = pageEntry{body: bytes.Clone(body), contentType: contentType, version: version, at: now}
}
