package jobs

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/store"
)

const (
	// purgeBatch is how many bookings one transaction anonymises: each batch holds the write
	// lock for a few milliseconds, so bookings keep being made while a large purge runs. (Each
	// anonymised booking also updates the search index, a secure delete and an insert: at 100
	// a batch, batches under the load of 5,000 requests a second took about 70 ms, and the
	// bookings' p99 during the purge was 190 ms.)
	purgeBatch = 25
	// LogRetentionDays is how long PocketBase's request and application logs are kept.
	LogRetentionDays = 30
)

// The pause between two batches of the purge. In the server, writers queue for its one write
// connection, so a short pause lets the waiting bookings in. `reserva purge` beside a running
// server competes in SQLite's busy handler, which sleeps up to 100 ms between tries: the pause
// must be longer than that for the server's bookings to get their turn.
const (
	purgePause    = 20 * time.Millisecond
	cliPurgePause = 150 * time.Millisecond
)

// PurgeReport is what one retention purge did, or with DryRun would do: counts only, never
// whose data it was.
type PurgeReport struct {
	DryRun bool
	// Days is the retention period applied; visits that ended before Cutoff are anonymised.
	Days   int
	Cutoff time.Time

	Bookings   int64 // bookings anonymised
	Customers  int64 // customer records deleted
	MailBodies int64 // sent mails' bodies stripped
	Webhooks   int64 // delivered and failed webhook deliveries deleted
	Texts      int64 // sent and failed text messages deleted from their outbox
	Tokens     int64 // expired or orphaned manage, sign-in and session tokens deleted
	Logs       int64 // log entries deleted
	Batches    int
	Duration   time.Duration
}

// Changed reports whether the purge changed (or would change) anything.
func (r PurgeReport) Changed() bool {
	return r.Bookings+r.Customers+r.MailBodies+r.Webhooks+r.Texts+r.Tokens+r.Logs > 0
}

// logArgs are the report's counts as key-value pairs for the app log.
func (r PurgeReport) logArgs() []any {
	return []any{"dry_run", r.DryRun, "retention_days", r.Days, "bookings_anonymised", r.Bookings,
		"customers_deleted", r.Customers, "mail_bodies_stripped", r.MailBodies, "webhooks_deleted", r.Webhooks, "texts_deleted", r.Texts, "tokens_deleted", r.Tokens,
		"logs_deleted", r.Logs, "batches", r.Batches, "duration_ms", r.Duration.Milliseconds()}
}

// Write prints the report for a person at a console.
func (r PurgeReport) Write(w io.Writer) {
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
		{"webhooks deleted", r.Webhooks},
		{"texts deleted", r.Texts},
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

// StartPurge starts a purge at now (Purge) in the background unless one started so is still
// running; it reports whether it started one. The purge logs and audits what it did.
func (j *Jobs) StartPurge(now time.Time) bool {
	if !j.purging.CompareAndSwap(false, true) {
		return false
	}
	go func() {
		defer j.purging.Store(false)
		_, _ = j.Purge(now, false)
	}()
	return true
}

// Purging reports whether a purge StartPurge started is running.
func (j *Jobs) Purging() bool { return j.purging.Load() }

// errRehearsal rolls back a dry run's transaction.
var errRehearsal = errors.New("purge: dry run")

// Purge applies the retention rules at now: it anonymises the bookings whose visit ended more
// than the venue's retention period ago (in batches of purgeBatch, each its own transaction),
// deletes the customers left without personal data, strips the bodies of mail sent more than
// 30 days ago, deletes expired and orphaned tokens, and deletes log entries older than 30 days.
// With dryRun it counts what it would do and changes nothing. It logs the counts, audits them
// when something changed, and returns them; after an error the report holds what was done
// (committed batches stay committed).
func (j *Jobs) Purge(now time.Time, dryRun bool) (PurgeReport, error) {
	j.purgeMu.Lock() // one at a time: the nightly job and the owner's may meet
	defer j.purgeMu.Unlock()
	app := j.app
	started := time.Now()
	r := PurgeReport{DryRun: dryRun}
	days, err := store.RetentionDays(app)
	if err != nil {
		return r, err
	}
	r.Days, r.Cutoff = days, now.Add(-time.Duration(days)*24*time.Hour)
	for _, step := range []func(core.App, time.Time, *PurgeReport) error{
		// Mail first: a dry run, which deletes no booking's mail, then counts the same bodies.
		purgeMailBodies, purgeWebhooks, purgeTexts, j.purgeBookings, purgeCustomers, purgeTokens, purgeLogs,
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
	if dryRun || !r.Changed() {
		return r, err
	}
	detail := fmt.Sprintf("retention %d days: %d bookings anonymised, %d customers deleted, %d mail bodies stripped, %d webhook deliveries deleted, %d texts deleted, %d tokens deleted, %d log entries deleted",
		r.Days, r.Bookings, r.Customers, r.MailBodies, r.Webhooks, r.Texts, r.Tokens, r.Logs)
	if aerr := store.Audit(app, store.Entry{Actor: store.ActorSystem, Action: "gdpr.purge", Detail: detail}); aerr != nil {
		err = errors.Join(err, aerr)
	}
	if cerr := store.Checkpoint(app); cerr != nil {
		// The purge is done; the next checkpoint (PocketBase's own, or the next purge) finishes it.
		app.Logger().Warn("purge: checkpoint", "error", cerr.Error())
	}
	return r, err
}

// webhookKeep is how long delivered and failed webhook deliveries, and sent and failed texts,
// are kept.
const webhookKeep = 30 * 24 * time.Hour

// purgeWebhooks deletes the delivered and failed webhook deliveries finished more than 30 days
// ago (a payload may hold a guest's contact details); a dry run counts them.
func purgeWebhooks(app core.App, now time.Time, r *PurgeReport) error {
	return purgeDone(app, now.Add(-webhookKeep), store.PurgeDeliveries, r.DryRun, &r.Webhooks)
}

// purgeTexts deletes the sent and failed texts finished more than 30 days ago; a dry run counts
// them.
func purgeTexts(app core.App, now time.Time, r *PurgeReport) error {
	return purgeDone(app, now.Add(-webhookKeep), store.PurgeTexts, r.DryRun, &r.Texts)
}

// purgeDone runs purge(cut) in a transaction, rolled back in a dry run, and sets *n to its count.
func purgeDone(app core.App, cut time.Time, purge func(core.App, time.Time) (int64, error), dryRun bool, n *int64) error {
	var count int64
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		if count, err = purge(tx, cut); err == nil && dryRun {
			return errRehearsal
		}
		return err
	})
	if err != nil && !errors.Is(err, errRehearsal) {
		return err
	}
	*n = count
	return nil
}

