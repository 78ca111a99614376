package hooks

import (
	"fmt"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/robfig/cron/v3"
)

// defaultMailInterval is how often the outbox is looked at.
const defaultMailInterval = 15 * time.Second

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

// startJobs starts the scheduler and keeps it in the venue's zone.
func (h *handlers) startJobs(app core.App, mailEvery time.Duration) error {
	if mailEvery <= 0 {
		mailEvery = defaultMailInterval
	}
	s := &scheduler{}
	start := func() error {
		loc := time.UTC
		if v, err := h.venue(app); err == nil {
			loc = v.loc
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
		jobs := []struct {
			spec string
			run  func()
		}{
			// Reminders are queued on the same tick as the outbox is sent: the selection is one
			// indexed query, and a reminder then leaves within one interval.
			// The waitlist runs on the same tick too, for offers that ran out (freed places wake
			// it at once).
			{fmt.Sprintf("@every %s", mailEvery), func() { h.runWaitlist(app); h.runReminders(app); h.runDeliver(app) }},
			{"30 3 * * *", func() { h.runMailCleanup(app); h.runStaffCleanup(app) }},
			{"0 4 * * *", func() { h.runPurge(app) }},
		}
		if h.backup.cfg.On() {
			jobs = append(jobs,
				struct {
					spec string
					run  func()
				}{h.backup.cfg.Schedule, func() { h.runBackup(app) }},
				struct {
					spec string
					run  func()
				}{h.backup.cfg.Drill, func() { h.runDrill(app) }})
		}
		for _, j := range jobs {
			if _, err := c.AddFunc(j.spec, j.run); err != nil {
				return fmt.Errorf("jobs: %s: %w", j.spec, err)
			}
		}
		c.Start()
		s.cron, s.loc = c, loc.String()
		return nil
	}
	removeStrayZips(app)
	if err := capLogDays(app); err != nil {
		app.Logger().Error("jobs: log retention", "error", err.Error())
	}
	if !h.backup.cfg.On() {
		app.Logger().Warn("backup: off: set RESERVA_BACKUP_RECIPIENTS (`reserva backup keygen` makes a key)")
	}
	if err := start(); err != nil {
		return err
	}
	app.OnRecordAfterUpdateSuccess("venue").BindFunc(func(e *core.RecordEvent) error {
		if err := start(); err != nil {
			e.App.Logger().Error("jobs: restart in the venue's new zone", "error", err.Error())
		}
		return e.Next()
	})
	stopWaitlist := make(chan struct{})
	h.startWaitlistWorker(app, stopWaitlist)
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Func: func(te *core.TerminateEvent) error {
			close(stopWaitlist)
			s.mu.Lock()
			if s.cron != nil {
				<-s.cron.Stop().Done()
			}
			s.mu.Unlock()
			return te.Next()
		},
	})
	return nil
}

// The jobs: each calls one function and logs what it did with counts.

func (h *handlers) runDeliver(app core.App) {
	st, err := h.deliver(app, 50)
	switch {
	case err == errNoRelay:
		h.warnNoRelay(app)
	case err != nil:
		app.Logger().Error("mail: outbox run failed", "error", err.Error())
	case st.Sent+st.Retried+st.Failed > 0:
		app.Logger().Info("mail: outbox run", "sent", st.Sent, "retried", st.Retried, "failed", st.Failed)
	}
}

// warnNoRelay says at most hourly that mail is waiting for a relay to be configured.
func (h *handlers) warnNoRelay(app core.App) {
	h.mail.mu.Lock()
	defer h.mail.mu.Unlock()
	if now := h.now(); now.Sub(h.mail.warned) > time.Hour {
		h.mail.warned = now
		n, _ := app.CountRecords("outbox", dbx.HashExp{"status": "queued"})
		app.Logger().Warn("mail: no SMTP relay configured; messages wait in the outbox", "queued", n)
	}
}

func (h *handlers) runReminders(app core.App) {
	n, f, err := h.queueReminders(app, h.now())
	if err != nil {
		app.Logger().Error("mail: reminders run failed", "error", err.Error())
	}
	if n+f > 0 {
		app.Logger().Info("mail: reminders queued", "reminders", n, "feedback_requests", f)
	}
}

func (h *handlers) runMailCleanup(app core.App) {
	n, err := stripSentBodies(app, h.now())
	if err != nil {
		app.Logger().Error("mail: clean-up failed", "error", err.Error())
		return
	}
	app.Logger().Info("mail: clean-up", "bodies_stripped", n)
}

func (h *handlers) runStaffCleanup(app core.App) {
	sessions, invites, err := purgeStaffLeftovers(app, h.now())
	if err != nil {
		app.Logger().Error("staff: clean-up failed", "error", err.Error())
		return
	}
	app.Logger().Info("staff: clean-up", "sessions_ended", sessions, "invites_deleted", invites)
}

// runPurge applies the retention period; purge logs its counts.
func (h *handlers) runPurge(app core.App) {
	if err := capLogDays(app); err != nil {
		app.Logger().Error("purge: log retention", "error", err.Error())
	}
	_, _ = h.purge(app, h.now(), false)
}

func (h *handlers) runBackup(app core.App) {
	now := h.now()
	snap, err := h.takeBackup(app, now)
	if err != nil {
		return // recorded and alerted by takeBackup
	}
	if !snap.Skipped {
		app.Logger().Info("backup: taken", "file", snap.Manifest.File, "bytes", snap.Manifest.CipherSize)
	}
	if n, err := h.applyRetention(app, now); err != nil {
		app.Logger().Error("backup: retention failed", "error", err.Error())
	} else if n > 0 {
		app.Logger().Info("backup: retention", "deleted", n)
	}
	if up, failed, err := h.uploadPending(app, now); err != nil {
		app.Logger().Error("backup: off-site copy failed", "error", err.Error())
	} else if up+failed > 0 {
		app.Logger().Info("backup: off-site copy", "uploaded", up, "failed", failed)
	}
}

func (h *handlers) runDrill(app core.App) {
	result, err := h.drill(app, h.now())
	if err == nil {
		app.Logger().Info("backup: restore drill", "result", result)
	}
}
