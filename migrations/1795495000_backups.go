package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The record of every backup attempt: the encrypted file, its checksums and row counts, the
// restore drills, the off-site copy. A failed attempt is a row too (status failed, no file),
// so the dashboard and /healthz can tell.
func init() {
	m.Register(func(app core.App) error {
		c := core.NewBaseCollection("backups")
		c.Fields.Add(
			&core.TextField{Name: "file", Max: 200},
			&core.DateField{Name: "taken", Required: true},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"ok", "failed", "skipped", "deleted"}},
			&core.TextField{Name: "error", Max: 1000},
			&core.NumberField{Name: "size", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.NumberField{Name: "plain_size", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.TextField{Name: "cipher_sha256", Max: 64},
			&core.TextField{Name: "plain_sha256", Max: 64},
			&core.JSONField{Name: "rows", MaxSize: 1 << 16},
			&core.NumberField{Name: "took_ms", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.TextField{Name: "data_hash", Max: 64},
			&core.DateField{Name: "verified_at"},
			&core.TextField{Name: "verify_result", Max: 1000},
			&core.SelectField{Name: "offsite", MaxSelect: 1, Values: []string{"pending", "uploaded", "failed"}},
			&core.TextField{Name: "offsite_error", Max: 1000},
			&core.NumberField{Name: "offsite_attempts", OnlyInt: true, Min: types.Pointer(0.0)},
		)
		timestamps(c)
		c.AddIndex("idx_backups_taken", false, "taken", "")
		c.AddIndex("idx_backups_file", true, "file", "file != ''")
		return app.Save(c)
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("backups")
		if err != nil {
			return fmt.Errorf("backups down: %w", err)
		}
		return app.Delete(c)
	})
}
