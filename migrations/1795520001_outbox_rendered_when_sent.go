package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Mails about a booking are rendered when they are sent, from the booking as it is then: the
// outbox row keeps the kind, the booking and the manage token of its link (sealed, and dropped
// once the mail is sent or given up) instead of a body. Their subject is written when sent.
func init() {
	m.Register(func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId("outbox")
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		// NB! Sealed with RESERVA_ENCRYPTION_KEY when it is set.
		outbox.Fields.Add(&core.TextField{Name: "token", Hidden: true, Max: 500})
		outbox.Fields.GetByName("subject").(*core.TextField).Required = false
		if err := app.Save(outbox); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		return nil
	}, func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId("outbox")
		if err != nil {
			return fmt.Errorf("outbox down: %w", err)
		}
		outbox.Fields.RemoveByName("token")
		outbox.Fields.GetByName("subject").(*core.TextField).Required = true
		return app.Save(outbox)
	})
}
