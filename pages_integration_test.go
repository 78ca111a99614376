//go:build integration

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"reserva/internal/realtest"
)

// pageWeightBudget is the most the booking page with its details form may load: HTML, CSS and
// anything else it pulls in, as transferred (headers included).
const pageWeightBudget = 30 * 1024

// phoneWidth is the phone's screen width in CSS pixels (an iPhone 12 to 15).
const phoneWidth = 390

// wideWidth is a common laptop screen's width in CSS pixels.
const wideWidth = 1366

// Viewports every page is checked at: a phone (as most visitors book) and a desktop screen.
var (
	phoneViewport = chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile,
		chromedp.EmulateTouch, chromedp.EmulatePortrait)
	desktopViewport = chromedp.EmulateViewport(1280, 900)
	wideViewport    = chromedp.EmulateViewport(wideWidth, 768)
)

// skippedRoutes are the GET routes of hooks/routes.go that are not HTML pages a person reads,
// with the reason; every other GET route must be visited by TestPagesAccessibleAndLight.
var skippedRoutes = map[string]string{
	"/admin":                       "a 301 redirect to /admin/, which is visited",
	"/admin/export":                "a CSV download",
	"/admin/2fa/qr.png":            "a PNG image, shown (with its alt text) on /admin/2fa/setup, which is visited",
	"/b/{token}/calendar.ics":      "an iCalendar file",
	"/feeds/{token}":               "a staff member's iCalendar feed (checked in TestStaffCalendarFeed)",
	"/.well-known/security.txt":    "a plain-text file",
	"/static/{path...}":            "the stylesheet, loaded by every page (and counted in the page weight)",
	"/images/{file}":               "the venue's photo and logo, loaded (and their sizes read) by the home page with its photo",
	"/healthz":                     "JSON for monitoring",
	"/api/reserva/availability":    "the JSON API",
	"/api/v1/openapi.yaml":         "the booking API's description (TestOpenAPIDescribesEveryRoute, TestAPIKeysEndToEnd)",
	"/api/v1/bookings":             "the booking API, JSON (hooks' TestAPI* and TestAPIKeysEndToEnd)",
	"/api/v1/bookings/{reference}": "the booking API, JSON (hooks' TestAPI* and TestAPIKeysEndToEnd)",
	"/account/export":              "a zip download (checked in TestVisitorAccountInChromium)",
	"/admin/privacy/{id}/export":   "a zip download (checked in hooks.TestPrivacyRequestQueue)",
}

