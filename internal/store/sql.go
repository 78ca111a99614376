package store

import "github.com/pocketbase/dbx"

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
