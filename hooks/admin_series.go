package hooks

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// maxReason bounds the reason a cancellation gives guests (the sessions' cancel_reason field).
const maxReason = 500

// sessionOffering is the session offering of the request's {id}; 404 for a slot offering,
// which has no sessions.
func sessionOffering(e *core.RequestEvent) (*store.Offering, error) {
	off, err := store.OfferingByID(e.App, e.Request.PathValue("id"))
	if err != nil {
		return nil, notFound(err)
	}
	if !off.IsSession() {
		return nil, notFound(fmt.Errorf("offering %s has no sessions", off.ID))
	}
	return off, nil
}

// sessionRoute loads what a series or session route acts on: the venue, the session offering
// {id}, and its row {sid} that find reads (a series, a session); 404 when either is not there.
func sessionRoute[T any](h *handlers, e *core.RequestEvent, find func(core.App, string, string) (*T, error)) (*store.Venue, *store.Offering, *T, error) {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return nil, nil, nil, err
	}
	off, err := sessionOffering(e)
	if err != nil {
		return nil, nil, nil, err
	}
	row, err := find(e.App, off.ID, e.Request.PathValue("sid"))
	if err != nil {
		return nil, nil, nil, notFound(err)
	}
	return v, off, row, nil
}

// seriesForm is the view of a stored rule; live says whether it may still make sessions.
func seriesForm(r store.SeriesRow, today booking.Date) views.SeriesForm {
	f := views.SeriesForm{ID: r.ID, Time: r.Time, Seats: r.Seats, From: r.FromDate, Until: r.UntilDate, Except: r.Exceptions,
		Live: r.UntilDate == "" || r.UntilDate >= today.String()}
	for _, d := range booking.Weekdays(r.Days).Days() {
		f.Days = append(f.Days, strconv.Itoa(int(d)))
	}
	return f
}

// parseSeries reads a series form: the rule it asks for (From no earlier than today) and the
// form as typed, with a message per bad field.
func parseSeries(f url.Values, today booking.Date) (booking.Series, views.SeriesForm, map[string]views.Msg) {
	form := views.SeriesForm{Time: strings.TrimSpace(f.Get("time")), From: strings.TrimSpace(f.Get("from")),
		Until: strings.TrimSpace(f.Get("until")), Except: strings.TrimSpace(f.Get("except")), Reason: strings.TrimSpace(f.Get("reason"))}
	errs := map[string]views.Msg{}
	var s booking.Series
	for _, d := range f["day"] {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 6 {
			errs["days"] = views.M("admin.series.bad_days")
			continue
		}
		s.Days |= booking.WeekdaysOf(time.Weekday(n))
		if !slices.Contains(form.Days, d) {
			form.Days = append(form.Days, d)
		}
	}
	if s.Days == 0 {
		errs["days"] = views.M("admin.series.bad_days")
	}
	var err error
	if s.Time, err = booking.ParseClock(form.Time); err != nil || s.Time >= 24*60 {
		errs["time"] = views.M("admin.series.bad_time")
	}
	seats, err := strconv.Atoi(strings.TrimSpace(f.Get("seats")))
	form.Seats = seats
	if err != nil || seats < 1 || seats > booking.MaxSeats {
		errs["seats"] = views.M("admin.series.bad_seats")
	}
	s.Seats = seats
	if s.From, err = booking.ParseDate(form.From); err != nil || s.From.Compare(today) < 0 {
		errs["from"] = views.M("admin.series.bad_from")
	}
	if form.Until != "" {
		if s.Until, err = booking.ParseDate(form.Until); err != nil || (s.From.Year > 0 && s.Until.Compare(s.From) < 0) {
			errs["until"] = views.M("admin.series.bad_until")
		}
	}
	if s.Except, err = booking.ParseDates(form.Except); err != nil || len(s.Except) > booking.MaxExceptions {
		errs["except"] = views.M("admin.series.bad_except")
	}
	if utf8.RuneCountInString(form.Reason) > maxReason {
		errs["reason"] = views.M("admin.too_long", maxReason)
	}
	return s, form, errs
}