// TestPagesAccessibleAndLight opens every visitor page and every staff page of the demo in
// chromium, at a phone and at a desktop viewport, and runs axe-core on each: a serious or
// critical violation fails the test (lesser ones are logged). On every page no request may
// leave the site's origin and no script may load; the booking page with its details form must
// weigh at most 30 KiB. A GET route in hooks/routes.go that is neither visited here nor listed
// in skippedRoutes fails the test, so a new page cannot go unchecked.
func TestPagesAccessibleAndLight(t *testing.T) {
	began := time.Now()
	axeJS := realtest.AxeSource(t)
	routes := getRoutes(t)

	inst := startReserva(t, []string{"RESERVA_FORM_MIN_SECONDS=0", "RESERVA_RATE_BOOKING=off", "RESERVA_BOOKINGS_PER_EMAIL=0"}, "--demo")
	const ownerPW = "copper-lantern-estuary"
	createStaff(t, inst.Dir, "owner@example.com", "owner", ownerPW)
	date := nextOpenDate(t)
	token := bookHTTP(t, inst.URL, "dinner", date+"T19:00", "grace@example.com")
	potteryDate := firstDateWithTimes(t, inst.URL, "pottery")

	ctx := realtest.NewBrowser(t, 8*time.Minute)
	pc := newPageChecker(t, ctx, inst.URL, axeJS)

	// The visitor site.
	pc.open("home", "/{$}", "/", http.StatusOK)
	pc.open("dinner: a date's free times", "/book/{slug}", "/book/dinner?date="+date+"&party=2", http.StatusOK)
	details := pc.open("dinner: a chosen time and the details form", "/book/{slug}",
		"/book/dinner?date="+date+"&party=2&start="+date+"T19:00", http.StatusOK)
	pc.must("find the details form", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="book-form"]`))))
	// The form with every problem shown beside its field: the browser's own checks are turned
	// off so the empty form reaches the server (as from a browser without them).
	pc.must("skip the browser's form checks", chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="book-form"]').noValidate = true`)))
	pc.submit("dinner: the details form with errors (POST, 422)", `[data-testid="book-submit"]`, http.StatusUnprocessableEntity)
	pc.open("pottery", "/book/{slug}", "/book/pottery", http.StatusOK)
	pc.open("pottery: a date's sessions", "/book/{slug}", "/book/pottery?date="+potteryDate+"&party=2", http.StatusOK)
	pc.open("manage a booking", "/b/{token}", "/b/"+token+"?m=booked", http.StatusOK)
	pc.open("change a booking", "/b/{token}/change", "/b/"+token+"/change", http.StatusOK)
	pc.open("change a booking: the confirm step", "/b/{token}/change", "/b/"+token+"/change?party=3&start="+date+"T20%3A00", http.StatusOK)
	pc.open("privacy notice", "/privacy", "/privacy", http.StatusOK)
	// The framable booking pages, opened on their own (no site is listed, so they load no script).
	pc.open("embedded booking: a date's free times", "/embed/{slug}", "/embed/dinner?date="+date+"&party=2", http.StatusOK)
	pc.open("embedded booking: the details form", "/embed/{slug}", "/embed/dinner?date="+date+"&party=2&start="+date+"T20%3A00", http.StatusOK)
	pc.open("embedded booking: the confirmation", "/embed/b/{token}", "/embed/b/"+token+"?m=booked", http.StatusOK)
	fillTime(t, inst.URL, "dinner", date+"T21:00") // its waitlist
	pc.open("waitlist: join a full time", "/waitlist/{slug}", "/waitlist/dinner?party=2&start="+date+"T21%3A00", http.StatusOK)
	pc.must("fill the waitlist form", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("name"), "Wanda Wait"),
		chromedp.SendKeys(chromedp.ID("email"), "wanda@example.com"), chromedp.Click(chromedp.ID("consent"))))
	pc.submit("waitlist: a place in the queue (POST, then the entry's page)", `[data-testid="waitlist-submit"]`, http.StatusOK)
	pc.covered["/w/{token}"] = true
	pc.open("my bookings and data: sign-in form", "/account", "/account", http.StatusOK)
	pc.must("ask for a link", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("email"), "grace@example.com")))
	pc.submit("my bookings and data: link sent (POST)", `[data-testid="account-request"]`, http.StatusOK)
	pc.open("my bookings and data: the link's page", "/account/{token}", accountLink(t, inst.Dir), http.StatusOK)
	pc.submit("my bookings and data: signed in", `[data-testid="account-signin"]`, http.StatusOK)
	pc.open("not found", "", "/no-such-page", http.StatusNotFound)
	pc.open("bad request", "/book/{slug}", "/book/dinner?date=not-a-date&party=x", http.StatusBadRequest)

	// The staff dashboard: signing in (once with a wrong password), then every page as the owner.
	pc.open("staff sign-in", "/admin/login", "/admin/login", http.StatusOK)
	pc.open("forgotten password", "/admin/forgot", "/admin/forgot", http.StatusOK)
	pc.must("give the address", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("email"), "owner@example.com")))
	pc.submit("forgotten password: link sent (POST, then the page)", `[data-testid="forgot-submit"]`, http.StatusOK)
	pc.open("password reset: the mailed link", "/admin/reset/{token}", resetLink(t, inst.Dir), http.StatusOK)
	pc.open("password reset: a used or unknown link", "/admin/reset/{token}", "/admin/reset/not-a-link", http.StatusNotFound)
	pc.open("staff sign-in (again)", "/admin/login", "/admin/login", http.StatusOK)
	signIn := func(password string, want int64) {
		t.Helper()
		// SetValue, not SendKeys: a refused sign-in keeps the address in its field.
		pc.must("fill sign-in", chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("email"), "owner@example.com"),
			chromedp.SetValue(chromedp.ID("password"), password)))
		pc.submit("", `[data-testid="login-submit"]`, want)
	}
	signIn("not-the-password", http.StatusUnauthorized)
	pc.check("staff sign-in refused (POST, 401)")
	signIn(ownerPW, http.StatusOK)
	pc.check("today (after sign-in)")
	pc.covered["/admin/{$}"] = true

	// A day with the demo's guests: the first day after today that the dinner is open.
	berlin, err := time.LoadLocation("Europe/Berlin")
	pc.must("time zone", err)
	guestDay := time.Now().In(berlin).AddDate(0, 0, 1)
	if guestDay.Weekday() == time.Monday {
		guestDay = guestDay.AddDate(0, 0, 1)
	}
	pc.open("today: a day with guests", "/admin/{$}", "/admin/?date="+guestDay.Format("2006-01-02"), http.StatusOK)
	bookingURL := pc.attr(`tr[data-testid^="row-"] a[href^="/admin/bookings/"]`, "href")
	pc.open("bookings", "/admin/bookings", "/admin/bookings", http.StatusOK)
	pc.open("bookings: a search", "/admin/bookings", "/admin/bookings?q=Demo", http.StatusOK)
	pc.open("new booking", "/admin/bookings/new", "/admin/bookings/new?date="+date, http.StatusOK)
	pc.open("a booking", "/admin/bookings/{id}", bookingURL, http.StatusOK)
	guestURL := pc.attr(`[data-testid="guest-profile"]`, "href")
	pc.open("a booking's sensitive note", "/admin/bookings/{id}/sensitive", bookingURL+"/sensitive", http.StatusOK)
	pc.open("a guest's profile", "/admin/guests/{id}", guestURL, http.StatusOK)
	pc.open("guests", "/admin/guests", "/admin/guests", http.StatusOK)
	pc.open("guests: a search", "/admin/guests", "/admin/guests?q=Demo", http.StatusOK)
	pc.open("waitlists", "/admin/waitlist", "/admin/waitlist?date="+date, http.StatusOK)
	pc.open("walk-ins", "/admin/walkins", "/admin/walkins", http.StatusOK)
	pc.must("add a walk-in", chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid="walkin-new"] #name`), "Door Party"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="walkin-new"] #party`), "3"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="walkin-new"] #wait`), "20")))
	pc.submit("walk-ins: a party in the queue (POST)", `[data-testid="walkin-new"] button[type="submit"]`, http.StatusOK)
	pc.open("account", "/admin/account", "/admin/account", http.StatusOK)
	pc.open("offerings", "/admin/offerings", "/admin/offerings", http.StatusOK)
	offeringURL := pc.attr(`main h2 a[href^="/admin/offerings/"]`, "href")
	pc.open("an offering", "/admin/offerings/{id}", offeringURL, http.StatusOK)
	pc.open("a new offering", "/admin/offerings/{id}", "/admin/offerings/new", http.StatusOK)
	// A table for the dinner, added through its form: the offering page lists it, the table's
	// own page, and the floor view of the day with guests.
	pc.open("an offering (resources)", "/admin/offerings/{id}", offeringURL, http.StatusOK)
	pc.must("fill a table", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`section[aria-labelledby="resources-h"] summary`)),
		chromedp.SetValue(chromedp.ID("resource_kind"), "table"), chromedp.SendKeys(chromedp.ID("resource_name"), "Window table"),
		chromedp.SetValue(chromedp.ID("resource_max_seats"), "8")))
	pc.submit("an offering: a table added (POST, then the page)", `[data-testid="resource-form"] button[type="submit"]`, http.StatusOK)
	pc.open("a resource", "/admin/offerings/{id}/resources/{rid}", pc.attr(`[data-testid="resources-list"] a`, "href"), http.StatusOK)
	pc.open("floor view", "/admin/floor", "/admin/floor?date="+guestDay.Format("2006-01-02"), http.StatusOK)
	// The pottery class: a weekly series added through its form, then the series' page and the
	// page of one of its sessions.
	pc.open("offerings (again)", "/admin/offerings", "/admin/offerings", http.StatusOK)
	potteryURL, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('main a[href^="/admin/offerings/"]')].find(a => a.textContent.includes('Pottery')).getAttribute('href')`))
	pc.must("find the pottery class", err)
	pc.open("a session offering", "/admin/offerings/{id}", potteryURL, http.StatusOK)
	pc.must("fill a weekly series", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`section[aria-labelledby="series-h"] summary`)),
		chromedp.Click(chromedp.ID("day-4")), chromedp.SetValue(chromedp.ID("time"), "19:30")))
	pc.submit("a session offering: a weekly series added (POST, then the page)", `[data-testid="series-form"] button[type="submit"]`, http.StatusOK)
	pc.open("a weekly series", "/admin/offerings/{id}/series/{sid}", pc.attr(`[data-testid="series-list"] a`, "href"), http.StatusOK)
	pc.open("a session", "/admin/offerings/{id}/sessions/{sid}", pc.attr(`[data-testid="series-sessions"] a`, "href"), http.StatusOK)
	pc.open("closures", "/admin/closures", "/admin/closures", http.StatusOK)
	// Special hours for the dinner's next open date: first with the closing time before the
	// opening (refused beside the field, the browser's own checks off), then right; the
	// booking page of that date tells them and offers their times.
	pc.must("fill special hours with an error", chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("special_from"), date), chromedp.SetValue(chromedp.ID("special_to"), date),
		chromedp.SetValue(chromedp.ID("opens_1"), "12:00"), chromedp.SetValue(chromedp.ID("closes_1"), "11:00"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="special-form"]').noValidate = true`)))
	pc.submit("closures: special hours with an error (POST, 422)", `[data-testid="special-form"] button[type="submit"]`, http.StatusUnprocessableEntity)
	if msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="span_1-error"]`))); err != nil || !strings.Contains(msg, "later closing time") {
		t.Errorf("special hours with the closing time first: the message beside the times is %q (%v)", msg, err)
	}
	pc.must("correct the special hours", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("closes_1"), "16:00"),
		chromedp.SendKeys(chromedp.ID("special_reason"), "Long lunch")))
	pc.submit("closures: special hours set (POST, then the page)", `[data-testid="special-form"] button[type="submit"]`, http.StatusOK)
	if list, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="special-hours"]`))); err != nil || !strings.Contains(list, "12:00–16:00") {
		t.Errorf("the special hours set are not listed: %q (%v)", list, err)
	}
	pc.open("dinner: a date with special hours", "/book/{slug}", "/book/dinner?date="+date+"&party=2", http.StatusOK)
	if note, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="special-hours"]`))); err != nil || !strings.Contains(note, "12:00–16:00") {
		t.Errorf("the booking page does not tell the special hours: %q (%v)", note, err)
	}
	if first := pc.attr(`button[data-testid="time"]`, "value"); first != date+"T12:00" {
		t.Errorf("the first time offered on the special date is %q, want %sT12:00", first, date)
	}
	pc.open("outbox", "/admin/outbox", "/admin/outbox", http.StatusOK)
	pc.open("privacy requests", "/admin/privacy", "/admin/privacy", http.StatusOK)
	pc.open("settings", "/admin/settings", "/admin/settings", http.StatusOK)
	// The venue's photo and logo, uploaded through the settings page as the owner does; then
	// the home page with them, checked like every page and laid out at a phone and a wide screen.
	pictures := t.TempDir()
	pc.must("choose a photo", chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("photo"), []string{writePicture(t, pictures, "dining-room.jpg", 1600, 1000)}),
		chromedp.SendKeys(chromedp.ID("photo_alt"), "The dining room at night")))
	pc.submit("settings: a photo uploaded (POST, then the settings page)", `[data-testid="photo-save"]`, http.StatusOK)
	pc.must("choose a logo", chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("logo"), []string{writePicture(t, pictures, "logo.png", 240, 80)})))
	pc.submit("settings: a logo uploaded (POST, then the settings page)", `[data-testid="logo-save"]`, http.StatusOK)
	pc.open("home with a photo and a logo", "/{$}", "/", http.StatusOK)
	pc.checkHomeLayout()
	pc.open("webhooks", "/admin/webhooks", "/admin/webhooks", http.StatusOK)
	pc.open("payments", "/admin/payments", "/admin/payments", http.StatusOK)
	// A staff member of the dinner and their calendar link, made on their page: the page that
	// shows the address once.
	pc.open("an offering (a staff member)", "/admin/offerings/{id}", offeringURL, http.StatusOK)
	pc.must("fill a staff member", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`section[aria-labelledby="resources-h"] summary`)),
		chromedp.SetValue(chromedp.ID("resource_kind"), "staff"), chromedp.SendKeys(chromedp.ID("resource_name"), "Anna Guide")))
	pc.submit("an offering: a staff member added (POST, then the page)", `[data-testid="resource-form"] button[type="submit"]`, http.StatusOK)
	pc.open("a staff member", "/admin/offerings/{id}/resources/{rid}", pc.attr(`[data-testid="resources-list"] a`, "href"), http.StatusOK)
	pc.submit("a staff member: a calendar link made (POST, then the page)", `[data-testid="feed-create"]`, http.StatusOK)
	pc.open("api keys", "/admin/api-keys", "/admin/api-keys", http.StatusOK)
	pc.must("name an API key", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("apikey_name"), "Till at the bar")))
	pc.submit("api keys: a key made (POST, the key shown once)", `[data-testid="apikey-form"] button[type="submit"]`, http.StatusOK)
	// Sign-in through an identity provider: the owner's page (without RESERVA_ENCRYPTION_KEY here:
	// it says the key is needed); none is set up, so the button's link and the provider's way
	// back are 404 pages (TestStaffSignInWithOIDC goes through a real provider).
	pc.open("identity provider", "/admin/oidc", "/admin/oidc", http.StatusOK)
	pc.open("the provider's sign-in, none set up", "/admin/login/oidc", "/admin/login/oidc", http.StatusNotFound)
	pc.open("the provider's way back, none set up", "/admin/oidc/callback", "/admin/oidc/callback?state=x&code=y", http.StatusNotFound)
	pc.open("backups", "/admin/backups", "/admin/backups", http.StatusOK)
	pc.open("audit log", "/admin/audit", "/admin/audit", http.StatusOK)
	pc.open("staff", "/admin/staff", "/admin/staff", http.StatusOK)

	// An invite: no relay is configured, so the page shows the link; the invitee's page.
	pc.must("fill the invite", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`[data-testid="invite"] #email`), "new.member@example.com"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="invite"] #role`), "frontdesk")))
	pc.submit("staff: an invite made (POST)", `[data-testid="invite"] button[type="submit"]`, http.StatusOK)
	link, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="invite-link"]`)))
	pc.must("read the invite link", err)
	u, err := url.Parse(strings.TrimSpace(link))
	pc.must("parse the invite link", err)
	pc.open("an invite", "/admin/invite/{token}", u.Path, http.StatusOK)

	// Two-factor sign-in: enrol (the recovery codes page), then the second step of a sign-in.
	pc.open("set up two-factor sign-in", "/admin/2fa/setup", "/admin/2fa/setup", http.StatusOK)
	secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="totp-secret"]`)))
	pc.must("read the secret", err)
	code, err := totp.GenerateCode(secret, time.Now())
	pc.must("code", err)
	pc.must("enter the code", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("code"), code)))
	pc.submit("recovery codes (POST)", `[data-testid="setup-submit"]`, http.StatusOK)
	pc.submit("", `[data-testid="logout"]`, http.StatusOK)
	signIn(ownerPW, http.StatusOK)
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/admin/login/2fa") {
		t.Fatalf("after the password the browser is at %q (%v), want the second step", loc, err)
	}
	pc.check("two-factor sign-in step")
	pc.covered["/admin/login/2fa"] = true

	// The booking page's weight, measured when it was opened.
	if details.bytes > pageWeightBudget {
		t.Errorf("the booking page with its form loads %d bytes, over the budget of %d:\n%s", details.bytes, pageWeightBudget, details.list())
	}
	if !details.has(network.ResourceTypeDocument) || !details.has(network.ResourceTypeStylesheet) {
		t.Errorf("the booking page's weight misses its HTML or its stylesheet:\n%s", details.list())
	}
	t.Logf("booking page with the details form: %d bytes transferred (%d bytes of decoded bodies) in %d requests:\n%s",
		details.bytes, details.body, len(details.resources), details.list())

	pc.checkCoverage(routes)
	t.Logf("%d pages checked at 2 viewports in %s", pc.pages, time.Since(began).Round(time.Second))
}

