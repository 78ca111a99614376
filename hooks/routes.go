// Package hooks is all of Reserva's PocketBase glue: the route table, one file per flow, the
// middlewares, record queries and the demo data.
package hooks

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"reserva/internal/mail"
)

// Options configure Register.
type Options struct {
	// Demo creates the demo venue on an empty database when the server starts.
	Demo bool
	// Now is the clock; nil means time.Now. Tests pass a fixed clock.
	Now func() time.Time
	// Limits are the abuse defences; the zero value has none (main reads LimitsFromEnv).
	Limits Limits
	// Version is the application's version, for backups' manifests and the dashboard.
	Version string
	// BaseURL is the site's public address, for links in mails (e.g. https://booking.example.com);
	// empty: taken from the serve command (its domain, or its --http address).
	BaseURL string
	// MailInterval is how often the outbox worker runs (default 15 s).
	MailInterval time.Duration
	// Transport replaces the configured SMTP relays (tests).
	Transport mail.Transport
	// Backup is how backups are taken (main reads BackupFromEnv); without recipients, none are.
	Backup BackupConfig

	// serve is set by the serve command before the server starts.
	serve *serveConfig
}

type handlers struct {
	now    func() time.Time
	limits Limits
	stamps *stamper
	// Per-IP allowances of form posts and of availability pages.
	posts, pages *limiter
	mail         mailer
	backup       backups
	baseURL      string
	version      string
}

// Register wires Reserva into app: on serve it seeds the demo (when asked) and adds the routes.
// opts is read when the server starts, after the command line has been parsed.
func Register(app core.App, opts *Options) { register(app, opts) }

// register is Register, returning the handlers for tests.
func register(app core.App, opts *Options) *handlers {
	h := &handlers{now: opts.Now, limits: opts.Limits, stamps: newStamper(), version: opts.Version,
		posts: newLimiter(opts.Limits.Booking), pages: newLimiter(opts.Limits.Pages), baseURL: opts.BaseURL}
	h.mail.override = opts.Transport
	h.backup.cfg = opts.Backup
	if h.now == nil {
		h.now = time.Now
	}
	h.bindPocketBaseMail(app)
	h.bindBackupExclusions(app)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if opts.Demo {
			if err := SeedDemo(se.App, h.now()); err != nil {
				return err
			}
		}
		h.routes(se.Router)
		if se.InstallerFunc != nil {
			se.InstallerFunc = firstRunHint
		}
		if opts.serve != nil {
			opts.serve.configureServer(se)
			if h.baseURL == "" {
				h.baseURL = opts.serve.publicURL()
			}
		}
		if err := se.Next(); err != nil {
			return err
		}
		if opts.serve.tls() {
			if err := opts.serve.startRedirect(se.App, se.CertManager); err != nil {
				return err
			}
		}
		if opts.serve != nil {
			// Jobs run only under `serve`: the outbox, reminders, clean-ups.
			return h.startJobs(se.App, opts.MailInterval)
		}
		return nil
	})
	return h
}

// Body limits: a booking form is a few hundred bytes; 16 KiB leaves room for long notes in any
// script while refusing floods early.
const formBodyLimit = 16 << 10

// routes is Reserva's route table: every route, and the middlewares of each group.
func (h *handlers) routes(r *router.Router[*core.RequestEvent]) {
	// Every request: an id for the audit log, token-free request logs, HTML error pages, HSTS
	// under TLS. PocketBase's CORS (open to every origin by default) is removed: only the
	// availability API below opens it.
	r.Bind(requestID(), redactLog(), h.htmlErrors(), hsts(), superuserNets(h.limits.SuperuserNets))
	r.Unbind(apis.DefaultCorsMiddlewareId)

	// Visitor pages. Successful page views are not written to the request log (errors are).
	pages := r.Group("")
	pages.Bind(securityHeaders(), apis.SkipSuccessActivityLog())
	pages.GET("/{$}", h.home)
	pages.GET("/book/{slug}", h.bookPage).Bind(h.rateLimit(h.pages))
	pages.GET("/b/{token}", h.manage)
	pages.GET("/b/{token}/change", h.changePage).Bind(h.rateLimit(h.pages))
	pages.GET("/b/{token}/calendar.ics", h.calendar)
	pages.GET("/privacy", h.privacy)
	pages.GET("/.well-known/security.txt", h.securityTxt)
	pages.GET("/static/{path...}", staticFiles())
	pages.GET("/healthz", h.healthz)
	// Unknown paths: an HTML 404 (JSON below /api/).
	pages.Route("", "/", h.notFound)

	// Visitor forms: same-origin only (CSRF), small bodies, every request logged.
	forms := r.Group("")
	forms.Bind(securityHeaders(), crossOriginOnly(), h.rateLimit(h.posts), apis.BodyLimit(formBodyLimit))
	forms.POST("/book/{slug}", h.book)
	forms.POST("/b/{token}/cancel", h.cancel)
	forms.POST("/b/{token}/change", h.change)

	// Reserva's JSON API, for embedding availability in another site.
	api := r.Group("/api/reserva")
	api.Bind(apis.SkipSuccessActivityLog())
	api.GET("/availability", h.availability).Bind(publicCORS(), h.rateLimit(h.pages))
}

func (h *handlers) notFound(e *core.RequestEvent) error {
	if isAPIPath(e.Request.URL.Path) {
		return apis.NewNotFoundError("", nil)
	}
	return notFound(nil)
}

// firstRunHint replaces PocketBase's installer, which opens a browser on its dashboard: on a
// fresh database Reserva says where the booking site is and how the owner gets into /_/, with
// a one-time link valid for 30 minutes. It prints to the console only.
func firstRunHint(app core.App, installer *core.Record, baseURL string) error {
	token, err := installer.NewStaticAuthToken(30 * time.Minute)
	if err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	base := strings.TrimRight(baseURL, "/")
	fmt.Fprintf(os.Stderr, "\nReserva is running. The booking site: %s/\n"+
		"No superuser exists yet. Within 30 minutes, create one at this one-time link:\n  %s/_/#/pbinstall/%s\n"+
		"or run: %s superuser upsert EMAIL PASSWORD\n\n", base, base, token, os.Args[0])
	return nil
}
