package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Text messages about bookings. A booking whose guest asked for texts has `sms` set (its phone
// is then a checked number in international form). `sms_outbox` is the texts' outbox: one row
// per text (the booking and what the text is about: confirmation, change, cancellation,
// reminder), written in the transaction of the change; a worker renders it from the booking
// when it sends it, so the row holds no phone number or wording of its own, and retries a
// failure. Rows go with their booking's erasure and 30 days after they are done.
func init() {
	m.Register(func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("sms: %w", err)
		}
		bookings.Fields.Add(&core.BoolField{Name: "sms", Help: "the guest asked for text messages about it"})
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("sms: bookings: %w", err)
		}
		o := core.NewBaseCollection("sms_outbox")
		o.Fields.Add(
			&core.TextField{Name: "booking", Required: true, Max: 15},
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"confirmation", "change", "cancellation", "reminder"}},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"pending", "sent", "failed"}},
			&core.NumberField{Name: "attempts", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.DateField{Name: "next_attempt"},
			&core.TextField{Name: "last_error", Max: 500},
			&core.TextField{Name: "provider_id", Max: 100, Help: "the gateway's id of the message, when it gave one"},
			&core.DateField{Name: "done_at"},
		)
		timestamps(o)
		o.AddIndex("idx_sms_outbox_due", false, "status, next_attempt", "")
		o.AddIndex("idx_sms_outbox_booking", false, "booking", "booking != ''")
		o.AddIndex("idx_sms_outbox_done", false, "done_at", "done_at != ''")
		if err := app.Save(o); err != nil {
			return fmt.Errorf("sms: outbox: %w", err)
		}
		return nil
	}, func(app core.App) error {
		o, err := app.FindCollectionByNameOrId("sms_outbox")
		if err != nil {
			return fmt.Errorf("sms down: %w", err)
		}
		if err := app.Delete(o); err != nil {
			return fmt.Errorf("sms down: %w", err)
		}
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("sms down: %w", err)
		}
		bookings.Fields.RemoveByName("sms")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("sms down: bookings: %w", err)
		}
		return nil
	})
}