// pageChecker opens pages in one chromium tab and checks each: axe at two viewports, the
// requests it made.
type pageChecker struct {
	t       *testing.T
	ctx     context.Context
	base    string
	axe     string
	covered map[string]bool // route patterns visited
	pages   int
	net     *netRecorder
}

func newPageChecker(t *testing.T, ctx context.Context, base, axeJS string) *pageChecker {
	t.Helper()
	u, err := url.Parse(base)
	must(t, err)
	pc := &pageChecker{t: t, ctx: ctx, base: base, axe: axeJS, covered: map[string]bool{},
		net: &netRecorder{host: u.Host, reqs: map[network.RequestID]*resource{}}}
	must(t, chromedp.Listen(ctx, pc.net.event))
	// No cache: every page loads its stylesheet, so each page's weight is all it needs.
	_, err = chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
	must(t, err)
	must(t, chromedp.Do(ctx, phoneViewport))
	return pc
}

func (pc *pageChecker) must(what string, err error) {
	pc.t.Helper()
	if err != nil {
		pc.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to path, the page of the GET route pattern route (as written in
// hooks/routes.go; "" for the catch-all 404 page), wants its status, and checks it.
func (pc *pageChecker) open(name, route, path string, want int64) *pageLoad {
	pc.t.Helper()
	if route != "" {
		pc.covered[route] = true
	}
	pc.net.reset()
	res, err := chromedp.RunResponse(pc.ctx, chromedp.Navigate(pc.base+path))
	pc.must("open "+path, err)
	if res.Status != want {
		pc.t.Fatalf("%s: GET %s answered %d, want %d", name, path, res.Status, want)
	}
	return pc.check(name)
}

// submit clicks sel (a form's button) and wants the status of the page it leads to; with a
// name, it checks that page.
func (pc *pageChecker) submit(name, sel string, want int64) {
	pc.t.Helper()
	pc.net.reset()
	res, err := chromedp.RunResponse(pc.ctx, chromedp.Click(chromedp.CSS(sel)))
	pc.must("click "+sel, err)
	if res.Status != want {
		pc.t.Fatalf("%s: clicking %s led to %d, want %d", name, sel, res.Status, want)
	}
	if name != "" {
		pc.check(name)
	}
}

// attr reads an attribute of the first element matching sel.
func (pc *pageChecker) attr(sel, name string) string {
	pc.t.Helper()
	v, err := chromedp.Run(pc.ctx, chromedp.Evaluate[string](
		fmt.Sprintf(`document.querySelector(%q).getAttribute(%q)`, sel, name)))
	pc.must("read "+name+" of "+sel, err)
	return v
}

// check checks the page the tab shows now: the requests that loaded it (none off the origin,
// no scripts), and axe at the phone and the desktop viewport. It returns what the page loaded.
func (pc *pageChecker) check(name string) *pageLoad {
	pc.t.Helper()
	pc.pages++
	load := pc.net.take()
	for _, u := range load.offOrigin {
		pc.t.Errorf("%s: a request left the site: %s", name, u)
	}
	for _, r := range load.resources {
		if r.typ == network.ResourceTypeScript {
			pc.t.Errorf("%s: loads a script: %s", name, r.url)
		}
	}

	// On the phone nothing is wider than the screen: tables scroll inside their own box.
	type pageWidth struct{ Doc, View int }
	pc.must("set the phone viewport", chromedp.Do(pc.ctx, phoneViewport))
	width, err := chromedp.Run(pc.ctx, chromedp.Evaluate[pageWidth](`({Doc: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth), View: document.documentElement.clientWidth})`))
	pc.must(name+": page width", err)
	if width.Doc > width.View || width.View > phoneWidth {
		pc.t.Errorf("%s: the page is %d px wide on a %d px phone screen", name, width.Doc, width.View)
	}
	// Nor on a wide screen.
	pc.must("set the wide viewport", chromedp.Do(pc.ctx, wideViewport))
	width, err = chromedp.Run(pc.ctx, chromedp.Evaluate[pageWidth](`({Doc: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth), View: document.documentElement.clientWidth})`))
	pc.must(name+": page width", err)
	if width.Doc > width.View || width.View > wideWidth {
		pc.t.Errorf("%s: the page is %d px wide on a %d px screen", name, width.Doc, width.View)
	}

	type finding struct {
		rule      realtest.AxeRule
		viewports []string
	}
	var findings []*finding
	byKey := map[string]*finding{}
	for _, vp := range []struct {
		name string
		set  chromedp.Action[chromedp.Void]
	}{{"phone", phoneViewport}, {"desktop", desktopViewport}} {
		pc.must("set the "+vp.name+" viewport", chromedp.Do(pc.ctx, vp.set))
		res, err := realtest.RunAxe(pc.ctx, pc.axe)
		pc.must(name+": axe at the "+vp.name+" viewport", err)
		for _, rule := range res.Violations {
			key, _ := json.Marshal(rule)
			if f, ok := byKey[string(key)]; ok {
				f.viewports = append(f.viewports, vp.name)
				continue
			}
			f := &finding{rule: rule, viewports: []string{vp.name}}
			byKey[string(key)] = f
			findings = append(findings, f)
		}
	}
	pc.must("back to the phone viewport", chromedp.Do(pc.ctx, phoneViewport))

	serious := 0
	for _, f := range findings {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: axe %s (%s, %s): %s\n    %s", name, f.rule.ID, f.rule.Impact,
			strings.Join(f.viewports, " and "), f.rule.Help, f.rule.HelpURL)
		for _, n := range f.rule.Nodes {
			fmt.Fprintf(&b, "\n    - %s %s", n.Target, n.HTML)
			if n.Summary != "" {
				fmt.Fprintf(&b, "\n      %s", strings.ReplaceAll(n.Summary, "\n", "\n      "))
			}
		}
		if f.rule.Impact == "serious" || f.rule.Impact == "critical" {
			serious++
			pc.t.Error(b.String())
		} else {
			pc.t.Log(b.String())
		}
	}
	pc.t.Logf("%s: %d axe violations (%d serious or critical); %d bytes in %d requests",
		name, len(findings), serious, load.bytes, len(load.resources))
	return load
}

// checkHomeLayout checks how the home page the tab shows (with the venue's photo and logo) is
// laid out, from the boxes the browser gave its parts, at a phone and at a 1366 px screen, and
// keeps a full-page screenshot of each as a test artifact (go test -artifacts keeps them). On
// the phone: one column, the photo above the details. On the wide screen the page uses the
// width: the photo and the details side by side, the offerings in one row. Both pictures come
// at their own size from the site.
func (pc *pageChecker) checkHomeLayout() {
	pc.t.Helper()
	type box struct{ Left, Right, Top, Bottom, Width float64 }
	type layout struct {
		Photo, About, Main      box
		Offerings               []box
		PhotoPixels, LogoPixels int
	}
	read := func(vp string, set chromedp.Action[chromedp.Void]) layout {
		pc.t.Helper()
		pc.must("set the "+vp+" viewport", chromedp.Do(pc.ctx, set))
		l, err := chromedp.Run(pc.ctx, chromedp.Evaluate[layout](`(() => {
			const q = s => document.querySelector(s);
			const box = e => { const r = e.getBoundingClientRect(); return {Left: r.left, Right: r.right, Top: r.top, Bottom: r.bottom, Width: r.width}; };
			return {Photo: box(q('[data-testid="venue-photo"]')), About: box(q('[data-testid="venue-about"]')), Main: box(q('main')),
				Offerings: [...document.querySelectorAll('[data-testid^="offering-"]')].map(box),
				PhotoPixels: q('[data-testid="venue-photo"]').naturalWidth, LogoPixels: q('[data-testid="venue-logo"]').naturalWidth};
		})()`))
		pc.must("read the home page's layout at the "+vp+" viewport", err)
		shot, err := chromedp.Run(pc.ctx, chromedp.FullScreenshot(100)) // 100: a PNG
		pc.must("screenshot the home page at the "+vp+" viewport", err)
		path := filepath.Join(pc.t.ArtifactDir(), "home-"+vp+".png")
		pc.must("keep the screenshot", os.WriteFile(path, shot, 0o644))
		pc.t.Logf("home page at the %s viewport: %+v; screenshot %s", vp, l, path)
		return l
	}
	phone := read("phone", phoneViewport)
	if phone.PhotoPixels != 1600 || phone.LogoPixels != 240 {
		pc.t.Errorf("the photo is %d px and the logo %d px wide as loaded, want 1600 and 240", phone.PhotoPixels, phone.LogoPixels)
	}
	if phone.Photo.Right > phoneWidth || phone.About.Top < phone.Photo.Bottom {
		pc.t.Errorf("on the phone the photo (%+v) should stand above the details (%+v), within the screen", phone.Photo, phone.About)
	}
	wide := read("wide", wideViewport)
	if wide.Main.Width < 1000 {
		pc.t.Errorf("at %d px the page's content is only %.0f px wide", wideWidth, wide.Main.Width)
	}
	if wide.Photo.Right > wide.About.Left || wide.About.Top >= wide.Photo.Bottom || wide.Photo.Width < 500 {
		pc.t.Errorf("at %d px the photo (%+v) and the details (%+v) should sit side by side", wideWidth, wide.Photo, wide.About)
	}
	if len(wide.Offerings) < 2 || wide.Offerings[1].Top != wide.Offerings[0].Top {
		pc.t.Errorf("at %d px the offerings should sit in a row: %+v", wideWidth, wide.Offerings)
	}
	pc.must("back to the phone viewport", chromedp.Do(pc.ctx, phoneViewport))
}

// writePicture writes a w×h picture (a colour gradient) to dir/name, as a JPEG or (by the
// name) a PNG, and returns its path.
func writePicture(t *testing.T, dir, name string, w, h int) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: uint8(40 + x*150/w), G: uint8(30 + y*90/h), B: 60, A: 255})
		}
	}
	var b bytes.Buffer
	if strings.HasSuffix(name, ".png") {
		must(t, png.Encode(&b, img))
	} else {
		must(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}))
	}
	path := filepath.Join(dir, name)
	must(t, os.WriteFile(path, b.Bytes(), 0o600))
	return path
}

