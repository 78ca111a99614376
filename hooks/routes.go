// Package hooks is Reserva's HTTP: the route table, the middlewares, rendering, and the
// visitor and staff handlers, one file per flow named after the route it serves. Data comes
// from internal/store, work beside the requests is internal/jobs'.
package hooks

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
)

// Deps are what the handlers work with.
type Deps struct {
	Store *store.Store
	Jobs  *jobs.Jobs
	// Limits are the abuse defences; the zero value has none (main reads LimitsFromEnv).
	Limits Limits
	// Now is the clock; nil means time.Now. Tests pass a fixed clock.
	Now func() time.Time
	// Proxy is the trusted reverse proxy, if any; serve fills it in from its flags before the
	// server starts.
	Proxy *Proxy
}

// handlers serve Reserva's routes. They hold their dependencies and the state of the HTTP
// layer (rate limiters, the form stamper, the page cache, the sign-in back-off); data lives in
// the store, work beside the requests in the jobs.
type handlers struct {
	st     *store.Store
	jobs   *jobs.Jobs
	now    func() time.Time
	limits Limits
	proxy  *Proxy
	stamps *stamper
	// Per-IP allowances of form posts, of availability pages and of staff sign-ins.
	posts, pages, signinRate *limiter
	// The booking API's allowances: requests per key, failed authentications per IP.
	apiRate, apiFails *limiter
	signins           backoff       // failed staff sign-ins, per account and per address
	cache             pageCache     // availability answers, see pagecache.go
	oidcProvs         oidcProviders // the staff's identity provider, see admin_oidc.go
	fastServed        atomic.Int64  // answers of the short path (fastpage.go)
}

// Register adds Reserva's routes to app's router when the server starts.
func Register(app core.App, d Deps) { register(app, d) }

// register is Register, returning the handlers for tests.
func register(app core.App, d Deps) *handlers {
	h := &handlers{st: d.Store, jobs: d.Jobs, now: d.Now, limits: d.Limits, proxy: d.Proxy, stamps: newStamper(),
		posts: newLimiter(d.Limits.Booking), pages: newLimiter(d.Limits.Pages), signinRate: newLimiter(d.Limits.Signin),
		apiRate: newLimiter(d.Limits.API), apiFails: newLimiter(d.Limits.APIAuthFail)}
	if h.now == nil {
		h.now = time.Now
	}
	if h.proxy == nil {
		h.proxy = &Proxy{}
	}
	h.cache.version = d.Store.Version
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		h.routes(se.Router)
		if err := se.Next(); err != nil { // builds the router's handler
			return err
		}
		if se.Server != nil && se.Server.Handler != nil { // not when a test only lists the routes
			// Outermost: the client's address is settled before anything reads it.
			se.Server.Handler = h.proxy.trust(h.fastPages(se.App, se.Server.Handler))
		}
		return nil
	})
	// The client's address comes from --trusted-proxy only (see Proxy), never from PocketBase's
	// stored setting, which would believe the header from any peer.
	app.OnSettingsUpdateRequest().BindFunc(func(e *core.SettingsUpdateRequestEvent) error {
		if len(e.NewSettings.TrustedProxy.Headers) > 0 {
			return apis.NewBadRequestError("Reserva takes the client's address from a reverse proxy only when started with "+
				"`reserva serve --trusted-proxy ADDRESSES`; leave the trusted proxy headers empty here.", nil)
		}
		return e.Next()
	})
	return h
}

// Body limits: a booking form is a few hundred bytes; 16 KiB leaves room for long notes in any
// script while refusing floods early.
const formBodyLimit = 16 << 10

