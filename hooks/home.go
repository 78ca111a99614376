package hooks

import (
	"fmt"
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"reserva/views"
)

// home lists the venue's active offerings.
func (h *handlers) home(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	recs, err := e.App.FindRecordsByFilter("offerings", "active = true", "sort,name", 0, 0)
	if err != nil {
		return fmt.Errorf("home: offerings: %w", err)
	}
	d := views.HomeData{Page: v.page(views.M("title.home"))}
	for _, rec := range recs {
		d.Offerings = append(d.Offerings, offeringView(rec))
	}
	return render(e, http.StatusOK, views.HomePage(d))
}
