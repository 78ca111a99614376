package jobs

import (
	"fmt"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/robfig/cron/v3"

	"reserva/internal/store"
)

// scheduler runs Reserva's jobs with robfig/cron in the venue's time zone; it is rebuilt when
// the venue's zone changes. Every job recovers from panics and never overlaps itself.
type scheduler struct {
	mu   sync.Mutex
	cron *cron.Cron
	loc  string
}

// cronLogger sends cron's own messages to the app log.
type cronLogger struct{ app core.App }

func (l cronLogger) Info(msg string, kv ...any) { l.app.Logger().Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.app.Logger().Error("cron: "+msg, append(kv, "error", err.Error())...)
}

// Start starts the scheduler, keeps it in the venue's zone, and runs the waitlist worker
// (under serve only); both stop when the app terminates.
func (j *Jobs) Start() error {
	app := j.app
	s := &scheduler{}
	start := func() error {
		loc := time.UTC
		if v, err := j.st.Venue(app); err == nil {
			loc = v.Loc
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cron != nil && s.loc == loc.String() {
			return nil
		}
		if s.cron != nil {
			<-s.cron.Stop().Done()
		}
		logger := cronLogger{app}
		c := cron.New(cron.WithLocation(loc), cron.WithLogger(logger),
			cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
		type job struct {
			spec string
			run  func()
		}
		jobs := []job{
			// Reminders are queued on the same tick as the outbox is sent: the selection is one
			// indexed query, and a reminder then leaves within one interval. The waitlist runs on
			// the same tick too, for offers that ran out (freed places wake it at once).
			{fmt.Sprintf("@every %s", j.cfg.MailInterval), func() { j.RunWaitlist(); j.runReminders(); j.RunDeliver() }},
			// Webhooks run apart from the mail: a slow endpoint (10 s a post) never holds mail back.
			{fmt.Sprintf("@every %s", j.cfg.MailInterval), j.RunWebhooks},
			{fmt.Sprintf("@every %s", j.cfg.MailInterval), j.RunTexts},
			// Places held for a payment that did not come are freed within a minute of their time.
			{"@every 1m", j.RunPaymentHolds},
			{"30 3 * * *", func() { j.runMailCleanup(); j.runStaffCleanup() }},
			{"0 4 * * *", j.runPurge},
			// Series make their sessions a day further ahead each night.
			{"15 0 * * *", j.runSessions},
		}
		if j.cfg.Backup.On() {
			jobs = append(jobs, job{j.cfg.Backup.Schedule, j.runBackup}, job{j.cfg.Backup.Drill, j.runDrill})
		}
		for _, jb := range jobs {
			if _, err := c.AddFunc(jb.spec, jb.run); err != nil {
				return fmt.Errorf("jobs: %s: %w", jb.spec, err)
			}
		}
		c.Start()
		s.cron, s.loc = c, loc.String()
		return nil
	}
	RemoveStrayZips(app)
	if err := j.CapLogDays(); err != nil {
		app.Logger().Error("jobs: log retention", "error", err.Error())
	}
	if !j.cfg.Backup.On() {
		app.Logger().Warn("backup: off: set RESERVA_BACKUP_RECIPIENTS (`reserva backup keygen` makes a key)")
	}
	if err := start(); err != nil {
		return err
	}
	j.runSessions() // the reach moved on while the server was down
	app.OnRecordAfterUpdateSuccess("venue").BindFunc(func(e *core.RecordEvent) error {
		if err := start(); err != nil {
			e.App.Logger().Error("jobs: restart in the venue's new zone", "error", err.Error())
		}
		return e.Next()
	})
	stopWaitlist := make(chan struct{})
	j.StartWaitlistWorker(stopWaitlist)
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Func: func(te *core.TerminateEvent) error {
			close(stopWaitlist)
			s.mu.Lock()
			if s.cron != nil {
				<-s.cron.Stop().Done()
			}
			s.mu.Unlock()
			j.st.Close()
			return te.Next()
		},
	})
	return nil
}

