package hooks

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// bookPage shows an offering's free times on a date for a party size; with ?start= it also
// shows the details form for that time.
func (h *handlers) bookPage(e *core.RequestEvent) error {
	now := h.now()
	q := e.Request.URL.Query()
	// Without a chosen time the page is the same for every visitor: kept for a moment. Only
	// complete answers are kept, and a change to the venue or an offering makes them stale.
	slug := e.Request.PathValue("slug")
	keep, version := !q.Has("start") && cacheable(e.Request), h.st.Version(slug)
	if keep {
		served, done := h.cache.serveOrLead(e, now)
		if served {
			return nil
		}
		defer done()
	}
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	if embedded(e.Request) {
		// The origins as read after the version: a kept page never carries a list older than it.
		setEmbedHeaders(e.Response.Header(), v.EmbedOrigins())
	}
	off, err := h.st.Offering(e.App, slug)
	if err != nil {
		return notFound(err)
	}
	dateStr := q.Get("date")
	if start := q.Get("start"); start != "" {
		// A time pressed: its own opening day, whatever the date field said.
		if d, err := store.StartDate(e.App, off, start, v.Loc); err == nil {
			dateStr = d.String()
		}
	}
	sel, err := h.selection(e.App, v, off, dateStr, q.Get("party"), now)
	if err != nil {
		return err
	}
	sel.with = q.Get("with")
	d, err := h.bookData(e, v, off, sel, now)
	if err != nil {
		return err
	}
	d.Notice = sel.notice
	status := http.StatusOK
	if sel.bad {
		status = http.StatusBadRequest
	}
	if start := q.Get("start"); start != "" {
		if t := findTime(d.Times, start); t != nil && !t.Full {
			d.Chosen, d.ShowForm = t, true
		} else if t != nil && t.Remaining > 0 {
			d.Notice = views.M("change.no_room", sel.party)
		} else if t != nil {
			d.Notice = views.M("book.just_taken")
		} else {
			d.Notice, status = views.M("err.start_invalid"), http.StatusBadRequest
		}
	}
	b, err := renderHTML(e, views.BookPage(d))
	if err != nil {
		return err
	}
	if keep && status == http.StatusOK {
		h.cache.keep(e, slug, version, now, htmlType, b)
	}
	return writeBody(e, status, htmlType, b)
}

