package hooks

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// healthz reports whether the process can read its database, for uptime monitors:
// 200 {"status":"ok","database":"ok"} or 503 with "error".
func (h *handlers) healthz(e *core.RequestEvent) error {
	ctx, cancel := context.WithTimeout(e.Request.Context(), 2*time.Second)
	defer cancel()
	var one int
	dbErr := e.App.DB().NewQuery("SELECT 1").WithContext(ctx).Row(&one)
	e.Response.Header().Set("Cache-Control", "no-store")
	if dbErr != nil || one != 1 {
		e.App.Logger().Error("healthz: database check failed", "error", fmt.Sprint(dbErr))
		return e.JSON(http.StatusServiceUnavailable, map[string]string{"status": "error", "database": "error"})
	}
	return e.JSON(http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
}

// securityTxt publishes where to report security problems (RFC 9116): the venue's contact
// address, valid for a year from each request.
func (h *handlers) securityTxt(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	contact := v.rec.GetString("email")
	if contact == "" {
		return notFound(nil)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Contact: mailto:%s\n", contact)
	fmt.Fprintf(&b, "Expires: %s\n", h.now().UTC().AddDate(1, 0, 0).Truncate(time.Second).Format(time.RFC3339))
	fmt.Fprintf(&b, "Preferred-Languages: %s\n", v.locale.Lang())
	e.Response.Header().Set("Cache-Control", "max-age=86400")
	return e.String(http.StatusOK, b.String())
}
