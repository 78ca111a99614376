package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

const (
	// defaultRetentionDays is how long a visit's personal data is kept when the venue sets no
	// period: 548 days, about eighteen months.
	defaultRetentionDays = 548
	// purgeBatch is how many bookings one transaction anonymises: each batch holds the write
	// lock for a few milliseconds, so bookings keep being made while a large purge runs.
	purgeBatch = 500
	// logRetentionDays is how long PocketBase's request and application logs are kept.
	logRetentionDays = 30
)

// purgeReport is what one retention purge did, or with DryRun would do: counts only, never
// whose data it was.
type purgeReport struct {
	DryRun bool
	// Days is the retention period applied; visits that ended before Cutoff are anonymised.
	Days   int
	Cutoff time.Time

	Bookings   int64 // bookings anonymised
	Customers  int64 // customer records deleted
	MailBodies int64 // sent mails' bodies stripped
	Tokens     int64 // expired or orphaned manage, sign-in and session tokens deleted
	Logs       int64 // log entries deleted
	Batches    int
	Duration   time.Duration

	// pause is the breath between two batches (purgePause in the server, cliPurgePause from
	// the command line).
	pause time.Duration
}

// changed reports whether the purge changed (or would change) anything.
func (r purgeReport) changed() bool {
	return r.Bookings+r.Customers+r.MailBodies+r.Tokens+r.Logs > 0
}

// logArgs are the report's counts as key-value pairs for the app log.
func (r purgeReport) logArgs() []any {
	return []any{"dry_run", r.DryRun, "retention_days", r.Days, "bookings_anonymised", r.Bookings,
		"customers_deleted", r.Customers, "mail_bodies_stripped", r.MailBodies, "tokens_deleted", r.Tokens,
		"logs_deleted", r.Logs, "batches", r.Batches, "duration_ms", r.Duration.Milliseconds()}
}

// write prints the report for a person at a console.
func (r purgeReport) write(w io.Writer) {
	if r.DryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed. A purge now would do this:")
	}
	fmt.Fprintf(w, "Retention %d days: visits that ended before %s UTC.\n", r.Days, r.Cutoff.UTC().Format("2006-01-02 15:04"))
	for _, l := range []struct {
		label string
		n     int64
	}{
		{"bookings anonymised", r.Bookings},
		{"customers deleted", r.Customers},
		{"mail bodies stripped", r.MailBodies},
		{"tokens deleted", r.Tokens},
		{"log entries deleted", r.Logs},
	} {
		fmt.Fprintf(w, "  %-22s %d\n", l.label+":", l.n)
	}
	if r.DryRun {
		fmt.Fprintf(w, "Counted in %s.\n", r.Duration.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "Done in %s (%d batches).\n", r.Duration.Round(time.Millisecond), r.Batches)
	}
}

// errRehearsal rolls back a dry run's transaction.
var errRehearsal = errors.New("purge: dry run")

// purge applies the retention rules at now: it anonymises the bookings whose visit ended more
// than the venue's retention period ago (in batches of purgeBatch, each its own transaction),
// deletes the customers left without personal data, strips the bodies of mail sent more than
// 30 days ago, deletes expired and orphaned tokens, and deletes log entries older than 30 days.
// With dryRun it counts what it would do and changes nothing. It logs the counts, audits them
// when something changed, and returns them; after an error the report holds what was done
// (committed batches stay committed).
func (h *handlers) purge(app core.App, now time.Time, dryRun bool) (purgeReport, error) {
	started := time.Now()
	r := purgeReport{DryRun: dryRun, pause: purgePause}
	if h.purgeFromCLI {
		r.pause = cliPurgePause
	}
	days, err := retentionDays(app)
	if err != nil {
		return r, err
	}
	r.Days, r.Cutoff = days, now.Add(-time.Duration(days)*24*time.Hour)
	for _, step := range []func(core.App, time.Time, *purgeReport) error{
		// Mail first: a dry run, which deletes no booking's mail, then counts the same bodies.
		purgeMailBodies, purgeBookings, purgeCustomers, purgeTokens, purgeLogs,
	} {
		if err = step(app, now, &r); err != nil {
			break
		}
	}
	r.Duration = time.Since(started)
	if err != nil {
		app.Logger().Error("purge: failed", append(r.logArgs(), "error", err.Error())...)
	} else {
		app.Logger().Info("purge", r.logArgs()...)
	}
	if dryRun || !r.changed() {
		return r, err
	}
	detail := fmt.Sprintf("retention %d days: %d bookings anonymised, %d customers deleted, %d mail bodies stripped, %d tokens deleted, %d log entries deleted",
		r.Days, r.Bookings, r.Customers, r.MailBodies, r.Tokens, r.Logs)
	if aerr := audit(app, "", actorSystem, "gdpr.purge", "", detail); aerr != nil {
		err = errors.Join(err, aerr)
	}
	if cerr := checkpointAfterErasure(app); cerr != nil {
		// The purge is done; the next checkpoint (PocketBase's own, or the next purge) finishes it.
		app.Logger().Warn("purge: checkpoint", "error", cerr.Error())
	}
	return r, err
}