// checkCoverage fails for a GET route that was neither visited nor skipped with a reason, and
// for a visited or skipped pattern that is no longer in the route table.
func (pc *pageChecker) checkCoverage(routes []string) {
	pc.t.Helper()
	for _, r := range routes {
		if !pc.covered[r] && skippedRoutes[r] == "" {
			pc.t.Errorf("GET %s (hooks/routes.go) is not checked: visit it in TestPagesAccessibleAndLight, or add it to skippedRoutes with the reason", r)
		}
	}
	for r := range pc.covered {
		if !slices.Contains(routes, r) {
			pc.t.Errorf("the test visits %s, which is not a GET route of hooks/routes.go", r)
		}
	}
	for r := range skippedRoutes {
		if !slices.Contains(routes, r) {
			pc.t.Errorf("skippedRoutes lists %s, which is not a GET route of hooks/routes.go", r)
		}
	}
}

// netRecorder collects the tab's network events (chromedp.Listen calls it on the tab's
// reading goroutine: it only records, under a lock).
type netRecorder struct {
	host string // the site's host:port

	mu        sync.Mutex
	reqs      map[network.RequestID]*resource
	order     []network.RequestID
	offOrigin []string
}

type resource struct {
	url       string
	typ       network.ResourceType
	bytes     float64 // transferred, headers included
	body      int64   // the body, decoded
	completed bool
}

