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

// StartDate finds the opening day a requested start belongs to: for a slot time, its local date,
// or the day before when that day's hours (weekly or special) run past midnight over it
// (booking.Calendar.OpeningDay);
// for a session, the date of the session it names. Unusable starts give booking.ErrInvalidStart.
func StartDate(app core.App, o *Offering, start string, loc *time.Location) (booking.Date, error) {
	if !o.IsSession() {
		d, c, err := booking.ParseStart(start)
		if err != nil {
			return d, err
		}
		rules, err := OfferingHours(app, o.ID)
		if err != nil {
			return booking.Date{}, fmt.Errorf("book: opening hours: %w", err)
		}
		cal := booking.Calendar{Hours: bookingHours(app, rules)}
		// The opening day reads the special hours of the day before and of d itself.
		special, err := specialHoursOf(app.DB(), o.ID, d.AddDays(-1).String(), d.String())
		if err != nil {
			return booking.Date{}, fmt.Errorf("book: %w", err)
		}
		for _, sh := range special {
			if r, ok := sh.Rules(); ok {
				cal.Special = append(cal.Special, r)
			}
		}
		return cal.OpeningDay(d, c), nil
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
