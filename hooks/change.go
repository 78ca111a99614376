package hooks

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// changePage offers the free times of a date for moving a booking; the booking's own place
// counts as free.
func (h *handlers) changePage(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	b, off, err := findBooking(e.App, token)
	if err != nil {
		return err
	}
	now := h.now()
	if err := b.Changeable(off, now); err != nil {
		return h.problem(e, v, token, err)
	}
	q := e.Request.URL.Query()
	dateStr, partyStr, start := q.Get("date"), q.Get("party"), strings.TrimSpace(q.Get("start"))
	if dateStr == "" {
		dateStr = h.bookedDay(e.App, v, off, b).String()
	}
	if start != "" {
		// A time pressed: its own opening day, whatever the date field said.
		if d, err := store.StartDate(e.App, off, start, v.Loc); err == nil {
			dateStr = d.String()
		}
	}
	if partyStr == "" {
		partyStr = strconv.Itoa(b.Party)
	}
	sel, err := h.selection(e.App, v, off, dateStr, partyStr, now)
	if err != nil {
		return err
	}
	d, err := h.changeData(e, v, off, b, token, sel, now)
	if err != nil {
		return err
	}
	d.Notice = sel.notice
	status := http.StatusOK
	if sel.bad {
		status = http.StatusBadRequest
	}
	if start != "" && !sel.bad {
		// The confirm step: the move is shown before it is made.
		switch t := findTime(d.Times, start); {
		case t == nil:
			d.Notice, status = views.M("err.start_invalid"), http.StatusBadRequest
		case t.Full && t.Remaining > 0:
			d.Notice = views.M("change.no_room", sel.party)
		case t.Full:
			d.Notice = views.M("book.just_taken")
		case t.Value == d.Current && sel.party == b.Party:
			d.Notice = views.M("change.same")
		default:
			d.Confirm = t
		}
	}
	return render(e, status, views.ChangePage(d))
}

// bookedDay is the opening day of a booking's start: where the change page opens.
func (h *handlers) bookedDay(app core.App, v *store.Venue, off *store.Offering, b *store.Booking) booking.Date {
	if d, err := store.StartDate(app, off, bookedValue(off, b, v.Loc), v.Loc); err == nil {
		return d
	}
	return booking.DateOf(b.Start.Time(), v.Loc)
}

// bookedValue is a booking's start as the time lists name it: its session, or its local start.
func bookedValue(off *store.Offering, b *store.Booking, loc *time.Location) string {
	if off.IsSession() {
		return b.Session
	}
	return b.Start.Time().In(loc).Format(localLayout)
}

