package hooks

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"

	"reserva/views"
)

// render writes c with status through a buffer, so a component that fails half-way never sends
// half a page: the caller gets the error and the error page is written instead.
func render(e *core.RequestEvent, status int, c templ.Component) error {
	b, err := renderHTML(e, c)
	if err != nil {
		return err
	}
	return writeBody(e, status, htmlType, b)
}

const htmlType = "text/html; charset=utf-8"

// renderHTML renders c into memory.
func renderHTML(e *core.RequestEvent, c templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.Render(e.Request.Context(), &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeBody sends a page or document that must not be stored by browsers or proxies.
func writeBody(e *core.RequestEvent, status int, contentType string, b []byte) error {
	h := e.Response.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	e.Response.WriteHeader(status)
	if e.Request.Method == http.MethodHead {
		return nil
	}
	_, err := e.Response.Write(b)
	return err
}

// pageError is a failure a visitor sees as a page: a status, a heading and a calm sentence.
// The wrapped error, if any, goes to the log only.
type pageError struct {
	status  int
	heading string
	body    string
	args    []any // of body
	err     error
}

func (p *pageError) Error() string {
	if p.err != nil {
		return http.StatusText(p.status) + ": " + p.err.Error()
	}
	return http.StatusText(p.status)
}

func (p *pageError) Unwrap() error { return p.err }

func notFound(err error) error {
	return &pageError{status: http.StatusNotFound, heading: "error.not_found", body: "error.not_found_body", err: err}
}

func bookingNotFound(err error) error {
	return &pageError{status: http.StatusNotFound, heading: "error.booking_not_found", body: "error.booking_not_found_body", err: err}
}

func badRequest(err error) error {
	return &pageError{status: http.StatusBadRequest, heading: "error.bad_request", body: "error.bad_request_body", err: err}
}

// pageFor maps any error a route returned to what the visitor reads.
func pageFor(err error) *pageError {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe
	}
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		switch apiErr.Status {
		case http.StatusNotFound:
			return notFound(err).(*pageError)
		case http.StatusRequestEntityTooLarge:
			return &pageError{status: apiErr.Status, heading: "error.too_large", body: "error.too_large_body", err: err}
		case http.StatusTooManyRequests:
			return &pageError{status: apiErr.Status, heading: "error.rate_limited", body: "error.rate_limited_body", err: err}
		case http.StatusForbidden, http.StatusUnauthorized:
			return &pageError{status: http.StatusForbidden, heading: "error.forbidden", body: "error.forbidden_body", err: err}
		case http.StatusMethodNotAllowed:
			return &pageError{status: apiErr.Status, heading: "error.method", body: "error.method_body", err: err}
		case http.StatusBadRequest:
			return badRequest(err).(*pageError)
		}
	}
	return &pageError{status: http.StatusInternalServerError, heading: "error.server", body: "error.server_body", err: err}
}

// isAPIPath reports whether path belongs to a JSON API (PocketBase's or Reserva's) or to
// PocketBase's dashboard, whose errors stay JSON.
func isAPIPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/api" || strings.HasPrefix(path, "/_/") || path == "/_"
}

// htmlErrors turns every error returned on a visitor route into an HTML error page. It sits
// just inside PocketBase's activity logger and outside its panic recovery: a panic becomes a
// calm 500 page, and the raw error still reaches the log (the error is passed on; the router
// writes nothing more once a response was written).
func (h *handlers) htmlErrors() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaHTMLErrors",
		Priority: apis.DefaultActivityLoggerMiddlewarePriority + 5,
		Func: func(e *core.RequestEvent) error {
			err := e.Next()
			if err == nil {
				return nil
			}
			if isAPIPath(e.Request.URL.Path) {
				// JSON paths keep PocketBase's error answers; a page error keeps its status.
				var pe *pageError
				if errors.As(err, &pe) {
					return router.NewApiError(pe.status, http.StatusText(pe.status), nil)
				}
				return err
			}
			if e.Written() {
				return err
			}
			pe := pageFor(err)
			page := h.basePage(e, views.M("title.error"))
			if rerr := render(e, pe.status, views.ErrorPage(views.ErrorData{
				Page:    page,
				Status:  pe.status,
				Heading: views.M(pe.heading),
				Body:    views.M(pe.body, pe.args...),
				Staff:   strings.HasPrefix(e.Request.URL.Path, "/admin/"),
			})); rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		},
	}
}

// basePage builds the common page model; when the venue cannot be read (not set up, or the
// database is failing) the page still renders with a neutral name.
func (h *handlers) basePage(e *core.RequestEvent, title views.Msg) views.Page {
	v, err := h.st.Venue(e.App)
	if err != nil {
		return views.Page{L: views.NewLocale(views.DefaultLanguage), Venue: views.Venue{Name: "Reserva"}, Title: title}
	}
	return page(e, v, title)
}
