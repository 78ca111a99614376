package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Audit actors for changes that no staff member made.
const (
	ActorVisitor = "visitor"
	ActorSystem  = "system"
	ActorConsole = "console" // a command run on the server (reserva staff create)
)

// StaffActor is how the audit log names a staff member.
func StaffActor(staffID string) string { return "staff:" + staffID }

// Entry is one line of the audit log. NB! Detail must hold no personal data: name the record,
// never its contents.
type Entry struct {
	RequestID string         `db:"request_id"`
	Actor     string         `db:"actor"`
	Action    string         `db:"action"`
	Target    string         `db:"target"`
	Detail    string         `db:"detail"`
	IP        string         `db:"ip"`
	Created   types.DateTime `db:"created"`
}

// ErrAuditAppendOnly refuses any change to a written audit entry.
var ErrAuditAppendOnly = errors.New("audit log: entries cannot be changed or deleted")

// Audit appends one entry to the audit log. Inside a transaction pass txApp, so the entry is
// written with the change it records or not at all.
func Audit(app core.App, a Entry) error {
	now := stamp()
	_, err := app.DB().NewQuery(`INSERT INTO audit_log (id, actor, action, target, request_id, detail, ip, created, updated)
		VALUES ({:id}, {:actor}, {:action}, {:target}, {:rid}, {:detail}, {:ip}, {:now}, {:now})`).
		Bind(dbx.Params{"id": newID(), "actor": truncate(a.Actor, 100), "action": truncate(a.Action, 100),
			"target": truncate(a.Target, 200), "rid": truncate(a.RequestID, 64), "detail": truncate(a.Detail, 2000),
			"ip": truncate(a.IP, 100), "now": now}).Execute()
	if err != nil {
		return fmt.Errorf("audit: save %s %s: %w", a.Action, a.Target, err)
	}
	return nil
}

// History lists the newest limit entries about target ("bookings/ID"), newest first, with
// each staff actor's name resolved (a deleted member keeps their id).
func History(app core.App, target string, limit int) ([]Entry, error) {
	var out []Entry
	err := app.DB().NewQuery(`SELECT a.request_id, a.action, a.target, a.detail, a.ip, a.created,
			CASE WHEN a.actor LIKE 'staff:%' THEN coalesce((SELECT s.name FROM staff s WHERE 'staff:' || s.id = a.actor), a.actor) ELSE a.actor END AS actor
		FROM audit_log a WHERE a.target = {:t} ORDER BY a.created DESC LIMIT {:n}`).
		Bind(dbx.Params{"t": target, "n": limit}).All(&out)
	return out, err
}

// AuditFilter selects entries of the audit log: parts of the actor and action, a time range.
type AuditFilter struct {
	Actor, Action string
	From, To      time.Time // zero: open
}

func (f AuditFilter) where() dbx.Expression {
	exps := []dbx.Expression{dbx.NewExp("1=1")}
	if f.Actor != "" {
		exps = append(exps, containsAny(f.Actor, "actor"))
	}
	if f.Action != "" {
		exps = append(exps, containsAny(f.Action, "action"))
	}
	if !f.From.IsZero() {
		exps = append(exps, dbx.NewExp("created >= {:from}", dbx.Params{"from": DBTime(f.From)}))
	}
	if !f.To.IsZero() {
		exps = append(exps, dbx.NewExp("created < {:to}", dbx.Params{"to": DBTime(f.To)}))
	}
	return dbx.And(exps...)
}

// AuditPage returns one page of the entries f selects, newest first, and how many it selects.
func AuditPage(app core.App, f AuditFilter, offset, limit int) ([]Entry, int, error) {
	where := f.where()
	var total int
	if err := app.DB().Select("count(*)").From(colAuditLog).Where(where).Row(&total); err != nil {
		return nil, 0, err
	}
	var out []Entry
	err := app.DB().Select("request_id", "actor", "action", "target", "detail", "ip", "created").From(colAuditLog).
		Where(where).OrderBy("created DESC").Limit(int64(limit)).Offset(int64(offset)).All(&out)
	return out, total, err
}

// IsStaffActor reports whether actor names a staff member.
func IsStaffActor(actor string) bool { return strings.HasPrefix(actor, "staff:") }