// retentionDays is the venue's retention period: retention_days, or defaultRetentionDays when
// it is not set or there is no venue yet. It reads the table itself, so that a venue with a
// broken setting elsewhere (its time zone) is still purged.
func retentionDays(app core.App) (int, error) {
	var days int
	err := app.DB().Select("retention_days").From("venue").OrderBy("created").Limit(1).Row(&days)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("purge: retention period: %w", err)
	}
	if days <= 0 {
		days = defaultRetentionDays
	}
	return days, nil
}

// dueBookings selects the bookings whose personal data has outlived the retention period
// (idx_bookings_anonymised_end).
func dueBookings(cut time.Time) dbx.Expression {
	return dbx.NewExp("anonymised = FALSE AND [[end]] < {:cut}", dbx.Params{"cut": dbTime(cut)})
}

// The pause between two batches of the purge. In the server, writers queue for its one write
// connection, so a short pause lets the waiting bookings in. `reserva purge` beside a running
// server competes in SQLite's busy handler, which sleeps up to 100 ms between tries: the pause
// must be longer than that for the server's bookings to get their turn.
const (
	purgePause    = 20 * time.Millisecond
	cliPurgePause = 150 * time.Millisecond
)

// purgeBookings anonymises the due bookings with anonymiseBookings, a batch per transaction,
// until none is left.
func purgeBookings(app core.App, _ time.Time, r *purgeReport) error {
	if r.DryRun {
		err := app.DB().Select("count(*)").From("bookings").Where(dueBookings(r.Cutoff)).Row(&r.Bookings)
		if err != nil {
			return fmt.Errorf("purge: count bookings: %w", err)
		}
		return nil
	}
	for {
		var ids []string
		var bookings, customers int64
		err := app.RunInTransaction(func(tx core.App) error {
			// Take the write lock first: a transaction that reads and then writes cannot wait for
			// another process's writer (`reserva purge` beside a running server), it fails.
			if _, err := tx.DB().NewQuery("UPDATE bookings SET anonymised = anonymised WHERE 0").Execute(); err != nil {
				return fmt.Errorf("purge: lock: %w", err)
			}
			if err := tx.DB().Select("id").From("bookings").Where(dueBookings(r.Cutoff)).Limit(purgeBatch).Column(&ids); err != nil {
				return fmt.Errorf("purge: select bookings: %w", err)
			}
			var err error
			bookings, customers, err = anonymiseBookings(tx, ids)
			return err
		})
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			r.Batches++
			r.Bookings += bookings
			r.Customers += customers
		}
		if len(ids) < purgeBatch {
			return nil
		}
		// A breath between batches: a writer of another process (a running server, when this is
		// `reserva purge`) waiting in SQLite's busy handler gets its turn.
		time.Sleep(r.pause)
	}
}

// orphanCustomers selects the customers that no booking keeping personal data names, by
// relation or by address (deleteOrphanCustomers' rule). Bookings due for anonymisation count
// as anonymised already, so a dry run counts what the real run, which anonymises them first,
// deletes. The two lists are each built once (one pass over the bookings), not per customer.
func orphanCustomers(cut time.Time) dbx.Expression {
	return dbx.NewExp(`id NOT IN (SELECT customer FROM bookings WHERE customer != '' AND NOT (anonymised = FALSE AND [[end]] < {:cut}))
		AND email NOT IN (SELECT lower(email) FROM bookings WHERE email != '' AND NOT (anonymised = FALSE AND [[end]] < {:cut}))`,
		dbx.Params{"cut": dbTime(cut)})
}

// purgeCustomers deletes the customers without any booking that keeps personal data whose last
// activity is older than the retention period. (anonymiseBookings has already deleted, with
// each batch, the customers it left without bookings, whatever their last activity: a dry run
// that finds bookings to anonymise counts those too.)
func purgeCustomers(app core.App, _ time.Time, r *purgeReport) error {
	where := orphanCustomers(r.Cutoff)
	if !r.DryRun || r.Bookings == 0 {
		where = dbx.And(where, dbx.NewExp("last_activity < {:cut}", dbx.Params{"cut": dbTime(r.Cutoff)}))
	}
	n, err := sweep(app.DB(), "customers", where, r.DryRun)
	if err != nil {
		return fmt.Errorf("purge: customers: %w", err)
	}
	r.Customers += n
	return nil
}

