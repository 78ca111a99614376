package hooks

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// today is the front desk's landing page: each offering's bookings of a day (default today).
// Showing it is a view of those bookings' personal data, and audited as one.
func (h *handlers) today(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	now := h.now()
	day := v.Today(now)
	if s := e.Request.URL.Query().Get("date"); s != "" {
		if d, err := booking.ParseDate(s); err == nil {
			day = d
		}
	}
	offs, err := store.Offerings(e.App, true)
	if err != nil {
		return err
	}
	d := views.TodayData{AdminPage: h.adminPage(e, views.M("admin.nav.today")), Date: v.Midnight(day), DateValue: day.String(),
		Prev: day.AddDays(-1).String(), Next: day.AddDays(1).String(), CanCancel: true}
	total := 0
	resNames, err := store.ResourceNames(e.App)
	if err != nil {
		return err
	}
	for _, off := range offs {
		cal, err := h.st.LoadCalendar(e.App, off, day, v.Loc, "")
		if err != nil {
			return err
		}
		// The opening day: a night that runs past midnight keeps its late bookings.
		rows, err := store.DayBookings(e.App, off.ID, cal.DayStart(day, v.Loc), cal.DayStart(day.AddDays(1), v.Loc))
		if err != nil {
			return err
		}
		part := views.TodayOffering{Name: off.Name, Slug: off.Slug, ID: off.ID, Pooled: !cal.Calendar.Pool.Empty()}
		for _, r := range rows {
			start := r.Start.Time().In(v.Loc)
			next := booking.DateOf(start, v.Loc) != day
			part.Bookings = append(part.Bookings, views.TodayBooking{ID: r.ID, Reference: r.Reference, Start: start,
				End: r.End.Time().In(v.Loc), NextDay: next, Party: r.Party, Name: r.Name, Phone: r.Phone,
				Notes: r.Notes, Internal: r.InternalNotes, Status: r.Status, Held: store.NamesOf(resNames, r.Resources)})
			hour := time.Date(start.Year(), start.Month(), start.Day(), start.Hour(), 0, 0, 0, v.Loc)
			if n := len(part.Covers); n > 0 && part.Covers[n-1].Hour.Equal(hour) {
				part.Covers[n-1].Covers += r.Party
			} else {
				part.Covers = append(part.Covers, views.CoversHour{Hour: hour, NextDay: next, Covers: r.Party})
			}
		}
		r := off.Rules()
		r.LeadTime, r.Horizon = 0, 0 // the desk sees the whole day
		part.Free = timeOptions(r, r.Slots(cal.Calendar, day, now, v.Loc), day, 1, v.Loc)
		d.Offerings = append(d.Offerings, part)
		total += len(rows)
	}
	if err := h.staffAudit(e.App, e, "booking.list_viewed", "today/"+day.String(), fmt.Sprintf("%d bookings", total)); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.TodayPage(d))
}

// statusMoves are the status changes the desk may make with one click: check in, no-show,
// back to confirmed. Cancelling has its own handler (a reason and a mail).
var statusMoves = map[booking.Status][]booking.Status{
	booking.StatusCheckedIn: {booking.StatusConfirmed},
	booking.StatusNoShow:    {booking.StatusConfirmed},
	booking.StatusConfirmed: {booking.StatusCheckedIn, booking.StatusNoShow},
}

// errStatusConflict refuses a change the booking's status does not allow.
var errStatusConflict = &pageError{status: http.StatusConflict, heading: "admin.status_conflict", body: "admin.status_conflict_body"}

// setStatus moves a booking to status from the day list or its page.
func (h *handlers) setStatus(status booking.Status) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		if err := e.Request.ParseForm(); err != nil {
			return formError(err)
		}
		id := e.Request.PathValue("id")
		err := h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
			b, err := store.BookingByID(tx.App, id)
			if err != nil {
				return notFound(err)
			}
			old := b.Status
			if !slices.Contains(statusMoves[status], old) {
				return errStatusConflict
			}
			if err := store.SetBookingStatus(tx.App, b, status, h.now()); err != nil {
				return err
			}
			if !status.HoldsPlace() {
				tx.Freed()
			}
			return h.staffAudit(tx.App, e, "booking.status", "bookings/"+b.ID, string(old)+" → "+string(status))
		})
		if err != nil {
			return err
		}
		return e.Redirect(http.StatusSeeOther, backTo(e, "/admin/")+doneParam(e, "status"))
	}
}

