package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Consent per person: an offering may ask for the names of the other people of a party, each
// with their own consent and the notice version it was given to; every notice version that
// anyone consented to is kept word for word.
func init() {
	m.Register(func(app core.App) error {
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("participants: %w", err)
		}
		offerings.Fields.Add(&core.BoolField{Name: "ask_participants"})
		if err := app.Save(offerings); err != nil {
			return fmt.Errorf("participants: offerings: %w", err)
		}
		bookings, err := app.FindCollectionByNameOrId("bookings")
		if err != nil {
			return fmt.Errorf("participants: %w", err)
		}
		p := core.NewBaseCollection("participants")
		p.Fields.Add(
			&core.RelationField{Name: "booking", Required: true, MaxSelect: 1, CollectionId: bookings.Id, CascadeDelete: true},
			&core.TextField{Name: "name", Required: true, Max: 200},
			&core.DateField{Name: "consent_at", Required: true},
			&core.NumberField{Name: "notice_version", OnlyInt: true},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		p.AddIndex("idx_participants_booking", false, "booking", "")
		if err := app.Save(p); err != nil {
			return fmt.Errorf("participants: %w", err)
		}
		n := core.NewBaseCollection("privacy_notices")
		n.Fields.Add(
			&core.NumberField{Name: "version", Required: true, OnlyInt: true},
			&core.TextField{Name: "text", Max: 100000},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		n.AddIndex("idx_privacy_notices_version", true, "version", "")
		if err := app.Save(n); err != nil {
			return fmt.Errorf("privacy notices: %w", err)
		}
		// The notice in force now, which the existing bookings consented to (as far as is known).
		_, err = app.DB().NewQuery(`INSERT OR IGNORE INTO privacy_notices (id, version, text, created)
			SELECT substr(lower(hex(randomblob(8))), 1, 15), notice_version, privacy_notice, strftime('%Y-%m-%d %H:%M:%fZ')
			FROM venue WHERE notice_version > 0`).Execute()
		return err
	}, func(app core.App) error {
		for _, name := range []string{"participants", "privacy_notices"} {
			if c, err := app.FindCollectionByNameOrId(name); err == nil {
				if err := app.Delete(c); err != nil {
					return err
				}
			}
		}
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return err
		}
		offerings.Fields.RemoveByName("ask_participants")
		return app.Save(offerings)
	})
}
