package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Resources of slot offerings. `resources` holds the staff members, rooms and tables that serve
// an offering's bookings: a kind, a name, the seats a table takes (0: no bound), its own weekly
// hours ("Mon-Fri 09:00-17:00"; empty: the offering's) and the order staff set. A resource is
// retired (`active` false), never deleted, so the bookings that held it still name it.
// `resource_combinations` are tables pushed together for one party: the tables' ids
// (space-separated) and the seats the combination takes. A booking names the resources it holds
// (`resources`, space-separated ids; empty: none). A walk-in seated on a table is a booking with
// the source "walkin".
func init() {
	const ids = `^([a-z0-9]{15}( [a-z0-9]{15}){0,7})?$`
	m.Register(func(app core.App) error {
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("resources: %w", err)
		}
		seats := func(name string) *core.NumberField {
			return &core.NumberField{Name: name, OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(1000.0), Help: "0: no bound"}
		}
		r := core.NewBaseCollection("resources")
		r.Fields.Add(
			&core.RelationField{Name: "offering", Required: true, MaxSelect: 1, CollectionId: offerings.Id, CascadeDelete: true},
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"staff", "room", "table"}},
			&core.TextField{Name: "name", Required: true, Max: 80},
			seats("min_seats"), seats("max_seats"),
			&core.TextField{Name: "hours", Max: 600, Help: "own weekly hours, e.g. Mon-Fri 09:00-17:00; empty: the offering's"},
			&core.NumberField{Name: "sort", OnlyInt: true},
			&core.BoolField{Name: "active"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		r.AddIndex("idx_resources_offering", false, "offering, sort", "")
		if err := app.Save(r); err != nil {
			return fmt.Errorf("resources: %w", err)
		}
		c := core.NewBaseCollection("resource_combinations")
		c.Fields.Add(
			&core.RelationField{Name: "offering", Required: true, MaxSelect: 1, CollectionId: offerings.Id, CascadeDelete: true},
			&core.TextField{Name: "tables", Required: true, Max: 127, Pattern: ids},
			seats("min_seats"), seats("max_seats"),
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		c.AddIndex("idx_resource_combinations_offering", false, "offering", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("resources: combinations: %w", err)
		}
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("resources: %w", err)
		}
		bookings.Fields.Add(&core.TextField{Name: "resources", Max: 127, Pattern: ids, Help: "the resources it holds, space-separated"})
		source := bookings.Fields.GetByName("source").(*core.SelectField)
		source.Values = append(source.Values, "walkin")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("resources: bookings: %w", err)
		}
		return nil
	}, func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("resources down: %w", err)
		}
		if _, err := app.DB().NewQuery("UPDATE bookings SET source = 'staff' WHERE source = 'walkin'").Execute(); err != nil {
			return fmt.Errorf("resources down: %w", err)
		}
		bookings.Fields.RemoveByName("resources")
		bookings.Fields.GetByName("source").(*core.SelectField).Values = []string{"web", "staff"}
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("resources down: bookings: %w", err)
		}
		for _, name := range []string{"resource_combinations", "resources"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("resources down: %w", err)
			}
			if err := app.Delete(c); err != nil {
				return fmt.Errorf("resources down: %w", err)
			}
		}
		return nil
	})
}
