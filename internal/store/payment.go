package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

const colPayments = "payments"

// SettingPayments is the settings section of the venue's Stripe account (PaymentSettings, its
// keys in PaymentSecrets).
const SettingPayments = "payments"

// PaymentSettings are the venue's payment settings.
type PaymentSettings struct {
	Currency string `json:"currency"` // ISO 4217, lower case ("eur")
}

// PaymentSecrets are the Stripe account's keys, stored sealed.
type PaymentSecrets struct {
	SecretKey     string `json:"secret_key"`
	WebhookSecret string `json:"webhook_secret"`
}

// PaymentAccount is the Stripe account payments go through; Ready says one is set up.
type PaymentAccount struct {
	PaymentSettings
	PaymentSecrets
}

// Ready reports whether payments can be taken.
func (a PaymentAccount) Ready() bool {
	return a.SecretKey != "" && a.WebhookSecret != "" && a.Currency != ""
}

// LoadPaymentAccount reads the venue's Stripe account (zero when none is set up).
func LoadPaymentAccount(app core.App) (PaymentAccount, error) {
	var a PaymentAccount
	_, err := LoadSetting(app, SettingPayments, &a.PaymentSettings, &a.PaymentSecrets)
	return a, err
}

// PaymentMode is what an offering asks to be paid when it is booked.
type PaymentMode string

// The payment modes ("" is none).
const (
	PayDeposit PaymentMode = "deposit" // a deposit per person, refunded by the cancellation policy
	PayPrepay  PaymentMode = "prepay"  // the full price per person, refunded by the policy
	PayCard    PaymentMode = "card"    // a card kept for a no-show fee per person, charged by staff
)

// PaymentKind is what a payments row is.
type PaymentKind string

// The kinds of payments rows: the three modes, a refund, a no-show fee.
const (
	PaymentDeposit   PaymentKind = "deposit"
	PaymentPrepay    PaymentKind = "prepay"
	PaymentCard      PaymentKind = "card"
	PaymentRefund    PaymentKind = "refund"
	PaymentNoShowFee PaymentKind = "no_show_fee"
)

// PaymentStatus is where a payments row stands.
type PaymentStatus string

// The payment statuses.
const (
	PaymentPending PaymentStatus = "pending" // Checkout started, not paid yet
	PaymentPaid    PaymentStatus = "paid"    // paid, refunded, charged or card kept
	PaymentExpired PaymentStatus = "expired" // the hold ran out unpaid
	PaymentFailed  PaymentStatus = "failed"  // Stripe refused it (LastError says why)
)

// Payment is one money movement of a booking.
type Payment struct {
	ID          string         `db:"id"`
	Booking     string         `db:"booking"`
	Kind        PaymentKind    `db:"kind"`
	Status      PaymentStatus  `db:"status"`
	Amount      int64          `db:"amount"`
	Currency    string         `db:"currency"`
	Session     string         `db:"session"`
	CheckoutURL string         `db:"checkout_url"`
	Intent      string         `db:"intent"`
	Refund      string         `db:"refund"`
	Customer    string         `db:"customer"` // the Stripe customer whose card is kept
	ExpiresAt   types.DateTime `db:"expires_at"`
	LastError   string         `db:"last_error"`
	Created     types.DateTime `db:"created"`
	Updated     types.DateTime `db:"updated"`
}

// InsertPayment writes p (its ID is made here) and returns its id.
func InsertPayment(tx core.App, p Payment) (string, error) {
	p.ID = newID()
	_, err := tx.DB().NewQuery(`INSERT INTO payments (id, booking, kind, status, amount, currency, session, checkout_url, intent,
		refund, customer, expires_at, last_error, created, updated)
		VALUES ({:id}, {:booking}, {:kind}, {:status}, {:amount}, {:currency}, {:session}, {:url}, {:intent}, {:refund}, {:customer},
		{:expires}, {:err}, {:now}, {:now})`).Bind(dbx.Params{"id": p.ID, "booking": p.Booking, "kind": string(p.Kind),
		"status": string(p.Status), "amount": p.Amount, "currency": p.Currency, "session": p.Session, "url": p.CheckoutURL,
		"intent": p.Intent, "refund": p.Refund, "customer": p.Customer, "expires": DBTime(p.ExpiresAt.Time()),
		"err": truncate(p.LastError, 500), "now": stamp()}).Execute()
	if err != nil {
		return "", fmt.Errorf("payments: insert %s: %w", p.Kind, err)
	}
	return p.ID, nil
}

