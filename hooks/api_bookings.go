package hooks

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
	"reserva/internal/store"
	"reserva/views"
)

// The booking API's limits: the longest range one list may ask for, the page sizes.
const (
	apiMaxDays      = 93
	apiDefaultLimit = 50
	apiMaxLimit     = 200
)

// apiBooking is a booking as the API answers it. Guest is the guest's contact details: the
// scope bookings:read covers them (the owner grants it knowing so), and every read is audited.
type apiBooking struct {
	Reference string   `json:"reference"`
	Offering  string   `json:"offering"` // its slug
	Start     string   `json:"start"`    // RFC 3339 with the venue's offset
	End       string   `json:"end"`
	Party     int      `json:"party"`
	Status    string   `json:"status"`
	Source    string   `json:"source"`
	Resources []string `json:"resources"` // the names of the tables, rooms or staff it holds
	Guest     apiGuest `json:"guest"`
}

type apiGuest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// apiActor is how the audit log names a request made with key k.
func apiActor(k *store.APIKey) string { return "api:" + k.Name }

// apiView is row as the API shows it, times in the venue's zone.
func apiView(row store.FeedRow, loc *time.Location, names map[string]string) apiBooking {
	b := apiBooking{Reference: row.Reference, Offering: row.Offering, Start: row.Start.Time().In(loc).Format(time.RFC3339),
		End: row.End.Time().In(loc).Format(time.RFC3339), Party: row.Party, Status: row.Status, Source: row.Source,
		Resources: []string{}, Guest: apiGuest{Name: row.Name, Email: row.Email, Phone: row.Phone}}
	for _, id := range strings.Fields(row.Resources) {
		if n, ok := names[id]; ok {
			b.Resources = append(b.Resources, n)
		} else {
			b.Resources = append(b.Resources, id)
		}
	}
	return b
}

// apiVenue is the venue, or the API's 503 before one is set up.
func (h *handlers) apiVenue(e *core.RequestEvent) (*store.Venue, error) {
	v, err := h.st.Venue(e.App)
	if errors.Is(err, store.ErrNoVenue) {
		return nil, apiFail(e, http.StatusServiceUnavailable, "unavailable", "The venue has not been set up yet.")
	}
	if err != nil {
		return nil, h.apiInternal(e, "venue", err)
	}
	return v, nil
}

// apiInternal logs err and answers a calm 503: the request may be sent again.
func (h *handlers) apiInternal(e *core.RequestEvent, what string, err error) error {
	e.App.Logger().Error("api: "+what, "error", err.Error())
	e.Response.Header().Set("Retry-After", "5")
	return apiFail(e, http.StatusServiceUnavailable, "unavailable", "The request could not be answered just now. Please try again in a moment.")
}

// bookingStatuses are the statuses a list may be filtered by.
var bookingStatuses = []booking.Status{booking.StatusConfirmed, booking.StatusCheckedIn, booking.StatusCompleted, booking.StatusNoShow,
	booking.StatusCancelled, booking.StatusHeld}

// apiCursor is where the next page starts, as the client sends it back: opaque to it.
func apiCursor(row store.FeedRow) string {
	return base64.RawURLEncoding.EncodeToString([]byte(row.Start.String() + "|" + row.ID))
}

func parseCursor(s string) (store.FeedCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 100 {
		return store.FeedCursor{}, false
	}
	start, id, ok := strings.Cut(string(b), "|")
	if _, err := types.ParseDateTime(start); !ok || err != nil || start == "" || len(id) != 15 || !isLowerAlnum(id) {
		return store.FeedCursor{}, false
	}
	return store.FeedCursor{Start: start, ID: id}, true
}

