package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Calendar feeds of staff members. `staff_feeds` holds at most one secret subscription link per
// staff-kind resource: the SHA-256 hash of its token (NB! never the token, which is shown once),
// who made it, and when a fetch of it was last written to the audit log (fetches are audited at
// most once an hour). Revoking deletes the row; a new link replaces it. Closed to the REST API
// like every collection. The bookings get an index of the resource they hold and their start,
// for the feed's one query (a staff member's bookings hold their id alone).
func init() {
	m.Register(func(app core.App) error {
		resources, err := app.FindCollectionByNameOrId("resources")
		if err != nil {
			return fmt.Errorf("staff feeds: %w", err)
		}
		f := core.NewBaseCollection("staff_feeds")
		f.Fields.Add(
			&core.RelationField{Name: "resource", Required: true, MaxSelect: 1, CollectionId: resources.Id, CascadeDelete: true},
			&core.TextField{Name: "token_hash", Required: true, Min: 64, Max: 64, Pattern: `^[0-9a-f]{64}$`},
			&core.TextField{Name: "created_by", Max: 100, Help: "the audit actor who made the link"},
			&core.DateField{Name: "audited", Help: "when a fetch was last audited"},
		)
		timestamps(f)
		f.AddIndex("idx_staff_feeds_resource", true, "resource", "")
		f.AddIndex("idx_staff_feeds_token", true, "token_hash", "")
		if err := app.Save(f); err != nil {
			return fmt.Errorf("staff feeds: %w", err)
		}
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("staff feeds: %w", err)
		}
		bookings.AddIndex("idx_bookings_resources_start", false, "`resources`, `start`", "`resources` != ''")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("staff feeds: bookings index: %w", err)
		}
		return nil
	}, func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("staff feeds down: %w", err)
		}
		bookings.RemoveIndex("idx_bookings_resources_start")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("staff feeds down: %w", err)
		}
		f, err := app.FindCollectionByNameOrId("staff_feeds")
		if err != nil {
			return fmt.Errorf("staff feeds down: %w", err)
		}
		if err := app.Delete(f); err != nil {
			return fmt.Errorf("staff feeds down: %w", err)
		}
		return nil
	})
}