// book creates a booking: the capacity check and the insert run in one write of the booking
// writer, so no number of simultaneous requests can overfill a time.
func (h *handlers) book(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	off, err := h.st.Offering(e.App, e.Request.PathValue("slug"))
	if err != nil {
		return notFound(err)
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	now := h.now()
	r := off.Rules()
	in, errs := parseBookForm(e.Request.PostForm)
	if offeringView(off).SensitivePrompt == "" {
		// The offering asks no sensitive question: nothing of the kind is kept.
		in.form.Sensitive, in.form.SensitiveConsent = "", false
		delete(errs, "sensitive")
		delete(errs, "sensitive_consent")
	}
	if !off.AskParticipants {
		// Nor names of other guests.
		for i := range in.form.Guests {
			delete(errs, "guest_"+strconv.Itoa(i+1))
			delete(errs, "guest_consent_"+strconv.Itoa(i+1))
		}
		in.form.Guests = nil
	}
	h.checkTextNumber(v, &in, errs)
	in.stamp = h.stampFor(e.Request.PostForm.Get("t"), now)
	in.with = e.Request.PostForm.Get("with")
	in.locale = visitorLanguage(e.Request, v.Locale)
	date, err := store.StartDate(e.App, off, in.start, v.Loc)
	if err != nil && !errors.Is(err, booking.ErrInvalidStart) {
		return err
	}
	if err != nil && errs["start"].IsZero() {
		errs["start"] = views.M("err.start_invalid")
	}
	if _, bad := errs["party"]; !bad {
		if perr := r.CheckParty(in.party); perr != nil {
			errs["party"] = partyMsg(r, perr)
		}
	}
	if len(errs) > 0 {
		return h.renderBookForm(e, v, off, date, in, errs, views.Msg{}, http.StatusUnprocessableEntity)
	}
	if h.automated(e.Request.PostForm, now) {
		// A bot's post: nothing is stored, and a person simply sends the form again.
		return h.renderBookForm(e, v, off, date, in, nil, views.M("book.send_again"), http.StatusUnprocessableEntity)
	}

	if off.PaymentMode != "" {
		// Paid for through Stripe: the place is held until Stripe says it is paid.
		acct, err := store.LoadPaymentAccount(e.App)
		if err != nil || !acct.Ready() {
			return &pageError{status: http.StatusServiceUnavailable, heading: "error.payments_unavailable",
				body: "error.payments_unavailable_body", err: err}
		}
		in.pay, in.payAccount = true, acct
	}
	placed, err := h.placeBooking(e, v, off, date, in, store.SourceWeb, store.ActorVisitor, now, nil)
	token := placed.token
	switch {
	case err == nil && in.pay:
		return h.startCheckout(e, v, off, in.payAccount, placed.ID, token, in)
	case err == nil && embedded(e.Request):
		// Framed: the confirmation stays in the frame, in the language of the form.
		return e.Redirect(http.StatusSeeOther, embedPrefix+"b/"+token+"?m=booked&lang="+url.QueryEscape(in.locale))
	case err == nil:
		return e.Redirect(http.StatusSeeOther, "/b/"+token+"?m=booked")
	case errors.Is(err, errDailyCap):
		return &pageError{status: http.StatusTooManyRequests, heading: "error.too_many_bookings", body: "error.too_many_bookings_body", err: err}
	case errors.Is(err, booking.ErrFull):
		return h.renderBookForm(e, v, off, date, in, nil, views.M("book.just_taken"), http.StatusConflict)
	case errors.Is(err, booking.ErrUnknownResource):
		// The staff member or room picked no longer takes bookings: any other may.
		in.with = ""
		return h.renderBookForm(e, v, off, date, in, nil, views.M("book.with_gone"), http.StatusUnprocessableEntity)
	case errors.Is(err, booking.ErrPartyTooSmall), errors.Is(err, booking.ErrPartyTooLarge):
		errs["party"] = partyMsg(r, err)
	case isStartError(err):
		errs["start"] = startMsg(err)
	default:
		return fmt.Errorf("book: %w", err)
	}
	return h.renderBookForm(e, v, off, date, in, errs, views.Msg{}, http.StatusUnprocessableEntity)
}

// placeBooking writes a guest's booking of in at off (on date) through the booking writer, the
// one way every guest's booking is made (the booking page, the embedded one, the API): the
// offering's rules in full (capacity, pacing, resources, lead time, horizon, closures), the
// daily cap per address for the site's bookings, the booking with its manage token, its audit
// entry by actor, the confirmation mail and the webhook event, all in one write, so no number
// of simultaneous requests can overfill a time. also, when not nil, runs last inside the same
// write with the new booking (the API records its idempotency key there).
func (h *handlers) placeBooking(e *core.RequestEvent, v *store.Venue, off *store.Offering, date booking.Date, in bookInput,
	source store.Source, actor string, now time.Time, also func(tx core.App, b newBooking) error) (newBooking, error) {
	r := off.Rules()
	var placed newBooking
	err := h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		tx.Only(off.Slug) // a new booking of this offering: other offerings' pages stay current
		cal, err := h.st.LoadCheckCalendar(tx.App, off, date, v.Loc, "", in.start)
		if err != nil {
			return err
		}
		slot, err := r.Check(cal.Calendar, booking.Request{Start: in.start, Party: in.party, Resource: in.with}, now, v.Loc)
		if err != nil {
			return err
		}
		if source == store.SourceWeb {
			if err := h.checkDailyCap(tx.App, v, in.form.Email, now); err != nil {
				return err
			}
		}
		b, err := insertBooking(tx.App, v, off, slot, in, source, "", now)
		if err != nil {
			return err
		}
		placed = b
		detail := ""
		if in.pay {
			detail = "awaiting payment"
		}
		if err := store.Audit(tx.App, store.Entry{RequestID: reqID(e), Actor: actor, Action: "booking.create",
			Target: "bookings/" + b.ID, Detail: detail}); err != nil {
			return err
		}
		if in.pay {
			// The confirmation and the event wait for the payment (paymentCompleted).
			return holdForPayment(tx.App, off, b.Booking, in.payAccount.Currency, now)
		}
		if err := jobs.QueueBookingMail(tx.App, v, store.MailConfirmation, b.Booking, b.token, now); err != nil {
			return err
		}
		if err := jobs.QueueEvent(tx.App, v, store.EventBookingCreated, b.ID, now); err != nil {
			return err
		}
		if also != nil {
			return also(tx.App, b)
		}
		return nil
	})
	if err != nil {
		return newBooking{}, err
	}
	return placed, nil
}