func (n *netRecorder) event(ev any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		if u, err := url.Parse(ev.Request.URL); err != nil || (u.Scheme != "data" && u.Host != n.host) {
			n.offOrigin = append(n.offOrigin, ev.Request.URL)
		}
		if _, ok := n.reqs[ev.RequestID]; !ok {
			n.order = append(n.order, ev.RequestID)
		}
		// A redirect reuses the request's id: the resource is the last URL, and its bytes are
		// counted from the last response on.
		n.reqs[ev.RequestID] = &resource{url: ev.Request.URL, typ: ev.Type}
	case *network.EventLoadingFinished:
		if r, ok := n.reqs[ev.RequestID]; ok {
			r.bytes, r.completed = ev.EncodedDataLength, true
		}
	case *network.EventDataReceived:
		if r, ok := n.reqs[ev.RequestID]; ok {
			r.body += ev.DataLength
		}
	}
}

func (n *netRecorder) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.reqs, n.order, n.offOrigin = map[network.RequestID]*resource{}, nil, nil
}

// pageLoad is what one page loaded.
type pageLoad struct {
	resources   []*resource
	bytes, body int
	offOrigin   []string
}

// take returns what was loaded since the last reset (or take) and starts over.
func (n *netRecorder) take() *pageLoad {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := &pageLoad{offOrigin: n.offOrigin}
	for _, id := range n.order {
		r := n.reqs[id]
		l.resources = append(l.resources, r)
		l.bytes += int(r.bytes)
		l.body += int(r.body)
	}
	n.reqs, n.order, n.offOrigin = map[network.RequestID]*resource{}, nil, nil
	return l
}