// routes is Reserva's route table: every route, and the middlewares of each group.
func (h *handlers) routes(r *router.Router[*core.RequestEvent]) {
	// Every request: an id for the audit log, token-free request logs, HTML error pages, the
	// base security headers (HSTS under TLS). PocketBase's CORS (open to every origin by
	// default) is removed: only the availability API below opens it; its security headers are
	// replaced.
	r.Bind(requestID(), redactLog(), h.htmlErrors(), baseHeaders(), superuserNets(h.limits.SuperuserNets), closedAuthCollections(),
		h.adminAllowList(), h.superuserAuthLimit(), realtimeGate())
	r.Unbind(apis.DefaultCorsMiddlewareId, apis.DefaultSecurityHeadersMiddlewareId)

	// Visitor pages. Successful page views are not written to the request log (errors are).
	pages := r.Group("")
	pages.Bind(securityHeaders(), apis.SkipSuccessActivityLog(), rememberLanguage())
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
	pages.GET("/images/{file}", h.image)
	pages.GET("/healthz", h.healthz)
	// Unknown paths: an HTML 404 (JSON below /api/).
	pages.Route("", "/", h.notFound)

	// Visitor forms: same-origin only (CSRF), small bodies, every request logged.
	forms := r.Group("")
	forms.Bind(securityHeaders(), crossOriginOnly(), h.rateLimit(h.posts), apis.BodyLimit(formBodyLimit))
	forms.POST("/book/{slug}", h.book)
	forms.POST("/b/{token}/cancel", h.cancel)
	forms.POST("/b/{token}/change", h.change)
	forms.POST("/b/{token}/texts/stop", h.stopTexts)
	forms.POST("/waitlist/{slug}", h.waitlistJoin)
	forms.POST("/w/{token}/accept", h.waitlistAccept)
	forms.POST("/w/{token}/leave", h.waitlistLeave)
	forms.POST("/account", h.accountRequest)
	forms.POST("/account/{token}", h.accountSigninPost)
	forms.POST("/account/details", h.accountDetails)
	forms.POST("/account/erase", h.accountErase)
	forms.POST("/account/logout", h.accountLogout)

	// Framable booking pages (embed.go): the booking page, its post and the confirmation after
	// it, which the venue's own sites (the owner's list) may show in a frame. No cookie is set
	// or needed (a browser sends none to a frame on another site): no language cookie here.
	embedPages := r.Group("/embed")
	embedPages.Bind(h.embedHeaders(), apis.SkipSuccessActivityLog())
	embedPages.GET("/{slug}", h.bookPage).Bind(h.rateLimit(h.pages))
	embedPages.GET("/b/{token}", h.embedBooked).Bind(h.rateLimit(h.pages))
	embedForms := r.Group("/embed")
	embedForms.Bind(h.embedHeaders(), crossOriginOnly(), h.rateLimit(h.posts), apis.BodyLimit(formBodyLimit))
	embedForms.POST("/{slug}", h.book)

	// Stripe's events about payments: signed with the venue's webhook secret (checked in the
	// handler), posted by Stripe's servers, so no same-origin check; Stripe's own retries are
	// not rate-limited.
	stripeHooks := r.Group("/stripe")
	stripeHooks.Bind(securityHeaders(), apis.BodyLimit(stripeBodyLimit))
	stripeHooks.POST("/webhook", h.stripeWebhook)

	// Staff members' calendar feeds (staff_feed.go), fetched by calendar apps: no cookie read or
	// set (no language cookie), the token redacted from the log, successful fetches not logged
	// (each is audited, at most hourly).
	feeds := r.Group("/feeds")
	feeds.Bind(securityHeaders(), apis.SkipSuccessActivityLog())
	feeds.GET("/{token}", h.staffFeed).Bind(h.rateLimit(h.pages))

	h.adminRoutes(r)

	// Reserva's JSON API, for embedding availability in another site.
	api := r.Group("/api/reserva")
	api.Bind(apis.SkipSuccessActivityLog())
	api.GET("/availability", h.availability).Bind(publicCORS(), h.rateLimit(h.pages))

	// The booking API (api.go): an owner's API key in "Authorization: Bearer" and nothing else
	// (no cookie is read: no CSRF check), each route with the scope it needs, JSON only, never
	// cached; the key's allowance and the address's failed sign-ins are limited in apiAuth.
	v1 := r.Group("/api/v1")
	v1.Bind(apiHeaders())
	v1.GET("/openapi.yaml", h.openAPI).Bind(apis.SkipSuccessActivityLog(), h.rateLimit(h.pages))
	v1.GET("/bookings", h.apiBookings).Bind(h.apiAuth(store.ScopeBookingsRead))
	v1.GET("/bookings/{reference}", h.apiBookingOne).Bind(h.apiAuth(store.ScopeBookingsRead))
	v1.POST("/bookings", h.apiBook).Bind(h.apiAuth(store.ScopeBookingsWrite))
	// Anything else below /api/v1/: the API's own 404, in JSON.
	v1.Route("", "/", h.apiUnknown)
}