// UpdatePayment sets the columns cols of payment id.
func UpdatePayment(tx core.App, id string, cols dbx.Params) error {
	if e, ok := cols["last_error"].(string); ok {
		cols["last_error"] = truncate(e, 500)
	}
	cols["updated"] = stamp()
	if _, err := tx.DB().Update(colPayments, cols, hashExp("id", id)).Execute(); err != nil {
		return fmt.Errorf("payments: update %s: %w", id, err)
	}
	return nil
}

// PaymentByID is the payment id; sql.ErrNoRows when none.
func PaymentByID(app core.App, id string) (*Payment, error) {
	var p Payment
	if err := app.DB().NewQuery("SELECT * FROM payments WHERE id = {:id}").Bind(dbx.Params{"id": id}).One(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// PaymentBySession is the payment of the Checkout session id; sql.ErrNoRows when none.
func PaymentBySession(app core.App, session string) (*Payment, error) {
	var p Payment
	err := app.DB().NewQuery("SELECT * FROM payments WHERE session = {:s} AND session != ''").Bind(dbx.Params{"s": session}).One(&p)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PaymentByRefund is the refund row of Stripe's refund id; sql.ErrNoRows when none.
func PaymentByRefund(app core.App, refund string) (*Payment, error) {
	var p Payment
	err := app.DB().NewQuery("SELECT * FROM payments WHERE refund = {:r} AND refund != '' AND kind = {:k}").
		Bind(dbx.Params{"r": refund, "k": string(PaymentRefund)}).One(&p)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PaymentsOf lists the payments of bookingID, the oldest first.
func PaymentsOf(app core.App, bookingID string) ([]*Payment, error) {
	var out []*Payment
	err := app.DB().NewQuery("SELECT * FROM payments WHERE booking = {:b} AND booking != '' ORDER BY created, id").
		Bind(dbx.Params{"b": bookingID}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("payments of %s: %w", bookingID, err)
	}
	return out, nil
}

// Paid is the booking's paid Checkout payment (deposit, prepay or card kept), nil when none.
func Paid(app core.App, bookingID string) (*Payment, error) {
	list, err := PaymentsOf(app, bookingID)
	if err != nil {
		return nil, err
	}
	for _, p := range list {
		if p.Status == PaymentPaid && (p.Kind == PaymentDeposit || p.Kind == PaymentPrepay || p.Kind == PaymentCard) {
			return p, nil
		}
	}
	return nil, nil
}

// Refunded sums the booking's refunds done or under way.
func Refunded(app core.App, bookingID string) (int64, error) {
	var n int64
	err := app.DB().NewQuery(`SELECT coalesce(sum(amount), 0) FROM payments WHERE booking = {:b} AND booking != '' AND kind = {:k}
		AND status IN ({:paid}, {:pending})`).
		Bind(dbx.Params{"b": bookingID, "k": string(PaymentRefund), "paid": string(PaymentPaid), "pending": string(PaymentPending)}).Row(&n)
	return n, err
}

// ErrUnderway is a refund or a fee already under way for the booking.
var ErrUnderway = errors.New("payments: already under way")

// StartRefund records, inside the transaction of the change that calls for it, a pending
// refund of what is left paid of bookingID (the deposit or prepayment less the refunds done or
// under way); nil when nothing is left to refund, ErrUnderway when a refund is under way.
func StartRefund(tx core.App, bookingID string) (*Payment, error) {
	paid, err := Paid(tx, bookingID)
	if err != nil || paid == nil || paid.Kind == PaymentCard || paid.Intent == "" {
		return nil, err
	}
	done, err := Refunded(tx, bookingID)
	if err != nil {
		return nil, err
	}
	if paid.Amount-done <= 0 {
		return nil, nil
	}
	r := Payment{Booking: bookingID, Kind: PaymentRefund, Status: PaymentPending, Amount: paid.Amount - done,
		Currency: paid.Currency, Intent: paid.Intent}
	if r.ID, err = InsertPayment(tx, r); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return nil, ErrUnderway
		}
		return nil, err
	}
	return &r, nil
}

// StartNoShowFee records, in the transaction that checks the booking, a pending no-show fee
// of amount for bookingID charged to customer's card; ErrUnderway when a fee is taken or
// being taken.
func StartNoShowFee(tx core.App, bookingID, customer, currency string, amount int64) (*Payment, error) {
	r := Payment{Booking: bookingID, Kind: PaymentNoShowFee, Status: PaymentPending, Amount: amount, Currency: currency, Customer: customer}
	var err error
	if r.ID, err = InsertPayment(tx, r); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return nil, ErrUnderway
		}
		return nil, err
	}
	return &r, nil
}