func (l *pageLoad) has(typ network.ResourceType) bool {
	return slices.ContainsFunc(l.resources, func(r *resource) bool { return r.typ == typ && r.completed })
}

func (l *pageLoad) list() string {
	var b strings.Builder
	for _, r := range l.resources {
		fmt.Fprintf(&b, "  %-10s %6d bytes (body %6d) %s\n", r.typ, int(r.bytes), int(r.body), r.url)
	}
	return b.String()
}

// firstDateWithTimes is the first date from two days ahead on (venue time) with a free time of
// the offering for a party of 2, asked of the availability API.
func firstDateWithTimes(t *testing.T, base, offering string) string {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	must(t, err)
	for d := 2; d < 30; d++ {
		date := time.Now().In(berlin).AddDate(0, 0, d).Format("2006-01-02")
		res, err := http.Get(base + "/api/reserva/availability?offering=" + offering + "&date=" + date + "&party=2")
		must(t, err)
		var ans struct {
			Times []struct{ Available bool }
		}
		err = json.NewDecoder(res.Body).Decode(&ans)
		res.Body.Close()
		must(t, err)
		if slices.ContainsFunc(ans.Times, func(tm struct{ Available bool }) bool { return tm.Available }) {
			return date
		}
	}
	t.Fatalf("the demo's %s has no free time in the next four weeks", offering)
	return ""
}

