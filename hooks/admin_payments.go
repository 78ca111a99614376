package hooks

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// paymentsPage (GET /admin/payments, owner) is the venue's Stripe account: its currency and
// keys (never shown back), and the webhook address to give Stripe.
func (h *handlers) paymentsPage(e *core.RequestEvent) error {
	acct, err := store.LoadPaymentAccount(e.App)
	if err != nil {
		e.App.Logger().Error("payments: settings", "error", err.Error())
	}
	form := views.PaymentsForm{Currency: acct.Currency, HasKey: acct.SecretKey != "", HasWebhookSecret: acct.WebhookSecret != ""}
	if form.Currency == "" {
		form.Currency = "eur"
	}
	return h.renderPayments(e, http.StatusOK, form, nil)
}

func (h *handlers) renderPayments(e *core.RequestEvent, status int, form views.PaymentsForm, errs map[string]views.Msg) error {
	d := views.PaymentsData{AdminPage: h.adminPage(e, views.M("admin.nav.payments")), Form: form, Errors: errs,
		WebhookURL: h.jobs.AbsURL("/stripe/webhook"), Currencies: jobs.Currencies, KeyOK: store.SensitiveEnabled()}
	return render(e, status, views.PaymentsPage(d))
}

// paymentsSave (POST /admin/payments, owner) stores the Stripe account: the secret key is
// checked with Stripe before it is kept (sealed, like the webhook signing secret); a blank key
// field keeps the stored one.
func (h *handlers) paymentsSave(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	cur, err := store.LoadPaymentAccount(e.App)
	if err != nil && !errors.Is(err, store.ErrNoKey) {
		return err
	}
	form := views.PaymentsForm{Currency: strings.ToLower(strings.TrimSpace(f.Get("currency"))),
		HasKey: cur.SecretKey != "", HasWebhookSecret: cur.WebhookSecret != ""}
	key, secret := strings.TrimSpace(f.Get("secret_key")), strings.TrimSpace(f.Get("webhook_secret"))
	errs := map[string]views.Msg{}
	if !slices.Contains(jobs.Currencies, form.Currency) {
		errs["currency"] = views.M("admin.payments.currency_bad")
	}
	switch {
	case key == "" && cur.SecretKey == "":
		errs["secret_key"] = views.M("admin.payments.key_missing")
	case key != "" && !(strings.HasPrefix(key, "sk_") || strings.HasPrefix(key, "rk_")) || len(key) > 255 || strings.ContainsAny(key, " \t\r\n"):
		errs["secret_key"] = views.M("admin.payments.key_bad")
	}
	switch {
	case secret == "" && cur.WebhookSecret == "":
		errs["webhook_secret"] = views.M("admin.payments.webhook_missing")
	case secret != "" && (!strings.HasPrefix(secret, "whsec_") || len(secret) > 255 || strings.ContainsAny(secret, " \t\r\n")):
		errs["webhook_secret"] = views.M("admin.payments.webhook_bad")
	}
	if !store.SensitiveEnabled() {
		errs["secret_key"] = views.M("admin.payments.no_encryption_key")
	}
	if len(errs) == 0 && key != "" {
		if err := h.jobs.CheckStripeKey(e.Request.Context(), key); err != nil {
			errs["secret_key"] = views.M("admin.payments.key_refused", err.Error())
		}
	}
	if len(errs) > 0 {
		return h.renderPayments(e, http.StatusUnprocessableEntity, form, errs)
	}
	secrets := cur.PaymentSecrets
	if key != "" {
		secrets.SecretKey = key
	}
	if secret != "" {
		secrets.WebhookSecret = secret
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := store.SaveSetting(tx, store.SettingPayments, store.PaymentSettings{Currency: form.Currency}, secrets); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "payments.saved", "settings/payments", form.Currency)
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/payments?done=saved")
}

// paymentOfBooking is the booking behind the path's id and its Stripe account, for a staff
// action on its money (404 when there is no such booking; 409 when payments are not set up).
func (h *handlers) paymentOfBooking(e *core.RequestEvent) (*store.Booking, store.PaymentAccount, error) {
	b, err := store.BookingByID(e.App, e.Request.PathValue("id"))
	if err != nil {
		return nil, store.PaymentAccount{}, notFound(err)
	}
	acct, err := store.LoadPaymentAccount(e.App)
	if err != nil || !acct.Ready() {
		return nil, acct, &pageError{status: http.StatusConflict, heading: "error.payments_unavailable", body: "error.payments_unavailable_body", err: err}
	}
	return b, acct, nil
}

