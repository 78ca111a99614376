package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The venue's pictures: a cover photo for the home page and a logo beside the venue's name,
// uploaded in the settings. The bytes live in the database (base64 text), not in pb_data's file
// storage: every backup (a copy of data.db) and every restore drill then carries them, and an
// S3 file storage set up in PocketBase's dashboard cannot take them out of the backups.
func init() {
	m.Register(func(app core.App) error {
		c := core.NewBaseCollection("venue_images")
		c.Fields.Add(
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"photo", "logo"}},
			&core.SelectField{Name: "content_type", Required: true, MaxSelect: 1, Values: []string{"image/jpeg", "image/png", "image/webp"},
				Help: "sniffed from the bytes when uploaded, never taken from the file name"},
			&core.TextField{Name: "sha256", Required: true, Pattern: `^[0-9a-f]{64}$`, Help: "of the bytes; named in the picture's URL"},
			&core.NumberField{Name: "size", Required: true, OnlyInt: true, Min: types.Pointer(1.0), Help: "bytes"},
			&core.NumberField{Name: "width", Required: true, OnlyInt: true, Min: types.Pointer(1.0)},
			&core.NumberField{Name: "height", Required: true, OnlyInt: true, Min: types.Pointer(1.0)},
			&core.TextField{Name: "alt", Max: 300, Help: "what the picture shows, for people who cannot see it"},
			// The base64 of at most 2 MiB (the largest picture Reserva accepts) is 2,796,204 characters.
			&core.TextField{Name: "data", Required: true, Hidden: true, Max: 2796204},
		)
		timestamps(c)
		c.AddIndex("idx_venue_images_kind", true, "kind", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("venue images: %w", err)
		}
		return nil
	}, func(app core.App) error {
		if c, err := app.FindCollectionByNameOrId("venue_images"); err == nil {
			return app.Delete(c)
		}
		return nil
	})
}
