package hooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// stripeBodyLimit bounds a webhook post from Stripe (its events are a few KB).
const stripeBodyLimit = 256 << 10

// paymentKinds are the payments rows a payment mode starts.
var paymentKinds = map[store.PaymentMode]store.PaymentKind{
	store.PayDeposit: store.PaymentDeposit, store.PayPrepay: store.PaymentPrepay, store.PayCard: store.PaymentCard,
}

// holdForPayment records, in the booking's write, the payment the held place b waits for: the
// offering's amount per person times the party (for a card kept, the fee agreed), due within
// jobs.StripeHold.
func holdForPayment(tx core.App, off *store.Offering, b *store.Booking, currency string, now time.Time) error {
	// What the guest agrees to: the deposit or price to pay, or the no-show fee a card kept
	// may be charged (kept with the card, charged as agreed whatever the offering says later).
	amount := int64(off.PaymentAmount) * int64(b.Party)
	_, err := store.InsertPayment(tx, store.Payment{Booking: b.ID, Kind: paymentKinds[off.PaymentMode], Status: store.PaymentPending,
		Amount: amount, Currency: currency, ExpiresAt: dbTime(now.Add(jobs.StripeHold))})
	return err
}

// dbTime is t as a record's date.
func dbTime(t time.Time) types.DateTime {
	d, _ := types.ParseDateTime(t) // a time.Time always parses
	return d
}

// payItems are the catalog keys of what a guest pays for on Stripe's page, by payment mode.
var payItems = map[store.PaymentMode]string{
	store.PayDeposit: "pay.item.deposit", store.PayPrepay: "pay.item.prepay", store.PayCard: "pay.item.card",
}

// startCheckout opens the Stripe Checkout page of a booking just held and sends the guest
// there (303). When Stripe cannot be reached the hold is released at once and the guest is told
// nothing was booked (503).
func (h *handlers) startCheckout(e *core.RequestEvent, v *store.Venue, off *store.Offering, acct store.PaymentAccount,
	bookingID, token string, in bookInput) error {
	now := h.now()
	b, err := store.BookingByID(e.App, bookingID)
	if err != nil {
		return err
	}
	pays, err := store.PaymentsOf(e.App, bookingID)
	if err != nil || len(pays) != 1 {
		return fmt.Errorf("checkout: the payment of %s: %v", bookingID, err)
	}
	l := jobs.GuestLocale(v, in.locale)
	start := b.Start.Time().In(v.Loc)
	item := l.T(payItems[off.PaymentMode], off.Name, l.ShortDate(start)+" "+l.Time(start), v.Name)
	back := "/b/" + token
	st, cerr := h.jobs.StartCheckout(e.Request.Context(), acct, jobs.Checkout{BookingID: b.ID, Reference: b.Reference,
		Mode: off.PaymentMode, PerPerson: int64(off.PaymentAmount), Party: b.Party, Currency: acct.Currency, Item: item,
		Name: b.Name, Email: b.Email, SuccessURL: h.jobs.AbsURL(back + "?m=paid"), CancelURL: h.jobs.AbsURL(back + "?m=unpaid"), Now: now})
	err = h.st.Writer().Do(context.Background(), func(tx *store.Tx) error {
		if cerr != nil {
			tx.Freed()
			if err := jobs.ReleasePaymentHold(tx.App, pays[0], "Stripe: "+cerr.Error()); err != nil {
				return err
			}
			return store.UpdatePayment(tx.App, pays[0].ID, map[string]any{"status": string(store.PaymentFailed)})
		}
		return store.UpdatePayment(tx.App, pays[0].ID, map[string]any{"session": st.Session, "checkout_url": st.URL, "customer": st.Customer})
	})
	if err != nil {
		return err
	}
	if cerr != nil {
		e.App.Logger().Error("payments: checkout", "booking", b.ID, "error", cerr.Error())
		return &pageError{status: http.StatusServiceUnavailable, heading: "error.payments_unavailable", body: "error.payments_unavailable_body", err: cerr}
	}
	// Stripe's page cannot be framed: a framed form sends the guest on in a new window
	// (the booking's page, with its "Pay" link), the site's own straight to Stripe.
	if embedded(e.Request) {
		return e.Redirect(http.StatusSeeOther, embedPrefix+"b/"+token+"?m=pay&lang="+url.QueryEscape(in.locale))
	}
	return e.Redirect(http.StatusSeeOther, st.URL)
}

