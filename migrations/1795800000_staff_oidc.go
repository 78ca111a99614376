package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Staff sign-in through an OpenID Connect provider: a staff account linked to a person at the
// provider keeps the provider's issuer and the person's subject there (`oidc_issuer`,
// `oidc_subject`, hidden, unique together) and when the link was made (`oidc_linked`). The
// provider's settings (its client secret sealed) live in the settings table; nothing else is
// stored.
func init() {
	m.Register(func(app core.App) error {
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return fmt.Errorf("staff oidc: %w", err)
		}
		staff.Fields.Add(
			&core.TextField{Name: "oidc_issuer", Hidden: true, Max: 500, Help: "the identity provider's issuer of the linked person"},
			&core.TextField{Name: "oidc_subject", Hidden: true, Max: 255, Help: "the linked person's subject at that issuer"},
			&core.DateField{Name: "oidc_linked"},
		)
		staff.AddIndex("idx_staff_oidc", true, "oidc_issuer, oidc_subject", "oidc_subject != ''")
		if err := app.Save(staff); err != nil {
			return fmt.Errorf("staff oidc: %w", err)
		}
		return nil
	}, func(app core.App) error {
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return fmt.Errorf("staff oidc down: %w", err)
		}
		staff.RemoveIndex("idx_staff_oidc")
		staff.Fields.RemoveByName("oidc_issuer")
		staff.Fields.RemoveByName("oidc_subject")
		staff.Fields.RemoveByName("oidc_linked")
		return app.Save(staff)
	})
}