// seatsTaken is the message of a *jobs.SeatsTakenError, or false for other errors.
func seatsTaken(err error, l *views.Locale, loc *time.Location) (views.Msg, bool) {
	var st *jobs.SeatsTakenError
	if !errors.As(err, &st) {
		return views.Msg{}, false
	}
	start := st.Start.In(loc)
	return views.M("admin.series.seats_taken", l.Date(start)+" "+l.Time(start), st.Booked), true
}

// seriesAdd (manager, owner) adds a weekly series to a session offering and makes its sessions.
func (h *handlers) seriesAdd(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	off, err := sessionOffering(e)
	if err != nil {
		return err
	}
	now := h.now()
	rule, form, errs := parseSeries(e.Request.PostForm, v.Today(now))
	if len(errs) > 0 {
		return h.renderOffering(e, http.StatusUnprocessableEntity, views.OfferingData{Form: offeringForm(off), Errors: errs, NewSeries: form})
	}
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		id, err := store.AddSeries(tx.App, off.ID, rule)
		if err != nil {
			return err
		}
		n, err := jobs.MakeSessions(tx.App, v, off, id, rule, v.Today(now))
		if err != nil {
			return err
		}
		tx.Freed()
		return h.staffAudit(tx.App, e, "series.added", "session_series/"+id, fmt.Sprintf("%s %s, %d sessions made", seriesDaysText(rule), rule.Time, n))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=series_added")
}

// seriesDaysText writes a rule's days for the audit log ("Mon,Wed").
func seriesDaysText(s booking.Series) string {
	var out []string
	for _, d := range s.Days.Days() {
		out = append(out, d.String()[:3])
	}
	return strings.Join(out, ",")
}

// seriesPage (manager, owner) shows a series with the forms to change or end it.
func (h *handlers) seriesPage(e *core.RequestEvent) error {
	return h.renderSeries(e, http.StatusOK, nil, nil, "", "")
}

// renderSeries renders the page of the request's series; change and the end form's date and
// reason are what was typed (nil, "": the series as it stands, from today).
func (h *handlers) renderSeries(e *core.RequestEvent, status int, errs map[string]views.Msg, change *views.SeriesForm, endDate, reason string) error {
	v, off, r, err := sessionRoute(h, e, store.SeriesOf)
	if err != nil {
		return err
	}
	today := v.Today(h.now())
	d := views.SeriesData{AdminPage: h.adminPage(e, views.M("admin.series.title")), Offering: offeringForm(off),
		Series: seriesForm(*r, today), Errors: errs, EndDate: endDate, Reason: reason}
	from := today
	if first, err := booking.ParseDate(r.FromDate); err == nil && first.Compare(today) > 0 {
		from = first
	}
	if change != nil {
		d.Change = *change
	} else {
		d.Change = d.Series
		d.Change.From = from.String()
	}
	if d.EndDate == "" {
		d.EndDate = from.String()
	}
	sessions, err := store.SeriesSessions(e.App, r.ID, today)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		d.Sessions = append(d.Sessions, sessionAdminRow(s, v.Loc))
	}
	return render(e, status, views.SeriesPage(d))
}

func sessionAdminRow(s store.SessionRow, loc *time.Location) views.SessionAdminRow {
	return views.SessionAdminRow{ID: s.ID, Start: s.Start.Time().In(loc), Seats: s.Seats, Booked: s.Booked, Cancelled: s.Cancelled,
		Reason: s.CancelReason, Series: s.Series != "", Detached: s.Detached}
}