// staffCancel cancels a booking for the venue, with the reason the guest is told by mail.
func (h *handlers) staffCancel(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(e.Request.PostForm.Get("reason"))
	if reason == "" || len(reason) > 500 || !cleanText(reason, false) {
		return &pageError{status: http.StatusUnprocessableEntity, heading: "admin.cancel_reason_missing", body: "admin.cancel_reason_missing_body"}
	}
	now := h.now()
	var refund *store.Payment
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		b, err := store.BookingByID(tx.App, e.Request.PathValue("id"))
		if err != nil {
			return notFound(err)
		}
		if b.Status != booking.StatusConfirmed {
			return errStatusConflict
		}
		// Cancelled by the venue: what the guest paid goes back in full.
		if refund, err = startRefund(tx.App, b.ID); err != nil {
			return err
		}
		if err := store.CancelBooking(tx.App, b, reason, now); err != nil {
			return err
		}
		tx.Freed()
		if err := h.staffAudit(tx.App, e, "booking.cancel", "bookings/"+b.ID, "by the venue"); err != nil {
			return err
		}
		if err := jobs.QueueBookingMail(tx.App, v, store.MailCancellation, b, "", now); err != nil {
			return err
		}
		return jobs.QueueEvent(tx.App, v, store.EventBookingCancelled, b.ID, now)
	})
	if err != nil {
		return err
	}
	h.settleRefund(e, refund, actor(e), "cancelled by the venue")
	return e.Redirect(http.StatusSeeOther, backTo(e, "/admin/")+doneParam(e, "cancelled"))
}

// backTo is the local page an action returns to (a form's "back" field), else def.
func backTo(e *core.RequestEvent, def string) string {
	b := e.Request.PostForm.Get("back")
	if strings.HasPrefix(b, "/admin/") && !strings.HasPrefix(b, "//") && !strings.ContainsAny(b, "\\\r\n") {
		return b
	}
	return def
}

func doneParam(e *core.RequestEvent, what string) string {
	if strings.Contains(backTo(e, "/admin/"), "?") {
		return "&done=" + what
	}
	return "?done=" + what
}

// bookingsPageSize is the number of bookings per page of the list.
const bookingsPageSize = 50

// bookingFilter reads the list's filter from the query; bad dates and statuses are ignored.
func bookingFilter(q url.Values) views.BookingFilter {
	// Control characters (a NUL, say) cannot be in what is searched for: they are left out.
	text := strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, q.Get("q")))
	f := views.BookingFilter{Q: text, From: q.Get("from"), To: q.Get("to"),
		Offering: q.Get("offering"), Status: booking.Status(q.Get("status"))}
	if _, err := booking.ParseDate(f.From); err != nil {
		f.From = ""
	}
	if _, err := booking.ParseDate(f.To); err != nil {
		f.To = ""
	}
	if !slices.Contains(booking.Statuses, f.Status) {
		f.Status = ""
	}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	if f.Page < 1 || f.Page > 100000 {
		f.Page = 1
	}
	if len(f.Q) > 200 {
		f.Q = f.Q[:200]
	}
	return f
}

// storeFilter is the list's filter as the store takes it, dates as venue-local days.
func storeFilter(f views.BookingFilter, v *store.Venue) store.Filter {
	sf := store.Filter{Q: f.Q, Offering: f.Offering, Status: f.Status}
	if d, err := booking.ParseDate(f.From); err == nil {
		sf.From = v.Midnight(d)
	}
	if d, err := booking.ParseDate(f.To); err == nil {
		sf.To = v.Midnight(d.AddDays(1))
	}
	return sf
}

// bookingsCountLimit is as far as the bookings list counts: beyond it the page says "more than"
// and offers the first pages (a search narrows it).
const bookingsCountLimit = 1000

