package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// hashExp is the condition col = v.
func hashExp(col string, v any) dbx.HashExp { return dbx.HashExp{col: v} }

// anys turns strings into the arguments of dbx.In.
func anys[T ~string](list []T) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out
}

// rowsAffected is the count of an executed statement (0 when the driver cannot tell).
func rowsAffected(res interface{ RowsAffected() (int64, error) }) int64 {
	n, _ := res.RowsAffected()
	return n
}

// likeEscaper escapes the wildcards of LIKE (and the escape character itself), so that typed
// text matches only itself.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// containsAny is the condition that one of cols contains text (ASCII letters in any case), with
// % and _ matching themselves: dbx.Like escapes them but names no ESCAPE character, which
// SQLite needs.
func containsAny(text string, cols ...string) dbx.Expression {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "[[" + c + "]] LIKE {:like} ESCAPE '\\'"
	}
	return dbx.NewExp("("+strings.Join(parts, " OR ")+")", dbx.Params{"like": "%" + likeEscaper.Replace(text) + "%"})
}

// outboxRow is a row of an outbox table that a worker claims: its id and when it is due.
type outboxRow interface {
	claimKey() (id string, next types.DateTime)
}

// claimDue takes up to limit rows of the outbox table (status pending, next_attempt at or
// before now) for one run: each is claimed by moving its next attempt to lease, in one
// conditional update per row, so two runs that meet never take the same row (a run that dies
// leaves its rows due again at lease).
func claimDue[T outboxRow](app core.App, table, pending string, now, lease time.Time, limit int) ([]T, error) {
	var due []T
	err := app.DB().NewQuery("SELECT * FROM " + table + " WHERE status = {:p} AND next_attempt <= {:now} ORDER BY next_attempt LIMIT {:n}").
		Bind(dbx.Params{"p": pending, "now": DBTime(now), "n": limit}).All(&due)
	if err != nil {
		return nil, fmt.Errorf("%s: due rows: %w", table, err)
	}
	var out []T
	for _, r := range due {
		id, next := r.claimKey()
		res, err := app.DB().Update(table, dbx.Params{"next_attempt": DBTime(lease), "updated": stamp()},
			dbx.NewExp("id = {:id} AND status = {:p} AND next_attempt = {:was}", dbx.Params{"id": id, "p": pending, "was": next.String()})).Execute()
		if err != nil {
			return out, fmt.Errorf("%s: claim %s: %w", table, id, err)
		}
		if rowsAffected(res) == 1 {
			out = append(out, r)
		}
	}
	return out, nil
}
