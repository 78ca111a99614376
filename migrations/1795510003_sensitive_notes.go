package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Special-category notes (allergies, access needs): an offering may ask for them with its own
// question; a booking keeps the answer only sealed with AES-256-GCM (hooks.sealSensitive).
func init() {
	m.Register(func(app core.App) error {
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("sensitive notes: %w", err)
		}
		offerings.Fields.Add(&core.TextField{Name: "sensitive_prompt", Max: 200})
		if err := app.Save(offerings); err != nil {
			return fmt.Errorf("sensitive notes: offerings: %w", err)
		}
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("sensitive notes: %w", err)
		}
		// NB! Ciphertext only (base64 of nonce and sealed text).
		bookings.Fields.Add(&core.TextField{Name: "sensitive_notes", Hidden: true, Max: 20000})
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("sensitive notes: bookings: %w", err)
		}
		return nil
	}, func(app core.App) error {
		for _, c := range []struct{ collection, field string }{{"bookings", "sensitive_notes"}, {"offerings", "sensitive_prompt"}} {
			col, err := app.FindCollectionByNameOrId(c.collection)
			if err != nil {
				return err
			}
			col.Fields.RemoveByName(c.field)
			if err := app.Save(col); err != nil {
				return err
			}
		}
		return nil
	})
}