// bookingsList searches bookings. Searching shows personal data: audited (without the query).
func (h *handlers) bookingsList(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	f := bookingFilter(e.Request.URL.Query())
	sf := storeFilter(f, v)
	total, more, err := store.CountBookingsUpTo(e.App, sf, bookingsCountLimit)
	if err != nil {
		return err
	}
	rows, err := store.ListBookings(e.App, sf, (f.Page-1)*bookingsPageSize, bookingsPageSize)
	if err != nil {
		return err
	}
	d := views.BookingsData{AdminPage: h.adminPage(e, views.M("admin.bookings.title")), Filter: f, Total: total, More: more,
		Pages: (total + bookingsPageSize - 1) / bookingsPageSize, CanExport: roleOf(e) >= store.RoleManager.Rank()}
	offs, err := store.Offerings(e.App, false)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, o := range offs {
		names[o.ID] = o.Name
		d.Offerings = append(d.Offerings, views.Option{Value: o.ID, Label: o.Name})
	}
	for _, b := range rows {
		d.Rows = append(d.Rows, views.BookingRow{ID: b.ID, Reference: b.Reference, Offering: names[b.Offering],
			Name: b.Name, Email: b.Email, Status: b.Status, Start: b.Start.Time().In(v.Loc), Party: b.Party})
	}
	detail := fmt.Sprintf("%d results, page %d", total, f.Page)
	if f.Q != "" {
		detail += ", with a search text"
	}
	if err := h.staffAudit(e.App, e, "booking.list_viewed", "bookings", detail); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.BookingsPage(d))
}

// bookingAdmin shows one booking to staff: an audited view of its personal data.
func (h *handlers) bookingAdmin(e *core.RequestEvent) error {
	return h.renderBookingAdmin(e, http.StatusOK, nil, "")
}

// staffBooking loads the venue, the booking of the request's {id} (404 when there is none) and
// its offering.
func (h *handlers) staffBooking(e *core.RequestEvent) (*store.Venue, *store.Booking, *store.Offering, error) {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := store.BookingByID(e.App, e.Request.PathValue("id"))
	if err != nil {
		return nil, nil, nil, notFound(err)
	}
	off, err := store.OfferingByID(e.App, b.Offering)
	if err != nil {
		return nil, nil, nil, err
	}
	return v, b, off, nil
}

func (h *handlers) renderBookingAdmin(e *core.RequestEvent, status int, errs map[string]views.Msg, moveDate string) error {
	v, b, off, err := h.staffBooking(e)
	if err != nil {
		return err
	}
	bv := jobs.BookingView(v, off, b)
	d := views.BookingAdminData{AdminPage: h.adminPage(e, views.M("admin.booking.title", bv.Reference)), ID: b.ID, Booking: bv,
		Internal: b.InternalNotes, Source: string(b.Source), Override: b.OverrideReason,
		Consent: b.ConsentAt.Time(), Notice: b.NoticeVersion, Errors: errs,
		Active: b.Status == booking.StatusConfirmed, HasSensitive: b.SensitiveNotes != "",
		CanSeeSensitive: roleOf(e) >= store.RoleManager.Rank()}
	if d.CanSeeSensitive && !b.Anonymised {
		d.GuestID = b.Customer
	}
	if !d.Consent.IsZero() {
		d.Consent = d.Consent.In(v.Loc)
	}
	if d.Guests, err = store.GuestNames(e.App, b.ID); err != nil {
		return err
	}
	if errs != nil {
		if f := e.Request.PostForm; f != nil && f.Has("name") {
			d.Booking.Name, d.Booking.Email, d.Booking.Phone, d.Booking.Notes = f.Get("name"), f.Get("email"), f.Get("phone"), f.Get("notes")
			d.Internal = f.Get("internal_notes")
		}
	}
	if d.Active {
		q := e.Request.URL.Query()
		dateStr := q.Get("date")
		if moveDate != "" {
			dateStr = moveDate
		}
		if dateStr == "" {
			dateStr = h.bookedDay(e.App, v, off, b).String()
		}
		partyStr := q.Get("party")
		if partyStr == "" {
			partyStr = strconv.Itoa(b.Party)
		}
		staffRules := off.Rules()
		staffRules.LeadTime = 0
		sel, err := h.selection(e.App, v, off, dateStr, partyStr, h.now())
		if err != nil {
			return err
		}
		cal, err := h.st.LoadCalendar(e.App, off, sel.date, v.Loc, b.ID)
		if err != nil {
			return err
		}
		d.Picker, err = h.picker(e.App, v, off, "/admin/bookings/"+b.ID, sel, h.now())
		if err != nil {
			return err
		}
		d.Times = timeOptions(staffRules, staffRules.ForParty(sel.party).Slots(cal.Calendar, sel.date, h.now(), v.Loc), sel.date, sel.party, v.Loc)
	}
	if err := h.reassignOptions(e.App, v, off, b, &d); err != nil {
		return err
	}
	pays, err := store.PaymentsOf(e.App, b.ID)
	if err != nil {
		return err
	}
	d.Payments = paymentViews(pays, v.Loc)
	if staffOf(e).Role().Rank() >= store.RoleManager.Rank() {
		d.CanRefund, d.CanCharge = refundable(e.App, b.ID), chargeable(e.App, b) != nil
	}
	d.Booking.AwaitsPayment, _, _ = awaitingPayment(pays, b, h.now())
	texts, err := store.TextsOf(e.App, b.ID)
	if err != nil {
		return err
	}
	for _, x := range texts {
		status := string(x.Status)
		if x.Status == store.TextPending {
			status = string(store.MailQueued)
		}
		when := x.Created.Time()
		if !x.DoneAt.IsZero() {
			when = x.DoneAt.Time() // sent or given up
		}
		d.Texts = append(d.Texts, views.TextEntry{When: when.In(v.Loc), Kind: string(x.Kind), Status: status, Error: x.LastError})
	}
	history, err := store.History(e.App, "bookings/"+b.ID, 100)
	if err != nil {
		return err
	}
	names, err := staffNames(e.App)
	if err != nil {
		return err
	}
	for _, a := range history {
		d.History = append(d.History, views.HistoryEntry{When: a.Created.Time().In(v.Loc), Actor: views.AuditActor(d.L, a.Actor, names),
			Action: a.Action, Detail: a.Detail})
	}
	if err := h.staffAudit(e.App, e, "booking.viewed", "bookings/"+b.ID, ""); err != nil {
		return err
	}
	return render(e, status, views.BookingAdminPage(d))
}