// renderBookForm re-renders the booking page with the visitor's details kept. The picked time is
// kept when it is still free; otherwise the form offers the date's free times to choose from.
func (h *handlers) renderBookForm(e *core.RequestEvent, v *store.Venue, off *store.Offering, date booking.Date,
	in bookInput, errs map[string]views.Msg, notice views.Msg, status int) error {
	now := h.now()
	party := in.party
	if r := off.Rules(); party < 1 || r.CheckParty(party) != nil {
		party = defaultParty(r)
	}
	today := v.Today(now)
	if date.IsZero() || date.Compare(today) < 0 {
		date = today
	}
	d, err := h.bookData(e, v, off, selection{date: date, party: party, with: in.with}, now)
	if err != nil {
		return err
	}
	d.ShowForm, d.Form, d.Errors, d.Notice = true, in.form, errs, notice
	d.Stamp = in.stamp
	if _, bad := errs["start"]; !bad && status != http.StatusConflict {
		if t := findTime(d.Times, in.start); t != nil && !t.Full {
			d.Chosen = t
		}
	}
	return render(e, status, views.BookPage(d))
}

// bookInput is the parsed booking form.
type bookInput struct {
	form   views.BookForm
	party  int
	start  string
	stamp  string // the form stamp to render again: the posted one when genuine, else a fresh one
	locale string // the guest's language, for the mails ("" for the venue's: a staff booking)
	with   string // the staff member or room picked ("": any)
	// pay holds the place until the guest pays through Stripe (the offering asks for a
	// payment), into payAccount. Only the booking page sets it: a booking through the API
	// is made by the venue's own program, which settles any money itself.
	pay        bool
	payAccount store.PaymentAccount
}

// stampFor keeps a genuine posted form stamp (the visitor's time already counts) or makes a
// fresh one.
func (h *handlers) stampFor(posted string, now time.Time) string {
	if _, ok := h.stamps.shownAt(posted); ok {
		return posted
	}
	return h.stamps.stamp(now)
}

// honeypotField is a form field people never see (hidden by CSS, skipped by keyboard and
// screen readers) and bots fill in.
const honeypotField = "website"

// automated reports whether a booking post looks like a bot's: the honeypot is filled, or the
// form came back sooner than a person could fill it (or without a genuine stamp).
func (h *handlers) automated(f url.Values, now time.Time) bool {
	if f.Get(honeypotField) != "" {
		return true
	}
	if h.limits.FormMinFill <= 0 {
		return false
	}
	shown, ok := h.stamps.shownAt(f.Get("t"))
	return !ok || now.Sub(shown) < h.limits.FormMinFill
}

// errDailyCap refuses a booking past the per-address daily cap.
var errDailyCap = errors.New("book: daily bookings per e-mail reached")

// checkDailyCap refuses a new booking when the address already made the day's allowance
// (venue-local day, case-insensitive address). Run inside the booking's write.
func (h *handlers) checkDailyCap(tx core.App, v *store.Venue, email string, now time.Time) error {
	if h.limits.BookingsPerEmail <= 0 {
		return nil
	}
	n, err := store.WebBookingsSince(tx, email, v.Midnight(v.Today(now)))
	if err != nil {
		return err
	}
	if n >= h.limits.BookingsPerEmail {
		return errDailyCap
	}
	return nil
}

