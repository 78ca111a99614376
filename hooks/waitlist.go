package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// The visitors' side of waitlists (internal/jobs offers the freed places): joining a full
// time, the entry's private page, accepting or declining an offer, leaving; and the staff's
// view of a day's waitlists.

// waitlistPage (GET /waitlist/{slug}?date=&party=&start=) is the form to join a full time's
// waitlist.
func (h *handlers) waitlistPage(e *core.RequestEvent) error {
	v, off, t, party, err := h.fullTime(e, e.Request.URL.Query().Get("start"), e.Request.URL.Query().Get("party"))
	if err != nil {
		return err
	}
	return render(e, http.StatusOK, views.WaitlistJoinPage(views.WaitlistJoinData{Page: page(e, v, views.M("title.waitlist")),
		Offering: offeringView(off), Time: *t, Party: party, Form: views.BookForm{}}))
}

// fullTime finds the time start of the route's offering for party and requires it to be full:
// a time with room answers 409 (book it instead), an unknown one 404.
func (h *handlers) fullTime(e *core.RequestEvent, start, partyStr string) (*store.Venue, *store.Offering, *views.TimeOption, int, error) {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	off, err := h.st.Offering(e.App, e.Request.PathValue("slug"))
	if err != nil {
		return nil, nil, nil, 0, notFound(err)
	}
	now := h.now()
	date, err := store.StartDate(e.App, off, strings.TrimSpace(start), v.Loc)
	if err != nil {
		return nil, nil, nil, 0, notFound(err)
	}
	sel, err := h.selection(e.App, v, off, date.String(), partyStr, now)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	d, err := h.bookData(e, v, off, sel, now)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	t := findTime(d.Times, strings.TrimSpace(start))
	if t == nil {
		return nil, nil, nil, 0, notFound(fmt.Errorf("waitlist: no time %q", start))
	}
	if off.PaymentMode != "" {
		// An offer is accepted with one click: it could not wait for a payment.
		return nil, nil, nil, 0, &pageError{status: http.StatusConflict, heading: "waitlist.paid", body: "waitlist.paid_body"}
	}
	if !t.Full {
		return nil, nil, nil, 0, &pageError{status: http.StatusConflict, heading: "waitlist.has_room", body: "waitlist.has_room_body"}
	}
	return v, off, t, sel.party, nil
}

// waitlistJoin (POST /waitlist/{slug}) puts the visitor on a full time's waitlist: the same
// fields, rules and consent as a booking.
func (h *handlers) waitlistJoin(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	v, off, t, party, err := h.fullTime(e, f.Get("start"), f.Get("party"))
	if err != nil {
		return err
	}
	in, errs := parseBookForm(f)
	in.form.Notes, in.form.Sensitive, in.form.Guests = "", "", nil
	for k := range errs {
		if k != "name" && k != "email" && k != "phone" && k != "consent" && k != "party" {
			delete(errs, k)
		}
	}
	if len(errs) > 0 {
		return render(e, http.StatusUnprocessableEntity, views.WaitlistJoinPage(views.WaitlistJoinData{Page: page(e, v, views.M("title.waitlist")),
			Offering: offeringView(off), Time: *t, Party: party, Form: in.form, Errors: errs}))
	}
	now := h.now()
	email := strings.ToLower(in.form.Email)
	var token string
	err = e.App.RunInTransaction(func(tx core.App) error {
		session := ""
		if off.IsSession() {
			session = t.Value
		}
		id, tok, err := store.JoinWaitlist(tx, store.NewWaitEntry{Offering: off.ID, Session: session, StartValue: t.Value,
			Start: t.Start, Party: party, Name: in.form.Name, Email: email, Phone: in.form.Phone, ConsentAt: now,
			NoticeVersion: v.NoticeVersion(), Locale: visitorLanguage(e.Request, v.Locale)})
		if err != nil {
			return err
		}
		token = tok
		l := views.NewLocale(visitorLanguage(e.Request, v.Locale))
		when := l.Date(t.Start) + " " + l.Time(t.Start)
		if err := store.QueueMail(tx, store.NewMail{Kind: store.MailWaitlist, To: email, ToName: in.form.Name,
			Subject: l.T("mail.subject.waitlist", off.Name, when),
			Text:    l.T("mail.waitlist", v.Name, off.Name, when, l.T("party.count", party), h.jobs.AbsURL("/w/"+token))}, now); err != nil {
			return err
		}
		return store.Audit(tx, store.Entry{RequestID: reqID(e), Actor: store.ActorVisitor, Action: "waitlist.joined", Target: "waitlist/" + id})
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/w/"+token+"?m=joined")
}

// findEntry finds the waitlist entry of a link token (the join link or the offer link).
func findEntry(app core.App, token string) (*store.WaitEntry, error) {
	if !store.WellFormedToken(token) {
		return nil, notFound(errors.New("waitlist: malformed token"))
	}
	w, err := store.EntryByToken(app, token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(err)
	}
	return w, err
}

// waitlistEntry (GET /w/{token}) shows the entry: its place in the queue, or the offer with its
// deadline, and what the visitor can do.
func (h *handlers) waitlistEntry(e *core.RequestEvent) error {
	return h.renderEntry(e, http.StatusOK, views.Msg{})
}

func (h *handlers) renderEntry(e *core.RequestEvent, status int, problem views.Msg) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	w, err := findEntry(e.App, token)
	if err != nil {
		return err
	}
	off, err := store.OfferingByID(e.App, w.Offering)
	if err != nil {
		return err
	}
	d := views.WaitlistEntryData{Page: page(e, v, views.M("title.waitlist")), Base: "/w/" + token, Offering: off.Name,
		Start: w.Start.Time().In(v.Loc), Party: w.Party, Status: string(w.Status),
		Expires: w.OfferExpires.Time().In(v.Loc), Problem: problem}
	if w.Status == store.WaitWaiting {
		if d.Position, err = store.WaitPosition(e.App, w); err != nil {
			return err
		}
	}
	switch e.Request.URL.Query().Get("m") {
	case "joined":
		d.Notice = views.M("waitlist.joined")
	case "left":
		d.Notice = views.M("waitlist.left_done")
	}
	return render(e, status, views.WaitlistEntryPage(d))
}

// waitlistAccept (POST /w/{token}/accept) books the held place: the hold becomes a confirmed
// booking with its manage link and confirmation mail, in one write. An offer that ran out or
// was never made answers 409.
func (h *handlers) waitlistAccept(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	now := h.now()
	var manage string
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		w, err := findEntry(tx.App, token)
		if err != nil {
			return err
		}
		if w.Status != store.WaitOffered || !now.Before(w.OfferExpires.Time()) {
			return store.ErrNotActive
		}
		hold, err := store.BookingByID(tx.App, w.Booking)
		if err != nil || hold.Status != booking.StatusHeld {
			return store.ErrNotActive
		}
		if manage, err = store.ConfirmHold(tx.App, hold, v.PrivacyNotice, v.ReminderMark(hold.Start.Time(), now), now); err != nil {
			return err
		}
		// The hold is a booking now: closing the entry releases nothing.
		if err := store.CloseEntry(tx.App, w, store.WaitBooked, now); err != nil {
			return err
		}
		if err := store.Audit(tx.App, store.Entry{RequestID: reqID(e), Actor: store.ActorVisitor, Action: "waitlist.accepted",
			Target: "waitlist/" + w.ID, Detail: "bookings/" + hold.ID}); err != nil {
			return err
		}
		if err := jobs.QueueBookingMail(tx.App, v, store.MailConfirmation, hold, manage, now); err != nil {
			return err
		}
		return jobs.QueueEvent(tx.App, v, store.EventBookingCreated, hold.ID, now)
	})
	if errors.Is(err, store.ErrNotActive) {
		return h.renderEntry(e, http.StatusConflict, views.M("waitlist.offer_gone"))
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/b/"+manage+"?m=booked")
}