func isLowerAlnum(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// apiBookings (bookings:read) lists the bookings starting on the venue-local days from to to
// (at most apiMaxDays), by start, a page at a time: GET /api/v1/bookings?from=&to=[&offering=]
// [&status=][&limit=][&cursor=].
func (h *handlers) apiBookings(e *core.RequestEvent) error {
	v, err := h.apiVenue(e)
	if v == nil {
		return err
	}
	q := e.Request.URL.Query()
	bad := map[string]string{}
	from, ferr := booking.ParseDate(q.Get("from"))
	if ferr != nil {
		bad["from"] = "Give the first day as YYYY-MM-DD."
	}
	to, terr := booking.ParseDate(q.Get("to"))
	if terr != nil {
		bad["to"] = "Give the last day as YYYY-MM-DD."
	}
	if ferr == nil && terr == nil {
		switch {
		case to.Compare(from) < 0:
			bad["to"] = "The last day is before the first."
		case to.Compare(from.AddDays(apiMaxDays-1)) > 0:
			bad["to"] = fmt.Sprintf("Ask for at most %d days at a time.", apiMaxDays)
		}
	}
	f := store.Filter{}
	if s := q.Get("status"); s != "" {
		if !slices.Contains(bookingStatuses, booking.Status(s)) {
			bad["status"] = "Not a status of a booking."
		}
		f.Status = booking.Status(s)
	}
	limit := apiDefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > apiMaxLimit {
			bad["limit"] = fmt.Sprintf("Give a whole number from 1 to %d.", apiMaxLimit)
		}
		limit = n
	}
	var after store.FeedCursor
	if s := q.Get("cursor"); s != "" {
		var ok bool
		if after, ok = parseCursor(s); !ok {
			bad["cursor"] = "Send the next_cursor of the page before, unchanged."
		}
	}
	if slug := q.Get("offering"); slug != "" {
		id, err := store.OfferingIDBySlug(e.App, slug)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			bad["offering"] = "No offering has this slug."
		case err != nil:
			return h.apiInternal(e, "offering", err)
		}
		f.Offering = id
	}
	if len(bad) > 0 {
		return apiFields(e, http.StatusBadRequest, "bad_request", "Some query parameters are not right.", bad)
	}
	f.From, f.To = v.Midnight(from), v.Midnight(to.AddDays(1))
	rows, err := store.BookingFeed(e.App, f, after, limit+1)
	if err != nil {
		return h.apiInternal(e, "bookings", err)
	}
	names, err := store.ResourceNames(e.App)
	if err != nil {
		return h.apiInternal(e, "bookings", err)
	}
	var next *string
	if len(rows) > limit {
		rows = rows[:limit]
		c := apiCursor(rows[limit-1])
		next = &c
	}
	out := struct {
		Bookings   []apiBooking `json:"bookings"`
		NextCursor *string      `json:"next_cursor"`
	}{Bookings: []apiBooking{}, NextCursor: next}
	for _, r := range rows {
		out.Bookings = append(out.Bookings, apiView(r, v.Loc, names))
	}
	key := apiKeyOf(e)
	detail := fmt.Sprintf("key %q: %d bookings from %s to %s", key.Name, len(rows), from, to)
	if err := store.Audit(e.App, store.Entry{RequestID: reqID(e), Actor: apiActor(key), Action: "api.bookings_listed",
		Target: "bookings", Detail: detail, IP: e.RealIP()}); err != nil {
		return h.apiInternal(e, "audit", err)
	}
	return apiJSON(e, http.StatusOK, out)
}

// apiBookingOne (bookings:read) answers one booking by its reference: GET
// /api/v1/bookings/{reference}; 404 when there is none.
func (h *handlers) apiBookingOne(e *core.RequestEvent) error {
	v, err := h.apiVenue(e)
	if v == nil {
		return err
	}
	ref := strings.ToUpper(e.Request.PathValue("reference"))
	var row *store.FeedRow
	if len(ref) <= 20 {
		row, err = store.APIBooking(e.App, ref)
	} else {
		err = sql.ErrNoRows
	}
	if errors.Is(err, sql.ErrNoRows) {
		return apiFail(e, http.StatusNotFound, "not_found", "No booking has this reference.")
	}
	if err != nil {
		return h.apiInternal(e, "booking", err)
	}
	names, err := store.ResourceNames(e.App)
	if err != nil {
		return h.apiInternal(e, "booking", err)
	}
	key := apiKeyOf(e)
	if err := store.Audit(e.App, store.Entry{RequestID: reqID(e), Actor: apiActor(key), Action: "api.booking_read",
		Target: "bookings/" + row.ID, Detail: fmt.Sprintf("key %q: 1 booking", key.Name), IP: e.RealIP()}); err != nil {
		return h.apiInternal(e, "audit", err)
	}
	return apiJSON(e, http.StatusOK, apiView(*row, v.Loc, names))
}

// apiBookRequest is the body of POST /api/v1/bookings.
type apiBookRequest struct {
	Offering string          `json:"offering"`
	Start    string          `json:"start"`
	Party    json.RawMessage `json:"party"`
	Name     string          `json:"name"`
	Email    string          `json:"email"`
	Phone    string          `json:"phone"`
	Language string          `json:"language"`
	Notes    string          `json:"notes"`
}

// apiJSONFields are the fields a booking's body may have.
var apiJSONFields = []string{"offering", "start", "party", "name", "email", "phone", "language", "notes"}

// errReplay says that a request with the same Idempotency-Key made its booking meanwhile.
type errReplay struct{ booking string }

func (e errReplay) Error() string { return "api: idempotency key already used for " + e.booking }

