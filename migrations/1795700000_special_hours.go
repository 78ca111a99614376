package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Special hours and part-day closures. `special_hours` replaces an offering's weekly opening
// hours (or every offering's, with no offering) on the venue-local dates start_date..end_date
// with the spans written in `spans` ("12:00-15:00 18:00-25:30", one to four, closing times past
// midnight as in opening_hours). A closure with `opens` and `closes` closes that part of each of
// its dates instead of the whole dates (both empty: whole dates, as before).
func init() {
	const (
		opens  = `^([01]\d|2[0-3]):[0-5]\d$`
		closes = `^([0-3]\d|4[0-7]):[0-5]\d$`
		span   = `([01]\d|2[0-3]):[0-5]\d-([0-3]\d|4[0-7]):[0-5]\d`
	)
	m.Register(func(app core.App) error {
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("special hours: %w", err)
		}
		c := core.NewBaseCollection("special_hours")
		c.Fields.Add(
			&core.RelationField{Name: "offering", MaxSelect: 1, CollectionId: offerings.Id, CascadeDelete: true, Help: "empty: the whole venue"},
			&core.TextField{Name: "start_date", Required: true, Pattern: `^\d{4}-\d{2}-\d{2}$`},
			&core.TextField{Name: "end_date", Required: true, Pattern: `^\d{4}-\d{2}-\d{2}$`},
			&core.TextField{Name: "spans", Required: true, Pattern: `^` + span + `( ` + span + `){0,3}$`, Help: "HH:MM-HH:MM, space-separated"},
			&core.TextField{Name: "reason", Max: 500},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		c.AddIndex("idx_special_hours_dates", false, "end_date, start_date", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("special hours: %w", err)
		}
		closures, err := app.FindCollectionByNameOrId("closures")
		if err != nil {
			return fmt.Errorf("special hours: %w", err)
		}
		closures.Fields.Add(
			&core.TextField{Name: "opens", Pattern: opens, Help: "empty: the whole day"},
			&core.TextField{Name: "closes", Pattern: closes, Help: "empty: the whole day; after midnight 25:30"},
		)
		if err := app.Save(closures); err != nil {
			return fmt.Errorf("special hours: closures: %w", err)
		}
		return nil
	}, func(app core.App) error {
		closures, err := app.FindCollectionByNameOrId("closures")
		if err != nil {
			return fmt.Errorf("special hours down: %w", err)
		}
		// Part-day closures would become whole-day ones without their times: they go.
		if _, err := app.DB().NewQuery("DELETE FROM closures WHERE opens != '' OR closes != ''").Execute(); err != nil {
			return fmt.Errorf("special hours down: part-day closures: %w", err)
		}
		closures.Fields.RemoveByName("opens")
		closures.Fields.RemoveByName("closes")
		if err := app.Save(closures); err != nil {
			return fmt.Errorf("special hours down: closures: %w", err)
		}
		c, err := app.FindCollectionByNameOrId("special_hours")
		if err != nil {
			return fmt.Errorf("special hours down: %w", err)
		}
		return app.Delete(c)
	})
}
