package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Restaurant controls of a slot offering: `pacing`, the most covers whose bookings may start in
// one quarter hour of local time (0: no limit), and `turn_times`, a booking's length by party
// ("2:90, 4:120": up to 2 people 90 minutes, up to 4 people 120; larger parties the duration).
func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("restaurant controls: %w", err)
		}
		c.Fields.Add(
			&core.NumberField{Name: "pacing", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(100000.0), Help: "covers per quarter hour; 0: no limit"},
			&core.TextField{Name: "turn_times", Max: 200, Pattern: `^(\d{1,4}:\d{1,4}(, ?\d{1,4}:\d{1,4}){0,9})?$`, Help: "party:minutes, rising"},
		)
		if err := app.Save(c); err != nil {
			return fmt.Errorf("restaurant controls: %w", err)
		}
		return nil
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("restaurant controls down: %w", err)
		}
		c.Fields.RemoveByName("pacing")
		c.Fields.RemoveByName("turn_times")
		return app.Save(c)
	})
}