// stripeWebhook (POST /stripe/webhook) takes Stripe's events about Checkout sessions and
// refunds, each checked against the venue's webhook signing secret: completed (paid, or card
// saved) confirms the held booking; expired frees it; a refund that failed afterwards is marked
// refused. Anything else signed is acknowledged and ignored. Stripe
// sends an event again until it gets a 2xx, so each is applied once whatever the retries.
func (h *handlers) stripeWebhook(e *core.RequestEvent) error {
	payload, err := io.ReadAll(io.LimitReader(e.Request.Body, stripeBodyLimit+1))
	if err != nil {
		return e.JSON(http.StatusBadRequest, map[string]string{"error": "unreadable body"})
	}
	if len(payload) > stripeBodyLimit {
		return e.JSON(http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
	}
	acct, err := store.LoadPaymentAccount(e.App)
	if err != nil || !acct.Ready() {
		return e.JSON(http.StatusNotFound, map[string]string{"error": "payments are not set up"})
	}
	ev, err := jobs.VerifyStripeEvent(payload, e.Request.Header.Get("Stripe-Signature"), acct.WebhookSecret)
	if err != nil {
		e.App.Logger().Warn("payments: webhook refused", "error", err.Error())
		return e.JSON(http.StatusBadRequest, map[string]string{"error": "bad signature"})
	}
	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		err = h.paymentCompleted(e, acct, ev)
	case "checkout.session.expired", "checkout.session.async_payment_failed":
		err = h.paymentEnded(e, ev)
	case "refund.failed", "refund.updated", "charge.refund.updated":
		err = h.refundFailed(e, ev)
	}
	if err != nil {
		// Stripe tries again later.
		e.App.Logger().Error("payments: webhook", "event", ev.ID, "type", ev.Type, "error", err.Error())
		return e.JSON(http.StatusServiceUnavailable, map[string]string{"error": "try again"})
	}
	return e.JSON(http.StatusOK, map[string]bool{"received": true})
}