// change moves a booking to another free time and/or party size, under the same rules as a new
// booking, in one write.
func (h *handlers) change(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	b, off, err := findBooking(e.App, token)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	now := h.now()
	r := off.Rules()
	start := strings.TrimSpace(e.Request.PostForm.Get("start"))
	party, perr := strconv.Atoi(strings.TrimSpace(e.Request.PostForm.Get("party")))
	errs := map[string]views.Msg{}
	switch {
	case perr != nil || party < 1:
		errs["party"], party = views.M("err.party_invalid"), b.Party
	case r.CheckParty(party) != nil:
		errs["party"], party = partyMsg(r, r.CheckParty(party)), b.Party
	case party > b.Party && paidFor(e.App, b.ID):
		// What was paid covers the party booked: more people are a matter for the venue.
		errs["party"], party = views.M("err.party_paid", b.Party), b.Party
	}
	date, derr := store.StartDate(e.App, off, start, v.Loc)
	if derr != nil && !errors.Is(derr, booking.ErrInvalidStart) {
		return derr
	}
	if derr != nil {
		errs["start"] = views.M("err.start_invalid")
		date = h.bookedDay(e.App, v, off, b)
	}
	if len(errs) > 0 {
		return h.renderChange(e, v, off, b, token, selection{date: date, party: party}, errs, views.Msg{}, http.StatusUnprocessableEntity)
	}

	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		cur, _, err := findBooking(tx.App, token)
		if err != nil {
			return err
		}
		if err := cur.Changeable(off, now); err != nil {
			return err
		}
		cal, err := h.st.LoadCheckCalendar(tx.App, off, date, v.Loc, cur.ID, start)
		if err != nil {
			return err
		}
		slot, err := r.Check(cal.Calendar, booking.Request{Start: start, Party: party, Prefer: cur.Held()}, now, v.Loc)
		if err != nil {
			return err
		}
		if err := store.MoveBooking(tx.App, cur, slot, party, v.ReminderMark(slot.Start, now)); err != nil {
			return fmt.Errorf("change: %w", err)
		}
		tx.Freed()
		if err := store.Audit(tx.App, store.Entry{RequestID: reqID(e), Actor: store.ActorVisitor, Action: "booking.change",
			Target: "bookings/" + cur.ID}); err != nil {
			return err
		}
		if err := jobs.QueueBookingMail(tx.App, v, store.MailChange, cur, "", now); err != nil {
			return err
		}
		return jobs.QueueEvent(tx.App, v, store.EventBookingChanged, cur.ID, now)
	})
	switch {
	case err == nil:
		return e.Redirect(http.StatusSeeOther, "/b/"+token+"?m=changed")
	case errors.Is(err, store.ErrTooLate), errors.Is(err, store.ErrNotActive):
		return h.problem(e, v, token, err)
	case errors.Is(err, booking.ErrFull):
		return h.renderChange(e, v, off, b, token, selection{date: date, party: party}, nil, views.M("book.just_taken"), http.StatusConflict)
	case errors.Is(err, booking.ErrPartyTooSmall), errors.Is(err, booking.ErrPartyTooLarge):
		errs["party"] = partyMsg(r, err)
	case isStartError(err):
		errs["start"] = startMsg(err)
	default:
		return fmt.Errorf("change: %w", err)
	}
	return h.renderChange(e, v, off, b, token, selection{date: date, party: party}, errs, views.Msg{}, http.StatusUnprocessableEntity)
}

func (h *handlers) renderChange(e *core.RequestEvent, v *store.Venue, off *store.Offering, b *store.Booking, token string,
	sel selection, errs map[string]views.Msg, notice views.Msg, status int) error {
	now := h.now()
	if today := v.Today(now); sel.date.Compare(today) < 0 {
		sel.date = today
	}
	d, err := h.changeData(e, v, off, b, token, sel, now)
	if err != nil {
		return err
	}
	d.Errors, d.Notice = errs, notice
	return render(e, status, views.ChangePage(d))
}

// changeData builds the change page for a selection, counting the booking's own place as free.
func (h *handlers) changeData(e *core.RequestEvent, v *store.Venue, off *store.Offering, b *store.Booking, token string, sel selection,
	now time.Time) (views.ChangeData, error) {
	app := e.App
	cal, err := h.st.LoadCalendar(app, off, sel.date, v.Loc, b.ID)
	if err != nil {
		return views.ChangeData{}, err
	}
	base := "/b/" + token
	picker, err := h.picker(app, v, off, base+"/change", sel, now)
	if err != nil {
		return views.ChangeData{}, err
	}
	r := off.Rules()
	return views.ChangeData{
		Page:       page(e, v, views.M("title.change")),
		Base:       base,
		Booking:    jobs.BookingView(v, off, b),
		Picker:     picker,
		Times:      timeOptions(r, r.ForParty(sel.party).Slots(cal.Calendar, sel.date, now, v.Loc), sel.date, sel.party, v.Loc),
		Current:    bookedValue(off, b, v.Loc),
		Closed:     closedMsg(cal, off, sel.date),
		Special:    specialView(cal, off, sel.date),
		PartClosed: partClosedView(cal, sel.date),
	}, nil
}
