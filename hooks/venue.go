package hooks

import (
	"errors"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// venueOrUnavailable is the venue for handlers: no venue yet is a calm 503 page, not a 500.
func (h *handlers) venueOrUnavailable(app core.App) (*store.Venue, error) {
	v, err := h.st.Venue(app)
	if errors.Is(err, store.ErrNoVenue) {
		return nil, &pageError{status: http.StatusServiceUnavailable, heading: "error.unavailable", body: "error.unavailable_body", err: err}
	}
	return v, err
}

// page is the common model of a visitor page of venue v.
func page(e *core.RequestEvent, v *store.Venue, title views.Msg) views.Page {
	lang := visitorLanguage(e.Request, v.Locale)
	p := views.Page{L: views.NewLocale(lang), Venue: jobs.VenueView(v), Title: title, Languages: languageLinks(e.Request, lang)}
	p.Venue.Logo = imageView(v.Logo, "")
	if embedded(e.Request) {
		p.Embed, p.EmbedOrigins = true, strings.Join(v.EmbedOrigins(), " ")
	}
	return p
}

// imageView is one of the venue's pictures as pages show it, at its URL on our origin (see
// image); nil is the zero Image.
func imageView(img *store.Image, alt string) views.Image {
	if img == nil {
		return views.Image{}
	}
	return views.Image{URL: imagePath + img.FileName(), Alt: alt, Width: img.Width, Height: img.Height}
}

// offeringView is an offering as visitors see it.
func offeringView(o *store.Offering) views.Offering {
	r := o.Rules()
	v := views.Offering{
		Name:            o.Name,
		Slug:            o.Slug,
		Description:     o.Description,
		Session:         o.IsSession(),
		Duration:        r.Duration,
		MinParty:        defaultParty(r),
		MaxParty:        r.MaxParty,
		AskParticipants: o.AskParticipants,
		Paid:            o.PaymentMode != "",
	}
	if store.SensitiveEnabled() {
		v.SensitivePrompt = o.SensitivePrompt
	}
	return v
}

// localLayout is the form value of a slot start: venue-local wall time.
const localLayout = "2006-01-02T15:04"
