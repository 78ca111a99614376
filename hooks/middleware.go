package hooks

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"reserva/internal/store"
	"reserva/static"
)

const requestIDKey = "reservaRequestId"

// requestID gives every request a random id, sent back as X-Request-Id and written with each
// audit entry, so a visitor's report can be matched to the log without any personal data.
func requestID() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaRequestId",
		Priority: apis.DefaultActivityLoggerMiddlewarePriority + 1,
		Func: func(e *core.RequestEvent) error {
			id := newRequestID()
			e.Set(requestIDKey, id)
			e.Response.Header().Set("X-Request-Id", id)
			return e.Next()
		},
	}
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func reqID(e *core.RequestEvent) string {
	id, _ := e.Get(requestIDKey).(string)
	return id
}

// loggedQueryKeys are the query parameters that may reach the request log; any other value is
// replaced, since a crafted link could carry an e-mail address or a token in its query.
var loggedQueryKeys = map[string]bool{"date": true, "party": true, "offering": true, "m": true}

// redactURL returns u with every secret path segment and every unexpected query value
// replaced. The secret segments are read off the route table: u's matched route (pattern,
// such as "GET /b/{token}/change") marks each {token} path value; a segment shaped like one of
// Reserva's tokens is replaced wherever it appears (a Referer, an unknown path), so a new
// token route cannot be missed.
func redactURL(u *url.URL, pattern string) *url.URL {
	out := *u
	segs := strings.Split(u.Path, "/")
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	psegs := strings.Split(pattern, "/")
	for i := 1; i < len(segs); i++ {
		byRoute := i < len(psegs) && psegs[i] == "{token}" && segs[i] != ""
		if byRoute || store.WellFormedToken(segs[i]) {
			segs[i] = "{token}"
		}
	}
	out.Path = strings.Join(segs, "/")
	out.RawPath = ""
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			if !loggedQueryKeys[k] {
				for i := range vs {
					vs[i] = "redacted"
				}
			}
		}
		out.RawQuery = q.Encode()
	}
	out.User = nil
	out.Fragment = ""
	return &out
}

// redactLog keeps tokens and personal data out of PocketBase's request log. The log entry is
// built from the request after the handler returns, so once the route is done the request's URL
// and Referer are swapped for redacted copies.
func redactLog() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaRedactLog",
		Priority: apis.DefaultActivityLoggerMiddlewarePriority + 2,
		Func: func(e *core.RequestEvent) error {
			err := e.Next()
			e.Request.URL = redactURL(e.Request.URL, e.Request.Pattern)
			e.Request.RequestURI = e.Request.URL.RequestURI()
			if ref := e.Request.Header.Get("Referer"); ref != "" {
				if u, perr := url.Parse(ref); perr == nil {
					e.Request.Header.Set("Referer", redactURL(u, "").String())
				} else {
					e.Request.Header.Del("Referer")
				}
			}
			return err
		},
	}
}

// contentSecurityPolicy allows the page's own stylesheet and forms and nothing else: no script,
// no third-party source, no framing.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"base-uri 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers of every visitor page. Referrer-Policy matters most: manage
// links carry tokens, which must not leak to other sites through the Referer header.
func securityHeaders() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id: "reservaSecurityHeaders",
		Func: func(e *core.RequestEvent) error {
			h := e.Response.Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			return e.Next()
		},
	}
}

// crossOriginOnly refuses state-changing requests that a browser marks as cross-site (CSRF):
// PocketBase has no CSRF protection of its own.
func crossOriginOnly() *hook.Handler[*core.RequestEvent] {
	cop := http.NewCrossOriginProtection()
	return &hook.Handler[*core.RequestEvent]{
		Id: "reservaCrossOrigin",
		Func: func(e *core.RequestEvent) error {
			if err := cop.Check(e.Request); err != nil {
				return &pageError{status: http.StatusForbidden, heading: "error.forbidden", body: "error.forbidden_body", err: err}
			}
			return e.Next()
		},
	}
}

// staticFiles serves the embedded static files with an ETag of their content, so browsers
// revalidate cheaply and always see the stylesheet of the running version.
func staticFiles() func(*core.RequestEvent) error {
	etags := map[string]string{}
	_ = fs.WalkDir(static.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags[path] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return nil
	})
	return func(e *core.RequestEvent) error {
		name := e.Request.PathValue("path")
		etag, ok := etags[name]
		if !ok {
			return notFound(nil)
		}
		e.Response.Header().Set("ETag", etag)
		e.Response.Header().Set("Cache-Control", "no-cache")
		return e.FileFS(static.FS, name)
	}
}

