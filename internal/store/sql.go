package store

import (
	"strings"

	"github.com/pocketbase/dbx"
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