// bookingEdit saves a booking's contact details and internal notes.
func (h *handlers) bookingEdit(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	id := e.Request.PathValue("id")
	if _, err := store.BookingByID(e.App, id); err != nil {
		return notFound(err)
	}
	f := e.Request.PostForm
	form := url.Values{"name": {f.Get("name")}, "email": {f.Get("email")}, "phone": {f.Get("phone")}, "notes": {f.Get("notes")},
		"consent": {"yes"}, "party": {"1"}, "start": {"x"}}
	in, errs := parseBookForm(form)
	if b, _ := store.BookingByID(e.App, id); b != nil && b.Email == "" {
		phoneOnly(in, errs) // a booking taken by phone stays one; one with an address keeps it
	}
	internal := strings.TrimSpace(strings.ReplaceAll(f.Get("internal_notes"), "\r\n", "\n"))
	if !cleanText(internal, true) || len([]rune(internal)) > 5000 {
		errs["internal_notes"] = views.M("err.text_invalid")
	}
	if len(errs) > 0 {
		return h.renderBookingAdmin(e, http.StatusUnprocessableEntity, errs, "")
	}
	var changed []string
	err := h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		b, err := store.BookingByID(tx.App, id)
		if err != nil {
			return notFound(err)
		}
		changed, err = store.EditContact(tx.App, b, store.Contact{Name: in.form.Name, Email: in.form.Email, Phone: in.form.Phone,
			Notes: in.form.Notes, InternalNotes: internal})
		if err != nil || len(changed) == 0 {
			return err
		}
		return h.staffAudit(tx.App, e, "booking.edited", "bookings/"+b.ID, strings.Join(changed, ", "))
	})
	if err != nil {
		return err
	}
	if len(changed) == 0 {
		return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+id)
	}
	return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+id+"?done=saved")
}

// phoneOnly lets staff take a booking by phone without an e-mail address (no mail, no manage
// link: the guest has only the phone): in's missing address is no error when it has a phone
// number; a booking with neither is refused, naming both.
func phoneOnly(in bookInput, errs map[string]views.Msg) {
	if in.form.Email != "" || errs["email"].Key != "err.email_required" {
		return
	}
	delete(errs, "email")
	if in.form.Phone == "" {
		errs["email"] = views.M("admin.book.contact_required")
	}
}

