package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Visitors' own account: passwordless sign-in links (single use, 15 minutes) and the sessions
// they open. Only SHA-256 hashes of the tokens are stored; no API rule opens either collection.
func init() {
	m.Register(func(app core.App) error {
		links := core.NewBaseCollection("visitor_links")
		links.Fields.Add(
			&core.EmailField{Name: "email", Required: true},
			// NB! The SHA-256 of the token, never the token.
			&core.TextField{Name: "token_hash", Required: true, Hidden: true, Min: 64, Max: 64},
			&core.DateField{Name: "expires", Required: true},
			&core.DateField{Name: "used_at"},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		links.AddIndex("idx_visitor_links_hash", true, "token_hash", "")
		links.AddIndex("idx_visitor_links_email", false, "email, created", "")
		if err := app.Save(links); err != nil {
			return fmt.Errorf("visitor links: %w", err)
		}
		sessions := core.NewBaseCollection("visitor_sessions")
		sessions.Fields.Add(
			&core.EmailField{Name: "email", Required: true},
			&core.TextField{Name: "token_hash", Required: true, Hidden: true, Min: 64, Max: 64},
			&core.DateField{Name: "expires", Required: true},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		sessions.AddIndex("idx_visitor_sessions_hash", true, "token_hash", "")
		sessions.AddIndex("idx_visitor_sessions_email", false, "email", "")
		if err := app.Save(sessions); err != nil {
			return fmt.Errorf("visitor sessions: %w", err)
		}
		return nil
	}, func(app core.App) error {
		for _, name := range []string{"visitor_sessions", "visitor_links"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				continue
			}
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		return nil
	})
}
