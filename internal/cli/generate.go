package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// hallSlug is the offering the data generator fills: large enough that any number of bookings
// fits without breaking its capacity.
const hallSlug = "hall"

// GenerateStats is what GenerateBookings wrote.
type GenerateStats struct {
	Bookings, Customers int
	From, To            time.Time
	Took                time.Duration
}

// GenerateBookings adds n made-up bookings to the demo venue, for load tests and sizing: an
// offering "Events hall" (capacity 100,000, half-hourly starts 10:00–22:00 every day) with
// bookings spread evenly from two years before now to 90 days after it, each with a customer
// (about three bookings per guest), a manage-token hash and a consent time. Past bookings are
// mostly completed, some cancelled or no-shows; future ones mostly confirmed. Addresses end in
// @example.invalid and every booking counts as reminded: nothing is ever mailed for them. The
// same seed writes the same data. It writes raw rows in transactions of 10,000 (about a minute
// for a million): PocketBase's record hooks do not run, so it is for a venue's test copy only.
func GenerateBookings(app core.App, n int, now time.Time, seed uint64) (GenerateStats, error) {
	started := time.Now()
	v, err := store.LoadVenue(app)
	if err != nil {
		return GenerateStats{}, fmt.Errorf("generate: %w (create the demo venue first)", err)
	}
	hallID := ""
	if hall, err := store.OfferingBySlug(app, hallSlug); err == nil {
		hallID = hall.ID
	} else if hallID, err = generateHall(app); err != nil {
		return GenerateStats{}, err
	}
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	today := v.Today(now)
	first := today.AddDays(-730)
	days := 730 + 90
	st := GenerateStats{Bookings: n}
	st.From, st.To = v.Midnight(first), v.Midnight(today.AddDays(90))

	guests := max(n/3, 1)
	type guest struct {
		id, name, email, phone string
		written                bool
	}
	pool := make([]guest, guests)
	for i := range pool {
		f, l := demoFirst[rnd.IntN(len(demoFirst))], demoLast[rnd.IntN(len(demoLast))]
		pool[i] = guest{id: fmt.Sprintf("gc%013d", i), name: f + " " + l,
			email: fmt.Sprintf("%s.%s.%d@example.invalid", strings.ToLower(f), strings.ToLower(l), i)}
		if rnd.IntN(3) > 0 {
			pool[i].phone = fmt.Sprintf("+49 30 %07d", rnd.IntN(10_000_000))
		}
	}

	const batch = 10_000
	for done := 0; done < n; {
		size := min(batch, n-done)
		err := app.RunInTransaction(func(tx core.App) error {
			bulk := store.NewBulk(tx)
			defer bulk.Close()
			for i := done; i < done+size; i++ {
				day := first.AddDays(i * days / n)
				at, _, _ := booking.Resolve(day, booking.Clock(10*60+rnd.IntN(24)*30), v.Loc)
				created := at.Add(-time.Duration(1+rnd.IntN(30*24)) * time.Hour)
				if created.After(now) {
					created = now
				}
				status := booking.StatusConfirmed
				var cancelled, checked time.Time
				past := at.Before(now)
				switch r := rnd.IntN(100); {
				case r < 7:
					status, cancelled = booking.StatusCancelled, created.Add(time.Hour)
				case past && r < 14:
					status = booking.StatusNoShow
				case past:
					status, checked = booking.StatusCompleted, at.Add(5*time.Minute)
				}
				g := &pool[rnd.IntN(guests)]
				if !g.written {
					if err := bulk.Customer(g.id, g.email, g.name, g.phone, created); err != nil {
						return err
					}
					g.written = true
				}
				notes := demoNotes[rnd.IntN(len(demoNotes))]
				source := store.SourceWeb
				if rnd.IntN(5) == 0 {
					source = store.SourceStaff
				}
				sum := sha256.Sum256(fmt.Appendf(nil, "%d/%d", seed, i))
				if err := bulk.Booking(store.GeneratedBooking{ID: fmt.Sprintf("gb%013d", i), Reference: fmt.Sprintf("G%06X", i),
					Offering: hallID, Start: at, End: at.Add(2 * time.Hour), Party: 1 + rnd.IntN(6), Status: status,
					Name: g.name, Email: g.email, Phone: g.phone, Notes: notes, Source: source, Customer: g.id,
					Created: created, Cancelled: cancelled, CheckedIn: checked,
					TokenID: fmt.Sprintf("gt%013d", i), TokenHash: hex.EncodeToString(sum[:])}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		done += size
	}
	for _, g := range pool {
		if g.written {
			st.Customers++
		}
	}
	if err := store.Analyze(app); err != nil {
		return st, fmt.Errorf("generate: %w", err)
	}
	st.Took = time.Since(started)
	return st, nil
}

// generateHall creates the generator's offering and returns its id.
func generateHall(app core.App) (string, error) {
	var id string
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		id, err = store.SaveOffering(tx, store.Offering{
			Name: "Events hall", Slug: hallSlug, Description: "Generated bookings for load tests.",
			Kind: booking.KindSlot, Duration: 120, Interval: 30, Capacity: 100000, Mode: booking.ModePeople,
			MinParty: 1, MaxParty: 8, Horizon: 90, CancelCutoff: 60, Active: true, Sort: 9,
		})
		if err != nil {
			return err
		}
		for wd := range 7 {
			if _, err := store.AddHours(tx, id, booking.Hours{Weekday: time.Weekday(wd), Open: 10 * 60, Close: 23 * 60}); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// newDemoCommand is `reserva demo`: the demo venue, and with --bookings N that many generated
// bookings, in the data directory, without starting the server.
func newDemoCommand(app core.App, d Deps) *cobra.Command {
	var n int
	var guests bool
	var seed uint64
	c := &cobra.Command{
		Use:          "demo",
		Short:        "Create the demo venue; with --bookings N, add N generated bookings (load tests, sizing)",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 0 {
				return fmt.Errorf("demo: --bookings must be 0 or more")
			}
			if err := d.Jobs.Migrate(app); err != nil {
				return err
			}
			now := time.Now()
			if err := SeedDemo(app, now, guests); err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "The demo venue is ready.")
				return nil
			}
			st, err := GenerateBookings(app, n, now, seed)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Added %d bookings of %d guests to %q, %s to %s, in %s.\n", st.Bookings, st.Customers,
				hallSlug, st.From.Format("2006-01-02"), st.To.Format("2006-01-02"), st.Took.Round(time.Millisecond))
			return nil
		},
	}
	c.Flags().IntVar(&n, "bookings", 0, "how many bookings to generate (offering \"hall\")")
	c.Flags().BoolVar(&guests, "demo-guests", false, "on a new database: also book the demo's made-up guests for the coming week")
	c.Flags().Uint64Var(&seed, "seed", 1, "the random seed (the same seed writes the same data)")
	return c
}
