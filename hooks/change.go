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
	rec, err := findBooking(e.App, token)
	if err != nil {
		return err
	}
	off, err := bookingOffering(e.App, rec)
	if err != nil {
		return err
	}
	now := h.now()
	if err := changeable(rec, off, now); err != nil {
		return h.problem(e, v, token, err)
	}
	q := e.Request.URL.Query()
	dateStr, partyStr := q.Get("date"), q.Get("party")
	if dateStr == "" {
		dateStr = booking.DateOf(rec.GetDateTime("start").Time(), v.loc).String()
	}
	if partyStr == "" {
		partyStr = strconv.Itoa(rec.GetInt("party"))
	}
	sel, err := h.selection(e.App, v, off, dateStr, partyStr, now)
	if err != nil {
		return err
	}
	d, err := h.changeData(e.App, v, off, rec, token, sel, now)
	if err != nil {
		return err
	}
	d.Notice = sel.notice
	status := http.StatusOK
	if sel.bad {
		status = http.StatusBadRequest
	}
	return render(e, status, views.ChangePage(d))
}

// change moves a booking to another free time and/or party size, under the same rules as a new
// booking, in one transaction.
func (h *handlers) change(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	rec, err := findBooking(e.App, token)
	if err != nil {
		return err
	}
	off, err := bookingOffering(e.App, rec)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	now := h.now()
	r := rules(off)
	start := strings.TrimSpace(e.Request.PostForm.Get("start"))
	party, perr := strconv.Atoi(strings.TrimSpace(e.Request.PostForm.Get("party")))
	errs := map[string]views.Msg{}
	switch {
	case perr != nil || party < 1:
		errs["party"], party = views.M("err.party_invalid"), rec.GetInt("party")
	case r.CheckParty(party) != nil:
		errs["party"], party = partyMsg(r, r.CheckParty(party)), rec.GetInt("party")
	}
	date, derr := h.startDate(e.App, v, off, start)
	if derr != nil && !errors.Is(derr, booking.ErrInvalidStart) {
		return derr
	}
	if derr != nil {
		errs["start"] = views.M("err.start_invalid")
		date = booking.DateOf(rec.GetDateTime("start").Time(), v.loc)
	}
	if len(errs) > 0 {
		return h.renderChange(e, v, off, rec, token, selection{date: date, party: party}, errs, views.Msg{}, http.StatusUnprocessableEntity)
	}

	err = e.App.RunInTransaction(func(tx core.App) error {
		cur, err := findBooking(tx, token)
		if err != nil {
			return err
		}
		if err := changeable(cur, off, now); err != nil {
			return err
		}
		cal, err := loadCalendar(tx, off, date, v.loc, cur.Id)
		if err != nil {
			return err
		}
		slot, err := r.Check(cal.Calendar, booking.Request{Start: start, Party: party}, now, v.loc)
		if err != nil {
			return err
		}
		cur.Set("start", slot.Start.UTC())
		cur.Set("end", slot.End.UTC())
		cur.Set("session", slot.Session)
		cur.Set("party", party)
		cur.Set("sequence", cur.GetInt("sequence")+1)
		markReminder(v, cur, now)
		if err := tx.Save(cur); err != nil {
			return fmt.Errorf("change: save: %w", err)
		}
		if err := audit(tx, reqID(e), actorVisitor, "booking.change", "bookings/"+cur.Id, ""); err != nil {
			return err
		}
		return h.bookingMail(tx, v, off, cur, views.MailChange, "")
	})
	switch {
	case err == nil:
		return e.Redirect(http.StatusSeeOther, "/b/"+token+"?m=changed")
	case errors.Is(err, errTooLate), errors.Is(err, errNotActive):
		return h.problem(e, v, token, err)
	case errors.Is(err, booking.ErrFull):
		return h.renderChange(e, v, off, rec, token, selection{date: date, party: party}, nil, views.M("book.just_taken"), http.StatusConflict)
	case errors.Is(err, booking.ErrPartyTooSmall), errors.Is(err, booking.ErrPartyTooLarge):
		errs["party"] = partyMsg(r, err)
	case isStartError(err):
		errs["start"] = startMsg(err)
	default:
		return fmt.Errorf("change: %w", err)
	}
	return h.renderChange(e, v, off, rec, token, selection{date: date, party: party}, errs, views.Msg{}, http.StatusUnprocessableEntity)
}

func (h *handlers) renderChange(e *core.RequestEvent, v *venue, off, rec *core.Record, token string,
	sel selection, errs map[string]views.Msg, notice views.Msg, status int) error {
	now := h.now()
	if today := v.today(now); sel.date.Compare(today) < 0 {
		sel.date = today
	}
	d, err := h.changeData(e.App, v, off, rec, token, sel, now)
	if err != nil {
		return err
	}
	d.Errors, d.Notice = errs, notice
	return render(e, status, views.ChangePage(d))
}

// changeData builds the change page for a selection, counting the booking's own place as free.
func (h *handlers) changeData(app core.App, v *venue, off, rec *core.Record, token string, sel selection, now time.Time) (views.ChangeData, error) {
	cal, err := loadCalendar(app, off, sel.date, v.loc, rec.Id)
	if err != nil {
		return views.ChangeData{}, err
	}
	base := "/b/" + token
	picker, err := h.picker(app, v, off, base+"/change", sel, now)
	if err != nil {
		return views.ChangeData{}, err
	}
	r := rules(off)
	return views.ChangeData{
		Page:    v.page(views.M("title.change")),
		Base:    base,
		Booking: bookingView(v, off, rec),
		Picker:  picker,
		Times:   timeOptions(r, r.Slots(cal.Calendar, sel.date, now, v.loc), sel.party, v.loc),
		Closed:  closedMsg(cal, r, sel.date),
	}, nil
}