// waitlistLeave (POST /w/{token}/leave, also "decline" of an offer) takes the visitor off the
// waitlist; a held place goes to the next entry at once.
func (h *handlers) waitlistLeave(e *core.RequestEvent) error {
	token := e.Request.PathValue("token")
	now := h.now()
	err := h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		w, err := findEntry(tx.App, token)
		if err != nil {
			return err
		}
		switch w.Status {
		case store.WaitWaiting:
			return store.CloseEntry(tx.App, w, store.WaitLeft, now)
		case store.WaitOffered:
			return store.CloseEntry(tx.App, w, store.WaitDeclined, now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	h.jobs.RunWaitlist() // the released place goes on at once
	return e.Redirect(http.StatusSeeOther, "/w/"+token+"?m=left")
}

// waitlistAdmin (GET /admin/waitlist?date=, front desk) lists a day's waitlists per offering and
// time: who waits in which order, the offers out, and how many offers became bookings.
func (h *handlers) waitlistAdmin(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	date := v.Today(h.now())
	if s := e.Request.URL.Query().Get("date"); s != "" {
		if date, err = booking.ParseDate(s); err != nil {
			return badRequest(err)
		}
	}
	rows, err := store.WaitlistBetween(e.App, v.Midnight(date), v.Midnight(date.AddDays(1)))
	if err != nil {
		return err
	}
	d := views.WaitlistAdminData{AdminPage: h.adminPage(e, views.M("admin.nav.waitlist")), Date: date.String()}
	pos := map[string]int{}
	for _, r := range rows {
		row := views.WaitlistAdminRow{Offering: r.OfferingName, Start: r.Start.Time().In(v.Loc), Name: r.Name, Email: r.Email,
			Phone: r.Phone, Party: r.Party, Status: string(r.Status)}
		if r.Status == store.WaitWaiting {
			key := r.Offering + r.Start.String()
			pos[key]++
			row.Position = pos[key]
		}
		if !r.OfferExpires.IsZero() {
			row.Expires = r.OfferExpires.Time().In(v.Loc)
		}
		switch r.Status {
		case store.WaitOffered:
			d.Offers++
		case store.WaitBooked:
			d.Booked++
		}
		if r.Status != store.WaitWaiting {
			d.Closed++
		}
		d.Rows = append(d.Rows, row)
	}
	if err := h.staffAudit(e.App, e, "waitlist.viewed", "waitlist", date.String()); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.WaitlistAdminPage(d))
}