// idempotencyKey reports whether s may be an Idempotency-Key: 1 to 255 printable ASCII characters.
func idempotencyKey(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// apiBook (bookings:write) makes a booking: POST /api/v1/bookings with a JSON body. It goes
// through the booking page's own writer and rules (placeBooking), answers 201 with the booking
// and its Location, 409 when the time is full, 422 with a message per bad field; with an
// Idempotency-Key header the same key and body within 24 hours answer the first booking again.
func (h *handlers) apiBook(e *core.RequestEvent) error {
	if ct := e.Request.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return apiFail(e, http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the booking as JSON (Content-Type: application/json).")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(e.Response, e.Request.Body, formBodyLimit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return apiFail(e, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("The body is over %d KiB.", formBodyLimit>>10))
	}
	if err != nil {
		return apiFail(e, http.StatusBadRequest, "bad_request", "The body could not be read.")
	}
	key := apiKeyOf(e)
	now := h.now()
	idem := e.Request.Header.Get("Idempotency-Key")
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	if idem != "" {
		if !idempotencyKey(idem) {
			return apiFields(e, http.StatusBadRequest, "bad_request", "The Idempotency-Key header is not right.",
				map[string]string{"Idempotency-Key": "Send 1 to 255 printable ASCII characters, e.g. a UUID."})
		}
		if done, err := h.apiReplay(e, key, idem, bodyHash, now); done {
			return err
		}
	}
	v, err := h.apiVenue(e)
	if v == nil {
		return err
	}
	var req apiBookRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return apiFields(e, http.StatusUnprocessableEntity, "invalid", "Some fields are not right.",
				map[string]string{typeErr.Field: "Send this field as a " + jsonKind(typeErr.Field) + "."})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return apiFields(e, http.StatusUnprocessableEntity, "invalid", "Some fields are not right.",
				map[string]string{name: "Not a field of a booking; the fields are " + strings.Join(apiJSONFields, ", ") + "."})
		}
		return apiFail(e, http.StatusBadRequest, "bad_json", "The body is not a JSON object.")
	}
	if dec.More() {
		return apiFail(e, http.StatusBadRequest, "bad_json", "The body is not one JSON object.")
	}
	off, in, date, bad, err := h.apiBookInput(e, v, req)
	if err != nil {
		return h.apiInternal(e, "book", err)
	}
	if len(bad) > 0 {
		return apiFields(e, http.StatusUnprocessableEntity, "invalid", "Some fields are not right.", bad)
	}
	var remember func(core.App, newBooking) error
	if idem != "" {
		remember = func(tx core.App, b newBooking) error {
			// A request with the same key may have booked between the check above and this write.
			if first, err := store.RememberedBooking(tx, key.ID, idem, bodyHash, now); err == nil {
				return errReplay{first}
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			return store.RememberBooking(tx, key.ID, idem, bodyHash, b.ID, now)
		}
	}
	placed, err := h.placeBooking(e, v, off, date, in, store.SourceAPI, apiActor(key), now, remember)
	if err != nil && idem != "" {
		if done, rerr := h.apiReplay(e, key, idem, bodyHash, now); done {
			return rerr
		}
	}
	en := views.NewLocale("en")
	r := off.Rules()
	switch {
	case err == nil:
		return h.apiCreated(e, v, placed.ID, false)
	case errors.Is(err, booking.ErrFull):
		return apiFail(e, http.StatusConflict, "full", "This time has no room left for the party. Ask the availability API for free times.")
	case errors.Is(err, booking.ErrUnknownResource):
		return apiFail(e, http.StatusConflict, "full", "No table, room or staff member is free for this booking.")
	case errors.Is(err, booking.ErrPartyTooSmall), errors.Is(err, booking.ErrPartyTooLarge):
		return apiFields(e, http.StatusUnprocessableEntity, "invalid", "Some fields are not right.", map[string]string{"party": en.M(partyMsg(r, err))})
	case isStartError(err):
		return apiFields(e, http.StatusUnprocessableEntity, "invalid", "Some fields are not right.", map[string]string{"start": en.M(startMsg(err))})
	}
	return h.apiInternal(e, "book", err)
}

// jsonKind is what JSON type a field of a booking is.
func jsonKind(field string) string {
	if field == "party" {
		return "whole number"
	}
	return "string"
}

// apiReplay answers the booking the key's earlier request with idem made (done true), or
// 422 when idem came with another body; done false when idem is new.
func (h *handlers) apiReplay(e *core.RequestEvent, key *store.APIKey, idem, bodyHash string, now time.Time) (bool, error) {
	first, err := store.RememberedBooking(e.App, key.ID, idem, bodyHash, now)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case errors.Is(err, store.ErrIdempotencyReused):
		return true, apiFail(e, http.StatusUnprocessableEntity, "idempotency_key_reused",
			"This Idempotency-Key was sent with another body in the last 24 hours. Use a new key for a new booking.")
	case err != nil:
		return true, h.apiInternal(e, "idempotency", err)
	}
	v, verr := h.apiVenue(e)
	if v == nil {
		return true, verr
	}
	return true, h.apiCreated(e, v, first, true)
}