// paymentCompleted applies a completed Checkout session: the held booking is confirmed (its
// mail and webhook event go out) and the payment recorded. A payment for a place whose hold
// already ran out is refunded at once; a session Reserva does not know is ignored.
func (h *handlers) paymentCompleted(e *core.RequestEvent, acct store.PaymentAccount, ev jobs.StripeEvent) error {
	// A card kept is the Stripe customer's card, found when a fee is charged (bookingCharge).
	if ev.Unpaid {
		return nil // the money is not in yet: async_payment_succeeded (or _failed) follows
	}
	p, err := h.paymentOfEvent(e.App, ev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil || p.Status == store.PaymentPaid {
		return err
	}
	v, err := h.st.Venue(e.App)
	if err != nil {
		return err
	}
	now := h.now()
	var refund *store.Payment
	err = h.st.Writer().Do(context.Background(), func(tx *store.Tx) error {
		cur, err := store.PaymentByID(tx.App, p.ID)
		if err != nil || cur.Status == store.PaymentPaid {
			return err
		}
		cols := map[string]any{"status": string(store.PaymentPaid), "intent": ev.Intent, "last_error": ""}
		if ev.Customer != "" {
			cols["customer"] = ev.Customer
		}
		if ev.Amount > 0 && cur.Kind != store.PaymentCard {
			cols["amount"] = ev.Amount
		}
		if err := store.UpdatePayment(tx.App, cur.ID, cols); err != nil {
			return err
		}
		b, err := store.BookingByID(tx.App, cur.Booking)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && b.Status != booking.StatusHeld) {
			// The hold ran out first: the money goes back, the refund recorded with the payment.
			if refund, err = store.StartRefund(tx.App, cur.Booking); err != nil {
				return err
			}
			return store.Audit(tx.App, store.Entry{Actor: store.ActorSystem, Action: "payment.paid", Target: "bookings/" + cur.Booking,
				Detail: "after the hold ran out"})
		}
		if err != nil {
			return err
		}
		if err := store.ConfirmPaid(tx.App, b, v.ReminderMark(b.Start.Time(), now), now); err != nil {
			return err
		}
		if err := store.Audit(tx.App, store.Entry{Actor: store.ActorSystem, Action: "payment.paid", Target: "bookings/" + b.ID,
			Detail: paymentDetail(cur.Kind, ev.Amount, cur.Currency)}); err != nil {
			return err
		}
		if err := jobs.QueueBookingMail(tx.App, v, store.MailConfirmation, b, "", now); err != nil {
			return err
		}
		return jobs.QueueEvent(tx.App, v, store.EventBookingCreated, b.ID, now)
	})
	if err != nil || refund == nil {
		return err
	}
	return h.jobs.SettleRefund(e.Request.Context(), acct, refund, store.ActorSystem, "the hold had run out")
}

// refundFailed applies Stripe's word that a refund it had taken failed afterwards (the card
// closed, say): the refund is marked refused with Stripe's reason, so the booking's page offers
// a manager the refund again. Other refund events, and refunds Reserva does not know, change
// nothing.
func (h *handlers) refundFailed(e *core.RequestEvent, ev jobs.StripeEvent) error {
	if !ev.RefundFailed {
		return nil
	}
	r, err := store.PaymentByRefund(e.App, ev.Refund)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil || r.Status == store.PaymentFailed {
		return err
	}
	why := "Stripe: the refund failed"
	if ev.FailureReason != "" {
		why += " (" + ev.FailureReason + ")"
	}
	return h.st.Writer().Do(context.Background(), func(tx *store.Tx) error {
		if err := store.UpdatePayment(tx.App, r.ID, map[string]any{"status": string(store.PaymentFailed), "last_error": why}); err != nil {
			return err
		}
		return store.Audit(tx.App, store.Entry{Actor: store.ActorSystem, Action: "payment.refunded", Target: "bookings/" + r.Booking,
			Detail: "failed: " + why})
	})
}

// paymentOfEvent is the payment a Checkout event is about: by its session, or, for a session
// whose id Reserva did not get to keep (it stopped between opening the session and writing its
// id), by the booking the session's metadata names. sql.ErrNoRows when it is none of Reserva's.
func (h *handlers) paymentOfEvent(app core.App, ev jobs.StripeEvent) (*store.Payment, error) {
	p, err := store.PaymentBySession(app, ev.Session)
	if !errors.Is(err, sql.ErrNoRows) || ev.Booking == "" {
		return p, err
	}
	list, err := store.PaymentsOf(app, ev.Booking)
	if err != nil {
		return nil, err
	}
	for _, p := range list {
		if p.Session == "" && (p.Kind == store.PaymentDeposit || p.Kind == store.PaymentPrepay || p.Kind == store.PaymentCard) {
			if err := store.UpdatePayment(app, p.ID, map[string]any{"session": ev.Session}); err != nil {
				return nil, err
			}
			p.Session = ev.Session
			return p, nil
		}
	}
	return nil, sql.ErrNoRows
}

// paymentDetail is the audit detail of a payment: its kind and amount.
func paymentDetail(kind store.PaymentKind, amount int64, currency string) string {
	if kind == store.PaymentCard {
		return "card kept for a no-show fee"
	}
	return string(kind) + " " + store.FormatAmount(amount, currency)
}

