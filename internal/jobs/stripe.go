package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"reserva/internal/store"
)

// StripeAPIEnv replaces Stripe's API address (https://api.stripe.com), for a test double such
// as stripe-mock; read once at start.
const StripeAPIEnv = "RESERVA_STRIPE_API_URL"

// StripeTimeout bounds one call to Stripe.
const StripeTimeout = 20 * time.Second

// StripeHold is how long a place waits for its payment: Checkout's shortest session (30
// minutes) and a few minutes for Stripe's last word to arrive.
const StripeHold = 35 * time.Minute

// StripeAPIFromEnv reads StripeAPIEnv: "" for Stripe itself, or an http(s) address.
func StripeAPIFromEnv(getenv func(string) string) (string, error) {
	raw := strings.TrimRight(strings.TrimSpace(getenv(StripeAPIEnv)), "/")
	if raw == "" {
		return "", nil
	}
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
		return "", fmt.Errorf("%s: want an address such as http://localhost:12111 (got %q)", StripeAPIEnv, raw)
	}
	return raw, nil
}

// Currencies are the currencies Reserva takes payments in: those with two decimals.
var Currencies = []string{"eur", "usd", "gbp", "chf", "sek", "nok", "dkk", "pln", "czk", "cad", "aud", "nzd"}

// stripeClient is a Stripe client with the secret key, at the configured address.
func (j *Jobs) stripeClient(key string) *stripe.Client {
	cfg := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Timeout: StripeTimeout},
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		MaxNetworkRetries: stripe.Int64(1),
	}
	if j.cfg.StripeAPI != "" {
		cfg.URL = stripe.String(j.cfg.StripeAPI)
	}
	return stripe.NewClient(key, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg)))
}

// CheckStripeKey asks Stripe whether key is a working secret key (the account's balance).
func (j *Jobs) CheckStripeKey(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, StripeTimeout)
	defer cancel()
	_, err := j.stripeClient(key).V1Balance.Retrieve(ctx, &stripe.BalanceRetrieveParams{})
	return stripeError(err)
}

// Checkout is what a Checkout session is started for.
type Checkout struct {
	BookingID, Reference string
	Mode                 store.PaymentMode
	PerPerson            int64 // minor units
	Party                int
	Currency             string
	Item                 string // what is paid for, as the guest reads it on Stripe's page
	Name, Email          string
	SuccessURL           string
	CancelURL            string
	Now                  time.Time
}

// Started is a Checkout session Stripe opened.
type Started struct {
	Session, URL, Customer string
	Amount                 int64
}

