package hooks

import (
	"fmt"
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/store"
	"reserva/views"
)

// home lists the venue's active offerings.
func (h *handlers) home(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	offs, err := store.Offerings(e.App, true)
	if err != nil {
		return fmt.Errorf("home: %w", err)
	}
	d := views.HomeData{Page: page(v, views.M("title.home"))}
	for _, o := range offs {
		d.Offerings = append(d.Offerings, offeringView(o))
	}
	return render(e, http.StatusOK, views.HomePage(d))
}
