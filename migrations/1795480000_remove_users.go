// Package migrations builds Reserva's schema, one change per file. Migrations are frozen history:
// never edit one that has landed; add a new file instead.
package migrations

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// PocketBase creates a "users" auth collection whose create rule allows public sign-up. Reserva
// has no public accounts anywhere, so the collection goes before anything else is built.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("remove users: find: %w", err)
		}
		if err := app.Delete(users); err != nil {
			return fmt.Errorf("remove users: delete: %w", err)
		}
		return nil
	}, func(app core.App) error {
		// Down recreates an empty auth collection with every API rule nil (superusers only):
		// the public sign-up rule is never restored.
		users := core.NewAuthCollection("users", "_pb_users_auth_")
		users.Fields.Add(&core.TextField{Name: "name", Max: 255})
		users.Fields.Add(&core.AutodateField{Name: "created", OnCreate: true})
		users.Fields.Add(&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true})
		return app.Save(users)
	})
}
