package hooks

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"reserva/docs"
	"reserva/internal/store"
)

// The booking API (/api/v1/): JSON only, authenticated by an owner's API key in the
// Authorization header and nothing else (no cookie is read, so no CSRF check is needed), never
// cached. docs/openapi.yaml is its contract; api_openapi_test.go holds the routes to it.

// apiKeyKey is where apiAuth leaves the request's key.
const apiKeyKey = "reservaAPIKey"

// apiKeyOf is the API key the request was authenticated with (nil before apiAuth).
func apiKeyOf(e *core.RequestEvent) *store.APIKey {
	k, _ := e.Get(apiKeyKey).(*store.APIKey)
	return k
}

// apiProblem is the error answer of the booking API: {"error": {"code", "message", "fields"}}.
type apiProblem struct {
	Error apiProblemBody `json:"error"`
}

type apiProblemBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"` // field → what is wrong with it
}

// apiJSON writes v as the answer with status: rendered first, so a value that cannot be
// written never sends half an answer.
func apiJSON(e *core.RequestEvent, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return apiFail(e, http.StatusInternalServerError, "internal", "Something went wrong on our side. Please try again.")
	}
	return writeBody(e, status, "application/json; charset=utf-8", append(b, '\n'))
}

// apiFail answers an error of the booking API. The message is a calm sentence for the
// program's developer, never an internal error.
func apiFail(e *core.RequestEvent, status int, code, message string) error {
	return apiFields(e, status, code, message, nil)
}

func apiFields(e *core.RequestEvent, status int, code, message string, fields map[string]string) error {
	b, _ := json.Marshal(apiProblem{apiProblemBody{Code: code, Message: message, Fields: fields}})
	return writeBody(e, status, "application/json; charset=utf-8", append(b, '\n'))
}

// apiHeaders are the headers of every answer of the booking API.
func apiHeaders() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id: "reservaAPIHeaders",
		Func: func(e *core.RequestEvent) error {
			h := e.Response.Header()
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Frame-Options", "DENY")
			return e.Next()
		},
	}
}

// apiAuth lets through requests with a valid API key that carries scope: 401 with
// WWW-Authenticate for a missing, malformed, unknown or revoked key, 403 for a key without the
// scope, 429 past the key's allowance. Failed authentications count against the client's
// address (a stricter allowance); an address past it is refused every request, a right key
// included, until it may try again, so keys cannot be guessed.
func (h *handlers) apiAuth(scope store.Scope) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Func: func(e *core.RequestEvent) error {
			now := h.now()
			ip := e.RealIP()
			if blocked, wait := h.apiFails.blocked(ip, now); blocked {
				return apiTooMany(e, wait.Seconds())
			}
			plain, ok := bearer(e.Request.Header.Get("Authorization"))
			var key *store.APIKey
			var err error
			if ok {
				key, err = store.AuthenticateAPIKey(e.App, plain)
			}
			if !ok || errors.Is(err, store.ErrBadAPIKey) {
				if allowed, wait := h.apiFails.allow(ip, now); !allowed {
					return apiTooMany(e, wait.Seconds())
				}
				challenge := `Bearer realm="reserva"`
				if plain != "" {
					challenge += `, error="invalid_token"`
				}
				e.Response.Header().Set("WWW-Authenticate", challenge)
				return apiFail(e, http.StatusUnauthorized, "unauthorized",
					"Send a valid API key as “Authorization: Bearer rsv_…”. The owner makes keys at /admin/api-keys.")
			}
			if err != nil {
				e.App.Logger().Error("api: authenticate", "error", err.Error())
				return apiFail(e, http.StatusServiceUnavailable, "unavailable", "The service is busy. Please try again in a moment.")
			}
			if allowed, wait := h.apiRate.allow(key.ID, now); !allowed {
				return apiTooMany(e, wait.Seconds())
			}
			if !key.Has(scope) {
				e.Response.Header().Set("WWW-Authenticate", `Bearer realm="reserva", error="insufficient_scope", scope="`+string(scope)+`"`)
				return apiFail(e, http.StatusForbidden, "insufficient_scope", "This API key may not do this: it needs the scope "+string(scope)+".")
			}
			if _, err := store.TouchAPIKey(e.App, key, now); err != nil {
				// Only the key's "last used" is late; the request itself is fine.
				e.App.Logger().Warn("api: last used", "key", key.ID, "error", err.Error())
			}
			e.Set(apiKeyKey, key)
			return e.Next()
		},
	}
}

// bearer is the credential of an Authorization header of the Bearer scheme.
func bearer(header string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

// apiTooMany is the API's 429, with Retry-After in whole seconds.
func apiTooMany(e *core.RequestEvent, wait float64) error {
	secs := max(int(math.Ceil(wait)), 1)
	e.Response.Header().Set("Retry-After", strconv.Itoa(secs))
	return apiFail(e, http.StatusTooManyRequests, "rate_limited", "Too many requests. Try again in "+strconv.Itoa(secs)+" seconds.")
}

// apiUnknown answers a path below /api/v1/ that is none of the API's, or a method it does
// not take there.
func (h *handlers) apiUnknown(e *core.RequestEvent) error {
	return apiFail(e, http.StatusNotFound, "not_found", "There is no such API endpoint. The API is described at /api/v1/openapi.yaml.")
}

// openAPI serves the API's description, docs/openapi.yaml.
func (h *handlers) openAPI(e *core.RequestEvent) error {
	return writeBody(e, http.StatusOK, "application/yaml; charset=utf-8", docs.OpenAPI)
}
