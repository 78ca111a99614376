package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Manage tokens move to their own collection so that a booking can have several: every mail
// about a booking (confirmation, change, reminder) carries a link with a fresh token, and only
// the tokens' SHA-256 hashes are ever stored. Existing hashes move over; the bookings field goes.
func init() {
	m.Register(func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("booking tokens: %w", err)
		}
		c := core.NewBaseCollection("booking_tokens")
		c.Fields.Add(
			&core.RelationField{Name: "booking", Required: true, MaxSelect: 1, CollectionId: bookings.Id, CascadeDelete: true},
			// NB! The SHA-256 of the token, never the token.
			&core.TextField{Name: "token_hash", Required: true, Hidden: true, Min: 64, Max: 64},
			&core.TextField{Name: "purpose", Max: 32},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		c.AddIndex("idx_booking_tokens_hash", true, "token_hash", "")
		c.AddIndex("idx_booking_tokens_booking", false, "booking", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("booking tokens: save collection: %w", err)
		}
		_, err = app.DB().NewQuery(`INSERT INTO booking_tokens (id, booking, token_hash, purpose, created)
			SELECT lower(hex(randomblob(8))), id, token_hash, 'web', created FROM bookings WHERE token_hash != ''`).Execute()
		if err != nil {
			return fmt.Errorf("booking tokens: copy hashes: %w", err)
		}
		bookings.RemoveIndex("idx_bookings_token_hash")
		bookings.Fields.RemoveByName("token_hash")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("booking tokens: drop bookings.token_hash: %w", err)
		}
		return nil
	}, func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("booking tokens down: %w", err)
		}
		bookings.Fields.Add(&core.TextField{Name: "token_hash", Hidden: true, Max: 64})
		bookings.AddIndex("idx_bookings_token_hash", true, "token_hash", "token_hash != ''")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("booking tokens down: %w", err)
		}
		// The oldest token of each booking becomes its single token again.
		_, err = app.DB().NewQuery(`UPDATE bookings SET token_hash = (SELECT t.token_hash FROM booking_tokens t
			WHERE t.booking = bookings.id ORDER BY t.created LIMIT 1) WHERE EXISTS (SELECT 1 FROM booking_tokens t WHERE t.booking = bookings.id)`).Execute()
		if err != nil {
			return fmt.Errorf("booking tokens down: copy back: %w", err)
		}
		c, err := app.FindCollectionByNameOrId("booking_tokens")
		if err != nil {
			return fmt.Errorf("booking tokens down: %w", err)
		}
		return app.Delete(c)
	})
}
