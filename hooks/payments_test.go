package hooks

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v82/webhook"

	"reserva/internal/booking"
	"reserva/internal/store"
)

const testWebhookSecret = "whsec_test_reserva"

// setUpPayments stores a Stripe account (EUR) as the owner's page would.
func setUpPayments(t *testing.T, s *testServer) {
	t.Helper()
	if err := store.SaveSetting(s.app, store.SettingPayments, store.PaymentSettings{Currency: "eur"},
		store.PaymentSecrets{SecretKey: "sk_test_reserva", WebhookSecret: testWebhookSecret}); err != nil {
		t.Fatal(err)
	}
}

// stripePost posts a Checkout event, signed with secret at the time at, to the webhook.
func stripePost(t *testing.T, s *testServer, secret, typ, session string, amount int64, at time.Time) response {
	t.Helper()
	return stripePostObject(t, s, secret, typ, session, amount, at, nil)
}

// stripePostObject is stripePost with more fields of the session (extra).
func stripePostObject(t *testing.T, s *testServer, secret, typ, session string, amount int64, at time.Time, extra map[string]any) response {
	t.Helper()
	obj := map[string]any{"id": session, "object": "checkout.session", "amount_total": amount, "payment_intent": "pi_" + session,
		"customer": "cus_" + session, "metadata": map[string]string{}, "mode": "payment", "payment_status": "paid"}
	for k, v := range extra {
		obj[k] = v
	}
	return stripeSigned(s, secret, typ, obj, at)
}

// stripeSigned posts an event of type typ about obj, signed with secret at the time at.
func stripeSigned(s *testServer, secret, typ string, obj map[string]any, at time.Time) response {
	body, _ := json.Marshal(map[string]any{"id": "evt_" + typ + obj["id"].(string), "object": "event", "type": typ, "api_version": "2020-08-27",
		"created": at.Unix(), "data": map[string]any{"object": obj}})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
	return stripeRequest(s, body, signed.Header)
}