// sortedCopy is a sorted copy of s.
func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// bookingMove moves a booking for staff, under the visitors' rules but without the lead time
// (the desk may seat a guest now) and without the cut-off; the guest gets the change mail.
func (h *handlers) bookingMove(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, b, off, err := h.staffBooking(e)
	if err != nil {
		return err
	}
	start := e.Request.PostForm.Get("start")
	party, perr := strconv.Atoi(e.Request.PostForm.Get("party"))
	r := off.Rules()
	r.LeadTime = 0
	if perr != nil || r.CheckParty(party) != nil {
		return h.renderBookingAdmin(e, http.StatusUnprocessableEntity, map[string]views.Msg{"start": views.M("err.party_invalid")}, "")
	}
	date, err := store.StartDate(e.App, off, start, v.Loc)
	if err != nil {
		return h.renderBookingAdmin(e, http.StatusUnprocessableEntity, map[string]views.Msg{"start": views.M("err.start_invalid")}, "")
	}
	now := h.now()
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		cur, err := store.BookingByID(tx.App, b.ID)
		if err != nil {
			return err
		}
		if cur.Status != booking.StatusConfirmed {
			return errStatusConflict
		}
		cal, err := h.st.LoadCheckCalendar(tx.App, off, date, v.Loc, cur.ID, start)
		if err != nil {
			return err
		}
		slot, err := r.Check(cal.Calendar, booking.Request{Start: start, Party: party, Prefer: cur.Held()}, now, v.Loc)
		if err != nil {
			return err
		}
		old := cur.Start.Time().In(v.Loc).Format(localLayout)
		if err := store.MoveBooking(tx.App, cur, slot, party, v.ReminderMark(slot.Start, now)); err != nil {
			return err
		}
		tx.Freed()
		if err := h.staffAudit(tx.App, e, "booking.change", "bookings/"+cur.ID, old+" → "+slot.Start.In(v.Loc).Format(localLayout)); err != nil {
			return err
		}
		if err := jobs.QueueBookingMail(tx.App, v, store.MailChange, cur, "", now); err != nil {
			return err
		}
		return jobs.QueueEvent(tx.App, v, store.EventBookingChanged, cur.ID, now)
	})
	switch {
	case err == nil:
		return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+b.ID+"?done=moved")
	case errors.Is(err, booking.ErrFull):
		return h.renderBookingAdmin(e, http.StatusConflict, map[string]views.Msg{"start": views.M("book.just_taken")}, date.String())
	case isStartError(err) || errors.Is(err, booking.ErrPartyTooLarge) || errors.Is(err, booking.ErrPartyTooSmall):
		return h.renderBookingAdmin(e, http.StatusUnprocessableEntity, map[string]views.Msg{"start": startMsg(err)}, date.String())
	}
	return err
}

// newBookingPage is the form for a booking taken by staff (a caller on the phone).
func (h *handlers) newBookingPage(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	return h.renderNewBooking(e, http.StatusOK, q.Get("offering"), q.Get("date"), q.Get("party"), bookInput{start: q.Get("start")}, nil, "")
}

func (h *handlers) renderNewBooking(e *core.RequestEvent, status int, offID, dateStr, partyStr string, in bookInput,
	errs map[string]views.Msg, override string) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	offs, err := store.Offerings(e.App, true)
	if err != nil {
		return err
	}
	if len(offs) == 0 {
		return notFound(errors.New("no active offering"))
	}
	d := views.NewBookingData{AdminPage: h.adminPage(e, views.M("admin.bookings.new")), Form: in.form, Start: in.start,
		Errors: errs, CanOverride: roleOf(e) >= store.RoleManager.Rank(), Override: override}
	off := offs[0]
	for _, o := range offs {
		d.Offerings = append(d.Offerings, views.Option{Value: o.ID, Label: o.Name})
		if o.ID == offID {
			off = o
		}
	}
	d.Offering = off.ID
	sel, err := h.selection(e.App, v, off, dateStr, partyStr, h.now())
	if err != nil {
		return err
	}
	d.Picker, err = h.picker(e.App, v, off, "/admin/bookings/new", sel, h.now())
	if err != nil {
		return err
	}
	// The party size is asked in the booking form itself, beside the times: what is posted is
	// what is booked. The times listed are those with room for at least one.
	d.Picker.Keep, d.Picker.NoParty = [][2]string{{"offering", off.ID}}, true
	cal, err := h.st.LoadCalendar(e.App, off, sel.date, v.Loc, "")
	if err != nil {
		return err
	}
	d.Special, d.PartClosed = specialView(cal, off, sel.date), partClosedView(cal, sel.date)
	r := off.Rules()
	r.LeadTime = 0
	for _, t := range timeOptions(r, r.ForParty(defaultParty(r)).Slots(cal.Calendar, sel.date, h.now(), v.Loc), sel.date, defaultParty(r), v.Loc) {
		if !t.Full || d.CanOverride {
			d.Times = append(d.Times, t)
		}
	}
	return render(e, status, views.NewBookingPage(d))
}

