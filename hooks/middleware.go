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

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

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

// tokenRoutes are the first path segments followed by a secret token.
var tokenRoutes = map[string]bool{"b": true}

// loggedQueryKeys are the query parameters that may reach the request log; any other value is
// replaced, since a crafted link could carry an e-mail address or a token in its query.
var loggedQueryKeys = map[string]bool{"date": true, "party": true, "offering": true, "m": true}

// redactURL returns u with every token path segment and every unexpected query value replaced.
func redactURL(u *url.URL) *url.URL {
	out := *u
	segs := strings.Split(u.Path, "/")
	for i := 1; i+1 < len(segs); i++ {
		if tokenRoutes[segs[i]] && segs[i+1] != "" {
			segs[i+1] = "{token}"
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
			e.Request.URL = redactURL(e.Request.URL)
			e.Request.RequestURI = e.Request.URL.RequestURI()
			if ref := e.Request.Header.Get("Referer"); ref != "" {
				if u, perr := url.Parse(ref); perr == nil {
					e.Request.Header.Set("Referer", redactURL(u).String())
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

// superuserNets keeps PocketBase's dashboard and API away from every network but the allowed
// ones (when a list is set): a stranger cannot even reach the superuser sign-in.
func superuserNets(nets []netip.Prefix) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaSuperuserNets",
		Priority: apis.DefaultRateLimitMiddlewarePriority - 5,
		Func: func(e *core.RequestEvent) error {
			p := e.Request.URL.Path
			pbPath := (strings.HasPrefix(p, "/_/") || p == "/_" || strings.HasPrefix(p, "/api/")) &&
				!strings.HasPrefix(p, "/api/reserva/") && p != "/api/health"
			if len(nets) > 0 && pbPath && !containsIP(nets, e.RealIP()) {
				return apis.NewForbiddenError("This address may not reach the administration.", nil)
			}
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

// hsts tells browsers to use HTTPS only for this site (two years). Sent on HTTPS responses only.
const hstsValue = "max-age=63072000"

func hsts() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaHSTS",
		Priority: apis.DefaultSecurityHeadersMiddlewarePriority,
		Func: func(e *core.RequestEvent) error {
			if e.IsTLS() {
				e.Response.Header().Set("Strict-Transport-Security", hstsValue)
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