// PendingRefunds lists up to limit refunds still pending that were started before before (a
// refund whose call to Stripe was cut off).
func PendingRefunds(app core.App, before time.Time, limit int) ([]*Payment, error) {
	var out []*Payment
	err := app.DB().NewQuery("SELECT * FROM payments WHERE kind = {:k} AND status = {:p} AND created < {:before} ORDER BY created LIMIT {:n}").
		Bind(dbx.Params{"k": string(PaymentRefund), "p": string(PaymentPending), "before": DBTime(before), "n": limit}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("payments: pending refunds: %w", err)
	}
	return out, nil
}

// ExpiredHolds lists up to limit pending Checkout payments whose hold ran out before now.
func ExpiredHolds(app core.App, now time.Time, limit int) ([]*Payment, error) {
	var out []*Payment
	err := app.DB().NewQuery("SELECT * FROM payments WHERE status = {:p} AND expires_at != '' AND expires_at < {:now} ORDER BY expires_at LIMIT {:n}").
		Bind(dbx.Params{"p": string(PaymentPending), "now": DBTime(now), "n": limit}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("payments: expired holds: %w", err)
	}
	return out, nil
}

// ConfirmPaid turns a place held until its payment into a confirmed booking of its guest:
// their customer row and reminder mark; the consents were kept when it was made.
func ConfirmPaid(tx core.App, b *Booking, remindedAt, now time.Time) error {
	customer := ""
	if b.Email != "" {
		var err error
		if customer, err = UpsertCustomer(tx, b.Name, b.Email, b.Phone, now); err != nil {
			return err
		}
	}
	res, err := tx.DB().Update(colBookings, dbx.Params{"status": string(booking.StatusConfirmed), "customer": customer,
		"reminded_at": DBTime(remindedAt), "updated": stamp()}, dbx.HashExp{"id": b.ID, "status": string(booking.StatusHeld)}).Execute()
	if err != nil {
		return fmt.Errorf("payments: confirm %s: %w", b.ID, err)
	}
	if rowsAffected(res) != 1 {
		return fmt.Errorf("payments: confirm %s: %w", b.ID, ErrNotActive)
	}
	b.Status, b.Customer = booking.StatusConfirmed, customer
	return nil
}

// forgetPaymentCards clears, for an erasure, what ties the payments of the bookings ids to a
// person at Stripe (the customer whose card is kept, so no fee can be charged any more); amounts and Stripe's payment ids stay for
// the venue's books.
func forgetPaymentCards(tx core.App, ids []any) error {
	_, err := tx.DB().Update(colPayments, dbx.Params{"customer": "", "checkout_url": ""},
		dbx.And(dbx.In("booking", ids...), dbx.NewExp("booking != ''"))).Execute()
	if err != nil {
		return fmt.Errorf("anonymise: payments: %w", err)
	}
	return nil
}

// FormatAmount writes an amount in minor units of currency as people read it ("EUR 20.00").
func FormatAmount(amount int64, currency string) string {
	return fmt.Sprintf("%s %d.%02d", strings.ToUpper(currency), amount/100, amount%100)
}
