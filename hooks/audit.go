package hooks

import (
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// Audit actors for changes that no staff member made.
const (
	actorVisitor = "visitor"
	actorSystem  = "system"
	actorConsole = "console" // a command run on the server (reserva staff create)
)

// auditEntry is one line of the audit log. NB! Detail must hold no personal data: name the
// record, never its contents.
type auditEntry struct {
	RequestID, Actor, Action, Target, Detail, IP string
}

// audit appends one entry to the audit log. Inside a transaction pass txApp, so the entry is
// written with the change it records or not at all.
func audit(app core.App, requestID, actor, action, target, detail string) error {
	return writeAudit(app, auditEntry{RequestID: requestID, Actor: actor, Action: action, Target: target, Detail: detail})
}

func writeAudit(app core.App, a auditEntry) error {
	col, err := app.FindCachedCollectionByNameOrId("audit_log")
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	rec := core.NewRecord(col)
	rec.Load(map[string]any{"actor": a.Actor, "action": a.Action, "target": a.Target, "request_id": a.RequestID,
		"detail": truncate(a.Detail, 2000), "ip": a.IP})
	if err := app.Save(rec); err != nil {
		return fmt.Errorf("audit: save %s %s: %w", a.Action, a.Target, err)
	}
	return nil
}

// errAuditAppendOnly refuses any change to a written audit entry.
var errAuditAppendOnly = errors.New("audit log: entries cannot be changed or deleted")

// bindAuditAppendOnly makes the audit log append-only for every path that goes through
// PocketBase's records, the superusers' dashboard included: no entry is ever updated or
// deleted. (Retention, when it comes, deletes old entries with one SQL statement of its own.)
func bindAuditAppendOnly(app core.App) {
	refuse := func(e *core.RecordEvent) error { return errAuditAppendOnly }
	app.OnRecordUpdate("audit_log").BindFunc(refuse)
	app.OnRecordDelete("audit_log").BindFunc(refuse)
}
