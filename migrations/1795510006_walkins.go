package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Walk-ins: the front desk's same-day queue of parties at the door, told "your table is
// ready" by mail (and SMS through the venue's webhook, when set up).
func init() {
	m.Register(func(app core.App) error {
		c := core.NewBaseCollection("walkins")
		c.Fields.Add(
			&core.TextField{Name: "day", Required: true, Pattern: `^\d{4}-\d{2}-\d{2}$`, Help: "venue-local date"},
			&core.TextField{Name: "name", Required: true, Max: 200},
			&core.NumberField{Name: "party", Required: true, OnlyInt: true, Min: types.Pointer(1.0)},
			&core.TextField{Name: "phone", Max: 50},
			&core.EmailField{Name: "email"},
			&core.NumberField{Name: "quoted_wait", OnlyInt: true, Min: types.Pointer(0.0), Help: "minutes"},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"waiting", "notified", "seated", "skipped", "removed"}},
			&core.DateField{Name: "added_at", Required: true},
			&core.DateField{Name: "notified_at"},
			&core.DateField{Name: "closed_at"},
			&core.TextField{Name: "notify_result", Max: 500},
		)
		c.AddIndex("idx_walkins_day", false, "day, status", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("walk-ins: %w", err)
		}
		outbox, err := app.FindCollectionByNameOrId("outbox")
		if err != nil {
			return err
		}
		kind := outbox.Fields.GetByName("kind").(*core.SelectField)
		kind.Values = append(kind.Values, "walkin")
		return app.Save(outbox)
	}, func(app core.App) error {
		if c, err := app.FindCollectionByNameOrId("walkins"); err == nil {
			return app.Delete(c)
		}
		return nil
	})
}
