package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Guest profiles: staff tags on a customer ("regular, vip") and one sensitive profile note
// (allergies, access needs), sealed like a booking's sensitive note, with the consent it rests
// on (the time and privacy notice version of the guest's consent to a sensitive note). The
// customers' API rules stay nil: only Reserva's handlers reach them.
func init() {
	m.Register(func(app core.App) error {
		customers, err := app.FindCollectionByNameOrId("customers")
		if err != nil {
			return fmt.Errorf("guest profiles: %w", err)
		}
		customers.Fields.Add(
			// Comma-separated, normalised by the store: at most 10 tags of 24 characters.
			&core.TextField{Name: "tags", Max: 300},
			// NB! Ciphertext only (base64 of nonce and sealed text), as bookings.sensitive_notes.
			&core.TextField{Name: "profile_note_sealed", Hidden: true, Max: 20000},
			&core.DateField{Name: "profile_note_consent_at"},
			&core.NumberField{Name: "profile_note_notice_version", OnlyInt: true},
		)
		if err := app.Save(customers); err != nil {
			return fmt.Errorf("guest profiles: customers: %w", err)
		}
		return nil
	}, func(app core.App) error {
		customers, err := app.FindCollectionByNameOrId("customers")
		if err != nil {
			return err
		}
		for _, f := range []string{"tags", "profile_note_sealed", "profile_note_consent_at", "profile_note_notice_version"} {
			customers.Fields.RemoveByName(f)
		}
		return app.Save(customers)
	})
}
