package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Waitlists: visitors who meet a full time join its waitlist; when a place frees up the first
// entries that fit are offered it, held for them as a booking with status "held" (which counts
// against capacity like any booking) until they accept or the offer runs out.
func init() {
	m.Register(func(app core.App) error {
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("waitlist: %w", err)
		}
		status := bookings.Fields.GetByName("status").(*core.SelectField)
		status.Values = append(status.Values, "held")
		// A person's bookings by address, for erasure, export and the purge's customer check.
		bookings.AddIndex("idx_bookings_email_lower", false, "lower(`email`)", "`email` != ''")
		if err := app.Save(bookings); err != nil {
			return fmt.Errorf("waitlist: bookings: %w", err)
		}
		// booking_usage counts held places too.
		if _, err := app.DB().NewQuery(`DROP TRIGGER IF EXISTS booking_usage_insert; DROP TRIGGER IF EXISTS booking_usage_delete;
			DROP TRIGGER IF EXISTS booking_usage_update;`).Execute(); err != nil {
			return err
		}
		if _, err := app.DB().NewQuery(BookingUsageSQL).Execute(); err != nil {
			return err
		}
		if _, err := app.DB().NewQuery(BookingUsageRebuildSQL).Execute(); err != nil {
			return err
		}

		outbox, err := app.FindCollectionByNameOrId("outbox")
		if err != nil {
			return err
		}
		kind := outbox.Fields.GetByName("kind").(*core.SelectField)
		kind.Values = append(kind.Values, "waitlist", "waitlist_offer")
		if err := app.Save(outbox); err != nil {
			return fmt.Errorf("waitlist: outbox: %w", err)
		}
		venue, err := app.FindCollectionByNameOrId("venue")
		if err != nil {
			return err
		}
		venue.Fields.Add(&core.NumberField{Name: "waitlist_offer_minutes", OnlyInt: true, Min: types.Pointer(5.0), Max: types.Pointer(1440.0)})
		if err := app.Save(venue); err != nil {
			return fmt.Errorf("waitlist: venue: %w", err)
		}
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return err
		}
		sessions, err := app.FindCollectionByNameOrId("sessions")
		if err != nil {
			return err
		}
		w := core.NewBaseCollection("waitlist")
		w.Fields.Add(
			&core.RelationField{Name: "offering", Required: true, MaxSelect: 1, CollectionId: offerings.Id, CascadeDelete: true},
			&core.RelationField{Name: "session", MaxSelect: 1, CollectionId: sessions.Id, CascadeDelete: true},
			// The time waited for, as the visitor chose it ("2026-11-27T19:00" or a session id).
			&core.TextField{Name: "start_value", Required: true, Max: 40},
			&core.DateField{Name: "start", Required: true},
			&core.NumberField{Name: "party", Required: true, OnlyInt: true, Min: types.Pointer(1.0)},
			&core.TextField{Name: "name", Max: 200},
			&core.EmailField{Name: "email"},
			&core.TextField{Name: "phone", Max: 50},
			&core.DateField{Name: "consent_at"},
			&core.NumberField{Name: "notice_version", OnlyInt: true},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"waiting", "offered", "booked", "expired", "declined", "left"}},
			// NB! The SHA-256 of the entry's link token, never the token.
			&core.TextField{Name: "token_hash", Required: true, Hidden: true, Min: 64, Max: 64},
			// The token of the offer mail's link (a fresh one, so the first link need not be kept).
			&core.TextField{Name: "offer_token_hash", Hidden: true, Max: 64},
			&core.RelationField{Name: "booking", MaxSelect: 1, CollectionId: bookings.Id},
			&core.DateField{Name: "offered_at"},
			&core.DateField{Name: "offer_expires"},
			&core.DateField{Name: "closed_at"},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		w.AddIndex("idx_waitlist_token", true, "token_hash", "")
		w.AddIndex("idx_waitlist_offer_token", true, "offer_token_hash", "offer_token_hash != ''")
		w.AddIndex("idx_waitlist_status_start", false, "status, offering, start", "")
		w.AddIndex("idx_waitlist_email", false, "email", "")
		if err := app.Save(w); err != nil {
			return fmt.Errorf("waitlist: %w", err)
		}
		return nil
	}, func(app core.App) error {
		if c, err := app.FindCollectionByNameOrId("waitlist"); err == nil {
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		return nil
	})
}
