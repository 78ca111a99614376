package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A booking and a waitlist entry keep the language the guest made them in: every mail about
// them is written in it. Empty: the venue's language (rows made before).
func init() {
	cols := []string{"bookings", "waitlist"}
	m.Register(func(app core.App) error {
		for _, name := range cols {
			col, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("guest language: %w", err)
			}
			col.Fields.Add(&core.TextField{Name: "locale", Max: 35})
			if err := app.Save(col); err != nil {
				return fmt.Errorf("guest language: %s: %w", name, err)
			}
		}
		return nil
	}, func(app core.App) error {
		for _, name := range cols {
			col, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("guest language down: %w", err)
			}
			col.Fields.RemoveByName("locale")
			if err := app.Save(col); err != nil {
				return err
			}
		}
		return nil
	})
}