// StartCheckout opens a Stripe Checkout session for c: a payment of PerPerson × Party (deposit,
// prepay) or a card setup (card, with a Stripe customer to charge a no-show fee to later). The
// session expires after 30 minutes. It makes network calls: never call it in a transaction.
func (j *Jobs) StartCheckout(ctx context.Context, acct store.PaymentAccount, c Checkout) (Started, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*StripeTimeout)
	defer cancel()
	sc := j.stripeClient(acct.SecretKey)
	meta := map[string]string{"booking": c.BookingID, "reference": c.Reference}
	p := &stripe.CheckoutSessionCreateParams{
		SuccessURL:        stripe.String(c.SuccessURL),
		CancelURL:         stripe.String(c.CancelURL),
		ClientReferenceID: stripe.String(c.BookingID),
		ExpiresAt:         stripe.Int64(c.Now.Add(30*time.Minute + time.Minute).Unix()),
		Metadata:          meta,
		// Cards (with the wallets that pay by card) settle at once: a held place is confirmed
		// or freed within its hold, never days later as with a bank debit.
		PaymentMethodTypes: []*string{stripe.String("card")},
	}
	var st Started
	if c.Mode == store.PayCard {
		cust, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String(c.Email), Name: stripe.String(c.Name),
			Metadata: meta})
		if err != nil {
			return st, stripeError(err)
		}
		st.Customer = cust.ID
		p.Mode = stripe.String(string(stripe.CheckoutSessionModeSetup))
		p.Currency = stripe.String(acct.Currency)
		p.Customer = stripe.String(cust.ID)
		p.SetupIntentData = &stripe.CheckoutSessionCreateSetupIntentDataParams{Description: stripe.String(c.Item), Metadata: meta}
	} else {
		st.Amount = c.PerPerson * int64(c.Party)
		p.Mode = stripe.String(string(stripe.CheckoutSessionModePayment))
		p.CustomerEmail = stripe.String(c.Email)
		p.LineItems = []*stripe.CheckoutSessionCreateLineItemParams{{
			Quantity: stripe.Int64(int64(c.Party)),
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripe.String(acct.Currency),
				UnitAmount:  stripe.Int64(c.PerPerson),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(c.Item)},
			},
		}}
		p.PaymentIntentData = &stripe.CheckoutSessionCreatePaymentIntentDataParams{Description: stripe.String(c.Item), Metadata: meta}
	}
	s, err := sc.V1CheckoutSessions.Create(ctx, p)
	if err != nil {
		return st, stripeError(err)
	}
	if s.URL == "" || !strings.HasPrefix(s.URL, "https://") {
		return st, fmt.Errorf("stripe: checkout session %s has no https address", s.ID)
	}
	st.Session, st.URL = s.ID, s.URL
	return st, nil
}

// Refund asks Stripe to refund amount of the payment intent intent; key makes the request
// idempotent (the same key twice is one refund). It returns Stripe's refund id.
func (j *Jobs) Refund(ctx context.Context, acct store.PaymentAccount, key, intent string, amount int64, bookingID string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, StripeTimeout)
	defer cancel()
	p := &stripe.RefundCreateParams{PaymentIntent: stripe.String(intent), Amount: stripe.Int64(amount),
		Metadata: map[string]string{"booking": bookingID}}
	p.SetIdempotencyKey(key)
	r, err := j.stripeClient(acct.SecretKey).V1Refunds.Create(ctx, p)
	if err != nil {
		return "", stripeError(err)
	}
	if r.Status == stripe.RefundStatusFailed || r.Status == stripe.RefundStatusCanceled {
		return r.ID, fmt.Errorf("stripe: refund %s is %s", r.ID, r.Status)
	}
	return r.ID, nil
}

// ErrNotCharged is a no-show fee Stripe did not take (the card needs its holder, or was
// declined).
var ErrNotCharged = errors.New("stripe: the card was not charged")

// ChargeNoShow charges amount to the card the guest saved on Checkout for a booking (the one
// card of the Stripe customer made for it) without its holder present; it returns the payment
// intent's id, and ErrNotCharged when Stripe did not take the money.
func (j *Jobs) ChargeNoShow(ctx context.Context, acct store.PaymentAccount, key, customer string, amount int64, item, bookingID string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*StripeTimeout)
	defer cancel()
	sc := j.stripeClient(acct.SecretKey)
	method := ""
	for pm, err := range sc.V1Customers.ListPaymentMethods(ctx, &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(customer),
		Type: stripe.String("card")}) {
		if err != nil {
			return "", stripeError(err)
		}
		method = pm.ID
		break
	}
	if method == "" {
		return "", fmt.Errorf("%w: no card is saved for customer %s", ErrNotCharged, customer)
	}
	p := &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(amount), Currency: stripe.String(acct.Currency), Customer: stripe.String(customer),
		PaymentMethod: stripe.String(method), OffSession: stripe.Bool(true), Confirm: stripe.Bool(true),
		Description: stripe.String(item), Metadata: map[string]string{"booking": bookingID, "kind": "no_show_fee"},
	}
	p.SetIdempotencyKey(key) // a retry of the same fee is the same charge
	pi, err := sc.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return "", stripeError(err)
	}
	if pi.Status != stripe.PaymentIntentStatusSucceeded && pi.Status != stripe.PaymentIntentStatusProcessing {
		return pi.ID, fmt.Errorf("%w (Stripe says %s)", ErrNotCharged, pi.Status)
	}
	return pi.ID, nil
}

