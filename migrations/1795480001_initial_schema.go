package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The foundation schema: the venue, what it offers and when, and who booked what.
//
// Every collection keeps PocketBase's default API rules of nil: only superusers reach them
// through /api/collections/…; visitors and staff go through Reserva's own handlers.
//
// Durations are whole minutes (horizon: days). Local wall-clock values (opening hours, closure
// dates) are stored as text in the venue's zone; instants (starts, ends, consent) are UTC dates.
func init() {
	m.Register(func(app core.App) error {
		for _, build := range []func(core.App) (*core.Collection, error){
			venueCollection,
			offeringsCollection,
			openingHoursCollection,
			closuresCollection,
			sessionsCollection,
			customersCollection,
			bookingsCollection,
			auditLogCollection,
		} {
			c, err := build(app)
			if err != nil {
				return err
			}
			if err := app.Save(c); err != nil {
				return fmt.Errorf("initial schema: save %s: %w", c.Name, err)
			}
		}
		return nil
	}, func(app core.App) error {
		for _, name := range []string{"audit_log", "bookings", "customers", "sessions", "closures", "opening_hours", "offerings", "venue"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("initial schema down: find %s: %w", name, err)
			}
			if err := app.Delete(c); err != nil {
				return fmt.Errorf("initial schema down: delete %s: %w", name, err)
			}
		}
		return nil
	})
}

const (
	patternSlug  = `^[a-z0-9]+(-[a-z0-9]+)*$`
	patternDate  = `^\d{4}-\d{2}-\d{2}$`
	patternOpens = `^([01]\d|2[0-3]):[0-5]\d$`
	// Closing times may pass midnight: "25:30" is 01:30 the next day.
	patternCloses = `^([0-3]\d|4[0-7]):[0-5]\d$`
)

func timestamps(c *core.Collection) {
	c.Fields.Add(&core.AutodateField{Name: "created", OnCreate: true})
	c.Fields.Add(&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true})
}

func minutes(name string, min float64) *core.NumberField {
	return &core.NumberField{Name: name, OnlyInt: true, Min: types.Pointer(min)}
}

func venueCollection(core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("venue")
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 200},
		&core.TextField{Name: "timezone", Required: true, Max: 64},
		&core.TextField{Name: "address", Max: 500},
		&core.EmailField{Name: "email"},
		&core.TextField{Name: "phone", Max: 50},
		&core.TextField{Name: "locale", Max: 35},
		&core.TextField{Name: "privacy_notice", Max: 100000},
		&core.NumberField{Name: "notice_version", OnlyInt: true, Min: types.Pointer(1.0)},
		&core.EmailField{Name: "gdpr_email"},
		&core.TextField{Name: "booking_policy", Max: 5000},
	)
	timestamps(c)
	return c, nil
}

func offeringsCollection(core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("offerings")
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 200},
		&core.TextField{Name: "slug", Required: true, Max: 80, Pattern: patternSlug},
		&core.TextField{Name: "description", Max: 5000},
		&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"slot", "session"}},
		&core.NumberField{Name: "duration", Required: true, OnlyInt: true, Min: types.Pointer(5.0), Max: types.Pointer(24 * 60.0)},
		minutes("interval", 0),
		&core.NumberField{Name: "capacity", Required: true, OnlyInt: true, Min: types.Pointer(1.0)},
		&core.SelectField{Name: "capacity_mode", Required: true, MaxSelect: 1, Values: []string{"people", "units"}},
		&core.NumberField{Name: "min_party", OnlyInt: true, Min: types.Pointer(1.0)},
		minutes("max_party", 0),
		minutes("buffer_before", 0),
		minutes("buffer_after", 0),
		minutes("lead_time", 0),
		&core.NumberField{Name: "horizon", OnlyInt: true, Min: types.Pointer(0.0), Help: "days"},
		minutes("cancel_cutoff", 0),
		&core.BoolField{Name: "active"},
		&core.NumberField{Name: "sort", OnlyInt: true},
	)
	timestamps(c)
	c.AddIndex("idx_offerings_slug", true, "slug", "")
	return c, nil
}

func openingHoursCollection(app core.App) (*core.Collection, error) {
	offerings, err := app.FindCollectionByNameOrId("offerings")
	if err != nil {
		return nil, fmt.Errorf("initial schema: opening_hours: %w", err)
	}
	c := core.NewBaseCollection("opening_hours")
	c.Fields.Add(
		&core.RelationField{Name: "offering", Required: true, MaxSelect: 1, CollectionId: offerings.Id, CascadeDelete: true},
		&core.NumberField{Name: "weekday", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(6.0), Help: "0 = Sunday"},
		&core.TextField{Name: "opens", Required: true, Pattern: patternOpens},
		&core.TextField{Name: "closes", Required: true, Pattern: patternCloses},
	)
	timestamps(c)
	c.AddIndex("idx_opening_hours_offering", false, "offering, weekday", "")
	return c, nil
}

