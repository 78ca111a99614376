//go:build integration

package hooks

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/realtest"
	"reserva/internal/store"
)

// TestPaymentsAgainstStripeMock runs the money flows against stripe-mock, Stripe's own API
// double (every call validated against Stripe's API description; its answers are fixtures): the
// owner connects an account (the key checked with Stripe; a malformed one refused); a guest's
// booking of a dinner with a deposit opens a Checkout session and sends the guest to Stripe's
// page; Stripe's signed event confirms it; the guest cancels and the deposit is refunded; a
// payment that comes after its hold ran out is refunded at once. With a card kept for a no-show
// fee, Checkout sets up the card on a Stripe customer; after a no-show a manager charges the
// fee. stripe-mock's fixture PaymentIntent never succeeds (it answers requires_payment_method),
// so the charge is recorded as refused, with Stripe's id, and offered again.
//
// Not parallel: RESERVA_ENCRYPTION_KEY is set in the environment.
func TestPaymentsAgainstStripeMock(t *testing.T) {
	sm := realtest.StartStripeMock(t)
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	s := newServerOpts(t, func(o *options) { o.stripeAPI = sm.URL })
	owner, _ := s.signedIn(t, "owner")
	mgr, _ := s.signedIn(t, "manager")
	desk, _ := s.signedIn(t, "frontdesk")

	for _, bad := range []url.Values{
		{"currency": {"eur"}, "secret_key": {"pk_live_123"}, "webhook_secret": {testWebhookSecret}},
		{"currency": {"jpy"}, "secret_key": {"sk_test_123"}, "webhook_secret": {testWebhookSecret}},
		{"currency": {"eur"}, "secret_key": {"sk_test_123"}, "webhook_secret": {"secret"}},
	} {
		if res := s.as(t, owner, http.MethodPost, "/admin/payments", bad); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("payments %v = %d, want 422", bad, res.status)
		}
	}
	if res := s.as(t, owner, http.MethodPost, "/admin/payments", url.Values{"currency": {"eur"}, "secret_key": {"sk_test_reserva"},
		"webhook_secret": {testWebhookSecret}}); res.status != http.StatusSeeOther {
		t.Fatalf("connecting the account = %d\n%s", res.status, snippet(res.body))
	}
	page := s.as(t, owner, http.MethodGet, "/admin/payments", nil)
	mustContain(t, "payments page", page.body, "https://booking.test/stripe/webhook", "Stored (encrypted)")
	mustNotContain(t, "payments page", page.body, "sk_test_reserva", testWebhookSecret)
	var sealed string
	_ = s.app.DB().NewQuery("SELECT sealed FROM settings WHERE key = 'payments'").Row(&sealed)
	if sealed == "" || strings.Contains(sealed, "sk_test_reserva") {
		t.Fatalf("the keys are not sealed: %q", sealed)
	}

	dinner := s.offering(t, "dinner").ID
	setPayment := func(mode, amount string) {
		t.Helper()
		f := dinnerForm("", "")
		f.Set("payment_mode", mode)
		f.Set("payment_amount", amount)
		if res := s.as(t, mgr, http.MethodPost, "/admin/offerings/"+dinner, f); res.status != http.StatusSeeOther {
			t.Fatalf("payment %s %s = %d", mode, amount, res.status)
		}
	}
	setPayment("deposit", "20")

	// The guest books: a Checkout session at Stripe, the guest sent to its page.
	book := func(start string) (bookingID, session string) {
		t.Helper()
		res := s.post(t, "/book/dinner", bookingForm(start, "2"))
		loc := res.header.Get("Location")
		if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "https://checkout.stripe.com/") {
			t.Fatalf("booking a paid dinner = %d to %q\n%s", res.status, loc, snippet(res.body))
		}
		// stripe-mock gives every session the same page address: the newest payment is this one.
		var p store.Payment
		if err := s.app.DB().NewQuery("SELECT * FROM payments ORDER BY id DESC LIMIT 1").One(&p); err != nil {
			t.Fatalf("the payment of %s: %v", loc, err)
		}
		if p.Status != store.PaymentPending || !strings.HasPrefix(p.Session, "cs_") || p.CheckoutURL != loc {
			t.Fatalf("payment %+v", p)
		}
		return p.Booking, p.Session
	}
	id, session := book("2026-11-27T19:00")
	if st := bookingStatus(t, s, id); st != "held" {
		t.Fatalf("before payment: %s", st)
	}
	if res := stripePost(t, s, testWebhookSecret, "checkout.session.completed", session, 4000, time.Now()); res.status != http.StatusOK {
		t.Fatalf("completed = %d %s", res.status, res.body)
	}
	if st := bookingStatus(t, s, id); st != "confirmed" {
		t.Fatalf("after payment: %s", st)
	}

	// The guest cancels in time: the deposit goes back through Stripe.
	tok := s.tokenOf(t, id)
	if res := s.post(t, "/b/"+tok+"/cancel", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d", res.status)
	}
	pays, _ := store.PaymentsOf(s.app, id)
	if len(pays) != 2 || pays[1].Kind != store.PaymentRefund || pays[1].Status != store.PaymentPaid || pays[1].Amount != 4000 ||
		!strings.HasPrefix(pays[1].Refund, "re_") {
		t.Fatalf("after cancelling: %+v", pays)
	}
	staff := s.as(t, mgr, http.MethodGet, "/admin/bookings/"+id, nil)
	mustContain(t, "staff booking page", staff.body, "Deposit · EUR 40.00 · Done", "Refund · EUR 40.00 · Done")
	mustNotContain(t, "staff booking page", staff.body, `data-testid="refund"`)
	if res := s.as(t, desk, http.MethodPost, "/admin/bookings/"+id+"/refund", url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("the front desk refunding = %d, want 403", res.status)
	}
	if res := s.as(t, mgr, http.MethodPost, "/admin/bookings/"+id+"/refund", url.Values{}); res.status != http.StatusConflict {
		t.Errorf("a second refund = %d, want 409", res.status)
	}

	// Paid after the hold ran out: the place is gone, the money goes back at once.
	late, lateSession := book("2026-11-27T20:00")
	if n, err := s.jobs.ExpirePaymentHolds(s.now.Add(40 * time.Minute)); err != nil || n != 1 {
		t.Fatalf("ExpirePaymentHolds = %d, %v", n, err)
	}
	if res := stripePost(t, s, testWebhookSecret, "checkout.session.completed", lateSession, 4000, time.Now()); res.status != http.StatusOK {
		t.Fatalf("late completed = %d", res.status)
	}
	if refunded, err := store.Refunded(s.app, late); err != nil || refunded != 4000 {
		t.Errorf("a late payment refunded %d, %v; want 4000", refunded, err)
	}

	// A refund whose call to Stripe was cut off (a restart) is sent again by the payments job,
	// with the same idempotency key.
	again, againSession := book("2026-11-27T17:00")
	if res := stripePost(t, s, testWebhookSecret, "checkout.session.completed", againSession, 4000, time.Now()); res.status != http.StatusOK {
		t.Fatalf("completed = %d", res.status)
	}
	if err := s.app.RunInTransaction(func(tx core.App) error { _, err := store.StartRefund(tx, again); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.DB().NewQuery("UPDATE payments SET created = '2026-01-01 00:00:00.000Z' WHERE booking = {:b} AND kind = 'refund'").
		Bind(dbx.Params{"b": again}).Execute(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.jobs.RetryRefunds(context.Background()); err != nil || n != 1 {
		t.Fatalf("RetryRefunds = %d, %v", n, err)
	}
	var retried store.Payment
	_ = s.app.DB().NewQuery("SELECT * FROM payments WHERE booking = {:b} AND kind = 'refund'").Bind(dbx.Params{"b": again}).One(&retried)
	if retried.Status != store.PaymentPaid || !strings.HasPrefix(retried.Refund, "re_") || retried.Amount != 4000 {
		t.Errorf("the retried refund: %+v", retried)
	}

	// A card kept for a no-show fee: Checkout sets it up on a Stripe customer made for it.
	setPayment("card", "25")
	cardID, cardSession := book("2026-11-27T21:00")
	var customer string
	_ = s.app.DB().NewQuery("SELECT customer FROM payments WHERE session = {:s}").Bind(dbx.Params{"s": cardSession}).Row(&customer)
	if !strings.HasPrefix(customer, "cus_") {
		t.Fatalf("card kept: customer %q", customer)
	}
	if res := stripePost(t, s, testWebhookSecret, "checkout.session.completed", cardSession, 0, time.Now()); res.status != http.StatusOK {
		t.Fatalf("card completed = %d", res.status)
	}
	if res := s.as(t, mgr, http.MethodPost, "/admin/bookings/"+cardID+"/charge", url.Values{}); res.status != http.StatusConflict {
		t.Errorf("a fee before the no-show = %d, want 409", res.status)
	}
	s.now = time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)
	// The morning's sessions have run out: the two sign in again.
	_, desk = s.signIn(t, "frontdesk@demo.invalid", testPassword)
	_, mgr = s.signIn(t, "manager@demo.invalid", testPassword)
	if res := s.as(t, desk, http.MethodPost, "/admin/bookings/"+cardID+"/noshow", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("no-show = %d\n%s", res.status, snippet(res.body))
	}
	mustContain(t, "no-show page", s.as(t, mgr, http.MethodGet, "/admin/bookings/"+cardID, nil).body, `data-testid="charge"`)
	if res := s.as(t, desk, http.MethodPost, "/admin/bookings/"+cardID+"/charge", url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("the front desk charging = %d, want 403", res.status)
	}
	res := s.as(t, mgr, http.MethodPost, "/admin/bookings/"+cardID+"/charge", url.Values{})
	if res.status != http.StatusSeeOther || !strings.Contains(res.header.Get("Location"), "done=charge_failed") {
		t.Fatalf("charge = %d to %q", res.status, res.header.Get("Location"))
	}
	pays, _ = store.PaymentsOf(s.app, cardID)
	fee := pays[len(pays)-1]
	if fee.Kind != store.PaymentNoShowFee || fee.Amount != 5000 || fee.Status != store.PaymentFailed || !strings.HasPrefix(fee.Intent, "pi_") ||
		!strings.Contains(fee.LastError, "requires_payment_method") {
		t.Fatalf("the fee: %+v", fee)
	}
	mustContain(t, "after the refused fee", s.as(t, mgr, http.MethodGet, "/admin/bookings/"+cardID, nil).body,
		"No-show fee · EUR 50.00 · Refused by Stripe", `data-testid="charge"`)
	// A fee being taken (a second click while Stripe answers the first) is not taken twice.
	if err := s.app.RunInTransaction(func(tx core.App) error {
		_, err := store.StartNoShowFee(tx, cardID, fee.Customer, "eur", 5000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if res := s.as(t, mgr, http.MethodPost, "/admin/bookings/"+cardID+"/charge", url.Values{}); res.status != http.StatusConflict {
		t.Errorf("a second fee while one is under way = %d, want 409", res.status)
	}
	var audited int
	_ = s.app.DB().Select("count(*)").From("audit_log").Where(dbx.HashExp{"action": "payment.no_show_fee", "target": "bookings/" + cardID}).Row(&audited)
	if audited != 1 {
		t.Errorf("%d audit rows for the fee", audited)
	}
}