// parseBookForm reads and checks the visitor's fields; each problem is keyed by its field.
func parseBookForm(f url.Values) (bookInput, map[string]views.Msg) {
	errs := map[string]views.Msg{}
	in := bookInput{
		form: views.BookForm{
			Name:             cleanName(f.Get("name")),
			Email:            strings.TrimSpace(f.Get("email")),
			Phone:            strings.TrimSpace(f.Get("phone")),
			Notes:            strings.TrimSpace(strings.ReplaceAll(f.Get("notes"), "\r\n", "\n")),
			Consent:          f.Get("consent") == "yes" || f.Get("consent") == "on",
			Sensitive:        strings.TrimSpace(strings.ReplaceAll(f.Get("sensitive"), "\r\n", "\n")),
			SensitiveConsent: f.Get("sensitive_consent") == "yes" || f.Get("sensitive_consent") == "on",
			SMS:              f.Get("sms") == "yes" || f.Get("sms") == "on",
		},
		start: strings.TrimSpace(f.Get("start")),
	}
	party, err := strconv.Atoi(strings.TrimSpace(f.Get("party")))
	if err != nil || party < 1 || party > 10000 {
		errs["party"] = views.M("err.party_invalid")
	}
	in.party = party

	switch {
	case !cleanText(in.form.Name, false):
		errs["name"] = views.M("err.text_invalid")
	case in.form.Name == "":
		errs["name"] = views.M("err.name_required")
	case utf8.RuneCountInString(in.form.Name) > views.MaxName:
		errs["name"] = views.M("err.name_long", views.MaxName)
	}
	switch {
	case in.form.Email == "":
		errs["email"] = views.M("err.email_required")
	case len(in.form.Email) > views.MaxEmail || !cleanText(in.form.Email, false) || is.EmailFormat.Validate(in.form.Email) != nil:
		errs["email"] = views.M("err.email_invalid")
	}
	if in.form.Phone != "" && !validPhone(in.form.Phone) {
		errs["phone"] = views.M("err.phone_invalid")
	}
	switch {
	case !cleanText(in.form.Notes, true):
		errs["notes"] = views.M("err.text_invalid")
	case utf8.RuneCountInString(in.form.Notes) > views.MaxNotes:
		errs["notes"] = views.M("err.notes_long", views.MaxNotes)
	}
	if !in.form.Consent {
		errs["consent"] = views.M("err.consent_required")
	}
	for i := range views.GuestRows(party) {
		n := strconv.Itoa(i + 1)
		g := views.Guest{Name: cleanName(f.Get("guest_" + n)), Consent: f.Get("guest_consent_"+n) == "yes" || f.Get("guest_consent_"+n) == "on"}
		switch {
		case !cleanText(g.Name, false):
			errs["guest_"+n] = views.M("err.text_invalid")
		case utf8.RuneCountInString(g.Name) > views.MaxName:
			errs["guest_"+n] = views.M("err.name_long", views.MaxName)
		case g.Name != "" && !g.Consent:
			errs["guest_consent_"+n] = views.M("err.guest_consent")
		}
		in.form.Guests = append(in.form.Guests, g)
	}
	switch {
	case !cleanText(in.form.Sensitive, true):
		errs["sensitive"] = views.M("err.text_invalid")
	case utf8.RuneCountInString(in.form.Sensitive) > views.MaxSensitive:
		errs["sensitive"] = views.M("err.notes_long", views.MaxSensitive)
	case in.form.Sensitive != "" && !in.form.SensitiveConsent:
		errs["sensitive_consent"] = views.M("err.sensitive_consent")
	}
	if in.start == "" {
		errs["start"] = views.M("err.start_missing")
	}
	return in, errs
}

// cleanName is a person's name as typed into a form, as Reserva keeps it: without the invisible
// format characters (Unicode Cf: bidi overrides and isolates such as U+202E, zero-width spaces,
// word joiners, the byte order mark, soft hyphens), then trimmed. They show nothing, but they
// can turn a name around on every list and mail it appears on, or make two names look alike;
// and people paste them in with text without knowing, so they are dropped rather than refused.
// The zero-width joiner and non-joiner stay inside a name, as some scripts (Persian, the Indic
// ones) and emoji need them. A name with nothing visible left is "", which forms refuse as
// missing. Control characters and broken UTF-8 are kept, for cleanText to refuse.
func cleanName(s string) string {
	if !utf8.ValidString(s) {
		return s
	}
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) && r != zwnj && r != zwj {
			return -1
		}
		return r
	}, s)
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == zwnj || r == zwj })
}

// The zero-width non-joiner and joiner, the format characters a name may keep.
const (
	zwnj = '\u200c'
	zwj  = '\u200d'
)

// cleanText reports whether s is valid UTF-8 without control characters (line breaks and tabs
// allowed only where multiline says so).
func cleanText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if multiline && (c == '\n' || c == '\t') {
			continue
		}
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			return false
		}
	}
	return true
}

// validPhone accepts what people type for a phone number: digits with spaces, + - ( ) . /,
// at least five digits and at most views.MaxPhone characters.
func validPhone(s string) bool {
	if len(s) > views.MaxPhone {
		return false
	}
	digits := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case strings.ContainsRune(" +-().//", c):
		default:
			return false
		}
	}
	return digits >= 5
}