// bookingRefund (POST /admin/bookings/{id}/refund, manager) refunds what is left of the
// booking's deposit or prepayment (a refund Stripe refused before, or a goodwill refund of a
// late cancellation); 409 when nothing is left to refund or a refund is under way.
func (h *handlers) bookingRefund(e *core.RequestEvent) error {
	b, acct, err := h.paymentOfBooking(e)
	if err != nil {
		return err
	}
	var r *store.Payment
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		var err error
		r, err = store.StartRefund(tx.App, b.ID)
		return err
	})
	if errors.Is(err, store.ErrUnderway) || (err == nil && r == nil) {
		return &pageError{status: http.StatusConflict, heading: "admin.payments.nothing_to_refund", body: "admin.payments.nothing_to_refund_body"}
	}
	if err != nil {
		return err
	}
	if err := h.jobs.SettleRefund(e.Request.Context(), acct, r, actor(e), "by the venue"); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+b.ID+"?done=refunded")
}

// refundable reports whether bookingID has money paid that was not refunded (nor is being).
func refundable(app core.App, bookingID string) bool {
	paid, err := store.Paid(app, bookingID)
	if err != nil || paid == nil || paid.Kind == store.PaymentCard {
		return false
	}
	done, err := store.Refunded(app, bookingID)
	return err == nil && done < paid.Amount
}

// chargeable is the card kept for b's no-show fee when the fee may be charged now: the guest
// did not come and no fee was taken or is being taken.
func chargeable(app core.App, b *store.Booking) *store.Payment {
	if b.Status != booking.StatusNoShow {
		return nil
	}
	list, err := store.PaymentsOf(app, b.ID)
	if err != nil {
		return nil
	}
	var card *store.Payment
	for _, p := range list {
		switch {
		case p.Kind == store.PaymentNoShowFee && (p.Status == store.PaymentPaid || p.Status == store.PaymentPending):
			return nil
		case p.Kind == store.PaymentCard && p.Status == store.PaymentPaid && p.Customer != "":
			card = p
		}
	}
	return card
}

// bookingCharge (POST /admin/bookings/{id}/charge, manager) charges the no-show fee agreed at
// booking (per person, times the party) to the card the guest left; 409 unless the booking is
// a no-show with a card kept and no fee taken or being taken. The fee is recorded before
// Stripe is asked (one per booking: two clicks charge once) and Stripe's answer after;
// Stripe's refusal is shown, and the fee may be tried again.
func (h *handlers) bookingCharge(e *core.RequestEvent) error {
	b, acct, err := h.paymentOfBooking(e)
	if err != nil {
		return err
	}
	off, err := store.OfferingByID(e.App, b.Offering)
	if err != nil {
		return err
	}
	var fee *store.Payment
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		cur, err := store.BookingByID(tx.App, b.ID)
		if err != nil {
			return err
		}
		card := chargeable(tx.App, cur)
		if card == nil {
			return store.ErrUnderway
		}
		amount := card.Amount // agreed when the card was kept
		if amount == 0 {
			amount = int64(off.PaymentAmount) * int64(cur.Party)
		}
		fee, err = store.StartNoShowFee(tx.App, b.ID, card.Customer, acct.Currency, amount)
		return err
	})
	if errors.Is(err, store.ErrUnderway) {
		return &pageError{status: http.StatusConflict, heading: "admin.payments.no_fee", body: "admin.payments.no_fee_body"}
	}
	if err != nil {
		return err
	}
	intent, cerr := h.jobs.ChargeNoShow(e.Request.Context(), acct, "reserva-fee-"+fee.ID, fee.Customer, fee.Amount, off.Name+" · "+b.Reference, b.ID)
	cols := map[string]any{"status": string(store.PaymentPaid), "intent": intent, "last_error": ""}
	detail := store.FormatAmount(fee.Amount, fee.Currency)
	if cerr != nil {
		cols["status"], cols["last_error"] = string(store.PaymentFailed), cerr.Error()
		detail = "failed: " + cerr.Error()
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := store.UpdatePayment(tx, fee.ID, cols); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "payment.no_show_fee", "bookings/"+b.ID, detail)
	})
	if err != nil {
		return err
	}
	done := "charged"
	if cerr != nil {
		done = "charge_failed"
	}
	return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+b.ID+"?done="+done)
}
