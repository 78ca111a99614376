package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
)

// calendar downloads the booking as an .ics file in the venue's time zone; a cancelled booking
// gives a cancellation that removes the entry from calendar apps.
func (h *handlers) calendar(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	b, off, err := findBooking(e.App, e.Request.PathValue("token"))
	if err != nil {
		return err
	}
	ics, err := jobs.CalendarFile(v, off, b)
	if err != nil {
		return err
	}
	e.Response.Header().Set("Content-Disposition", `attachment; filename="booking-`+b.Reference+`.ics"`)
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.Blob(http.StatusOK, "text/calendar; charset=utf-8", ics)
}