// The jobs as the scheduler runs them: each calls one function and logs what it did with counts.

// RunDeliver sends the due mail (up to 50 a run) and logs the counts.
func (j *Jobs) RunDeliver() {
	app := j.app
	st, err := j.Deliver(50)
	switch {
	case err == ErrNoRelay:
		j.warnNoRelay()
	case err != nil:
		app.Logger().Error("mail: outbox run failed", "error", err.Error())
	case st.Sent+st.Retried+st.Failed+st.Dropped > 0:
		app.Logger().Info("mail: outbox run", "sent", st.Sent, "retried", st.Retried, "failed", st.Failed, "dropped", st.Dropped)
	}
}

// warnNoRelay says at most hourly that mail is waiting for a relay to be configured.
func (j *Jobs) warnNoRelay() {
	j.mail.mu.Lock()
	defer j.mail.mu.Unlock()
	if now := j.now(); now.Sub(j.mail.warned) > time.Hour {
		j.mail.warned = now
		n, _ := store.MailCounts(j.app)
		j.app.Logger().Warn("mail: no SMTP relay configured; messages wait in the outbox", "queued", n[store.MailQueued])
	}
}

func (j *Jobs) runReminders() {
	n, f, err := j.QueueReminders(j.now())
	if err != nil {
		j.app.Logger().Error("mail: reminders run failed", "error", err.Error())
	}
	if n+f > 0 {
		j.app.Logger().Info("mail: reminders queued", "reminders", n, "feedback_requests", f)
	}
}

func (j *Jobs) runMailCleanup() {
	n, err := store.StripSentBodies(j.app, j.now())
	if err != nil {
		j.app.Logger().Error("mail: clean-up failed", "error", err.Error())
		return
	}
	j.app.Logger().Info("mail: clean-up", "bodies_stripped", n)
}

// StaffCleanup deletes expired staff sessions and old invites at now.
func (j *Jobs) StaffCleanup(now time.Time) (sessions, invites int64, err error) {
	return store.PurgeStaffLeftovers(j.app, now.Add(-store.SessionIdle), now.Add(-store.SessionAbsolute), now.Add(-7*24*time.Hour))
}

func (j *Jobs) runStaffCleanup() {
	sessions, invites, err := j.StaffCleanup(j.now())
	if err != nil {
		j.app.Logger().Error("staff: clean-up failed", "error", err.Error())
		return
	}
	j.app.Logger().Info("staff: clean-up", "sessions_ended", sessions, "invites_deleted", invites)
}

// runPurge applies the retention period; Purge logs its counts.
func (j *Jobs) runPurge() {
	if err := j.CapLogDays(); err != nil {
		j.app.Logger().Error("purge: log retention", "error", err.Error())
	}
	_, _ = j.Purge(j.now(), false)
}

func (j *Jobs) runBackup() {
	app := j.app
	now := j.now()
	snap, err := j.TakeBackup(now)
	if err != nil {
		return // recorded and alerted by TakeBackup
	}
	if !snap.Skipped {
		app.Logger().Info("backup: taken", "file", snap.Manifest.File, "bytes", snap.Manifest.CipherSize)
	}
	if n, err := j.ApplyRetention(now); err != nil {
		app.Logger().Error("backup: retention failed", "error", err.Error())
	} else if n > 0 {
		app.Logger().Info("backup: retention", "deleted", n)
	}
	if up, failed, err := j.UploadPending(now); err != nil {
		app.Logger().Error("backup: off-site copy failed", "error", err.Error())
	} else if up+failed > 0 {
		app.Logger().Info("backup: off-site copy", "uploaded", up, "failed", failed)
	}
}

func (j *Jobs) runDrill() {
	result, err := j.Drill(j.now())
	if err == nil {
		j.app.Logger().Info("backup: restore drill", "result", result)
	}
}