// purgeMailBodies strips sent mail after 30 days with stripSentBodies, the mail clean-up's own
// rule. A dry run runs it in a transaction that is rolled back: the count is the rule's, not a
// copy of it.
func purgeMailBodies(app core.App, now time.Time, r *purgeReport) error {
	var n int64
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		if n, err = stripSentBodies(tx, now); err == nil && r.DryRun {
			return errRehearsal
		}
		return err
	})
	if err != nil && !errors.Is(err, errRehearsal) {
		return err
	}
	r.MailBodies = n
	return nil
}

// purgeTokens deletes visitors' sign-in links and sessions that have expired, and any manage
// token of an anonymised booking. The visitor collections are skipped where they do not exist.
func purgeTokens(app core.App, now time.Time, r *purgeReport) error {
	expired := dbx.NewExp("expires < {:now}", dbx.Params{"now": dbTime(now)})
	sweeps := []struct {
		table string
		where dbx.Expression
	}{
		{"visitor_links", expired},
		{"visitor_sessions", expired},
		{"booking_tokens", dbx.NewExp("booking IN (SELECT id FROM bookings WHERE anonymised = TRUE)")},
	}
	for _, s := range sweeps {
		if !app.HasTable(s.table) {
			continue
		}
		n, err := sweep(app.DB(), s.table, s.where, r.DryRun)
		if err != nil {
			return fmt.Errorf("purge: %s: %w", s.table, err)
		}
		r.Tokens += n
	}
	return nil
}

// purgeLogs deletes the entries of PocketBase's log (auxiliary.db) older than logRetentionDays:
// request logs hold addresses and paths. PocketBase deletes entries older than its own
// Logs.MaxDays, which capLogDays keeps at most as long.
func purgeLogs(app core.App, now time.Time, r *purgeReport) error {
	if !app.AuxHasTable("_logs") {
		return nil
	}
	cut := now.AddDate(0, 0, -logRetentionDays)
	n, err := sweep(app.AuxDB(), "_logs", dbx.NewExp("created < {:cut}", dbx.Params{"cut": dbTime(cut)}), r.DryRun)
	if err != nil {
		return fmt.Errorf("purge: logs: %w", err)
	}
	r.Logs = n
	return nil
}

// sweep deletes the rows of table that where selects and returns how many; with dryRun it
// counts them instead.
func sweep(db dbx.Builder, table string, where dbx.Expression, dryRun bool) (int64, error) {
	if dryRun {
		var n int64
		err := db.Select("count(*)").From(table).Where(where).Row(&n)
		return n, err
	}
	res, err := db.Delete(table, where).Execute()
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// capLogDays lowers PocketBase's log retention setting (Logs.MaxDays) to logRetentionDays when
// it is longer, and saves it; a shorter one, or logging turned off (0), stays.
func capLogDays(app core.App) error {
	s := app.Settings()
	if s.Logs.MaxDays <= logRetentionDays {
		return nil
	}
	s.Logs.MaxDays = logRetentionDays
	if err := app.Save(s); err != nil {
		return fmt.Errorf("purge: cap log retention: %w", err)
	}
	return nil
}

// NewPurgeCommand is `reserva purge [--dry-run]`: the daily retention purge, run at once. It
// prints what it did (or, with --dry-run, what it would do) as counts.
func NewPurgeCommand(app core.App, opts *Options) *cobra.Command {
	var dryRun bool
	c := &cobra.Command{
		Use:   "purge",
		Short: "Apply the retention period now: anonymise old bookings, delete old tokens, mail bodies and logs",
		Long: "Apply the retention rules now, as the daily job does at 04:00: bookings whose visit ended more than " +
			"the venue's retention period ago (Settings; default 548 days) lose their personal data, customers " +
			"left without any are deleted, sent mails' bodies are stripped after 30 days, expired tokens are " +
			"deleted and logs are kept 30 days. --dry-run counts without changing anything.",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.migrate(app); err != nil {
				return err
			}
			h := &handlers{now: time.Now, purgeFromCLI: true}
			if opts.Now != nil {
				h.now = opts.Now
			}
			r, err := h.purge(app, h.now(), dryRun)
			r.write(cmd.OutOrStdout())
			return err
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be purged, change nothing")
	return c
}

// purgeNow (POST /admin/purge/now, owner) runs the retention purge at once, as the nightly job
// would, and shows its counts.
func (h *handlers) purgeNow(e *core.RequestEvent) error {
	r, err := h.purge(e.App, h.now(), false)
	if aerr := h.staffAudit(e.App, e, "gdpr.purge_now", "", fmt.Sprintf("%d bookings anonymised", r.Bookings)); aerr != nil {
		return aerr
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/settings?done=purged")
}