// StripeEvent is what Reserva reads of an event Stripe sent: its id and type, and for the
// Checkout events the session's id, payment intent, customer and amount.
type StripeEvent struct {
	ID, Type                  string
	Session, Intent, Customer string
	Amount                    int64
	Booking                   string // the session's metadata
	// Unpaid is a completed session whose money has not arrived (a delayed payment method).
	Unpaid bool
	// Refund and RefundFailed are, for the refund events, the refund's id and whether it
	// failed (or was cancelled) after Stripe had taken it, with Stripe's reason.
	Refund        string
	RefundFailed  bool
	FailureReason string
}

// ErrBadSignature is a webhook post Stripe did not sign with the venue's secret (or too old).
var ErrBadSignature = errors.New("stripe: bad webhook signature")

// VerifyStripeEvent checks the Stripe-Signature header of payload against the webhook secret
// (five minutes' tolerance) and reads the event.
func VerifyStripeEvent(payload []byte, header, secret string) (StripeEvent, error) {
	ev, err := webhook.ConstructEventWithOptions(payload, header, secret, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return StripeEvent{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	out := StripeEvent{ID: ev.ID, Type: string(ev.Type)}
	if strings.HasPrefix(out.Type, "checkout.session.") && ev.Data != nil {
		var s stripe.CheckoutSession
		if err := s.UnmarshalJSON(ev.Data.Raw); err != nil {
			return out, fmt.Errorf("stripe: event %s: %w", ev.ID, err)
		}
		out.Session, out.Amount, out.Booking = s.ID, s.AmountTotal, s.Metadata["booking"]
		out.Unpaid = s.Mode == stripe.CheckoutSessionModePayment && s.PaymentStatus == stripe.CheckoutSessionPaymentStatusUnpaid
		if s.PaymentIntent != nil {
			out.Intent = s.PaymentIntent.ID
		}
		if s.Customer != nil {
			out.Customer = s.Customer.ID
		}
	}
	if (out.Type == "refund.failed" || out.Type == "refund.updated" || out.Type == "charge.refund.updated") && ev.Data != nil {
		var r stripe.Refund
		if err := r.UnmarshalJSON(ev.Data.Raw); err != nil {
			return out, fmt.Errorf("stripe: event %s: %w", ev.ID, err)
		}
		out.Refund, out.FailureReason = r.ID, string(r.FailureReason)
		out.RefundFailed = r.Status == stripe.RefundStatusFailed || r.Status == stripe.RefundStatusCanceled
	}
	return out, nil
}

// finalStripeError reports whether err is Stripe's considered no (a 4xx other than 409 and
// 429), not worth the same request again; a network failure or a 5xx is worth a retry.
func finalStripeError(err error) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 &&
		se.HTTPStatusCode != http.StatusConflict && se.HTTPStatusCode != http.StatusTooManyRequests
}

// stripeError is a Stripe error as the log and the staff read it: Stripe's own message and
// code, never the key.
func stripeError(err error) error {
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		msg := se.Msg
		if se.Code != "" {
			msg += " (" + string(se.Code) + ")"
		}
		return &stripeFailure{msg: fmt.Sprintf("stripe: %s: HTTP %s", msg, strconv.Itoa(se.HTTPStatusCode)), err: se}
	}
	return fmt.Errorf("stripe: %w", err)
}

// stripeFailure is Stripe's error with the sentence staff read (Unwrap keeps Stripe's own).
type stripeFailure struct {
	msg string
	err *stripe.Error
}

func (f *stripeFailure) Error() string { return f.msg }
func (f *stripeFailure) Unwrap() error { return f.err }