// newBooking stores a booking taken by staff: the visitors' rules without the lead time; a
// manager or owner may exceed the capacity with a stated reason, which is audited.
func (h *handlers) newBooking(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	f := e.Request.PostForm
	off, err := store.OfferingByID(e.App, f.Get("offering"))
	if err != nil {
		return notFound(err)
	}
	in, errs := parseBookForm(f)
	phoneOnly(in, errs)
	override := strings.TrimSpace(f.Get("override"))
	if override != "" && (roleOf(e) < store.RoleManager.Rank() || !cleanText(override, false) || len(override) > 500) {
		errs["override"] = views.M("admin.book.override_refused")
	}
	r := off.Rules()
	r.LeadTime = 0
	if _, bad := errs["party"]; !bad {
		if perr := r.CheckParty(in.party); perr != nil {
			errs["party"] = partyMsg(r, perr)
		}
	}
	date, derr := store.StartDate(e.App, off, in.start, v.Loc)
	if derr != nil && errs["start"].IsZero() {
		errs["start"] = views.M("err.start_invalid")
	}
	redo := func(status int, errs map[string]views.Msg) error {
		return h.renderNewBooking(e, status, off.ID, date.String(), strconv.Itoa(max(in.party, 1)), in, errs, override)
	}
	if len(errs) > 0 {
		return redo(http.StatusUnprocessableEntity, errs)
	}
	now := h.now()
	var id string
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		cal, err := h.st.LoadCheckCalendar(tx.App, off, date, v.Loc, "", in.start)
		if err != nil {
			return err
		}
		slot, err := r.Check(cal.Calendar, booking.Request{Start: in.start, Party: in.party}, now, v.Loc)
		over := override
		if errors.Is(err, booking.ErrFull) && over != "" {
			// Over capacity on purpose: the slot itself is valid, only the room is not.
			roomy := r
			roomy.Capacity, roomy.Pacing = 1<<30, 0
			bigCal := cal.Calendar
			for i := range bigCal.Sessions {
				bigCal.Sessions[i].Seats = 1 << 30
			}
			slot, err = roomy.Check(bigCal, booking.Request{Start: in.start, Party: in.party}, now, v.Loc)
			if errors.Is(err, booking.ErrFull) && !bigCal.Pool.Empty() {
				// No staff member or table is free either: the booking holds none (staff may
				// reassign it once one is).
				bigCal.Pool = booking.Pool{}
				slot, err = roomy.Check(bigCal, booking.Request{Start: in.start, Party: in.party}, now, v.Loc)
			}
		} else if err == nil {
			over = ""
		}
		if err != nil {
			return err
		}
		b, err := insertBooking(tx.App, v, off, slot, in, store.SourceStaff, over, now)
		if err != nil {
			return err
		}
		id = b.ID
		detail := "by staff"
		if over != "" {
			detail = "over capacity: " + over
		}
		if err := h.staffAudit(tx.App, e, "booking.create", "bookings/"+b.ID, detail); err != nil {
			return err
		}
		if err := jobs.QueueBookingMail(tx.App, v, store.MailConfirmation, b.Booking, "", now); err != nil {
			return err
		}
		return jobs.QueueEvent(tx.App, v, store.EventBookingCreated, b.ID, now)
	})
	switch {
	case err == nil:
		return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+id+"?done=created")
	case errors.Is(err, booking.ErrFull):
		msg := views.M("book.just_taken")
		if roleOf(e) >= store.RoleManager.Rank() {
			msg = views.M("admin.book.full_override")
		}
		return redo(http.StatusConflict, map[string]views.Msg{"start": msg})
	case isStartError(err):
		return redo(http.StatusUnprocessableEntity, map[string]views.Msg{"start": startMsg(err)})
	}
	return err
}