// purgeBookings anonymises the due bookings, a batch per transaction, until none is left.
func (j *Jobs) purgeBookings(app core.App, _ time.Time, r *PurgeReport) error {
	if r.DryRun {
		n, err := store.CountDueBookings(app, r.Cutoff)
		if err != nil {
			return fmt.Errorf("purge: count bookings: %w", err)
		}
		r.Bookings = n
		return nil
	}
	for {
		var selected int
		var bookings, customers int64
		began := time.Now()
		err := app.RunInTransaction(func(tx core.App) error {
			var err error
			selected, bookings, customers, err = store.AnonymiseDue(tx, r.Cutoff, purgeBatch)
			return err
		})
		if err != nil {
			return err
		}
		if selected > 0 {
			r.Batches++
			r.Bookings += bookings
			r.Customers += customers
		}
		if selected < purgeBatch {
			return nil
		}
		// A breath between batches, as long as the batch took (at least purgePause): the
		// bookings waiting for the write connection get it at least half the time, however
		// slow a loaded machine makes the batches, and a writer of another process (a running
		// server, when this is `reserva purge`) waiting in SQLite's busy handler gets its turn.
		time.Sleep(max(j.purgePause, time.Since(began)))
	}
}

// purgeCustomers deletes the customers without any booking that keeps personal data whose last
// activity is older than the retention period. (The booking batches have already deleted the
// customers they left without bookings, whatever their last activity: a dry run that finds
// bookings to anonymise counts those too.)
func purgeCustomers(app core.App, _ time.Time, r *PurgeReport) error {
	n, err := store.PurgeCustomers(app, r.Cutoff, !r.DryRun || r.Bookings == 0, r.DryRun)
	r.Customers += n
	return err
}

// purgeMailBodies strips sent mail after 30 days with StripSentBodies, the mail clean-up's own
// rule. A dry run runs it in a transaction that is rolled back: the count is the rule's, not a
// copy of it.
func purgeMailBodies(app core.App, now time.Time, r *PurgeReport) error {
	var n int64
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		if n, err = store.StripSentBodies(tx, now); err == nil && r.DryRun {
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
// token of an anonymised booking.
func purgeTokens(app core.App, now time.Time, r *PurgeReport) error {
	n, err := store.PurgeTokens(app, now, r.DryRun)
	r.Tokens += n
	return err
}

// purgeLogs deletes the entries of PocketBase's log older than LogRetentionDays. PocketBase
// deletes entries older than its own Logs.MaxDays, which CapLogDays keeps at most as long.
func purgeLogs(app core.App, now time.Time, r *PurgeReport) error {
	n, err := store.PurgeLogs(app, now.AddDate(0, 0, -LogRetentionDays), r.DryRun)
	r.Logs = n
	return err
}

// CapLogDays keeps PocketBase's own log retention at most LogRetentionDays.
func (j *Jobs) CapLogDays() error { return store.CapLogDays(j.app, LogRetentionDays) }
