package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// An offering may have a booking policy of its own (a class's cancellation terms, a tour's
// meeting point), shown instead of the venue's when set.
func init() {
	m.Register(func(app core.App) error {
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("offering policy: %w", err)
		}
		offerings.Fields.Add(&core.TextField{Name: "policy", Max: 2000})
		return app.Save(offerings)
	}, func(app core.App) error {
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("offering policy down: %w", err)
		}
		offerings.Fields.RemoveByName("policy")
		return app.Save(offerings)
	})
}