// exportCSV (manager, owner) streams the bookings matching the list's filter as CSV, in pages
// so that memory stays flat; audited with the filter and the count.
func (h *handlers) exportCSV(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	f := bookingFilter(e.Request.URL.Query())
	sf := storeFilter(f, v)
	names, err := store.OfferingNames(e.App)
	if err != nil {
		return err
	}
	held, err := store.ResourceNames(e.App)
	if err != nil {
		return err
	}
	// The export is audited before a byte leaves: an export that cannot be logged is not sent.
	total, err := store.CountBookings(e.App, sf)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("%d bookings, from %q to %q, offering %q, status %q", total, f.From, f.To, f.Offering, f.Status)
	if f.Q != "" {
		detail += ", with a search text"
	}
	if err := h.staffAudit(e.App, e, "booking.exported", "bookings", detail); err != nil {
		return err
	}
	e.Response.Header().Set("Content-Type", "text/csv; charset=utf-8")
	e.Response.Header().Set("Content-Disposition", `attachment; filename="bookings-`+h.now().In(v.Loc).Format("20060102-1504")+`.csv"`)
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.WriteHeader(http.StatusOK)
	w := csv.NewWriter(e.Response)
	// Headings, statuses and sources in the venue's language: a person opens it in a spreadsheet.
	l := jobs.Locale(v)
	_ = w.Write([]string{l.T("csv.reference"), l.T("csv.offering"), l.T("csv.start"), l.T("csv.end"), l.T("csv.party"),
		l.T("csv.status"), l.T("csv.name"), l.T("csv.email"), l.T("csv.phone"), l.T("csv.notes"), l.T("csv.source"), l.T("csv.booked"),
		l.T("csv.resources")})
	// Streamed in pages of 1000 by (start, id) after the last row sent: memory stays flat, and a
	// booking made meanwhile neither shifts nor repeats a row. The server's write timeout would
	// cut a long download (a million bookings take about a minute): each page gets exportStall
	// to reach the client instead, however long the whole takes.
	const pageSize = 1000
	rc := http.NewResponseController(e.Response)
	var after *store.ExportRow
	sent := 0
	for {
		if err := rc.SetWriteDeadline(time.Now().Add(exportStall)); err != nil {
			e.App.Logger().Warn("export: the write deadline cannot be moved", "error", err.Error())
		}
		rows, err := store.ExportPage(e.App, sf, after, pageSize)
		if err != nil {
			// The header is sent, so the status cannot say it: the response is broken off
			// instead of ended, and the browser or curl reports a failed download, not a
			// complete file that lacks rows.
			e.App.Logger().Error("export: read bookings; the download was broken off", "error", err.Error(), "rows_sent", sent, "rows", total)
			panic(http.ErrAbortHandler)
		}
		for _, r := range rows {
			if err := w.Write([]string{r.Reference, names[r.Offering], r.Start.Time().In(v.Loc).Format(localLayout),
				r.End.Time().In(v.Loc).Format(localLayout), strconv.Itoa(r.Party), l.Name(views.StatusNames, string(r.Status)), csvSafe(r.Name),
				csvSafe(r.Email), csvSafe(r.Phone), csvSafe(r.Notes), l.Name(views.SourceNames, string(r.Source)),
				r.Created.Time().In(v.Loc).Format(localLayout), csvSafe(store.NamesOf(held, r.Resources))}); err != nil {
				return nil // the client went away
			}
		}
		sent += len(rows)
		w.Flush()
		if len(rows) < pageSize || w.Error() != nil {
			return nil // done, or the client went away
		}
		after = &rows[len(rows)-1]
	}
}

// exportStall is the longest the export waits for the client to take one page of rows.
const exportStall = time.Minute

// csvSafe defuses spreadsheet formulas in a value a guest typed (=, +, -, @ at the start).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// bookingSensitive (GET /admin/bookings/{id}/sensitive, manager) shows a booking's sensitive
// note; every view is audited. Front desk has no access (403 by the route's guard).
func (h *handlers) bookingSensitive(e *core.RequestEvent) error {
	b, err := store.BookingByID(e.App, e.Request.PathValue("id"))
	if err != nil {
		return notFound(err)
	}
	note, err := store.OpenSensitive(b.SensitiveNotes)
	if err != nil {
		return fmt.Errorf("sensitive note of %s: %w", b.ID, err)
	}
	if err := h.staffAudit(e.App, e, "booking.sensitive_viewed", "bookings/"+b.ID, ""); err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return render(e, http.StatusOK, views.SensitivePage(views.SensitiveData{AdminPage: h.adminPage(e, views.M("admin.sensitive.title")),
		BookingID: b.ID, Reference: b.Reference, Note: note}))
}