// getRoutes returns the GET route patterns of Reserva's route table, each with its group's
// prefix, as written in the source ("/admin" + "/bookings/{id}" = "/admin/bookings/{id}").
//
// Why read the source: the table is built by hooks.(*handlers).routes on a live PocketBase
// router and is not exported (hooks' own tests read it by reflection inside that package). The
// files of package hooks are parsed with go/parser, not matched with a regular expression, and
// the calls are followed by their structure: a parameter of type *router.Router has the prefix
// "", `g := x.Group("/p")` gives g the prefix of x plus "/p" (also when chained, as in
// x.Group("/p").GET(…)), and every `g.GET("/path", …)` is a route. Anything the reader cannot
// follow (a GET on an unknown receiver, a path that is not a string literal) fails the test
// rather than hiding a route; every non-test file of hooks/ is read, so a route added in
// another file is seen as well.
func getRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("hooks", "*.go"))
	must(t, err)
	fset := token.NewFileSet()
	var routes []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		must(t, err)
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			prefixes := map[string]string{}
			for _, field := range fn.Type.Params.List {
				if strings.Contains(types.ExprString(field.Type), "router.Router[") {
					for _, n := range field.Names {
						prefixes[n.Name] = ""
					}
				}
			}
			// prefixOf is the path prefix of a router or group expression.
			var prefixOf func(ast.Expr) (string, bool)
			prefixOf = func(e ast.Expr) (string, bool) {
				switch e := e.(type) {
				case *ast.Ident:
					p, ok := prefixes[e.Name]
					return p, ok
				case *ast.CallExpr:
					if recv, arg, ok := methodCall(t, fset, e, "Group"); ok {
						if p, ok := prefixOf(recv); ok {
							return p + arg, true
						}
					}
				}
				return "", false
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					if len(n.Lhs) == 1 && len(n.Rhs) == 1 {
						if id, ok := n.Lhs[0].(*ast.Ident); ok {
							if p, ok := prefixOf(n.Rhs[0]); ok {
								prefixes[id.Name] = p
							}
						}
					}
				case *ast.CallExpr:
					if recv, path, ok := methodCall(t, fset, n, "GET"); ok {
						p, ok := prefixOf(recv)
						if !ok {
							t.Fatalf("%s: GET %q on %s, whose path prefix this test cannot follow: extend getRoutes",
								fset.Position(n.Pos()), path, types.ExprString(recv))
						}
						routes = append(routes, p+path)
					}
				}
				return true
			})
		}
	}
	if len(routes) < 20 || !slices.Contains(routes, "/admin/{$}") || !slices.Contains(routes, "/book/{slug}") {
		t.Fatalf("read %d GET routes from hooks/ (%v): the route table was not found", len(routes), routes)
	}
	return routes
}

