package hooks

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/views"
)

const demoNotice = `Demo Bistro & Pottery ("we") stores the details you give when you book: your name, e-mail address, phone number, party size and any notes. We use them only to manage your booking and to contact you about it.

We keep booking details for 18 months after your visit, then delete them. You can ask for a copy of your data, or for its deletion, at any time by writing to privacy@demo.invalid.

This site sets no tracking cookies and loads nothing from other websites.`

// SeedDemo creates the demo venue on an empty database: a restaurant (tables shared over the
// evening, 40 seats, Tuesday to Sunday) and a pottery class (12 seats, dated sessions over the
// coming weeks); with guests, made-up bookings for today and the next six days too (see
// seedDemoGuests). It does nothing when a venue exists, so it is safe on every start.
func SeedDemo(app core.App, now time.Time, guests bool) error {
	n, err := app.CountRecords("venue")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if n > 0 {
		return nil
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return app.RunInTransaction(func(tx core.App) error {
		if _, err := create(tx, "venue", map[string]any{
			"name":           "Demo Bistro & Pottery",
			"timezone":       loc.String(),
			"address":        "Beispielstraße 1, 10115 Berlin",
			"email":          "hello@demo.invalid",
			"phone":          "+49 30 1234567",
			"locale":         "en",
			"privacy_notice": demoNotice,
			"notice_version": 1,
			"gdpr_email":     "privacy@demo.invalid",
			"booking_policy": "Tables are held for 15 minutes. Please cancel online if your plans change.",
			"reminder_hours": 24,
			"retention_days": 548,
		}); err != nil {
			return err
		}
		dinner, err := create(tx, "offerings", map[string]any{
			"name":          "Dinner",
			"slug":          "dinner",
			"description":   "A table for the evening. Seasonal menu, vegetarian options every day.",
			"kind":          "slot",
			"duration":      120,
			"interval":      30,
			"capacity":      40,
			"capacity_mode": "people",
			"min_party":     1,
			"max_party":     8,
			"lead_time":     60,
			"horizon":       90,
			"cancel_cutoff": 120,
			"active":        true,
			"sort":          1,
		})
		if err != nil {
			return err
		}
		for wd := time.Tuesday; wd <= time.Saturday+1; wd++ {
			if _, err := create(tx, "opening_hours", map[string]any{
				"offering": dinner.Id, "weekday": int(wd) % 7, "opens": "17:00", "closes": "23:00",
			}); err != nil {
				return err
			}
		}
		pottery, err := create(tx, "offerings", map[string]any{
			"name":          "Pottery class",
			"slug":          "pottery",
			"description":   "Two and a half hours at the wheel with a potter. Clay, tools and firing included.",
			"kind":          "session",
			"duration":      150,
			"capacity":      12,
			"capacity_mode": "people",
			"min_party":     1,
			"max_party":     4,
			"lead_time":     180,
			"horizon":       120,
			"cancel_cutoff": 1440,
			"active":        true,
			"sort":          2,
		})
		if err != nil {
			return err
		}
		// Saturday mornings and Wednesday evenings for the next six weeks.
		today := booking.DateOf(now, loc)
		for i := 1; i <= 42; i++ {
			d := today.AddDays(i)
			var at booking.Clock
			switch d.Weekday() {
			case time.Saturday:
				at = 10 * 60
			case time.Wednesday:
				at = 18 * 60
			default:
				continue
			}
			start, _, _ := booking.Resolve(d, at, loc)
			if _, err := create(tx, "sessions", map[string]any{
				"offering": pottery.Id,
				"start":    start.UTC(),
				"end":      start.Add(150 * time.Minute).UTC(),
				"seats":    12,
			}); err != nil {
				return err
			}
		}
		if guests {
			return seedDemoGuests(tx, now)
		}
		return nil
	})
}

var (
	demoFirst = []string{"Ada", "Ben", "Chloé", "Dev", "Elif", "Finn", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Lena",
		"Mateo", "Nora", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wim", "Yusuf", "Zoe"}
	demoLast  = []string{"Demo", "Example", "Sample", "Testperson", "Placeholder"}
	demoNotes = []string{"", "", "", "Window seat, please", "Birthday", "One vegetarian", "High chair needed", ""}
)

// seedDemoGuests books made-up guests (names such as "Ada Demo", addresses @demo.invalid,
// which no mail server accepts) for today and the next six days, through the same rules as
// visitors, so the dashboard has a day to show: about a dozen tables an evening and a few
// seats in each pottery session. The draw is seeded, so every demo looks the same. The
// bookings are marked as reminded, so no reminder is queued for these addresses.
func seedDemoGuests(tx core.App, now time.Time) error {
	h := &handlers{now: func() time.Time { return now }}
	v, err := h.venue(tx)
	if err != nil {
		return err
	}
	offs, err := tx.FindRecordsByFilter("offerings", "active = true", "sort", 0, 0)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	rnd := rand.New(rand.NewPCG(2026, 11))
	today := v.today(now)
	n := 0
	for day := range 7 {
		d := today.AddDays(day)
		// The rules are asked as of the day before, so today's early tables exist too.
		midnight, _, _ := booking.Resolve(d, 0, v.loc)
		asOf := midnight.Add(-24 * time.Hour)
		for _, off := range offs {
			r := rules(off)
			want := 12
			if r.Kind == booking.KindSession {
				want = 4
			}
			for range want {
				cal, err := loadCalendar(tx, off, d, v.loc, "")
				if err != nil {
					return err
				}
				slots := r.Slots(cal.Calendar, d, asOf, v.loc)
				if len(slots) == 0 {
					break
				}
				slot := slots[rnd.IntN(len(slots))]
				party := 1 + rnd.IntN(min(max(r.MaxParty, 1), 6))
				if !slot.Fits(r, party) {
					continue
				}
				n++
				first, last := demoFirst[rnd.IntN(len(demoFirst))], demoLast[rnd.IntN(len(demoLast))]
				in := bookInput{party: party, form: views.BookForm{Name: first + " " + last,
					Email: fmt.Sprintf("%s.%s.%d@demo.invalid", strings.ToLower(first), strings.ToLower(last), n),
					Phone: fmt.Sprintf("+49 30 5550 %04d", n), Notes: demoNotes[rnd.IntN(len(demoNotes))], Consent: true}}
				_, rec, err := insertBooking(tx, "demo", v, off, slot, in, now)
				if err != nil {
					return err
				}
				rec.Set("reminded_at", now.UTC())
				if err := tx.Save(rec); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// create saves a new record of collection with fields.
func create(app core.App, collection string, fields map[string]any) (*core.Record, error) {
	col, err := app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", collection, err)
	}
	rec := core.NewRecord(col)
	rec.Load(fields)
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("create %s: %w", collection, err)
	}
	return rec, nil
}
