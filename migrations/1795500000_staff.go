package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Staff: one account per person with a role, server-side sessions, expiring invites, and the
// bookings' and audit log's staff fields. Staff sign in through Reserva's own /admin/login:
// PocketBase's password, OTP and OAuth2 sign-in are off for the collection, so its REST auth
// routes refuse staff. PocketBase's superusers get MFA (password plus a mailed code).
func init() {
	m.Register(func(app core.App) error {
		staff := core.NewAuthCollection("staff")
		staff.PasswordAuth.Enabled = false
		staff.OTP.Enabled = false
		staff.MFA.Enabled = false
		staff.OAuth2.Enabled = false
		staff.Fields.Add(
			&core.TextField{Name: "name", Max: 200},
			&core.SelectField{Name: "role", Required: true, MaxSelect: 1, Values: []string{"owner", "manager", "frontdesk"}},
			&core.BoolField{Name: "active"},
			// NB! TOTP secrets are sealed with RESERVA_ENCRYPTION_KEY when it is set.
			&core.TextField{Name: "totp_secret", Hidden: true, Max: 500},
			&core.TextField{Name: "totp_pending", Hidden: true, Max: 500},
			&core.NumberField{Name: "totp_last_step", OnlyInt: true, Min: types.Pointer(0.0)},
			// SHA-256 hashes of the unused recovery codes.
			&core.JSONField{Name: "recovery_codes", Hidden: true, MaxSize: 4096},
			&core.DateField{Name: "password_changed"},
		)
		staff.Fields.Add(&core.AutodateField{Name: "created", OnCreate: true}, &core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true})
		if err := app.Save(staff); err != nil {
			return fmt.Errorf("staff: %w", err)
		}

		sessions := core.NewBaseCollection("staff_sessions")
		sessions.Fields.Add(
			&core.TextField{Name: "token_hash", Required: true, Hidden: true, Min: 64, Max: 64},
			&core.RelationField{Name: "staff", Required: true, MaxSelect: 1, CollectionId: staff.Id, CascadeDelete: true},
			// signed_in and last_seen come from the application's clock (idle and absolute expiry).
			&core.DateField{Name: "signed_in", Required: true},
			&core.DateField{Name: "last_seen", Required: true},
			&core.TextField{Name: "ip", Max: 64},
			&core.TextField{Name: "user_agent", Max: 300},
			&core.BoolField{Name: "second_factor"},
		)
		timestamps(sessions)
		sessions.AddIndex("idx_staff_sessions_hash", true, "token_hash", "")
		sessions.AddIndex("idx_staff_sessions_staff", false, "staff", "")
		if err := app.Save(sessions); err != nil {
			return fmt.Errorf("staff sessions: %w", err)
		}

		invites := core.NewBaseCollection("staff_invites")
		invites.Fields.Add(
			&core.EmailField{Name: "email", Required: true},
			&core.SelectField{Name: "role", Required: true, MaxSelect: 1, Values: []string{"owner", "manager", "frontdesk"}},
			&core.TextField{Name: "token_hash", Required: true, Hidden: true, Min: 64, Max: 64},
			&core.RelationField{Name: "invited_by", MaxSelect: 1, CollectionId: staff.Id},
			&core.DateField{Name: "expires", Required: true},
			&core.DateField{Name: "used_at"},
		)
		timestamps(invites)
		invites.AddIndex("idx_staff_invites_hash", true, "token_hash", "")
		if err := app.Save(invites); err != nil {
			return fmt.Errorf("staff invites: %w", err)
		}

		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return err
		}
		bookings.Fields.Add(
			&core.TextField{Name: "internal_notes", Max: 5000},
			&core.DateField{Name: "checked_in_at"},
			&core.TextField{Name: "override_reason", Max: 500},
		)
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("staff: bookings: %w", err)
		}
		audit, err := app.FindCollectionByNameOrId("audit_log")
		if err != nil {
			return err
		}
		audit.Fields.Add(&core.TextField{Name: "ip", Max: 64})
		audit.AddIndex("idx_audit_log_actor", false, "actor", "")
		if err := app.Save(audit); err != nil {
			return fmt.Errorf("staff: audit log: %w", err)
		}

		superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
		if err != nil {
			return err
		}
		superusers.MFA.Enabled = true
		superusers.OTP.Enabled = true
		return app.Save(superusers)
	}, func(app core.App) error {
		superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
		if err != nil {
			return err
		}
		superusers.MFA.Enabled = false
		superusers.OTP.Enabled = false
		if err := app.Save(superusers); err != nil {
			return err
		}
		audit, err := app.FindCollectionByNameOrId("audit_log")
		if err != nil {
			return err
		}
		audit.RemoveIndex("idx_audit_log_actor")
		audit.Fields.RemoveByName("ip")
		if err := app.Save(audit); err != nil {
			return err
		}
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return err
		}
		for _, f := range []string{"internal_notes", "checked_in_at", "override_reason"} {
			bookings.Fields.RemoveByName(f)
		}
		if err := app.Save(bookings); err != nil {
			return err
		}
		for _, name := range []string{"staff_invites", "staff_sessions", "staff"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		return nil
	})
}