// apiCreated answers 201 with the booking id (made now, or by the first request with the same
// Idempotency-Key when replayed).
func (h *handlers) apiCreated(e *core.RequestEvent, v *store.Venue, id string, replayed bool) error {
	row, err := store.APIBookingByID(e.App, id)
	if err != nil {
		return h.apiInternal(e, "booking made", err)
	}
	names, err := store.ResourceNames(e.App)
	if err != nil {
		return h.apiInternal(e, "booking made", err)
	}
	e.Response.Header().Set("Location", "/api/v1/bookings/"+url.PathEscape(row.Reference))
	if replayed {
		e.Response.Header().Set("Idempotent-Replayed", "true")
	}
	return apiJSON(e, http.StatusCreated, apiView(*row, v.Loc, names))
}

// apiBookInput checks a booking's fields as the booking form's are checked (parseBookForm),
// and returns the offering, the form's input, the opening day of the start and a message
// per bad field.
func (h *handlers) apiBookInput(e *core.RequestEvent, v *store.Venue, req apiBookRequest) (*store.Offering, bookInput, booking.Date,
	map[string]string, error) {
	en := views.NewLocale("en")
	bad := map[string]string{}
	party := strings.TrimSpace(string(req.Party))
	if party == "" || party == "null" {
		party = ""
	}
	form := url.Values{"name": {req.Name}, "email": {req.Email}, "phone": {req.Phone}, "notes": {req.Notes}, "party": {party},
		"consent": {"yes"}}
	off, err := h.st.Offering(e.App, req.Offering)
	switch {
	case strings.TrimSpace(req.Offering) == "":
		bad["offering"] = "Give the slug of the offering to book."
	case err != nil && errors.Is(err, sql.ErrNoRows):
		bad["offering"] = "No bookable offering has this slug."
	case err != nil:
		return nil, bookInput{}, booking.Date{}, nil, err
	}
	start, msg, err := apiStart(e.App, v, off, strings.TrimSpace(req.Start))
	if err != nil {
		return nil, bookInput{}, booking.Date{}, nil, err
	}
	if msg != "" {
		bad["start"] = msg
	}
	form.Set("start", start)
	in, errs := parseBookForm(form)
	for field, m := range errs {
		if _, ok := bad[field]; !ok && slices.Contains(apiJSONFields, field) {
			bad[field] = en.M(m)
		}
	}
	in.form.Guests, in.form.Sensitive, in.form.SensitiveConsent = nil, "", false
	if l := strings.TrimSpace(req.Language); l != "" {
		if !slices.Contains(views.Languages(), l) {
			bad["language"] = "Give one of " + strings.Join(views.Languages(), ", ") + ", or leave it out for the venue's language."
		}
		in.locale = l
	}
	if off == nil {
		return nil, in, booking.Date{}, bad, nil
	}
	if _, badParty := bad["party"]; !badParty {
		if perr := off.Rules().CheckParty(in.party); perr != nil {
			bad["party"] = en.M(partyMsg(off.Rules(), perr))
		}
	}
	var date booking.Date
	if _, badStart := bad["start"]; !badStart {
		date, err = store.StartDate(e.App, off, in.start, v.Loc)
		if errors.Is(err, booking.ErrInvalidStart) {
			bad["start"] = en.M(views.M("err.start_invalid"))
		} else if err != nil {
			return nil, bookInput{}, booking.Date{}, nil, err
		}
	}
	return off, in, date, bad, nil
}

// apiStart turns the API's start (venue-local "2006-01-02T15:04", or RFC 3339 with any offset)
// into the booking form's: the local time, or the session's id for an offering of sessions.
// msg says what is wrong with it ("" when nothing is).
func apiStart(app core.App, v *store.Venue, off *store.Offering, s string) (start, msg string, err error) {
	const local = "2006-01-02T15:04"
	if s == "" {
		return "", "Give the start, e.g. 2026-11-27T19:00 (the venue's time) or 2026-11-27T19:00:00+01:00.", nil
	}
	t, perr := time.ParseInLocation(local, s, v.Loc)
	isLocal := perr == nil
	if perr != nil {
		t, perr = time.Parse(time.RFC3339, s)
	}
	if perr != nil || t.Second() != 0 || t.Nanosecond() != 0 {
		return "", "Give the start as 2026-11-27T19:00 (the venue's time) or in RFC 3339, on the minute.", nil
	}
	if off == nil {
		return s, "", nil // the offering is refused; the time is not judged
	}
	if !off.IsSession() && isLocal {
		return s, "", nil // as typed: the rules judge a time that a clock change skips
	}
	if !off.IsSession() {
		return t.In(v.Loc).Format(local), "", nil
	}
	id, err := store.SessionAt(app, off.ID, t)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "No session of this offering starts at this time.", nil
	}
	return id, "", err
}
