package hooks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"reserva/internal/booking"
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
	h := &handlers{now: func() time.Time { return now }}
	v, err := h.venue(app)
	if err != nil {
		return GenerateStats{}, fmt.Errorf("generate: %w (create the demo venue first)", err)
	}
	hall, err := app.FindFirstRecordByData("offerings", "slug", hallSlug)
	if err != nil {
		hall, err = generateHall(app)
		if err != nil {
			return GenerateStats{}, err
		}
	}
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	today := v.today(now)
	first := today.AddDays(-730)
	days := 730 + 90
	st := GenerateStats{Bookings: n}
	st.From, st.To = midnight(first, v.loc), midnight(today.AddDays(90), v.loc)

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
			db := tx.DB()
			insBooking := db.NewQuery(`INSERT INTO bookings (id, reference, offering, start, "end", party, status, name, email, phone,
				notes, source, consent_at, notice_version, customer, reminded_at, cancelled_at, checked_in_at, created, updated)
				VALUES ({:id}, {:ref}, {:off}, {:start}, {:end}, {:party}, {:status}, {:name}, {:email}, {:phone},
				{:notes}, {:source}, {:created}, 1, {:customer}, {:created}, {:cancelled}, {:checked}, {:created}, {:created})`).Prepare()
			defer insBooking.Close()
			insToken := db.NewQuery(`INSERT INTO booking_tokens (id, booking, token_hash, purpose, created)
				VALUES ({:id}, {:booking}, {:hash}, 'web', {:created})`).Prepare()
			defer insToken.Close()
			insGuest := db.NewQuery(`INSERT INTO customers (id, email, name, phone, last_activity, created, updated)
				VALUES ({:id}, {:email}, {:name}, {:phone}, {:at}, {:at}, {:at})`).Prepare()
			defer insGuest.Close()
			for i := done; i < done+size; i++ {
				day := first.AddDays(i * days / n)
				at, _, _ := booking.Resolve(day, booking.Clock(10*60+rnd.IntN(24)*30), v.loc)
				created := at.Add(-time.Duration(1+rnd.IntN(30*24)) * time.Hour)
				if created.After(now) {
					created = now
				}
				status, cancelled, checked := "confirmed", "", ""
				past := at.Before(now)
				switch r := rnd.IntN(100); {
				case r < 7:
					status, cancelled = "cancelled", dbTime(created.Add(time.Hour))
				case past && r < 14:
					status = "no_show"
				case past:
					status, checked = "completed", dbTime(at.Add(5*time.Minute))
				}
				g := &pool[rnd.IntN(guests)]
				if !g.written {
					if _, err := insGuest.Bind(dbx.Params{"id": g.id, "email": g.email, "name": g.name, "phone": g.phone,
						"at": dbTime(created)}).Execute(); err != nil {
						return fmt.Errorf("generate: customer: %w", err)
					}
					g.written = true
				}
				id := fmt.Sprintf("gb%013d", i)
				notes := demoNotes[rnd.IntN(len(demoNotes))]
				source := "web"
				if rnd.IntN(5) == 0 {
					source = "staff"
				}
				_, err := insBooking.Bind(dbx.Params{"id": id, "ref": fmt.Sprintf("G%06X", i), "off": hall.Id,
					"start": dbTime(at), "end": dbTime(at.Add(2 * time.Hour)), "party": 1 + rnd.IntN(6), "status": status,
					"name": g.name, "email": g.email, "phone": g.phone, "notes": notes, "source": source,
					"created": dbTime(created), "customer": g.id, "cancelled": cancelled, "checked": checked}).Execute()
				if err != nil {
					return fmt.Errorf("generate: booking: %w", err)
				}
				sum := sha256.Sum256(fmt.Appendf(nil, "%d/%d", seed, i))
				if _, err := insToken.Bind(dbx.Params{"id": fmt.Sprintf("gt%013d", i), "booking": id,
					"hash": hex.EncodeToString(sum[:]), "created": dbTime(created)}).Execute(); err != nil {
					return fmt.Errorf("generate: token: %w", err)
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
	if _, err := app.DB().NewQuery("ANALYZE").Execute(); err != nil {
		return st, fmt.Errorf("generate: analyze: %w", err)
	}
	st.Took = time.Since(started)
	return st, nil
}

// generateHall creates the generator's offering.
func generateHall(app core.App) (*core.Record, error) {
	var hall *core.Record
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		hall, err = create(tx, "offerings", map[string]any{
			"name": "Events hall", "slug": hallSlug, "description": "Generated bookings for load tests.",
			"kind": "slot", "duration": 120, "interval": 30, "capacity": 100000, "capacity_mode": "people",
			"min_party": 1, "max_party": 8, "horizon": 90, "cancel_cutoff": 60, "active": true, "sort": 9,
		})
		if err != nil {
			return err
		}
		for wd := range 7 {
			if _, err := create(tx, "opening_hours", map[string]any{"offering": hall.Id, "weekday": wd, "opens": "10:00", "closes": "23:00"}); err != nil {
				return err
			}
		}
		return nil
	})
	return hall, err
}

// NewDemoCommand is `reserva demo`: the demo venue, and with --bookings N that many generated
// bookings, in the data directory, without starting the server.
func NewDemoCommand(app core.App, opts *Options) *cobra.Command {
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
			if err := opts.migrate(app); err != nil {
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