// paymentEnded applies an expired (or failed) Checkout session: the held place is freed.
func (h *handlers) paymentEnded(e *core.RequestEvent, ev jobs.StripeEvent) error {
	p, err := h.paymentOfEvent(e.App, ev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return h.st.Writer().Do(context.Background(), func(tx *store.Tx) error {
		cur, err := store.PaymentByID(tx.App, p.ID)
		if err != nil || cur.Status != store.PaymentPending {
			return err
		}
		tx.Freed()
		return jobs.ReleasePaymentHold(tx.App, cur, "Stripe: "+ev.Type)
	})
}

// settleRefund asks Stripe for the refund a change recorded (nil: none); a refund Stripe does
// not settle now is logged and shown to staff on the booking, never to the guest as an error
// (RetryRefunds tries one cut off again).
func (h *handlers) settleRefund(e *core.RequestEvent, r *store.Payment, who, why string) {
	if r == nil {
		return
	}
	acct, err := store.LoadPaymentAccount(e.App)
	if err == nil && acct.Ready() {
		err = h.jobs.SettleRefund(e.Request.Context(), acct, r, who, why)
	}
	if err != nil {
		e.App.Logger().Error("payments: refund", "booking", r.Booking, "error", err.Error())
	}
}

// startRefund records the refund a cancellation owes, in its transaction: errors other than
// "under way" stop the cancellation.
func startRefund(tx core.App, bookingID string) (*store.Payment, error) {
	r, err := store.StartRefund(tx, bookingID)
	if errors.Is(err, store.ErrUnderway) {
		return nil, nil
	}
	return r, err
}

// paymentViews are a booking's payments as pages list them.
func paymentViews(list []*store.Payment, loc *time.Location) []views.PaymentEntry {
	out := make([]views.PaymentEntry, 0, len(list))
	for _, p := range list {
		out = append(out, views.PaymentEntry{When: p.Updated.Time().In(loc), Kind: string(p.Kind), Status: string(p.Status),
			Amount: store.FormatAmount(p.Amount, p.Currency), Error: p.LastError, Card: p.Kind == store.PaymentCard})
	}
	return out
}

// awaitingPayment reports whether b is a place held for its payment, with Stripe's page to
// pay on and until when ("" once the hold ran out).
func awaitingPayment(pays []*store.Payment, b *store.Booking, now time.Time) (awaits bool, payURL string, by time.Time) {
	for _, p := range pays {
		if p.Status == store.PaymentPending && b.Status == booking.StatusHeld {
			awaits = true
			if p.CheckoutURL != "" && p.ExpiresAt.Time().After(now) {
				payURL, by = p.CheckoutURL, p.ExpiresAt.Time()
			}
		}
	}
	return awaits, payURL, by
}

// payNotes are the catalog keys of what the booking page says an offering asks to be paid.
var payNotes = map[store.PaymentMode]string{
	store.PayDeposit: "pay.note.deposit", store.PayPrepay: "pay.note.prepay", store.PayCard: "pay.note.card",
}

// paymentNote is what the booking page says of the offering's payment (zero: none).
func paymentNote(app core.App, off *store.Offering) views.Msg {
	if off.PaymentMode == "" {
		return views.Msg{}
	}
	var s store.PaymentSettings
	if _, err := store.LoadSetting(app, store.SettingPayments, &s, nil); err != nil || s.Currency == "" {
		return views.Msg{}
	}
	return views.M(payNotes[off.PaymentMode], store.FormatAmount(int64(off.PaymentAmount), s.Currency))
}

// paidFor reports whether bookingID's guest paid for it per person (a deposit or prepayment).
func paidFor(app core.App, bookingID string) bool {
	p, err := store.Paid(app, bookingID)
	return err == nil && p != nil && p.Kind != store.PaymentCard
}
