package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The booking API. `api_keys` are the keys the owner makes for other programs: a name, the
// public part of the key (which finds it), the SHA-256 hash of its secret part (NB! the secret
// itself is shown once and never stored), the scopes it carries (space-separated), when it was
// revoked and when it was last used (coarse: at most once a minute). `api_idempotency` keeps,
// per key and Idempotency-Key header, the hash of the first request's body and the booking it
// made, for 24 hours, so a retried request never books twice (no personal data: the answer is
// read from the booking again). A booking made through the API has the source "api".
func init() {
	m.Register(func(app core.App) error {
		k := core.NewBaseCollection("api_keys")
		k.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 80},
			&core.TextField{Name: "public_id", Required: true, Min: 12, Max: 32, Pattern: `^[a-z0-9]+$`},
			&core.TextField{Name: "secret_hash", Required: true, Min: 64, Max: 64, Help: "SHA-256 of the secret, hex"},
			&core.TextField{Name: "scopes", Required: true, Max: 100, Help: "space-separated"},
			&core.DateField{Name: "revoked_at"},
			&core.DateField{Name: "last_used"},
			&core.TextField{Name: "created_by", Max: 15},
		)
		timestamps(k)
		k.AddIndex("idx_api_keys_public_id", true, "public_id", "")
		if err := app.Save(k); err != nil {
			return fmt.Errorf("api keys: %w", err)
		}
		i := core.NewBaseCollection("api_idempotency")
		i.Fields.Add(
			&core.RelationField{Name: "api_key", Required: true, MaxSelect: 1, CollectionId: k.Id, CascadeDelete: true},
			&core.TextField{Name: "key", Required: true, Max: 255},
			&core.TextField{Name: "body_hash", Required: true, Max: 64},
			&core.TextField{Name: "booking", Required: true, Max: 15, Help: "the booking the first request made"},
		)
		timestamps(i)
		i.AddIndex("idx_api_idempotency_key", true, "api_key, `key`", "")
		if err := app.Save(i); err != nil {
			return fmt.Errorf("api keys: idempotency: %w", err)
		}
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("api keys: %w", err)
		}
		source := bookings.Fields.GetByName("source").(*core.SelectField)
		source.Values = append(source.Values, "api")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("api keys: bookings: %w", err)
		}
		return nil
	}, func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("api keys down: %w", err)
		}
		if _, err := app.DB().NewQuery("UPDATE bookings SET source = 'staff' WHERE source = 'api'").Execute(); err != nil {
			return fmt.Errorf("api keys down: %w", err)
		}
		source := bookings.Fields.GetByName("source").(*core.SelectField)
		values := source.Values[:0]
		for _, v := range source.Values {
			if v != "api" {
				values = append(values, v)
			}
		}
		source.Values = values
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("api keys down: bookings: %w", err)
		}
		for _, name := range []string{"api_idempotency", "api_keys"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("api keys down: %w", err)
			}
			if err := app.Delete(c); err != nil {
				return fmt.Errorf("api keys down: %w", err)
			}
		}
		return nil
	})
}
