package hooks

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// Audit actors for changes that no staff member made.
const (
	actorVisitor = "visitor"
	actorSystem  = "system"
)

// audit appends one entry to the audit log. Inside a transaction pass txApp, so the entry is
// written with the change it records or not at all. NB! detail must hold no personal data:
// name the record, never its contents.
func audit(app core.App, requestID, actor, action, target, detail string) error {
	col, err := app.FindCachedCollectionByNameOrId("audit_log")
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	rec := core.NewRecord(col)
	rec.Set("actor", actor)
	rec.Set("action", action)
	rec.Set("target", target)
	rec.Set("request_id", requestID)
	rec.Set("detail", detail)
	if err := app.Save(rec); err != nil {
		return fmt.Errorf("audit: save %s %s: %w", action, target, err)
	}
	return nil
}