// pocketBasePath reports whether p is PocketBase's dashboard or API: everything under /_/ and
// /api/ but Reserva's own APIs and the health check.
func pocketBasePath(p string) bool {
	return (strings.HasPrefix(p, "/_/") || p == "/_" || strings.HasPrefix(p, "/api/")) &&
		!strings.HasPrefix(p, "/api/reserva/") && !strings.HasPrefix(p, "/api/v1/") && p != "/api/health"
}

// superuserNets keeps PocketBase's dashboard and API away from every network but the allowed
// ones (when a list is set): a stranger cannot even reach the superuser sign-in.
func superuserNets(nets []netip.Prefix) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaSuperuserNets",
		Priority: apis.DefaultRateLimitMiddlewarePriority - 5,
		Func: func(e *core.RequestEvent) error {
			if len(nets) > 0 && pocketBasePath(e.Request.URL.Path) && !containsIP(nets, e.RealIP()) {
				return apis.NewForbiddenError("This address may not reach the administration.", nil)
			}
			return e.Next()
		},
	}
}

// superuserAuthLimit counts every post to the superusers' auth API (password, one-time codes,
// password reset, OAuth2) against the staff sign-in allowance per address: PocketBase has no
// limit of its own unless configured, so a password could be guessed at full speed.
func (h *handlers) superuserAuthLimit() *hook.Handler[*core.RequestEvent] {
	limit := h.rateLimit(h.signinRate)
	return &hook.Handler[*core.RequestEvent]{
		Id: "reservaSuperuserAuthLimit",
		Func: func(e *core.RequestEvent) error {
			if e.Request.Method == http.MethodGet || !superusersPath(e.App, e.Request.URL.Path) {
				return e.Next()
			}
			return limit.Func(e)
		},
	}
}

// superusersPath reports whether p is under PocketBase's API of the superusers collection (by
// name or by id).
func superusersPath(app core.App, p string) bool {
	rest, ok := strings.CutPrefix(p, "/api/collections/")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(rest, "/")
	return name == core.CollectionNameSuperusers || name == store.SuperusersCollectionID(app)
}

// realtimePerIP caps the open realtime connections of one address.
const realtimePerIP = 4

// realtimeGate closes PocketBase's realtime API (Reserva uses none) to everyone but signed-in
// superusers, and caps their open connections per address: anonymous clients could hold
// thousands of event streams open and stall the site.
func realtimeGate() *hook.Handler[*core.RequestEvent] {
	var mu sync.Mutex
	open := map[string]int{}
	return &hook.Handler[*core.RequestEvent]{
		Id: "reservaRealtimeGate",
		Func: func(e *core.RequestEvent) error {
			if e.Request.URL.Path != "/api/realtime" {
				return e.Next()
			}
			if !e.HasSuperuserAuth() {
				return apis.NewForbiddenError("The realtime API is open to superusers only.", nil)
			}
			ip := e.RealIP()
			mu.Lock()
			if open[ip] >= realtimePerIP {
				mu.Unlock()
				return apis.NewTooManyRequestsError("Too many realtime connections from this address.", nil)
			}
			open[ip]++
			mu.Unlock()
			defer func() {
				mu.Lock()
				if open[ip]--; open[ip] <= 0 {
					delete(open, ip)
				}
				mu.Unlock()
			}()
			return e.Next()
		},
	}
}

// closedAuthCollections hides PocketBase's auth routes (verification, password reset, email
// change, refresh, ...) of the staff collection: staff sign in through /admin/login only.
func closedAuthCollections() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaClosedAuthCollections",
		Priority: apis.DefaultRateLimitMiddlewarePriority - 4,
		Func: func(e *core.RequestEvent) error {
			if strings.HasPrefix(e.Request.URL.Path, "/api/collections/staff/") {
				return apis.NewNotFoundError("", nil)
			}
			return e.Next()
		},
	}
}

// hstsValue tells browsers to use HTTPS only for this site (two years).
const hstsValue = "max-age=63072000"

// baseHeaders replaces PocketBase's security headers on every response (its dashboard and API
// included): the same, without X-XSS-Protection, whose filter is gone from browsers and could
// be abused where it remained (OWASP: send 0 or nothing); HSTS on HTTPS responses.
func baseHeaders() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaBaseHeaders",
		Priority: apis.DefaultSecurityHeadersMiddlewarePriority,
		Func: func(e *core.RequestEvent) error {
			h := e.Response.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "SAMEORIGIN")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if viaHTTPS(e.Request) {
				h.Set("Strict-Transport-Security", hstsValue)
			}
			return e.Next()
		},
	}
}

// publicCORS lets other sites read a route from the browser (the availability API is meant
// for embedding): any origin, GET only, never with credentials.
func publicCORS() *hook.Handler[*core.RequestEvent] {
	h := apis.CORS(apis.CORSConfig{AllowOrigins: []string{"*"}, AllowMethods: []string{http.MethodGet}})
	h.Id = "reservaPublicCORS"
	return h
}
