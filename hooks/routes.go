// Package hooks is all of Reserva's PocketBase glue: the route table, one file per flow, the
// middlewares, record queries and the demo data.
package hooks

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"

	"reserva/internal/mail"
)

// Options configure Register.
type Options struct {
	// Demo creates the demo venue on an empty database when the server starts.
	Demo bool
	// DemoGuests adds made-up bookings for the coming week to a new demo venue.
	DemoGuests bool
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
	// Per-IP allowances of form posts, of availability pages and of staff sign-ins.
	posts, pages, signinRate *limiter
	mail                     mailer
	backup                   backups
	signins                  backoff // failed staff sign-ins, per account and per address
	venueCache               atomic.Pointer[venue]
	cache                    pageCache // availability answers, see pagecache.go
	waitlist                 waitlist
	purgeFromCLI             bool // `reserva purge`: longer pauses between batches
	baseURL                  string
	version                  string
}

// Register wires Reserva into app: on serve it seeds the demo (when asked) and adds the routes.
// opts is read when the server starts, after the command line has been parsed.
func Register(app core.App, opts *Options) { register(app, opts) }

// register is Register, returning the handlers for tests.
func register(app core.App, opts *Options) *handlers {
	h := &handlers{now: opts.Now, limits: opts.Limits, stamps: newStamper(), version: opts.Version,
		posts: newLimiter(opts.Limits.Booking), pages: newLimiter(opts.Limits.Pages), signinRate: newLimiter(opts.Limits.Signin),
		baseURL: opts.BaseURL}
	h.mail.override = opts.Transport
	h.backup.cfg = opts.Backup
	if h.now == nil {
		h.now = time.Now
	}
	h.bindPocketBaseMail(app)
	h.bindBackupExclusions(app)
	bindAuditAppendOnly(app)
	h.bindVenueCache(app)
	h.cache.bind(app)
	h.bindWaitlist(app)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if _, err := ensureBookingUsage(se.App); err != nil {
			return err
		}
		if opts.Demo {
			if err := SeedDemo(se.App, h.now(), opts.DemoGuests); err != nil {
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
	r.Bind(requestID(), redactLog(), h.htmlErrors(), hsts(), superuserNets(h.limits.SuperuserNets), closedAuthCollections(),
		h.adminAllowList())
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
	pages.GET("/waitlist/{slug}", h.waitlistPage).Bind(h.rateLimit(h.pages))
	pages.GET("/w/{token}", h.waitlistEntry)
	pages.GET("/account", h.account).Bind(h.rateLimit(h.pages))
	pages.GET("/account/{token}", h.accountSignin).Bind(h.rateLimit(h.pages))
	pages.GET("/account/export", h.accountExport).Bind(h.rateLimit(h.pages))
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
	forms.POST("/waitlist/{slug}", h.waitlistJoin)
	forms.POST("/w/{token}/accept", h.waitlistAccept)
	forms.POST("/w/{token}/leave", h.waitlistLeave)
	forms.POST("/account", h.accountRequest)
	forms.POST("/account/{token}", h.accountSigninPost)
	forms.POST("/account/details", h.accountDetails)
	forms.POST("/account/erase", h.accountErase)
	forms.POST("/account/logout", h.accountLogout)

	h.adminRoutes(r)

	// Reserva's JSON API, for embedding availability in another site.
	api := r.Group("/api/reserva")
	api.Bind(apis.SkipSuccessActivityLog())
	api.GET("/availability", h.availability).Bind(publicCORS(), h.rateLimit(h.pages))
}

// adminBodyLimit is the largest staff form (the privacy notice is long).
const adminBodyLimit = 256 << 10

// adminRoutes is the staff dashboard's part of the route table. Every /admin/ route is
// same-origin only for posts (CSRF), checks the role on the server, and sends the pages'
// security headers; the owner's IP allow-list applies to all of it (adminAllowList).
func (h *handlers) adminRoutes(r *router.Router[*core.RequestEvent]) {
	common := []*hook.Handler[*core.RequestEvent]{securityHeaders(), crossOriginOnly(), apis.BodyLimit(adminBodyLimit)}
	signinLimit := h.rateLimit(h.signinRate)

	// Signing in, signing out, accepting an invite: no session needed.
	open := r.Group("/admin")
	open.Bind(common...)
	open.GET("", func(e *core.RequestEvent) error { return e.Redirect(http.StatusMovedPermanently, "/admin/") })
	open.GET("/login", h.loginPage)
	open.POST("/login", h.login).Bind(signinLimit)
	open.POST("/logout", h.logout)
	open.GET("/invite/{token}", h.invitePage)
	open.POST("/invite/{token}", h.acceptInvite).Bind(signinLimit)

	// The second sign-in step and enrolling an authenticator: the password step is done.
	half := r.Group("/admin")
	half.Bind(append(common, h.halfSignedIn())...)
	half.GET("/login/2fa", h.twoFactorPage)
	half.POST("/login/2fa", h.twoFactor).Bind(signinLimit)
	half.GET("/2fa/setup", h.totpSetupPage)
	half.POST("/2fa/setup", h.totpSetup)
	half.GET("/2fa/qr.png", h.totpQR)

	// Front desk: the day, bookings (view, create, check in, cancel, edit contact), own account.
	desk := r.Group("/admin")
	desk.Bind(append(common, h.staffGuard(roleFrontdesk))...)
	desk.GET("/{$}", h.today)
	desk.GET("/bookings", h.bookingsList)
	desk.GET("/waitlist", h.waitlistAdmin)
	desk.GET("/walkins", h.walkinsPage)
	desk.POST("/walkins", h.walkinAdd)
	desk.POST("/walkins/{id}/notify", h.walkinAction("notify"))
	desk.POST("/walkins/{id}/seat", h.walkinAction("seat"))
	desk.POST("/walkins/{id}/skip", h.walkinAction("skip"))
	desk.POST("/walkins/{id}/remove", h.walkinAction("remove"))
	desk.GET("/bookings/new", h.newBookingPage)
	desk.POST("/bookings/new", h.newBooking)
	desk.GET("/bookings/{id}", h.bookingAdmin)
	desk.POST("/bookings/{id}", h.bookingEdit)
	desk.POST("/bookings/{id}/checkin", h.setStatus("checked_in"))
	desk.POST("/bookings/{id}/noshow", h.setStatus("no_show"))
	desk.POST("/bookings/{id}/confirm", h.setStatus("confirmed"))
	desk.POST("/bookings/{id}/cancel", h.staffCancel)
	desk.GET("/account", h.accountPage)
	desk.POST("/account/password", h.changePassword)
	desk.POST("/account/recovery", h.newRecoveryCodesAction)
	desk.POST("/sessions/{id}/revoke", h.revokeOwnSession)

	// Managers: plus moving bookings, offerings, hours, sessions, closures, export, outbox.
	mgr := r.Group("/admin")
	mgr.Bind(append(common, h.staffGuard(roleManager))...)
	mgr.POST("/bookings/{id}/move", h.bookingMove)
	mgr.GET("/bookings/{id}/sensitive", h.bookingSensitive)
	mgr.GET("/offerings", h.offeringsPage)
	mgr.GET("/offerings/{id}", h.offeringPage)
	mgr.POST("/offerings/{id}", h.offeringSave)
	mgr.POST("/offerings/{id}/hours", h.hoursAdd)
	mgr.POST("/offerings/{id}/hours/{hid}/delete", h.hoursDelete)
	mgr.POST("/offerings/{id}/sessions", h.sessionAdd)
	mgr.POST("/offerings/{id}/sessions/{sid}/cancel", h.sessionCancel)
	mgr.GET("/closures", h.closuresPage)
	mgr.POST("/closures", h.closureAdd)
	mgr.POST("/closures/{id}/delete", h.closureDelete)
	mgr.GET("/export", h.exportCSV)
	mgr.GET("/outbox", h.outboxPage)
	mgr.POST("/outbox/{id}/retry", h.outboxRetry)
	mgr.GET("/privacy", h.privacyRequestsPage)
	mgr.POST("/privacy", h.privacyRequestAdd)
	mgr.GET("/privacy/{id}/export", h.privacyRequestExport)
	mgr.POST("/privacy/{id}/erase", h.privacyRequestErase)
	mgr.POST("/privacy/{id}/close", h.privacyRequestClose)

	// Owners: everything, including staff, settings, access, backups, the audit log.
	own := r.Group("/admin")
	own.Bind(append(common, h.staffGuard(roleOwner))...)
	own.GET("/staff", h.staffPage)
	own.POST("/staff/invite", h.invite)
	own.POST("/staff/{id}/role", h.staffRole)
	own.POST("/staff/{id}/activate", h.staffActive(true))
	own.POST("/staff/{id}/deactivate", h.staffActive(false))
	own.POST("/staff/{id}/revoke", h.staffRevoke)
	own.POST("/staff/{id}/reset2fa", h.staffReset2FA)
	own.GET("/settings", h.settingsPage)
	own.POST("/settings", h.settingsSave)
	own.POST("/settings/mail", h.mailSave)
	own.POST("/settings/access", h.accessSave)
	own.GET("/backups", h.backupsPage)
	own.POST("/backups/now", h.backupNow)
	own.POST("/purge/now", h.purgeNow)
	own.POST("/backups/drill", h.backupDrillNow)
	own.GET("/audit", h.auditPage)
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
