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

// RunPaymentHolds is the payments worker's run: holds that ran out are freed and refunds cut
// off are tried again; it logs its counts.
func (j *Jobs) RunPaymentHolds() {
	n, err := j.ExpirePaymentHolds(j.now())
	if err != nil {
		j.app.Logger().Error("payments: expiring holds failed", "error", err.Error())
	}
	r, rerr := j.RetryRefunds(context.Background())
	if rerr != nil {
		j.app.Logger().Error("payments: retrying refunds failed", "error", rerr.Error())
	}
	if n+r > 0 {
		j.app.Logger().Info("payments: run", "holds_released", n, "refunds_retried", r)
	}
}

// SettleRefund asks Stripe for the pending refund r (the row's id is the request's idempotency
// key, so a retry never refunds twice) and records the answer: done, Stripe's considered no
// (failed, for staff to see and retry), or left pending after a network failure or a 5xx for
// RetryRefunds. who is the audit actor, why the reason.
func (j *Jobs) SettleRefund(ctx context.Context, acct store.PaymentAccount, r *store.Payment, who, why string) error {
	id, err := j.Refund(ctx, acct, "reserva-refund-"+r.ID, r.Intent, r.Amount, r.Booking)
	cols := map[string]any{"refund": id, "status": string(store.PaymentPaid), "last_error": ""}
	detail := store.FormatAmount(r.Amount, r.Currency) + ": " + why
	switch {
	case err != nil && id == "" && !finalStripeError(err):
		// No answer, or one worth asking again: the same request (same key) later.
		return store.UpdatePayment(j.app, r.ID, map[string]any{"last_error": err.Error()})
	case err != nil:
		cols["status"], cols["last_error"] = string(store.PaymentFailed), err.Error()
		detail = "failed: " + err.Error()
	}
	return j.app.RunInTransaction(func(tx core.App) error {
		if err := store.UpdatePayment(tx, r.ID, cols); err != nil {
			return err
		}
		return store.Audit(tx, store.Entry{Actor: who, Action: "payment.refunded", Target: "bookings/" + r.Booking, Detail: detail})
	})
}

// RetryRefunds settles the refunds left pending for more than two minutes (a call to Stripe
// cut off by a failure or a restart); it returns how many it tried. The rows' stamps are the
// wall clock's, so it compares with the wall clock.
func (j *Jobs) RetryRefunds(ctx context.Context) (int, error) {
	due, err := store.PendingRefunds(j.app, time.Now().Add(-2*time.Minute), 20)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	acct, err := store.LoadPaymentAccount(j.app)
	if err != nil || !acct.Ready() {
		return 0, err
	}
	for _, r := range due {
		if err := j.SettleRefund(ctx, acct, r, store.ActorSystem, "retried"); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}