// methodCall matches recv.method("literal", …) and returns recv and the literal; a call of the
// method with another first argument fails the test.
func methodCall(t *testing.T, fset *token.FileSet, call *ast.CallExpr, method string) (ast.Expr, string, bool) {
	t.Helper()
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != method || len(call.Args) == 0 {
		return nil, "", false
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		t.Fatalf("%s: %s with a path that is not a string literal: extend getRoutes", fset.Position(call.Pos()), method)
	}
	s, err := strconv.Unquote(lit.Value)
	must(t, err)
	return sel.X, s, true
}

// accountLink reads the newest sign-in link from the outbox (no relay is configured here).
func accountLink(t *testing.T, dir string) string {
	t.Helper()
	return mailedLink(t, dir, "signin", accountLinkInMail)
}

// resetLink is the path of the newest staff password-reset link, read from its mail in the
// outbox.
func resetLink(t *testing.T, dir string) string {
	t.Helper()
	return mailedLink(t, dir, "staff_reset", resetLinkInMail)
}

var resetLinkInMail = regexp.MustCompile(`/admin/reset/[A-Za-z0-9_-]{20,}`)

// mailedLink is what link finds in the newest queued mail of kind.
func mailedLink(t *testing.T, dir, kind string, link *regexp.Regexp) string {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "data.db")+"?_pragma=busy_timeout(10000)")
	must(t, err)
	defer db.Close()
	var text string
	must(t, db.QueryRow(`SELECT text FROM outbox WHERE kind = ? ORDER BY created DESC LIMIT 1`, kind).Scan(&text))
	found := link.FindString(text)
	if found == "" {
		t.Fatalf("the %s mail holds no link:\n%s", kind, text)
	}
	return found
}
