package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/mail"
	"reserva/views"
)

// Refusals of a change or cancellation, answered 409 on the manage page.
var (
	errTooLate   = errors.New("manage: past the cancellation cut-off")
	errNotActive = errors.New("manage: booking is not active")
)

// findBooking returns the booking behind a manage token. Malformed and unknown tokens are the
// same 404: the page never tells which.
func findBooking(app core.App, token string) (*core.Record, error) {
	if !wellFormedToken(token) {
		return nil, bookingNotFound(nil)
	}
	id, err := bookingIDByToken(app, token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bookingNotFound(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("manage: find booking: %w", err)
	}
	rec, err := app.FindRecordById("bookings", id)
	if err != nil {
		return nil, fmt.Errorf("manage: find booking %s: %w", id, err)
	}
	return rec, nil
}

// bookingOffering loads a booking's offering, active or not (a booking outlives a retired offering).
func bookingOffering(app core.App, rec *core.Record) (*core.Record, error) {
	off, err := app.FindRecordById("offerings", rec.GetString("offering"))
	if err != nil {
		return nil, fmt.Errorf("manage: offering of booking %s: %w", rec.Id, err)
	}
	return off, nil
}

// manage shows a booking to the holder of its link.
func (h *handlers) manage(e *core.RequestEvent) error {
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
	d := manageData(v, off, rec, token, h.now())
	switch e.Request.URL.Query().Get("m") {
	case "booked":
		d.Notice = views.M("manage.booked")
	case "changed":
		d.Notice = views.M("manage.changed")
	case "cancelled":
		d.Notice = views.M("manage.cancelled")
	}
	return render(e, http.StatusOK, views.ManagePage(d))
}

func manageData(v *venue, off, rec *core.Record, token string, now time.Time) views.ManageData {
	b := bookingView(v, off, rec)
	deadline := rules(off).CancelDeadline(b.Start)
	return views.ManageData{
		Page:      v.page(views.M("title.manage")),
		Base:      "/b/" + token,
		Booking:   b,
		CanChange: changeable(rec, off, now) == nil,
		Deadline:  deadline.In(v.loc),
	}
}

// changeable says whether the holder may still change or cancel the booking online.
func changeable(rec, off *core.Record, now time.Time) error {
	if rec.GetString("status") != "confirmed" {
		return errNotActive
	}
	if !rules(off).CanCancel(rec.GetDateTime("start").Time(), now) {
		return errTooLate
	}
	return nil
}

// bookingView is a booking as its holder sees it, in venue-local time.
func bookingView(v *venue, off, rec *core.Record) views.Booking {
	start := rec.GetDateTime("start").Time().In(v.loc)
	return views.Booking{
		Reference: rec.GetString("reference"),
		Offering:  off.GetString("name"),
		Start:     start,
		End:       rec.GetDateTime("end").Time().In(v.loc),
		Ambiguous: ambiguous(start, v.loc),
		Party:     rec.GetInt("party"),
		Status:    rec.GetString("status"),
		Name:      rec.GetString("name"),
		Email:     rec.GetString("email"),
		Phone:     rec.GetString("phone"),
		Notes:     rec.GetString("notes"),
		Cancelled: rec.GetDateTime("cancelled_at").Time(),
	}
}

// ambiguous reports whether t's local wall time occurs twice that night.
func ambiguous(t time.Time, loc *time.Location) bool {
	local := t.In(loc)
	_, _, amb := booking.Resolve(booking.DateOf(local, loc), booking.Clock(local.Hour()*60+local.Minute()), loc)
	return amb
}

// problem re-renders the manage page with a refusal (409): too late, or no longer active.
func (h *handlers) problem(e *core.RequestEvent, v *venue, token string, cause error) error {
	rec, err := findBooking(e.App, token)
	if err != nil {
		return err
	}
	off, err := bookingOffering(e.App, rec)
	if err != nil {
		return err
	}
	d := manageData(v, off, rec, token, h.now())
	if errors.Is(cause, errTooLate) {
		d.Problem = views.M("manage.too_late", v.rec.GetString("name"))
	} else {
		d.Problem = views.M("manage.not_active")
	}
	return render(e, http.StatusConflict, views.ManagePage(d))
}

// cancel cancels a booking for the holder of its link, until the offering's cut-off. Cancelling
// twice is harmless: the second request lands on the cancelled booking.
func (h *handlers) cancel(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	now := h.now()
	err = e.App.RunInTransaction(func(tx core.App) error {
		rec, err := findBooking(tx, token)
		if err != nil {
			return err
		}
		if rec.GetString("status") == "cancelled" {
			return nil
		}
		off, err := bookingOffering(tx, rec)
		if err != nil {
			return err
		}
		if err := changeable(rec, off, now); err != nil {
			return err
		}
		rec.Set("status", "cancelled")
		rec.Set("cancelled_at", now.UTC())
		rec.Set("cancel_reason", "guest")
		rec.Set("sequence", rec.GetInt("sequence")+1)
		if err := tx.Save(rec); err != nil {
			return fmt.Errorf("cancel: save: %w", err)
		}
		if err := audit(tx, reqID(e), actorVisitor, "booking.cancel", "bookings/"+rec.Id, ""); err != nil {
			return err
		}
		return h.bookingMail(tx, v, off, rec, views.MailCancellation, "guest")
	})
	if errors.Is(err, errTooLate) || errors.Is(err, errNotActive) {
		return h.problem(e, v, token, err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/b/"+token+"?m=cancelled")
}

// calendar downloads the booking as an .ics file in the venue's time zone; a cancelled booking
// gives a cancellation that removes the entry from calendar apps.
func (h *handlers) calendar(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	rec, err := findBooking(e.App, e.Request.PathValue("token"))
	if err != nil {
		return err
	}
	off, err := bookingOffering(e.App, rec)
	if err != nil {
		return err
	}
	ics, err := bookingCalendar(v, off, rec)
	if err != nil {
		return err
	}
	e.Response.Header().Set("Content-Disposition", `attachment; filename="booking-`+rec.GetString("reference")+`.ics"`)
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.Blob(http.StatusOK, "text/calendar; charset=utf-8", ics)
}

// bookingCalendar is the booking's calendar file: the manage page's download and the mails'
// attachment are the same file (stable UID, SEQUENCE = the booking's change count, CANCEL once
// cancelled).
func bookingCalendar(v *venue, off, rec *core.Record) ([]byte, error) {
	b := bookingView(v, off, rec)
	ics, err := mail.Calendar(mail.Event{
		UID:         rec.Id + "@reserva",
		Sequence:    rec.GetInt("sequence"),
		Start:       b.Start,
		End:         b.End,
		Location:    v.loc,
		Summary:     b.Offering + " · " + v.rec.GetString("name"),
		Description: v.locale.T("booking.reference") + ": " + b.Reference + "\n" + v.locale.T("party.count", b.Party),
		Place:       v.rec.GetString("address"),
		Organizer:   v.rec.GetString("email"),
		Cancelled:   b.Status == "cancelled",
		Stamp:       rec.GetDateTime("updated").Time(),
	})
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	return ics, nil
}