// seriesChange (manager, owner) changes a series from a date on: the sessions before it stay,
// the rule from it on is the one typed (the series split in two when the date is after its
// first), and the sessions from it on follow (jobs.ApplySeries).
func (h *handlers) seriesChange(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, off, r, err := sessionRoute(h, e, store.SeriesOf)
	if err != nil {
		return err
	}
	now := h.now()
	rule, form, errs := parseSeries(e.Request.PostForm, v.Today(now))
	if len(errs) > 0 {
		return h.renderSeries(e, http.StatusUnprocessableEntity, errs, &form, "", "")
	}
	reason := form.Reason
	if reason == "" {
		reason = jobs.Locale(v).T("admin.sessions_cancel_reason")
	}
	var res jobs.SeriesResult
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		old, err := currentRule(tx, off.ID, r.ID)
		if err != nil {
			return err
		}
		id, from := r.ID, rule.From
		if from.Compare(old.From) <= 0 {
			// The change covers the whole series: it is the series from its first date on.
			if err := store.UpdateSeries(tx.App, r.ID, rule); err != nil {
				return err
			}
		} else {
			if err := store.UpdateSeries(tx.App, r.ID, old.EndBefore(from)); err != nil {
				return err
			}
			if id, err = store.AddSeries(tx.App, off.ID, rule); err != nil {
				return err
			}
			if err := store.MoveSeriesSessions(tx.App, r.ID, id, from); err != nil {
				return err
			}
		}
		if res, err = jobs.ApplySeries(tx, v, off, id, rule, from, reason, now); err != nil {
			return err
		}
		return h.staffAudit(tx.App, e, "series.changed", "session_series/"+id, fmt.Sprintf("from %s: %s %s, %d seats; %d added, %d moved, %d cancelled, %d removed, %d told",
			rule.From, seriesDaysText(rule), rule.Time, rule.Seats, res.Added, res.Moved, res.Cancelled, res.Removed, res.Told))
	})
	if msg, ok := seatsTaken(err, jobs.Locale(v), v.Loc); ok {
		return h.renderSeries(e, http.StatusConflict, map[string]views.Msg{"seats": msg}, &form, "", "")
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=series_changed")
}

// currentRule reads series id of offering again inside a write, so that a change is applied
// to the rule as it stands (not as another manager's change found it); 404 when it is gone.
func currentRule(tx *store.Tx, offering, id string) (booking.Series, error) {
	r, err := store.SeriesOf(tx.App, offering, id)
	if err != nil {
		return booking.Series{}, notFound(err)
	}
	return r.Rule()
}

// seriesEnd (manager, owner) ends a series: no sessions from the date on. Those booked or
// waited for are cancelled for the reason given, each guest told; the others are removed.
func (h *handlers) seriesEnd(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, off, r, err := sessionRoute(h, e, store.SeriesOf)
	if err != nil {
		return err
	}
	now := h.now()
	f := e.Request.PostForm
	reason := strings.TrimSpace(f.Get("reason"))
	date, derr := booking.ParseDate(strings.TrimSpace(f.Get("date")))
	switch {
	case derr != nil || date.Compare(v.Today(now)) < 0:
		return h.renderSeries(e, http.StatusUnprocessableEntity, map[string]views.Msg{"date": views.M("admin.series.bad_from")}, nil, f.Get("date"), reason)
	case utf8.RuneCountInString(reason) > maxReason:
		return h.renderSeries(e, http.StatusUnprocessableEntity, map[string]views.Msg{"end-reason": views.M("admin.too_long", maxReason)}, nil, f.Get("date"), reason)
	}
	if reason == "" {
		reason = jobs.Locale(v).T("admin.sessions_cancel_reason")
	}
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		old, err := currentRule(tx, off.ID, r.ID)
		if err != nil {
			return err
		}
		whole := date.Compare(old.From) <= 0
		rule := old.EndBefore(date)
		if whole {
			// Ended before its first date: it makes nothing (its one date left out), and goes.
			rule.Until, rule.Except = old.From, []booking.Date{old.From}
		} else if err := store.UpdateSeries(tx.App, r.ID, rule); err != nil {
			return err
		}
		res, err := jobs.ApplySeries(tx, v, off, r.ID, rule, date, reason, now)
		if err != nil {
			return err
		}
		if whole {
			if err := store.DeleteSeries(tx.App, r.ID); err != nil {
				return err
			}
		}
		return h.staffAudit(tx.App, e, "series.ended", "session_series/"+r.ID, fmt.Sprintf("from %s: %d cancelled, %d removed, %d told",
			date, res.Cancelled, res.Removed, res.Told))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=series_ended")
}

// sessionPage (manager, owner) shows a session with the forms to change or cancel it.
func (h *handlers) sessionPage(e *core.RequestEvent) error {
	return h.renderSession(e, http.StatusOK, nil, nil)
}

