package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Recurring session series. `session_series` holds weekly rules of a session offering: the
// weekdays (`days`, bit 0 Sunday .. bit 6 Saturday), the local start time, the seats, the first
// and last dates (venue-local; no last date: no end) and the dates left out (`exceptions`,
// "2006-01-02" comma-separated). The sessions a rule makes name it (`series`) and the date it
// made them on (`occurs`, one session per rule and date); `detached` marks a session edited on
// its own, which later edits of its series leave alone. A cancelled session keeps its reason.
// A waitlist entry closes as "cancelled" when its session is.
func init() {
	const (
		date = `^\d{4}-\d{2}-\d{2}$`
		time = `^([01]\d|2[0-3]):[0-5]\d$`
	)
	m.Register(func(app core.App) error {
		offerings, err := app.FindCollectionByNameOrId("offerings")
		if err != nil {
			return fmt.Errorf("session series: %w", err)
		}
		c := core.NewBaseCollection("session_series")
		c.Fields.Add(
			&core.RelationField{Name: "offering", Required: true, MaxSelect: 1, CollectionId: offerings.Id, CascadeDelete: true},
			&core.NumberField{Name: "days", Required: true, OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(127.0), Help: "bit 0 Sunday .. bit 6 Saturday"},
			&core.TextField{Name: "time", Required: true, Pattern: time},
			&core.NumberField{Name: "seats", Required: true, OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(100000.0)},
			&core.TextField{Name: "from_date", Required: true, Pattern: date},
			&core.TextField{Name: "until_date", Pattern: date, Help: "empty: no end"},
			&core.TextField{Name: "exceptions", Max: 1200, Help: "dates left out, comma-separated"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		c.AddIndex("idx_session_series_offering", false, "offering", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("session series: %w", err)
		}
		sessions, err := app.FindCollectionByNameOrId("sessions")
		if err != nil {
			return fmt.Errorf("session series: %w", err)
		}
		sessions.Fields.Add(
			&core.RelationField{Name: "series", MaxSelect: 1, CollectionId: c.Id, Help: "empty: added on its own"},
			&core.TextField{Name: "occurs", Pattern: date, Help: "the date its series made it on"},
			&core.BoolField{Name: "detached", Help: "edited on its own: edits of the series leave it alone"},
			&core.TextField{Name: "cancel_reason", Max: 500},
		)
		sessions.AddIndex("idx_sessions_series_occurs", true, "series, occurs", "series != ''")
		if err := app.Save(sessions); err != nil {
			return fmt.Errorf("session series: sessions: %w", err)
		}
		waitlist, err := app.FindCollectionByNameOrId("waitlist")
		if err != nil {
			return fmt.Errorf("session series: %w", err)
		}
		status := waitlist.Fields.GetByName("status").(*core.SelectField)
		status.Values = append(status.Values, "cancelled")
		if err := app.Save(waitlist); err != nil {
			return fmt.Errorf("session series: waitlist: %w", err)
		}
		return nil
	}, func(app core.App) error {
		waitlist, err := app.FindCollectionByNameOrId("waitlist")
		if err != nil {
			return fmt.Errorf("session series down: %w", err)
		}
		if _, err := app.DB().NewQuery("UPDATE waitlist SET status = 'expired' WHERE status = 'cancelled'").Execute(); err != nil {
			return fmt.Errorf("session series down: waitlist: %w", err)
		}
		status := waitlist.Fields.GetByName("status").(*core.SelectField)
		status.Values = []string{"waiting", "offered", "booked", "expired", "declined", "left"}
		if err := app.Save(waitlist); err != nil {
			return fmt.Errorf("session series down: waitlist: %w", err)
		}
		sessions, err := app.FindCollectionByNameOrId("sessions")
		if err != nil {
			return fmt.Errorf("session series down: %w", err)
		}
		sessions.RemoveIndex("idx_sessions_series_occurs")
		for _, f := range []string{"series", "occurs", "detached", "cancel_reason"} {
			sessions.Fields.RemoveByName(f)
		}
		if err := app.Save(sessions); err != nil {
			return fmt.Errorf("session series down: sessions: %w", err)
		}
		c, err := app.FindCollectionByNameOrId("session_series")
		if err != nil {
			return fmt.Errorf("session series down: %w", err)
		}
		return app.Delete(c)
	})
}
