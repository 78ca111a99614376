package cli

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/store"
)

const demoNotice = `Demo Bistro & Pottery ("we") stores the details you give when you book: your name, e-mail address, phone number, party size and any notes. We use them only to manage your booking and to contact you about it.

How long each detail is kept is listed below. You can ask for a copy of your data, or for its deletion, at any time by writing to privacy@demo.invalid.

This site sets no tracking cookies and loads nothing from other websites.`

// SeedDemo creates the demo venue on an empty database: a restaurant (tables shared over the
// evening, 40 seats, Tuesday to Sunday) and a pottery class (12 seats, dated sessions over the
// coming weeks); with guests, made-up bookings for today and the next six days too (see
// seedDemoGuests). It does nothing when a venue exists, so it is safe on every start.
func SeedDemo(app core.App, now time.Time, guests bool) error {
	n, err := store.CountVenues(app)
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
		if err := store.CreateVenue(tx, store.NewVenue{VenueFields: store.VenueFields{
			Name:          "Demo Bistro & Pottery",
			TimeZone:      loc.String(),
			Address:       "Beispielstraße 1, 10115 Berlin",
			Email:         "hello@demo.invalid",
			Phone:         "+49 30 1234567",
			Locale:        "en",
			Notice:        demoNotice,
			GDPREmail:     "privacy@demo.invalid",
			Policy:        "Tables are held for 15 minutes. Please cancel online if your plans change.",
			ReminderHours: 24,
			RetentionDays: 548,
		}, NoticeVersion: 1}); err != nil {
			return err
		}
		dinner, err := store.SaveOffering(tx, store.Offering{
			Name:         "Dinner",
			Slug:         "dinner",
			Description:  "A table for the evening. Seasonal menu, vegetarian options every day.",
			Kind:         booking.KindSlot,
			Duration:     120,
			Interval:     30,
			Capacity:     40,
			Mode:         booking.ModePeople,
			MinParty:     1,
			MaxParty:     8,
			LeadTime:     60,
			Horizon:      90,
			CancelCutoff: 120,
			Active:       true,
			Sort:         1,
		})
		if err != nil {
			return err
		}
		for wd := time.Tuesday; wd <= time.Saturday+1; wd++ {
			if _, err := store.AddHours(tx, dinner, booking.Hours{Weekday: wd % 7, Open: 17 * 60, Close: 23 * 60}); err != nil {
				return err
			}
		}
		pottery, err := store.SaveOffering(tx, store.Offering{
			Name:         "Pottery class",
			Slug:         "pottery",
			Description:  "Two and a half hours at the wheel with a potter. Clay, tools and firing included.",
			Kind:         booking.KindSession,
			Duration:     150,
			Capacity:     12,
			Mode:         booking.ModePeople,
			MinParty:     1,
			MaxParty:     4,
			LeadTime:     180,
			Horizon:      120,
			CancelCutoff: 1440,
			Active:       true,
			Sort:         2,
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
			if _, err := store.AddSession(tx, pottery, start, start.Add(150*time.Minute), 12); err != nil {
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
	v, err := store.LoadVenue(tx)
	if err != nil {
		return err
	}
	offs, err := store.Offerings(tx, true)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	rnd := rand.New(rand.NewPCG(2026, 11))
	today := v.Today(now)
	n := 0
	for day := range 7 {
		d := today.AddDays(day)
		// The rules are asked as of the day before, so today's early tables exist too.
		asOf := v.Midnight(d).Add(-24 * time.Hour)
		for _, off := range offs {
			r := off.Rules()
			want := 12
			if r.Kind == booking.KindSession {
				want = 4
			}
			for range want {
				cal, err := store.LoadCalendar(tx, off, d, v.Loc, "")
				if err != nil {
					return err
				}
				slots := r.Slots(cal.Calendar, d, asOf, v.Loc)
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
				_, err = store.InsertBooking(tx, store.NewBooking{Offering: off.ID, Slot: slot, Party: party, Status: booking.StatusConfirmed,
					Name: first + " " + last, Email: fmt.Sprintf("%s.%s.%d@demo.invalid", strings.ToLower(first), strings.ToLower(last), n),
					Phone: fmt.Sprintf("+49 30 5550 %04d", n), Notes: demoNotes[rnd.IntN(len(demoNotes))], Source: store.SourceWeb,
					ConsentAt: now, NoticeVersion: v.NoticeVersion(), NoticeText: v.PrivacyNotice, RemindedAt: now, Token: true, Now: now})
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}
