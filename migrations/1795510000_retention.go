package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Retention: how many days after a visit its personal data is kept (548, about eighteen
// months, unless the owner sets another period), and the index the daily purge reads the
// bookings due for anonymisation through (one range, however many bookings are kept).
func init() {
	m.Register(func(app core.App) error {
		venue, err := app.FindCollectionByNameOrId("venue")
		if err != nil {
			return fmt.Errorf("retention: %w", err)
		}
		venue.Fields.Add(&core.NumberField{Name: "retention_days", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(3650.0),
			Help: "days after a visit that its personal data is kept; 0: 548"})
		if err := app.Save(venue); err != nil {
			return fmt.Errorf("retention: venue: %w", err)
		}
		if _, err := app.DB().NewQuery("UPDATE venue SET retention_days = 548").Execute(); err != nil {
			return fmt.Errorf("retention: default period: %w", err)
		}
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("retention: %w", err)
		}
		bookings.AddIndex("idx_bookings_anonymised_end", false, "anonymised, `end`", "")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("retention: bookings: %w", err)
		}
		return nil
	}, func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return err
		}
		bookings.RemoveIndex("idx_bookings_anonymised_end")
		if err := app.Save(bookings); err != nil {
			return err
		}
		venue, err := app.FindCollectionByNameOrId("venue")
		if err != nil {
			return err
		}
		venue.Fields.RemoveByName("retention_days")
		return app.Save(venue)
	})
}
