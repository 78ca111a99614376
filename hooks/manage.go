package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// findBooking returns the booking behind a manage token and its offering. Malformed and
// unknown tokens are the same 404: the page never tells which.
func findBooking(app core.App, token string) (*store.Booking, *store.Offering, error) {
	b, err := store.BookingByToken(app, token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, bookingNotFound(nil)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("manage: find booking: %w", err)
	}
	off, err := store.OfferingByID(app, b.Offering)
	if err != nil {
		return nil, nil, fmt.Errorf("manage: offering of booking %s: %w", b.ID, err)
	}
	return b, off, nil
}

// manage shows a booking to the holder of its link.
func (h *handlers) manage(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	b, off, err := findBooking(e.App, token)
	if err != nil {
		return err
	}
	d := manageData(e, v, off, b, token, h.now())
	switch e.Request.URL.Query().Get("m") {
	case "booked":
		d.Notice = views.M("manage.booked")
	case "changed":
		d.Notice = views.M("manage.changed")
	case "cancelled":
		d.Notice = views.M("manage.cancelled")
	case "texts_stopped":
		d.Notice = views.M("manage.texts_stopped")
	case "paid":
		if d.Booking.AwaitsPayment {
			d.Notice = views.M("manage.paid_pending")
		} else {
			d.Notice = views.M("manage.paid")
		}
	case "unpaid":
		if d.Booking.AwaitsPayment {
			d.Notice = views.M("manage.unpaid")
		}
	}
	return render(e, http.StatusOK, views.ManagePage(d))
}

func manageData(e *core.RequestEvent, v *store.Venue, off *store.Offering, b *store.Booking, token string, now time.Time) views.ManageData {
	bv := jobs.BookingView(v, off, b)
	d := views.ManageData{
		Page:      page(e, v, views.M("title.manage")),
		Base:      "/b/" + token,
		Booking:   bv,
		CanChange: b.Changeable(off, now) == nil,
		Deadline:  off.Rules().CancelDeadline(bv.Start).In(v.Loc),
	}
	if b.Status == booking.StatusCancelled && off.Active {
		d.BookAgain = "/book/" + url.PathEscape(off.Slug) + "?party=" + strconv.Itoa(b.Party)
	}
	pays, err := store.PaymentsOf(e.App, b.ID)
	if err != nil {
		e.App.Logger().Error("manage: payments", "booking", b.ID, "error", err.Error())
	}
	var by time.Time
	d.Booking.AwaitsPayment, d.PayURL, by = awaitingPayment(pays, b, now)
	d.PayBy = by.In(v.Loc)
	d.Payments = paymentViews(pays, v.Loc)
	return d
}

// problem re-renders the manage page with a refusal (409): too late, or no longer active.
func (h *handlers) problem(e *core.RequestEvent, v *store.Venue, token string, cause error) error {
	b, off, err := findBooking(e.App, token)
	if err != nil {
		return err
	}
	d := manageData(e, v, off, b, token, h.now())
	if errors.Is(cause, store.ErrTooLate) {
		d.Problem = views.M("manage.too_late", v.Name)
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
	var refund *store.Payment
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		b, off, err := findBooking(tx.App, token)
		if err != nil {
			return err
		}
		if b.Status == booking.StatusCancelled {
			return nil
		}
		if err := b.Changeable(off, now); err != nil {
			return err
		}
		if err := store.CancelBooking(tx.App, b, store.CancelledByGuest, now); err != nil {
			return fmt.Errorf("cancel: %w", err)
		}
		tx.Freed()
		if err := store.Audit(tx.App, store.Entry{RequestID: reqID(e), Actor: store.ActorVisitor, Action: "booking.cancel",
			Target: "bookings/" + b.ID}); err != nil {
			return err
		}
		if err := jobs.QueueBookingMail(tx.App, v, store.MailCancellation, b, "", now); err != nil {
			return err
		}
		// Cancelled within the policy (Changeable): what the guest paid goes back in full.
		if refund, err = startRefund(tx.App, b.ID); err != nil {
			return err
		}
		return jobs.QueueEvent(tx.App, v, store.EventBookingCancelled, b.ID, now)
	})
	if errors.Is(err, store.ErrTooLate) || errors.Is(err, store.ErrNotActive) {
		return h.problem(e, v, token, err)
	}
	if err != nil {
		return err
	}
	h.settleRefund(e, refund, store.ActorSystem, "cancelled by the guest")
	return e.Redirect(http.StatusSeeOther, "/b/"+token+"?m=cancelled")
}

// stopTexts (POST /b/{token}/texts/stop) turns the booking's text messages off: none is sent
// any more, queued ones included. Sending it again changes nothing.
func (h *handlers) stopTexts(e *core.RequestEvent) error {
	token := e.Request.PathValue("token")
	err := h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		b, _, err := findBooking(tx.App, token)
		if err != nil {
			return err
		}
		on, err := store.StopTexts(tx.App, b.ID)
		if err != nil || !on {
			return err
		}
		return store.Audit(tx.App, store.Entry{RequestID: reqID(e), Actor: store.ActorVisitor, Action: "booking.texts_stopped",
			Target: "bookings/" + b.ID})
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/b/"+token+"?m=texts_stopped")
}
