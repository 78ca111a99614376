package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Payments through Stripe. An offering asks for none, a deposit per person, the full price per
// person (prepay), or a card kept for a no-show fee per person (`payment_mode`, with the amount
// in the currency's minor units, `payment_amount`). `payments` is each money movement of a
// booking: the Checkout payment or card setup (pending until Stripe says it is paid, expired
// when its hold ran out), a refund, a no-show fee; with Stripe's ids (session, payment intent,
// refund; the Stripe customer whose card is kept for a no-show fee), the amount, currency, status and the
// last error. The Stripe account's keys are a settings section, sealed.
func init() {
	m.Register(func(app core.App) error {
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("payments: %w", err)
		}
		offerings.Fields.Add(
			&core.SelectField{Name: "payment_mode", MaxSelect: 1, Values: []string{"deposit", "prepay", "card"}, Help: "empty: no payment"},
			&core.NumberField{Name: "payment_amount", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(10000000.0),
				Help: "per person, in the currency's minor units"},
		)
		if err := app.Save(offerings); err != nil {
			return fmt.Errorf("payments: offerings: %w", err)
		}
		p := core.NewBaseCollection("payments")
		p.Fields.Add(
			&core.TextField{Name: "booking", Required: true, Max: 15},
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"deposit", "prepay", "card", "refund", "no_show_fee"}},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"pending", "paid", "expired", "failed"}},
			&core.NumberField{Name: "amount", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.TextField{Name: "currency", Max: 3},
			&core.TextField{Name: "session", Max: 255},
			&core.TextField{Name: "checkout_url", Max: 2000},
			&core.TextField{Name: "intent", Max: 255},
			&core.TextField{Name: "refund", Max: 255},
			&core.TextField{Name: "customer", Max: 255},
			&core.DateField{Name: "expires_at"},
			&core.TextField{Name: "last_error", Max: 500},
		)
		timestamps(p)
		p.AddIndex("idx_payments_booking", false, "booking", "booking != ''")
		p.AddIndex("idx_payments_session", true, "session", "session != ''")
		p.AddIndex("idx_payments_due", false, "status, expires_at", "")
		// At most one refund under way and one no-show fee taken (or being taken) per booking:
		// two clicks, or two staff at once, never reach Stripe twice.
		p.AddIndex("idx_payments_refund_underway", true, "booking", "kind = 'refund' AND status = 'pending'")
		p.AddIndex("idx_payments_fee_once", true, "booking", "kind = 'no_show_fee' AND status IN ('pending', 'paid')")
		if err := app.Save(p); err != nil {
			return fmt.Errorf("payments: %w", err)
		}
		return nil
	}, func(app core.App) error {
		p, err := app.FindCollectionByNameOrId("payments")
		if err != nil {
			return fmt.Errorf("payments down: %w", err)
		}
		if err := app.Delete(p); err != nil {
			return fmt.Errorf("payments down: %w", err)
		}
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("payments down: %w", err)
		}
		offerings.Fields.RemoveByName("payment_mode")
		offerings.Fields.RemoveByName("payment_amount")
		if err := app.Save(offerings); err != nil {
			return fmt.Errorf("payments down: offerings: %w", err)
		}
		return nil
	})
}