func closuresCollection(app core.App) (*core.Collection, error) {
	offerings, err := app.FindCollectionByNameOrId("offerings")
	if err != nil {
		return nil, fmt.Errorf("initial schema: closures: %w", err)
	}
	c := core.NewBaseCollection("closures")
	c.Fields.Add(
		&core.RelationField{Name: "offering", MaxSelect: 1, CollectionId: offerings.Id, CascadeDelete: true, Help: "empty: the whole venue"},
		&core.TextField{Name: "start_date", Required: true, Pattern: patternDate},
		&core.TextField{Name: "end_date", Required: true, Pattern: patternDate},
		&core.TextField{Name: "reason", Max: 500},
	)
	timestamps(c)
	c.AddIndex("idx_closures_dates", false, "end_date, start_date", "")
	return c, nil
}

func sessionsCollection(app core.App) (*core.Collection, error) {
	offerings, err := app.FindCollectionByNameOrId("offerings")
	if err != nil {
		return nil, fmt.Errorf("initial schema: sessions: %w", err)
	}
	c := core.NewBaseCollection("sessions")
	c.Fields.Add(
		&core.RelationField{Name: "offering", Required: true, MaxSelect: 1, CollectionId: offerings.Id, CascadeDelete: true},
		&core.DateField{Name: "start", Required: true},
		&core.DateField{Name: "end", Required: true},
		&core.NumberField{Name: "seats", Required: true, OnlyInt: true, Min: types.Pointer(1.0)},
		&core.BoolField{Name: "cancelled"},
	)
	timestamps(c)
	c.AddIndex("idx_sessions_offering_start", false, "offering, start", "")
	return c, nil
}

func customersCollection(core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("customers")
	c.Fields.Add(
		&core.EmailField{Name: "email", Required: true},
		&core.TextField{Name: "name", Max: 200},
		&core.TextField{Name: "phone", Max: 50},
		&core.DateField{Name: "last_activity"},
	)
	timestamps(c)
	c.AddIndex("idx_customers_email", true, "email", "")
	return c, nil
}

func bookingsCollection(app core.App) (*core.Collection, error) {
	ids := map[string]string{}
	for _, name := range []string{"offerings", "sessions", "customers"} {
		rel, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return nil, fmt.Errorf("initial schema: bookings: %w", err)
		}
		ids[name] = rel.Id
	}
	c := core.NewBaseCollection("bookings")
	c.Fields.Add(
		&core.TextField{Name: "reference", Required: true, Max: 16},
		// Bookings outlive a deleted offering only as statistics; deleting an offering that has
		// bookings is refused by PocketBase (no cascade), which is what an owner wants.
		&core.RelationField{Name: "offering", Required: true, MaxSelect: 1, CollectionId: ids["offerings"]},
		&core.RelationField{Name: "session", MaxSelect: 1, CollectionId: ids["sessions"]},
		&core.DateField{Name: "start", Required: true},
		&core.DateField{Name: "end", Required: true},
		&core.NumberField{Name: "party", Required: true, OnlyInt: true, Min: types.Pointer(1.0)},
		&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"confirmed", "cancelled", "checked_in", "no_show", "completed"}},
		&core.TextField{Name: "name", Max: 200},
		&core.EmailField{Name: "email"},
		&core.TextField{Name: "phone", Max: 50},
		&core.TextField{Name: "notes", Max: 2000},
		&core.SelectField{Name: "source", Required: true, MaxSelect: 1, Values: []string{"web", "staff"}},
		&core.DateField{Name: "consent_at"},
		&core.NumberField{Name: "notice_version", OnlyInt: true, Min: types.Pointer(0.0)},
		// NB! Only the SHA-256 of the manage token is stored, never the token.
		&core.TextField{Name: "token_hash", Hidden: true, Max: 64},
		&core.RelationField{Name: "customer", MaxSelect: 1, CollectionId: ids["customers"]},
		&core.NumberField{Name: "sequence", OnlyInt: true, Min: types.Pointer(0.0), Help: "iCalendar SEQUENCE, bumped on each change"},
		&core.DateField{Name: "cancelled_at"},
		&core.TextField{Name: "cancel_reason", Max: 500},
		&core.BoolField{Name: "anonymised"},
	)
	timestamps(c)
	c.AddIndex("idx_bookings_reference", true, "reference", "")
	c.AddIndex("idx_bookings_offering_start", false, "offering, start", "")
	c.AddIndex("idx_bookings_token_hash", true, "token_hash", "token_hash != ''")
	c.AddIndex("idx_bookings_customer", false, "customer", "customer != ''")
	c.AddIndex("idx_bookings_session", false, "session", "session != ''")
	return c, nil
}

func auditLogCollection(core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("audit_log")
	c.Fields.Add(
		&core.TextField{Name: "actor", Required: true, Max: 100},
		&core.TextField{Name: "action", Required: true, Max: 100},
		&core.TextField{Name: "target", Max: 200},
		&core.TextField{Name: "request_id", Max: 64},
		&core.TextField{Name: "detail", Max: 2000},
	)
	timestamps(c)
	c.AddIndex("idx_audit_log_created", false, "created", "")
	c.AddIndex("idx_audit_log_target", false, "target", "")
	return c, nil
}
