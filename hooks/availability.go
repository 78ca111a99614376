package hooks

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/store"
	"reserva/views"
)

// availabilityTime is one start in the JSON answer.
type availabilityTime struct {
	Value     string    `json:"value"` // what to post as the booking form's start field
	Start     time.Time `json:"start"` // RFC 3339 with the venue's offset
	End       time.Time `json:"end"`
	Local     string    `json:"local"` // venue-local wall time, "2006-01-02T15:04"
	Remaining int       `json:"remaining"`
	Available bool      `json:"available"` // room for the requested party
	Ambiguous bool      `json:"ambiguous,omitzero"`
	Session   string    `json:"session,omitzero"`
}

type availabilityAnswer struct {
	Offering string             `json:"offering"`
	Date     string             `json:"date"`
	TimeZone string             `json:"timezone"`
	Party    int                `json:"party"`
	Times    []availabilityTime `json:"times"`
}

type apiError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// availability answers the booking page's free times as JSON, for embedding in another site:
// GET /api/reserva/availability?offering=SLUG&date=YYYY-MM-DD&party=N.
func (h *handlers) availability(e *core.RequestEvent) error {
	lang := views.DefaultLanguage
	fail := func(status int, key string) error {
		return e.JSON(status, apiError{status, views.NewLocale(lang).T(key)})
	}
	// Only complete answers (200) are kept, so a kept one stands for a valid request.
	now := h.now()
	q := e.Request.URL.Query()
	slug := q.Get("offering")
	version := h.st.Version(slug) // before anything the answer holds is read
	served, done := h.cache.serveOrLead(e, now)
	if served {
		return nil
	}
	defer done()
	v, err := h.st.Venue(e.App)
	if err != nil {
		if errors.Is(err, store.ErrNoVenue) {
			return fail(http.StatusServiceUnavailable, "api.not_set_up")
		}
		return err
	}
	lang = visitorLanguage(e.Request, v.Locale)
	off, err := h.st.Offering(e.App, slug)
	if err != nil {
		return fail(http.StatusNotFound, "api.no_offering")
	}
	r := off.Rules()
	d, err := booking.ParseDate(strings.TrimSpace(q.Get("date")))
	if err != nil {
		return fail(http.StatusBadRequest, "api.bad_date")
	}
	party := defaultParty(r)
	if s := strings.TrimSpace(q.Get("party")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fail(http.StatusBadRequest, "api.bad_party")
		}
		if err := r.CheckParty(n); err != nil {
			return fail(http.StatusUnprocessableEntity, "api.party_not_bookable")
		}
		party = n
	}
	cal, err := h.st.LoadCalendar(e.App, off, d, v.Loc, "")
	if err != nil {
		return err
	}
	// with: the staff member or room the times are for (as on the booking page); "" is anyone.
	with := strings.TrimSpace(q.Get("with"))
	if res, ok := cal.Calendar.Pool.Resource(with); with != "" && (!ok || !res.Kind.Pickable()) {
		return fail(http.StatusUnprocessableEntity, "api.unknown_with")
	}
	ans := availabilityAnswer{
		Offering: off.Slug,
		Date:     d.String(),
		TimeZone: v.Loc.String(),
		Party:    party,
		Times:    []availabilityTime{},
	}
	for _, t := range timeOptions(r, r.ForParty(party).Preferring(with).Slots(cal.Calendar, d, now, v.Loc), d, party, v.Loc) {
		at := availabilityTime{
			Value:     t.Value,
			Start:     t.Start,
			End:       t.End,
			Local:     t.Start.Format(localLayout),
			Remaining: t.Remaining,
			Available: !t.Full,
			Ambiguous: t.Ambiguous,
		}
		if r.Kind == booking.KindSession {
			at.Session = t.Value
		}
		ans.Times = append(ans.Times, at)
	}
	b, err := json.Marshal(ans)
	if err != nil {
		return err
	}
	h.cache.keep(e, slug, version, now, jsonType, b)
	return writeBody(e, http.StatusOK, jsonType, b)
}

const jsonType = "application/json"
