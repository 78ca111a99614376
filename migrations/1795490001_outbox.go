package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The outbox holds every e-mail Reserva sends, written in the same transaction as the change
// that causes it and sent by a worker with retries: a crash or a relay outage delays mail,
// never loses it. Rows hold personal data (address, body): bodies are stripped 30 days after
// sending.
func init() {
	m.Register(func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		c := core.NewBaseCollection("outbox")
		c.Fields.Add(
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{
				"confirmation", "change", "cancellation", "reminder", "feedback", "venue_notice", "invite", "signin", "alert"}},
			&core.RelationField{Name: "booking", MaxSelect: 1, CollectionId: bookings.Id},
			&core.EmailField{Name: "to_email", Required: true},
			&core.TextField{Name: "to_name", Max: 200},
			&core.TextField{Name: "subject", Required: true, Max: 500},
			&core.TextField{Name: "text", Max: 200000},
			&core.TextField{Name: "html", Max: 1000000},
			&core.JSONField{Name: "attachments", MaxSize: 4 << 20},
			&core.TextField{Name: "message_id", Required: true, Max: 200},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"queued", "sent", "failed"}},
			&core.NumberField{Name: "attempts", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.DateField{Name: "next_attempt"},
			&core.DateField{Name: "first_attempt"},
			&core.TextField{Name: "last_error", Max: 1000},
			&core.DateField{Name: "sent_at"},
			&core.TextField{Name: "relay", Max: 300},
			&core.BoolField{Name: "stripped"},
		)
		timestamps(c)
		c.AddIndex("idx_outbox_due", false, "status, next_attempt", "")
		c.AddIndex("idx_outbox_booking", false, "booking", "booking != ''")
		c.AddIndex("idx_outbox_sent", false, "sent_at", "status = 'sent'")
		return app.Save(c)
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("outbox")
		if err != nil {
			return fmt.Errorf("outbox down: %w", err)
		}
		return app.Delete(c)
	})
}