// checkTextNumber checks the phone of a guest who asked for texts: a mobile number of the
// venue's country (jobs.HomeNumber), kept in its international form (+49 1512 3456789); without
// a gateway set up, nobody is offered texts and the box counts for nothing.
func (h *handlers) checkTextNumber(v *store.Venue, in *bookInput, errs map[string]views.Msg) {
	if !in.form.SMS || h.jobs.Texts() == nil {
		in.form.SMS = false
		return
	}
	if _, bad := errs["phone"]; bad {
		return
	}
	n, err := jobs.TextNumber(in.form.Phone, v.Phone)
	if err != nil {
		errs["phone"] = views.M("err.phone_sms")
		return
	}
	if home, code := jobs.HomeNumber(n, v.Phone); !home {
		errs["phone"] = views.M("err.phone_sms_country", code)
		return
	}
	in.form.Phone = jobs.DisplayNumber(n)
}

// newBooking is a booking just written, with the manage token its guest is sent to.
type newBooking struct {
	*store.Booking
	token string
}

// insertBooking writes a confirmed booking of in for slot (with a manage token), inside the
// write that checked capacity, and returns what the mails about it need.
func insertBooking(tx core.App, v *store.Venue, off *store.Offering, slot booking.Slot, in bookInput, source store.Source,
	override string, now time.Time) (newBooking, error) {
	guests := make([]store.Guest, len(in.form.Guests))
	for i, g := range in.form.Guests {
		guests[i] = store.Guest{Name: g.Name, Consent: g.Consent}
	}
	status := booking.StatusConfirmed
	if in.pay {
		status = booking.StatusHeld
	}
	ins, err := store.InsertBooking(tx, store.NewBooking{Offering: off.ID, Slot: slot, Party: in.party, Status: status, AwaitsPayment: in.pay,
		Name: in.form.Name, Email: in.form.Email, Phone: in.form.Phone, Notes: in.form.Notes, Sensitive: in.form.Sensitive,
		Guests: guests, Source: source, Override: override, ConsentAt: now, NoticeVersion: v.NoticeVersion(),
		NoticeText: v.PrivacyNotice, RemindedAt: v.ReminderMark(slot.Start, now), Token: in.form.Email != "", Locale: in.locale, SMS: in.form.SMS, Now: now})
	if err != nil {
		return newBooking{}, err
	}
	b := &store.Booking{ID: ins.ID, Reference: ins.Reference, Offering: off.ID, Session: slot.Session, Party: in.party,
		Status: status, Name: in.form.Name, Email: in.form.Email, Phone: in.form.Phone, Source: source, Locale: in.locale,
		SMS: in.form.SMS}
	return newBooking{Booking: b, token: ins.Token}, nil
}

// formError maps a form that could not be read: too large (413) or malformed (400).
func formError(err error) error {
	if pe := pageFor(err); pe.status == http.StatusRequestEntityTooLarge {
		return pe
	}
	return badRequest(err)
}

func isStartError(err error) bool {
	for _, target := range []error{booking.ErrInvalidStart, booking.ErrClosed, booking.ErrClosedTime, booking.ErrTooSoon, booking.ErrTooFarAhead} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// startMsg is the sentence for a start the rules refused.
func startMsg(err error) views.Msg {
	switch {
	case errors.Is(err, booking.ErrClosed):
		return views.M("err.closed")
	case errors.Is(err, booking.ErrClosedTime):
		return views.M("err.closed_time")
	case errors.Is(err, booking.ErrTooSoon):
		return views.M("err.too_soon")
	case errors.Is(err, booking.ErrTooFarAhead):
		return views.M("err.too_far")
	}
	return views.M("err.start_invalid")
}

// partyMsg is the sentence for a party size the rules refused.
func partyMsg(r booking.Offering, err error) views.Msg {
	if errors.Is(err, booking.ErrPartyTooLarge) {
		return views.M("err.party_large", r.MaxParty)
	}
	return views.M("err.party_small", defaultParty(r))
}

// defaultParty is the smallest party the offering takes.
func defaultParty(r booking.Offering) int {
	if r.MinParty > 1 {
		return r.MinParty
	}
	return 1
}

func findTime(times []views.TimeOption, value string) *views.TimeOption {
	for i := range times {
		if times[i].Value == value {
			t := times[i]
			return &t
		}
	}
	return nil
}
