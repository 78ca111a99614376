// Package jobs is Reserva's work beside the requests: the outbox worker that renders and sends
// mail, reminders and feedback requests, the waitlist's offers, the retention purge, encrypted
// backups with their restore drills and off-site copies, the staff clean-up, and the scheduler
// that runs them in the venue's time zone. Each job is a method that takes the time it runs at
// and returns what it did as counts.
package jobs

import (
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/mail"
	"reserva/internal/store"
)

// Config is what the jobs are set up with, read once at start.
type Config struct {
	// BaseURL is the site's public address, for links in mails (https://booking.example.com);
	// empty until the serve command sets it (SetBaseURL).
	BaseURL string
	// MailInterval is how often the outbox worker runs (default 15 s).
	MailInterval time.Duration
	// Transport replaces the configured SMTP relays (tests).
	Transport mail.Transport
	// Texts is the text-message gateway (TextsFromEnv); nil when none is set up.
	Texts TextSender
	// StripeAPI replaces Stripe's API address (StripeAPIFromEnv); "" for Stripe itself.
	StripeAPI string
	// Backup is how backups are taken; without recipients, none are.
	Backup BackupConfig
	// Version is the application's version, for backups' manifests.
	Version string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Jobs runs Reserva's jobs on the store's database. It holds the state they share: the mail
// transport with its failover, the backups' failure streak, the site's address.
type Jobs struct {
	st   *store.Store
	app  core.App
	now  func() time.Time
	cfg  Config
	mail mailer
	bk   backups

	mu      sync.Mutex
	baseURL string
	cert    CertState
	// purgePause is the breath between two batches of the purge (longer from the command line).
	purgePause time.Duration
	purgeMu    sync.Mutex
	purging    atomic.Bool // a purge StartPurge started runs
}

// New sets up the jobs of st.
func New(st *store.Store, cfg Config) *Jobs {
	j := &Jobs{st: st, app: st.App(), now: cfg.Now, cfg: cfg, baseURL: cfg.BaseURL, purgePause: purgePause}
	if j.now == nil {
		j.now = time.Now
	}
	if j.cfg.MailInterval <= 0 {
		j.cfg.MailInterval = defaultMailInterval
	}
	j.mail.override = cfg.Transport
	return j
}

// Store is the store the jobs work on.
func (j *Jobs) Store() *store.Store { return j.st }

// Now is the jobs' clock.
func (j *Jobs) Now() time.Time { return j.now() }

// SetBaseURL sets the site's public address when the configuration did not (the serve
// command knows its domain or its listener).
func (j *Jobs) SetBaseURL(u string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.baseURL == "" {
		j.baseURL = u
	}
}

// AbsURL is path on the site's public address.
func (j *Jobs) AbsURL(path string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.baseURL + path
}

// mailHost is the domain of Message-IDs: the site's own name when known.
func (j *Jobs) mailHost() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	if u, err := url.Parse(j.baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "reserva.invalid"
}

// FromCommandLine makes the purge pause longer between batches: `reserva purge` beside a
// running server competes in SQLite's busy handler (see cliPurgePause).
func (j *Jobs) FromCommandLine() { j.purgePause = cliPurgePause }

// BackupConfig is the backups' configuration.
func (j *Jobs) BackupConfig() BackupConfig { return j.cfg.Backup }
