package hooks

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Rate is an allowance of N requests per Per for one client (IP address); a zero Rate is off.
type Rate struct {
	N   int
	Per time.Duration
}

// ParseRate reads "10/10m" (10 requests per 10 minutes), "60/1m", or "off".
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(n)
	if !ok || err != nil || count < 1 {
		return Rate{}, fmt.Errorf("want N/DURATION such as 10/10m, or off (got %q)", s)
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("want N/DURATION such as 10/10m, or off (got %q)", s)
	}
	return Rate{N: count, Per: d}, nil
}

func (r Rate) String() string {
	if r.N == 0 {
		return "off"
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

// limiter is a per-key GCRA (generic cell rate algorithm): N requests may come at once, then
// one every Per/N. It keeps one timestamp per active key and forgets idle keys.
type limiter struct {
	rate     Rate
	mu       sync.Mutex
	tat      map[string]time.Time // theoretical arrival time of the next allowed request
	lastTrim time.Time
}

func newLimiter(r Rate) *limiter { return &limiter{rate: r, tat: map[string]time.Time{}} }

// allow reports whether key may make a request at now; if not, how long until it may.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.rate.N == 0 {
		return true, 0
	}
	interval := l.rate.Per / time.Duration(l.rate.N)
	burst := l.rate.Per - interval
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastTrim) > l.rate.Per {
		for k, t := range l.tat {
			if t.Before(now) {
				delete(l.tat, k)
			}
		}
		l.lastTrim = now
	}
	tat := l.tat[key]
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - burst; wait > 0 {
		return false, wait
	}
	l.tat[key] = tat.Add(interval)
	return true, 0
}

// blocked reports, without counting a request, whether key is past its allowance at now, and
// if so how long until it may make one.
func (l *limiter) blocked(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.rate.N == 0 {
		return false, 0
	}
	interval := l.rate.Per / time.Duration(l.rate.N)
	burst := l.rate.Per - interval
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, ok := l.tat[key]
	if !ok || !tat.After(now) {
		return false, 0
	}
	if wait := tat.Sub(now) - burst; wait > 0 {
		return true, wait
	}
	return false, 0
}

// rateLimit refuses a client over its allowance with 429, a Retry-After header and a page (or
// JSON under /api/) saying when to try again.
func (h *handlers) rateLimit(l *limiter) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Func: func(e *core.RequestEvent) error {
			ok, wait := l.allow(e.RealIP(), h.now())
			if ok {
				return e.Next()
			}
			secs := int(math.Ceil(wait.Seconds()))
			e.Response.Header().Set("Retry-After", strconv.Itoa(secs))
			if isAPIPath(e.Request.URL.Path) {
				return e.JSON(http.StatusTooManyRequests, apiError{http.StatusTooManyRequests,
					fmt.Sprintf("Too many requests. Try again in %d seconds.", secs)})
			}
			return tooMany(secs)
		},
	}
}

// tooMany is the 429 page: when to try again, in whole minutes or seconds.
func tooMany(secs int) error {
	pe := &pageError{status: http.StatusTooManyRequests, heading: "error.rate_limited", body: "error.rate_limited_seconds", args: []any{secs}}
	if secs >= 90 {
		pe.body, pe.args = "error.rate_limited_minutes", []any{(secs + 59) / 60}
	}
	return pe
}
