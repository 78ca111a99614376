package hooks

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/migrations"
)

// usageObjects are the table and triggers that keep booking_usage (see migrations.BookingUsageSQL).
var usageObjects = []any{"booking_usage", "booking_usage_insert", "booking_usage_delete", "booking_usage_update"}

// ensureBookingUsage runs when the server starts. The capacity check trusts booking_usage, so
// if anything dropped one of its triggers (a schema change that rebuilt the bookings table, a
// hand-edited database), it recreates them and rebuilds the table from the bookings in one
// transaction before the first request is served. It reports whether it had to.
func ensureBookingUsage(app core.App) (bool, error) {
	var n int
	err := app.DB().Select("count(*)").From("sqlite_master").
		Where(dbx.In("name", usageObjects...)).Row(&n)
	if err != nil {
		return false, fmt.Errorf("look for booking_usage: %w", err)
	}
	if n == len(usageObjects) {
		return false, nil
	}
	err = app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.DB().NewQuery(migrations.BookingUsageSQL).Execute(); err != nil {
			return err
		}
		_, err := tx.DB().NewQuery(migrations.BookingUsageRebuildSQL).Execute()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("rebuild booking_usage: %w", err)
	}
	app.Logger().Warn("booking_usage was incomplete and has been rebuilt from the bookings", "found", n, "want", len(usageObjects))
	return true, nil
}
