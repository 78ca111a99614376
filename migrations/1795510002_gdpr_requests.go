package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The privacy request queue: requests that arrive by mail, phone or letter are logged with a
// due date a month later; self-service exports and erasures are recorded there as done. No API
// rule opens it.
func init() {
	m.Register(func(app core.App) error {
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return fmt.Errorf("privacy requests: %w", err)
		}
		c := core.NewBaseCollection("gdpr_requests")
		c.Fields.Add(
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"access", "erasure", "rectification"}},
			// The subject's address, lower case; after their erasure a pseudonym.
			&core.TextField{Name: "subject", Required: true, Max: 320},
			&core.SelectField{Name: "channel", Required: true, MaxSelect: 1, Values: []string{"mail", "phone", "letter", "in_person", "self_service"}},
			&core.TextField{Name: "received", Required: true, Pattern: `^\d{4}-\d{2}-\d{2}$`, Help: "venue-local date"},
			&core.TextField{Name: "due", Required: true, Pattern: `^\d{4}-\d{2}-\d{2}$`, Help: "venue-local date"},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"open", "done", "refused"}},
			&core.TextField{Name: "notes", Max: 2000},
			&core.RelationField{Name: "handled_by", MaxSelect: 1, CollectionId: staff.Id},
			&core.DateField{Name: "handled_at"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		c.AddIndex("idx_gdpr_requests_status_due", false, "status, due", "")
		c.AddIndex("idx_gdpr_requests_subject", false, "subject", "")
		return app.Save(c)
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("gdpr_requests")
		if err != nil {
			return nil
		}
		return app.Delete(c)
	})
}
