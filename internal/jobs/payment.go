package jobs

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/store"
)

// ReleasePaymentHold ends a Checkout payment that was not paid: the payment expired and the
// place held for it freed (only while it is still held). Call it in the booking writer.
func ReleasePaymentHold(tx core.App, p *store.Payment, why string) error {
	if err := store.UpdatePayment(tx, p.ID, map[string]any{"status": string(store.PaymentExpired), "last_error": why}); err != nil {
		return err
	}
	if err := store.ReleaseHold(tx, p.Booking); err != nil {
		return err
	}
	return store.Audit(tx, store.Entry{Actor: store.ActorSystem, Action: "payment.expired", Target: "bookings/" + p.Booking, Detail: why})
}

// ExpirePaymentHolds frees the places whose payment did not come in time (StripeHold after the
// booking); it returns how many. A payment that Stripe confirms later is refunded then.
func (j *Jobs) ExpirePaymentHolds(now time.Time) (int, error) {
	due, err := store.ExpiredHolds(j.app, now, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range due {
		err := j.st.Writer().Do(context.Background(), func(tx *store.Tx) error {
			cur, err := store.PaymentByID(tx.App, p.ID)
			if err != nil || cur.Status != store.PaymentPending {
				return err // paid or ended meanwhile
			}
			tx.Freed()
			n++
			return ReleasePaymentHold(tx.App, cur, "not paid in time")
		})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return n, err
		}
	}
	return n, nil
}

// RunPaymentHolds is the hold worker's run: it logs its count.
func (j *Jobs) RunPaymentHolds() {
	n, err := j.ExpirePaymentHolds(j.now())
	if err != nil {
		j.app.Logger().Error("payments: expiring holds failed", "error", err.Error())
		return
	}
	if n > 0 {
		j.app.Logger().Info("payments: holds expired", "released", n)
	}
}