// renderSession renders the page of the request's session; typed holds the form as typed (nil:
// the session as it stands).
func (h *handlers) renderSession(e *core.RequestEvent, status int, errs map[string]views.Msg, typed url.Values) error {
	v, off, s, err := sessionRoute(h, e, store.OfferingSessionRow)
	if err != nil {
		return err
	}
	row := sessionAdminRow(*s, v.Loc)
	d := views.SessionData{AdminPage: h.adminPage(e, views.M("admin.sessions_title")), Offering: offeringForm(off), Session: row, Errors: errs,
		Date: row.Start.Format(time.DateOnly), Time: row.Start.Format("15:04"), SeatsForm: strconv.Itoa(row.Seats)}
	if typed != nil {
		d.Date, d.Time, d.SeatsForm, d.Reason = typed.Get("date"), typed.Get("time"), typed.Get("seats"), typed.Get("reason")
	}
	return render(e, status, views.SessionPage(d))
}

// sessionEdit (manager, owner) gives one session a new date, time or seats. Its guests are
// mailed a new time; a session of a series is detached from it, keeping the change.
func (h *handlers) sessionEdit(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, off, s, err := sessionRoute(h, e, store.OfferingSessionRow)
	if err != nil {
		return err
	}
	f := e.Request.PostForm
	errs := map[string]views.Msg{}
	d, derr := booking.ParseDate(strings.TrimSpace(f.Get("date")))
	c, cerr := booking.ParseClock(strings.TrimSpace(f.Get("time")))
	seats, serr := strconv.Atoi(strings.TrimSpace(f.Get("seats")))
	start, exists, _ := booking.Resolve(d, c, v.Loc)
	now := h.now()
	switch {
	case derr != nil:
		errs["date"] = views.M("admin.series.bad_from")
	case cerr != nil || c >= 24*60 || !exists:
		errs["time"] = views.M("admin.sessions_bad")
	case !start.After(now):
		errs["date"] = views.M("admin.series.bad_from")
	}
	if serr != nil || seats < 1 || seats > booking.MaxSeats {
		errs["seats"] = views.M("admin.series.bad_seats")
	}
	if s.Cancelled {
		return errStatusConflict
	}
	if len(errs) > 0 {
		return h.renderSession(e, http.StatusUnprocessableEntity, errs, f)
	}
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		cur, err := store.OfferingSessionRow(tx.App, off.ID, s.ID)
		if err != nil {
			return err
		}
		if cur.Cancelled {
			return errStatusConflict
		}
		moved, err := jobs.MoveSession(tx, v, off, cur, start, seats, cur.Series != "", now)
		if err != nil {
			return err
		}
		tx.Freed()
		return h.staffAudit(tx.App, e, "session.changed", "sessions/"+s.ID, fmt.Sprintf("%s → %s, %d seats, %d bookings moved",
			cur.Start.Time().In(v.Loc).Format(localLayout), start.In(v.Loc).Format(localLayout), seats, moved))
	})
	if msg, ok := seatsTaken(err, jobs.Locale(v), v.Loc); ok {
		return h.renderSession(e, http.StatusConflict, map[string]views.Msg{"seats": msg}, f)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"/sessions/"+s.ID+"?done=session_changed")
}

// sessionCancel (manager, owner) cancels a session for the reason given (or the venue's words
// for it): it is no longer offered, its bookings are cancelled by the venue and its waitlist
// closed, each guest mailed (jobs.CancelSession).
func (h *handlers) sessionCancel(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, off, s, err := sessionRoute(h, e, store.OfferingSessionRow)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(e.Request.PostForm.Get("reason"))
	if utf8.RuneCountInString(reason) > maxReason {
		return h.renderSession(e, http.StatusUnprocessableEntity, map[string]views.Msg{"reason": views.M("admin.too_long", maxReason)}, e.Request.PostForm)
	}
	if reason == "" {
		reason = jobs.Locale(v).T("admin.sessions_cancel_reason")
	}
	now := h.now()
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		cur, err := store.OfferingSession(tx.App, off.ID, s.ID)
		if err != nil {
			return err
		}
		if cur.Cancelled {
			return errStatusConflict
		}
		told, err := jobs.CancelSession(tx, v, off, cur, reason, now)
		if err != nil {
			return err
		}
		tx.Freed()
		return h.staffAudit(tx.App, e, "session.cancelled", "sessions/"+s.ID, fmt.Sprintf("%d bookings and waiting guests told: %s", told, reason))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=session_cancelled")
}
