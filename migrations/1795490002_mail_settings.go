package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Mail settings: when reminders and feedback requests go out, where new-booking notices go;
// when a booking's reminder and feedback request were queued (so neither is sent twice, even
// after a restart); and a settings collection for configuration with sealed secrets (relay
// passwords), encrypted with RESERVA_ENCRYPTION_KEY.
func init() {
	m.Register(func(app core.App) error {
		venue, err := app.FindCollectionByNameOrId("venue")
		if err != nil {
			return fmt.Errorf("mail settings: %w", err)
		}
		venue.Fields.Add(
			&core.NumberField{Name: "reminder_hours", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(24 * 14.0), Help: "0: no reminders"},
			&core.NumberField{Name: "feedback_hours", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(24 * 14.0), Help: "0: no feedback requests"},
			&core.URLField{Name: "feedback_url"},
			&core.EmailField{Name: "notify_email", Help: "receives a notice of each new booking; empty: none"},
		)
		if err := app.Save(venue); err != nil {
			return fmt.Errorf("mail settings: venue: %w", err)
		}
		if _, err := app.DB().NewQuery("UPDATE venue SET reminder_hours = 24").Execute(); err != nil {
			return fmt.Errorf("mail settings: default reminders: %w", err)
		}

		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("mail settings: %w", err)
		}
		bookings.Fields.Add(&core.DateField{Name: "reminded_at"}, &core.DateField{Name: "feedback_at"})
		bookings.AddIndex("idx_bookings_status_start", false, "status, start", "")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("mail settings: bookings: %w", err)
		}

		settings := core.NewBaseCollection("settings")
		settings.Fields.Add(
			&core.TextField{Name: "key", Required: true, Max: 64},
			&core.JSONField{Name: "value", MaxSize: 1 << 20},
			// NB! AES-256-GCM ciphertext (base64) of the section's secrets, never plain text.
			&core.TextField{Name: "sealed", Hidden: true, Max: 20000},
		)
		timestamps(settings)
		settings.AddIndex("idx_settings_key", true, "key", "")
		return app.Save(settings)
	}, func(app core.App) error {
		if c, err := app.FindCollectionByNameOrId("settings"); err == nil {
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return err
		}
		bookings.RemoveIndex("idx_bookings_status_start")
		bookings.Fields.RemoveByName("reminded_at")
		bookings.Fields.RemoveByName("feedback_at")
		if err := app.Save(bookings); err != nil {
			return err
		}
		venue, err := app.FindCollectionByNameOrId("venue")
		if err != nil {
			return err
		}
		for _, f := range []string{"reminder_hours", "feedback_hours", "feedback_url", "notify_email"} {
			venue.Fields.RemoveByName(f)
		}
		return app.Save(venue)
	})
}