// adminBodyLimit is the largest staff form (the privacy notice is long).
const adminBodyLimit = 256 << 10

// adminRoutes is the staff dashboard's part of the route table. Every /admin/ route is
// same-origin only for posts (CSRF), checks the role on the server, and sends the pages'
// security headers; the owner's IP allow-list applies to all of it (adminAllowList).
func (h *handlers) adminRoutes(r *router.Router[*core.RequestEvent]) {
	common := []*hook.Handler[*core.RequestEvent]{securityHeaders(), crossOriginOnly(), apis.BodyLimit(adminBodyLimit)}
	signinLimit := h.rateLimit(h.signinRate)

	// Signing in, signing out, accepting an invite, a forgotten password: no session needed.
	open := r.Group("/admin")
	open.Bind(common...)
	open.GET("", func(e *core.RequestEvent) error { return e.Redirect(http.StatusMovedPermanently, "/admin/") })
	open.GET("/login", h.loginPage)
	open.POST("/login", h.login).Bind(signinLimit)
	open.POST("/logout", h.logout)
	open.GET("/invite/{token}", h.invitePage)
	open.POST("/invite/{token}", h.acceptInvite).Bind(signinLimit)
	open.GET("/forgot", h.forgotPage)
	open.POST("/forgot", h.forgot).Bind(signinLimit)
	open.GET("/reset/{token}", h.resetPage)
	open.POST("/reset/{token}", h.reset).Bind(signinLimit)
	// Sign-in through the owner's identity provider (OpenID Connect): off, both answer 404.
	open.GET("/login/oidc", h.oidcStart).Bind(signinLimit)
	open.GET("/oidc/callback", h.oidcCallback).Bind(signinLimit)

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
	desk.Bind(append(common, h.staffGuard(store.RoleFrontdesk))...)
	desk.GET("/{$}", h.today)
	desk.GET("/bookings", h.bookingsList)
	desk.GET("/waitlist", h.waitlistAdmin)
	desk.GET("/floor", h.floorPage)
	desk.GET("/walkins", h.walkinsPage)
	desk.POST("/walkins", h.walkinAdd)
	desk.POST("/walkins/{id}/notify", h.walkinNotify)
	desk.POST("/walkins/{id}/seat", h.walkinClose(store.WalkinSeated))
	desk.POST("/walkins/{id}/skip", h.walkinClose(store.WalkinSkipped))
	desk.POST("/walkins/{id}/remove", h.walkinClose(store.WalkinRemoved))
	desk.GET("/bookings/new", h.newBookingPage)
	desk.POST("/bookings/new", h.newBooking)
	desk.GET("/bookings/{id}", h.bookingAdmin)
	desk.POST("/bookings/{id}", h.bookingEdit)
	desk.POST("/bookings/{id}/checkin", h.setStatus(booking.StatusCheckedIn))
	desk.POST("/bookings/{id}/noshow", h.setStatus(booking.StatusNoShow))
	desk.POST("/bookings/{id}/confirm", h.setStatus(booking.StatusConfirmed))
	desk.POST("/bookings/{id}/cancel", h.staffCancel)
	desk.POST("/bookings/{id}/resources", h.bookingReassign)
	desk.GET("/account", h.accountPage)
	desk.POST("/account/password", h.changePassword).Bind(signinLimit)
	desk.POST("/account/recovery", h.newRecoveryCodesAction)
	desk.POST("/sessions/{id}/revoke", h.revokeOwnSession)

	// Managers: plus moving bookings, guest profiles, offerings, hours, sessions, closures and special hours, export, outbox.
	mgr := r.Group("/admin")
	mgr.Bind(append(common, h.staffGuard(store.RoleManager))...)
	mgr.POST("/bookings/{id}/move", h.bookingMove)
	mgr.POST("/bookings/{id}/refund", h.bookingRefund)
	mgr.POST("/bookings/{id}/charge", h.bookingCharge)
	mgr.GET("/bookings/{id}/sensitive", h.bookingSensitive)
	mgr.GET("/guests", h.guestsList)
	mgr.GET("/guests/{id}", h.guestProfile)
	mgr.POST("/guests/{id}/tags", h.guestTags)
	mgr.POST("/guests/{id}/note", h.guestNote)
	mgr.GET("/offerings", h.offeringsPage)
	mgr.GET("/offerings/{id}", h.offeringPage)
	mgr.POST("/offerings/{id}", h.offeringSave)
	mgr.POST("/offerings/{id}/hours", h.hoursAdd)
	mgr.POST("/offerings/{id}/hours/{hid}/delete", h.hoursDelete)
	mgr.POST("/offerings/{id}/sessions", h.sessionAdd)
	mgr.GET("/offerings/{id}/sessions/{sid}", h.sessionPage)
	mgr.POST("/offerings/{id}/sessions/{sid}", h.sessionEdit)
	mgr.POST("/offerings/{id}/sessions/{sid}/cancel", h.sessionCancel)
	mgr.POST("/offerings/{id}/resources", h.resourceAdd)
	mgr.GET("/offerings/{id}/resources/{rid}", h.resourcePage)
	mgr.POST("/offerings/{id}/resources/{rid}", h.resourceSave)
	mgr.POST("/offerings/{id}/resources/{rid}/feed", h.resourceFeedNew)
	mgr.POST("/offerings/{id}/resources/{rid}/feed/revoke", h.resourceFeedRevoke)
	mgr.POST("/offerings/{id}/combinations", h.comboAdd)
	mgr.POST("/offerings/{id}/combinations/{cid}/delete", h.comboDelete)
	mgr.POST("/offerings/{id}/series", h.seriesAdd)
	mgr.GET("/offerings/{id}/series/{sid}", h.seriesPage)
	mgr.POST("/offerings/{id}/series/{sid}", h.seriesChange)
	mgr.POST("/offerings/{id}/series/{sid}/end", h.seriesEnd)
	mgr.GET("/closures", h.closuresPage)
	mgr.POST("/closures", h.closureAdd)
	mgr.POST("/closures/{id}/delete", h.closureDelete)
	mgr.POST("/special-hours", h.specialHoursAdd)
	mgr.POST("/special-hours/{id}/delete", h.specialHoursDelete)
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
	own.Bind(append(common, h.staffGuard(store.RoleOwner))...)
	own.GET("/staff", h.staffPage)
	own.POST("/staff/invite", h.invite)
	own.POST("/staff/{id}/role", h.staffRole)
	own.POST("/staff/{id}/activate", h.staffActive(true))
	own.POST("/staff/{id}/deactivate", h.staffActive(false))
	own.POST("/staff/{id}/revoke", h.staffRevoke)
	own.POST("/staff/{id}/reset2fa", h.staffReset2FA)
	own.POST("/staff/{id}/oidc-unlink", h.oidcUnlink)
	own.GET("/settings", h.settingsPage)
	own.POST("/settings", h.settingsSave)
	own.POST("/settings/mail", h.mailSave)
	own.POST("/settings/access", h.accessSave)
	own.POST("/settings/embed", h.embedSave)
	own.GET("/payments", h.paymentsPage)
	own.POST("/payments", h.paymentsSave)
	own.GET("/oidc", h.oidcPage)
	own.POST("/oidc", h.oidcSave)
	own.GET("/webhooks", h.webhooksPage)
	own.POST("/webhooks", h.webhookAdd)
	own.POST("/webhooks/{id}", h.webhookSave)
	own.POST("/webhooks/{id}/rotate", h.webhookRotate)
	own.POST("/webhooks/{id}/delete", h.webhookDelete)
	own.POST("/webhooks/deliveries/{id}/retry", h.webhookRetry)
	own.GET("/api-keys", h.apiKeysPage)
	own.POST("/api-keys", h.apiKeyAdd)
	own.POST("/api-keys/{id}/revoke", h.apiKeyRevoke)
	// A picture's upload: the body may hold the picture (imageSave answers those over its limit).
	own.POST("/settings/images/{kind}", h.imageSave).Bind(apis.BodyLimit(imageUploadLimit))
	own.POST("/settings/images/{kind}/remove", h.imageRemove)
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
