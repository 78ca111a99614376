package migrations

import (
	"fmt"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The venue's notify address gets changes and cancellations too, as mails of their own kinds
// (rendered when sent, like the new-booking notice).
func init() {
	kinds := []string{"venue_change", "venue_cancellation"}
	m.Register(func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId("outbox")
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		kind := outbox.Fields.GetByName("kind").(*core.SelectField)
		kind.Values = append(kind.Values, kinds...)
		return app.Save(outbox)
	}, func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId("outbox")
		if err != nil {
			return fmt.Errorf("outbox down: %w", err)
		}
		kind := outbox.Fields.GetByName("kind").(*core.SelectField)
		kind.Values = slices.DeleteFunc(kind.Values, func(v string) bool { return slices.Contains(kinds, v) })
		return app.Save(outbox)
	})
}
