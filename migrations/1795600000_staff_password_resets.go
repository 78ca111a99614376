package migrations

import (
	"fmt"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Staff who forgot their password ask for a link by mail: staff_password_resets keeps the
// links (the SHA-256 of the token only, an hour's validity, used once), and the outbox gets
// the mail's kind.
func init() {
	const kind = "staff_reset"
	m.Register(func(app core.App) error {
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return fmt.Errorf("password resets: %w", err)
		}
		resets := core.NewBaseCollection("staff_password_resets")
		resets.Fields.Add(
			&core.RelationField{Name: "staff", Required: true, MaxSelect: 1, CollectionId: staff.Id, CascadeDelete: true},
			&core.TextField{Name: "token_hash", Required: true, Hidden: true, Min: 64, Max: 64},
			// requested and expires come from the application's clock; a newer link of the
			// same member ends an older one by moving its expiry to the newer one's request.
			&core.DateField{Name: "requested", Required: true},
			&core.DateField{Name: "expires", Required: true},
			&core.DateField{Name: "used_at"},
		)
		timestamps(resets)
		resets.AddIndex("idx_staff_password_resets_hash", true, "token_hash", "")
		resets.AddIndex("idx_staff_password_resets_staff", false, "staff", "")
		if err := app.Save(resets); err != nil {
			return fmt.Errorf("password resets: %w", err)
		}

		outbox, err := app.FindCollectionByNameOrId("outbox")
		if err != nil {
			return fmt.Errorf("password resets: outbox: %w", err)
		}
		field := outbox.Fields.GetByName("kind").(*core.SelectField)
		field.Values = append(field.Values, kind)
		return app.Save(outbox)
	}, func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId("outbox")
		if err != nil {
			return fmt.Errorf("password resets down: outbox: %w", err)
		}
		field := outbox.Fields.GetByName("kind").(*core.SelectField)
		field.Values = slices.DeleteFunc(field.Values, func(v string) bool { return v == kind })
		if err := app.Save(outbox); err != nil {
			return err
		}
		resets, err := app.FindCollectionByNameOrId("staff_password_resets")
		if err != nil {
			return fmt.Errorf("password resets down: %w", err)
		}
		return app.Delete(resets)
	})
}
