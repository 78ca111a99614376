package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The venue's `embed_origins`: the sites (origins such as "https://www.example.com", one per
// line) whose pages may frame the booking pages under /embed/. Empty: none may.
func init() {
	m.Register(func(app core.App) error {
		venue, err := app.FindCollectionByNameOrId("venue")
		if err != nil {
			return fmt.Errorf("embed origins: %w", err)
		}
		venue.Fields.Add(&core.TextField{Name: "embed_origins", Max: 2000, Help: "origins that may frame /embed/, one per line"})
		if err := app.Save(venue); err != nil {
			return fmt.Errorf("embed origins: %w", err)
		}
		return nil
	}, func(app core.App) error {
		venue, err := app.FindCollectionByNameOrId("venue")
		if err != nil {
			return fmt.Errorf("embed origins down: %w", err)
		}
		venue.Fields.RemoveByName("embed_origins")
		return app.Save(venue)
	})
}
