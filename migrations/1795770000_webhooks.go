package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Outgoing webhooks. `webhook_endpoints` are the addresses the owner has Reserva post events
// to: the URL, the events it takes (space-separated), whether it is active, whether the guest's
// contact details go out, and its signing secret (NB! sealed under RESERVA_ENCRYPTION_KEY).
// `webhook_deliveries` is the webhooks' outbox: one row per event and endpoint, written in the
// same transaction as the change it tells of, posted by a worker with retries; event_id is the
// event's own id (the same for every endpoint and every attempt). Delivered and failed rows
// are deleted after 30 days.
func init() {
	m.Register(func(app core.App) error {
		e := core.NewBaseCollection("webhook_endpoints")
		e.Fields.Add(
			&core.URLField{Name: "url", Required: true},
			&core.TextField{Name: "events", Required: true, Max: 200, Help: "the events it takes, space-separated"},
			&core.BoolField{Name: "active"},
			&core.BoolField{Name: "include_contact"},
			&core.TextField{Name: "secret", Required: true, Max: 500, Help: "the signing secret, sealed"},
		)
		timestamps(e)
		if err := app.Save(e); err != nil {
			return fmt.Errorf("webhooks: endpoints: %w", err)
		}
		d := core.NewBaseCollection("webhook_deliveries")
		d.Fields.Add(
			&core.RelationField{Name: "endpoint", Required: true, MaxSelect: 1, CollectionId: e.Id, CascadeDelete: true},
			&core.TextField{Name: "event_id", Required: true, Max: 64},
			&core.SelectField{Name: "event", Required: true, MaxSelect: 1, Values: []string{
				"booking.created", "booking.changed", "booking.cancelled", "waitlist.offered"}},
			&core.TextField{Name: "booking", Max: 15},
			&core.TextField{Name: "payload", Required: true, Max: 100000},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"pending", "delivered", "failed"}},
			&core.NumberField{Name: "attempts", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.DateField{Name: "next_attempt"},
			&core.NumberField{Name: "last_status", OnlyInt: true},
			&core.TextField{Name: "last_error", Max: 500},
			&core.DateField{Name: "done_at"},
		)
		timestamps(d)
		d.AddIndex("idx_webhook_deliveries_due", false, "status, next_attempt", "")
		d.AddIndex("idx_webhook_deliveries_event", true, "endpoint, event_id", "")
		d.AddIndex("idx_webhook_deliveries_created", false, "created", "")
		d.AddIndex("idx_webhook_deliveries_booking", false, "booking", "booking != ''")
		if err := app.Save(d); err != nil {
			return fmt.Errorf("webhooks: deliveries: %w", err)
		}
		return nil
	}, func(app core.App) error {
		for _, name := range []string{"webhook_deliveries", "webhook_endpoints"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("webhooks down: %w", err)
			}
			if err := app.Delete(c); err != nil {
				return fmt.Errorf("webhooks down: %w", err)
			}
		}
		return nil
	})
}
