package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The staff's bookings list (latest start first) and the export (by start, then id) read the
// bookings in start order: an index of (start, id) gives them a page without sorting every
// booking (0.4 s at a million).
func init() {
	m.Register(func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("start index: %w", err)
		}
		bookings.AddIndex("idx_bookings_start_id", false, "`start`, `id`", "")
		return app.Save(bookings)
	}, func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("start index down: %w", err)
		}
		bookings.RemoveIndex("idx_bookings_start_id")
		return app.Save(bookings)
	})
}