// stripeRequest posts body to the Stripe webhook with the Stripe-Signature header sig.
func stripeRequest(s *testServer, body []byte, sig string) response {
	req := httptest.NewRequest(http.MethodPost, "/stripe/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sig)
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// holdPlace writes what a guest's booking of a paid offering leaves before Stripe is reached: a
// place held for party at 19:00 on 27 November, and its pending payment of session (due by
// expires).
func holdPlace(t *testing.T, s *testServer, party int, session string, expires time.Time) string {
	t.Helper()
	off := s.offering(t, "dinner")
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	var id string
	err := s.app.RunInTransaction(func(tx core.App) error {
		ins, err := store.InsertBooking(tx, store.NewBooking{Offering: off.ID, Slot: booking.Slot{Start: start, End: start.Add(2 * time.Hour)},
			Party: party, Status: booking.StatusHeld, AwaitsPayment: true, Name: "Ada Lovelace", Email: "ada@example.com",
			Source: store.SourceWeb, ConsentAt: s.now, NoticeVersion: 1, Token: true, Now: s.now})
		if err != nil {
			return err
		}
		id = ins.ID
		_, err = store.InsertPayment(tx, store.Payment{Booking: id, Kind: store.PaymentDeposit, Status: store.PaymentPending,
			Amount: int64(party) * 2000, Currency: "eur", Session: session, CheckoutURL: "https://checkout.stripe.com/c/pay/" + session,
			ExpiresAt: dbTime(expires)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func bookingStatus(t *testing.T, s *testServer, id string) string {
	t.Helper()
	var st string
	_ = s.app.DB().Select("status").From("bookings").Where(dbx.HashExp{"id": id}).Row(&st)
	return st
}

// TestPaymentsHoldAndStripeWebhooks: a manager asks a deposit on the dinner (refused without a
// Stripe account, or without an amount); the booking page says so; when Stripe cannot be
// reached the guest is told nothing was booked and no place stays held. Places held for their
// payment count against capacity. Stripe's signed events confirm a held place (its
// confirmation mail queued, once whatever the retries) or free it; a bad or stale signature is
// refused (400); the hold job frees places not paid in time. The manage page of a held place
// offers Stripe's page; the export lists payments and an erasure forgets the Stripe customer.
//
// Not parallel: RESERVA_ENCRYPTION_KEY is set in the environment (Stripe's keys are sealed).
func TestPaymentsHoldAndStripeWebhooks(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	dinner := s.offering(t, "dinner").ID
	withPay := func(mode, amount string) url.Values {
		f := dinnerForm("", "")
		f.Set("payment_mode", mode)
		f.Set("payment_amount", amount)
		return f
	}
	res := s.as(t, mgr, http.MethodPost, "/admin/offerings/"+dinner, withPay("deposit", "20"))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "Connect a Stripe account first") {
		t.Fatalf("a deposit without a Stripe account = %d", res.status)
	}
	setUpPayments(t, s)
	for _, bad := range []struct{ amount, msg string }{{"abc", "Write an amount"}, {"20.505", "Write an amount"}, {"", "Give the amount"}} {
		res := s.as(t, mgr, http.MethodPost, "/admin/offerings/"+dinner, withPay("deposit", bad.amount))
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, bad.msg) {
			t.Fatalf("deposit %q = %d", bad.amount, res.status)
		}
	}
	if res := s.as(t, mgr, http.MethodPost, "/admin/offerings/"+dinner, withPay("deposit", "20,00")); res.status != http.StatusSeeOther {
		t.Fatalf("a deposit of 20,00 = %d\n%s", res.status, snippet(res.body))
	}
	if o := s.offering(t, "dinner"); o.PaymentMode != store.PayDeposit || o.PaymentAmount != 2000 {
		t.Fatalf("offering: %q %d", o.PaymentMode, o.PaymentAmount)
	}
	mustContain(t, "booking page", s.get(t, "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00").body,
		"A deposit of EUR 20.00 per person")

	// Stripe unreachable (the test server's Stripe is a closed port): 503, nothing kept.
	res = s.post(t, "/book/dinner", bookingForm("2026-11-27T19:00", "2"))
	if res.status != http.StatusServiceUnavailable || !strings.Contains(res.body, "Nothing was booked") {
		t.Fatalf("booking with Stripe down = %d\n%s", res.status, snippet(res.body))
	}
	var held, failed int
	_ = s.app.DB().Select("count(*)").From("bookings").Where(dbx.HashExp{"status": "held"}).Row(&held)
	_ = s.app.DB().Select("count(*)").From("payments").Where(dbx.HashExp{"status": "failed"}).Row(&failed)
	if held != 0 || failed != 1 {
		t.Fatalf("after Stripe failed: %d places held, %d payments failed", held, failed)
	}

	// Held places count: 40 seats held at 19:00, a guest's 2 are refused before Stripe is asked.
	now := s.now
	a := holdPlace(t, s, 8, "cs_test_a", now.Add(35*time.Minute))
	b := holdPlace(t, s, 8, "cs_test_b", now.Add(35*time.Minute))
	c := holdPlace(t, s, 8, "cs_test_c", now.Add(35*time.Minute))
	holdPlace(t, s, 8, "cs_test_d", now.Add(35*time.Minute))
	holdPlace(t, s, 8, "cs_test_e", now.Add(35*time.Minute))
	if res := s.post(t, "/book/dinner", bookingForm("2026-11-27T19:00", "2")); res.status != http.StatusConflict {
		t.Fatalf("a booking over places held = %d, want 409", res.status)
	}
	tokA := s.tokenOf(t, a)
	manage := s.get(t, "/b/"+tokA)
	mustContain(t, "held manage page", manage.body, "Awaiting payment", `data-testid="pay"`, "https://checkout.stripe.com/c/pay/cs_test_a")
	mustNotContain(t, "held manage page", manage.body, `data-testid="cancel"`)

	// Signatures: wrong secret, stale, tampered: 400 and nothing changes.
	if res := stripePost(t, s, "whsec_other", "checkout.session.completed", "cs_test_a", 16000, time.Now()); res.status != http.StatusBadRequest {
		t.Errorf("wrong secret = %d", res.status)
	}
	if res := stripePost(t, s, testWebhookSecret, "checkout.session.completed", "cs_test_a", 16000, time.Now().Add(-10*time.Minute)); res.status != http.StatusBadRequest {
		t.Errorf("stale = %d", res.status)
	}
	if res := stripeRequest(s, []byte(`{"id":"evt_x"}`), "t=1,v1=00"); res.status != http.StatusBadRequest {
		t.Errorf("forged = %d", res.status)
	}
	if st := bookingStatus(t, s, a); st != "held" {
		t.Fatalf("after refused events: %s", st)
	}

	// Paid: confirmed, its mail queued once, however often Stripe sends it.
	for range 3 {
		if res := stripePost(t, s, testWebhookSecret, "checkout.session.completed", "cs_test_a", 16000, time.Now()); res.status != http.StatusOK {
			t.Fatalf("completed = %d %s", res.status, res.body)
		}
	}
	if st := bookingStatus(t, s, a); st != "confirmed" {
		t.Fatalf("paid place: %s", st)
	}
	var mails, audits int
	_ = s.app.DB().Select("count(*)").From("outbox").Where(dbx.HashExp{"booking": a, "kind": "confirmation"}).Row(&mails)
	_ = s.app.DB().Select("count(*)").From("audit_log").Where(dbx.HashExp{"action": "payment.paid", "target": "bookings/" + a}).Row(&audits)
	if mails != 1 || audits != 1 {
		t.Errorf("paid: %d confirmation mails, %d audit rows; want 1 and 1", mails, audits)
	}
	p, err := store.Paid(s.app, a)
	if err != nil || p == nil || p.Amount != 16000 || p.Intent != "pi_cs_test_a" {
		t.Fatalf("the payment: %+v, %v", p, err)
	}
	mustContain(t, "paid manage page", s.get(t, "/b/"+tokA+"?m=paid").body, "your payment is in", "Deposit · EUR 160.00 · Done")

	// A refund Stripe had taken fails later (a closed card): it is marked refused and can be
	// asked again; a refund Stripe reports as merely updated changes nothing.
	if _, err := store.InsertPayment(s.app, store.Payment{Booking: a, Kind: store.PaymentRefund, Status: store.PaymentPaid, Amount: 16000,
		Currency: "eur", Intent: p.Intent, Refund: "re_test_a"}); err != nil {
		t.Fatal(err)
	}
	if refundable(s.app, a) {
		t.Fatal("refundable after a full refund")
	}
	refundObj := map[string]any{"id": "re_test_a", "object": "refund", "amount": 16000, "status": "succeeded"}
	if res := stripeSigned(s, testWebhookSecret, "refund.updated", refundObj, time.Now()); res.status != http.StatusOK {
		t.Fatalf("refund.updated = %d", res.status)
	}
	refundObj["status"], refundObj["failure_reason"] = "failed", "expired_or_canceled_card"
	if res := stripeSigned(s, testWebhookSecret, "refund.failed", refundObj, time.Now()); res.status != http.StatusOK {
		t.Fatalf("refund.failed = %d", res.status)
	}
	if r, err := store.PaymentByRefund(s.app, "re_test_a"); err != nil || r.Status != store.PaymentFailed ||
		!strings.Contains(r.LastError, "expired_or_canceled_card") {
		t.Fatalf("the failed refund: %+v, %v", r, err)
	}
	if !refundable(s.app, a) {
		t.Error("a failed refund leaves nothing to refund again")
	}

	// A completed session whose money is not in yet (a delayed method) confirms nothing.
	if res := stripePostObject(t, s, testWebhookSecret, "checkout.session.completed", "cs_test_c", 16000, time.Now(),
		map[string]any{"payment_status": "unpaid"}); res.status != http.StatusOK {
		t.Fatalf("unpaid completed = %d", res.status)
	}
	if st := bookingStatus(t, s, c); st != "held" {
		t.Errorf("an unpaid session confirmed the place: %s", st)
	}
	// Expired at Stripe: the place is freed. A session Reserva does not know: acknowledged.
	if res := stripePost(t, s, testWebhookSecret, "checkout.session.expired", "cs_test_b", 0, time.Now()); res.status != http.StatusOK {
		t.Fatalf("expired = %d", res.status)
	}
	if st := bookingStatus(t, s, b); st != "" {
		t.Errorf("expired place: %q, want gone", st)
	}
	if res := stripePost(t, s, testWebhookSecret, "checkout.session.completed", "cs_unknown", 100, time.Now()); res.status != http.StatusOK {
		t.Errorf("unknown session = %d", res.status)
	}

	// A session whose id was never written (Reserva stopped after opening it) is found by the
	// booking its metadata names.
	lost := holdPlace(t, s, 2, "", now.Add(35*time.Minute))
	if res := stripePostObject(t, s, testWebhookSecret, "checkout.session.completed", "cs_test_lost", 4000, time.Now(),
		map[string]any{"metadata": map[string]string{"booking": lost}}); res.status != http.StatusOK {
		t.Fatalf("lost session = %d", res.status)
	}
	if st := bookingStatus(t, s, lost); st != "confirmed" {
		t.Errorf("a session found by its metadata: %s", st)
	}

	// A paid booking takes no more people than were paid for; its full times have no waitlist.
	tokLost := s.tokenOf(t, lost)
	res = s.post(t, "/b/"+tokLost+"/change", url.Values{"start": {"2026-11-27T19:00"}, "party": {"3"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "This booking was paid for 2 people") {
		t.Errorf("a paid booking for more people = %d\n%s", res.status, snippet(res.body))
	}
	if res := s.post(t, "/waitlist/dinner", bookingForm("2026-11-27T19:00", "2")); res.status != http.StatusConflict ||
		!strings.Contains(res.body, "No waitlist for this offering") {
		t.Errorf("joining the waitlist of a paid dinner = %d\n%s", res.status, snippet(res.body))
	}
	mustNotContain(t, "paid dinner, full for 8", s.get(t, "/book/dinner?date=2026-11-27&party=8").body, `data-testid="join-waitlist"`)

	// The hold job frees the rest once their time is up (not before).
	if n, err := s.jobs.ExpirePaymentHolds(now.Add(30 * time.Minute)); err != nil || n != 0 {
		t.Fatalf("holds expired early: %d, %v", n, err)
	}
	if n, err := s.jobs.ExpirePaymentHolds(now.Add(36 * time.Minute)); err != nil || n != 3 {
		t.Fatalf("ExpirePaymentHolds = %d, %v; want 3", n, err)
	}
	if st := bookingStatus(t, s, c); st != "" {
		t.Errorf("unpaid place after its time: %q", st)
	}

	// The export lists the payment; erasure forgets the Stripe customer, keeps the amount.
	data, err := store.SubjectData(s.app, "ada@example.com")
	if err != nil || len(data["payments"]) == 0 {
		t.Fatalf("export payments: %v, %v", data["payments"], err)
	}
	if err := s.app.RunInTransaction(func(tx core.App) error { _, err := store.EraseSubject(tx, "ada@example.com"); return err }); err != nil {
		t.Fatal(err)
	}
	var customer string
	var amount int64
	_ = s.app.DB().NewQuery("SELECT customer, amount FROM payments WHERE booking = {:b} AND kind = 'deposit'").Bind(dbx.Params{"b": a}).Row(&customer, &amount)
	if customer != "" || amount != 16000 {
		t.Errorf("after erasure: customer %q, amount %d", customer, amount)
	}
}

// tokenOf issues a manage link for booking id (as a mail would).
func (s *testServer) tokenOf(t *testing.T, id string) string {
	t.Helper()
	tok, err := store.IssueBookingToken(s.app, id, "mail:test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
