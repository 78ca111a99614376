package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
)

// Refusals of a change or cancellation by the guest.
var (
	ErrTooLate   = errors.New("manage: past the cancellation cut-off")
	ErrNotActive = errors.New("manage: booking is not active")
)

// Changeable says whether the guest may still change or cancel b online at now: ErrNotActive
// unless it is confirmed, ErrTooLate past the offering's cut-off.
func (b *Booking) Changeable(o *Offering, now time.Time) error {
	if b.Status != booking.StatusConfirmed {
		return ErrNotActive
	}
	if !o.Rules().CanCancel(b.Start.Time(), now) {
		return ErrTooLate
	}
	return nil
}

// StartDate finds the local date a requested start falls on: parsed from a slot time, or read
// from the session it names. Unusable starts give booking.ErrInvalidStart.
func StartDate(app core.App, o *Offering, start string, loc *time.Location) (booking.Date, error) {
	if !o.IsSession() {
		d, _, err := booking.ParseStart(start)
		return d, err
	}
	if start == "" || len(start) > 64 {
		return booking.Date{}, booking.ErrInvalidStart
	}
	s, err := OfferingSession(app, o.ID, start)
	if isNoRows(err) {
		return booking.Date{}, booking.ErrInvalidStart
	}
	if err != nil {
		return booking.Date{}, fmt.Errorf("book: session: %w", err)
	}
	return booking.DateOf(s.Start.Time(), loc), nil
}
