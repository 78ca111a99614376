package hooks

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"reserva/internal/booking"
	"reserva/internal/store"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
)

// The columns of the role matrix.
var matrixRoles = []string{"anonymous", "frontdesk", "manager", "owner"}

// matrixCase is one /admin/ route in the role matrix: the exact status each role gets, and the
// request sent (built against the role's own server, so a destructive route touches only its
// own fixtures). Allowed roles send a valid request and get the route's success status.
type matrixCase struct {
	want [4]int // anonymous, frontdesk, manager, owner
	req  func(f *matrixFixtures) (path string, form url.Values)
}

const (
	ok     = http.StatusOK
	seeOth = http.StatusSeeOther
	forbid = http.StatusForbidden
	unauth = http.StatusUnauthorized
	unproc = http.StatusUnprocessableEntity
)

// Statuses of the guard groups: an anonymous GET is sent to sign in, an anonymous POST refused.
var (
	deskGET  = [4]int{seeOth, ok, ok, ok}
	deskPOST = [4]int{forbid, seeOth, seeOth, seeOth}
	mgrGET   = [4]int{seeOth, forbid, ok, ok}
	mgrPOST  = [4]int{forbid, forbid, seeOth, seeOth}
	ownGET   = [4]int{seeOth, forbid, forbid, ok}
	ownPOST  = [4]int{forbid, forbid, forbid, seeOth}
)

func get(p string) func(*matrixFixtures) (string, url.Values) {
	return func(*matrixFixtures) (string, url.Values) { return p, nil }
}

func post(p string) func(*matrixFixtures) (string, url.Values) {
	return func(*matrixFixtures) (string, url.Values) { return p, url.Values{} }
}

// adminMatrix holds every /admin/ route of the route table; TestAdminRoleMatrix fails on a
// route without an entry, and on an entry without a route.
var adminMatrix = map[string]matrixCase{
	// Open: signing in and out, invites.
	"GET /admin":       {[4]int{http.StatusMovedPermanently, 301, 301, 301}, get("/admin")},
	"GET /admin/login": {[4]int{ok, seeOth, seeOth, seeOth}, get("/admin/login")},
	"POST /admin/login": {[4]int{unauth, unauth, unauth, unauth}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/login", url.Values{"email": {"owner@demo.invalid"}, "password": {"not the password"}}
	}},
	"POST /admin/logout": {[4]int{seeOth, seeOth, seeOth, seeOth}, func(f *matrixFixtures) (string, url.Values) {
		f.freshSession() // signing out ends the session; the other cases keep theirs
		return "/admin/logout", url.Values{}
	}},
	"GET /admin/invite/{token}": {[4]int{ok, ok, ok, ok}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/invite/" + f.invite(), nil
	}},
	"POST /admin/invite/{token}": {[4]int{seeOth, seeOth, seeOth, seeOth}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/invite/" + f.invite(), url.Values{"name": {"Ines Invited"}, "password": {"amber-pelican-orchard"},
			"password2": {"amber-pelican-orchard"}}
	}},
	// Sign-in through an identity provider: none is configured here (no encryption key), so
	// both answer 404 to everyone (TestOIDC* in admin_oidc_test.go sign in through one).
	"GET /admin/login/oidc":    {[4]int{http.StatusNotFound, 404, 404, 404}, get("/admin/login/oidc?next=%2Fadmin%2F")},
	"GET /admin/oidc/callback": {[4]int{http.StatusNotFound, 404, 404, 404}, get("/admin/oidc/callback?state=x&code=y")},
	"GET /admin/forgot":        {[4]int{ok, ok, ok, ok}, get("/admin/forgot")},
	"POST /admin/forgot": {[4]int{seeOth, seeOth, seeOth, seeOth}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/forgot", url.Values{"email": {"nobody@demo.invalid"}}
	}},
	"GET /admin/reset/{token}": {[4]int{ok, ok, ok, ok}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/reset/" + f.reset(), nil
	}},
	"POST /admin/reset/{token}": {[4]int{seeOth, seeOth, seeOth, seeOth}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/reset/" + f.reset(), url.Values{"password": {"amber-pelican-orchard"}, "password2": {"amber-pelican-orchard"}}
	}},

	// Half signed in: the second step and enrolment. These accounts have no authenticator.
	"GET /admin/login/2fa": {[4]int{seeOth, seeOth, seeOth, seeOth}, get("/admin/login/2fa")},
	"POST /admin/login/2fa": {[4]int{forbid, seeOth, seeOth, seeOth}, func(*matrixFixtures) (string, url.Values) {
		return "/admin/login/2fa", url.Values{"code": {"000000"}}
	}},
	"GET /admin/2fa/setup": {deskGET, get("/admin/2fa/setup")},
	"POST /admin/2fa/setup": {[4]int{forbid, unproc, unproc, unproc}, func(*matrixFixtures) (string, url.Values) {
		return "/admin/2fa/setup", url.Values{"code": {"000000"}}
	}},
	"GET /admin/2fa/qr.png": {deskGET, get("/admin/2fa/qr.png")},

	// Front desk and up.
	"GET /admin/{$}":          {deskGET, get("/admin/")},
	"GET /admin/bookings":     {deskGET, get("/admin/bookings?q=ada&from=2026-11-01&to=2026-12-31&status=confirmed")},
	"GET /admin/bookings/new": {deskGET, get("/admin/bookings/new")},
	"GET /admin/waitlist":     {deskGET, get("/admin/waitlist?date=2026-11-27")},
	"GET /admin/walkins":      {deskGET, get("/admin/walkins")},
	"POST /admin/walkins": {deskPOST, func(*matrixFixtures) (string, url.Values) {
		return "/admin/walkins", url.Values{"name": {"Door Party"}, "party": {"3"}, "wait": {"20"}, "email": {"door@example.com"}}
	}},
	"POST /admin/walkins/{id}/notify": {deskPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/walkins/" + f.walkin() + "/notify", url.Values{}
	}},
	"POST /admin/walkins/{id}/seat": {deskPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/walkins/" + f.walkin() + "/seat", url.Values{}
	}},
	"POST /admin/walkins/{id}/skip": {deskPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/walkins/" + f.walkin() + "/skip", url.Values{}
	}},
	"POST /admin/walkins/{id}/remove": {deskPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/walkins/" + f.walkin() + "/remove", url.Values{}
	}},
	"POST /admin/bookings/new":          {deskPOST, func(f *matrixFixtures) (string, url.Values) { return "/admin/bookings/new", f.staffBookingForm() }},
	"GET /admin/bookings/{id}":          {deskGET, func(f *matrixFixtures) (string, url.Values) { return "/admin/bookings/" + f.booking(), nil }},
	"POST /admin/bookings/{id}":         {deskPOST, func(f *matrixFixtures) (string, url.Values) { return "/admin/bookings/" + f.booking(), f.contactForm() }},
	"POST /admin/bookings/{id}/checkin": {deskPOST, func(f *matrixFixtures) (string, url.Values) { return f.bookingPost("checkin") }},
	"POST /admin/bookings/{id}/noshow":  {deskPOST, func(f *matrixFixtures) (string, url.Values) { return f.bookingPost("noshow") }},
	"POST /admin/bookings/{id}/confirm": {deskPOST, func(f *matrixFixtures) (string, url.Values) { return f.checkedInPost("confirm") }},
	"POST /admin/bookings/{id}/cancel":  {deskPOST, func(f *matrixFixtures) (string, url.Values) { return f.bookingPost("cancel") }},
	"GET /admin/account":                {deskGET, get("/admin/account")},
	"POST /admin/account/password":      {deskPOST, func(f *matrixFixtures) (string, url.Values) { return f.passwordChange() }},
	"POST /admin/account/recovery":      {deskPOST, post("/admin/account/recovery")},
	"POST /admin/sessions/{id}/revoke":  {[4]int{forbid, seeOth, seeOth, seeOth}, func(f *matrixFixtures) (string, url.Values) { return f.ownSessionRevoke() }},
	"POST /admin/bookings/{id}/move":    {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return f.moveForm() }},
	"GET /admin/bookings/{id}/sensitive": {mgrGET, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/bookings/" + f.booking() + "/sensitive", nil
	}},
	"GET /admin/guests": {mgrGET, func(f *matrixFixtures) (string, url.Values) {
		f.guest()
		return "/admin/guests?q=ada&tag=vip", nil
	}},
	"GET /admin/guests/{id}": {mgrGET, func(f *matrixFixtures) (string, url.Values) { return "/admin/guests/" + f.guest(), nil }},
	"POST /admin/guests/{id}/tags": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/guests/" + f.guest() + "/tags", url.Values{"tags": {"regular, vip, window seat"}}
	}},
	// Deleting the note needs no consent (keeping one does: TestGuestProfilePage).
	"POST /admin/guests/{id}/note": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/guests/" + f.guest() + "/note", url.Values{"note": {""}}
	}},
	"GET /admin/offerings":                             {mgrGET, get("/admin/offerings")},
	"GET /admin/offerings/{id}":                        {mgrGET, func(f *matrixFixtures) (string, url.Values) { return "/admin/offerings/" + f.offering("dinner"), nil }},
	"POST /admin/offerings/{id}":                       {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return "/admin/offerings/new", f.offeringForm() }},
	"POST /admin/offerings/{id}/hours":                 {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return f.hoursForm() }},
	"POST /admin/offerings/{id}/hours/{hid}/delete":    {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return f.hoursDelete() }},
	"POST /admin/offerings/{id}/sessions":              {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return f.sessionForm() }},
	"POST /admin/offerings/{id}/sessions/{sid}/cancel": {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return f.sessionCancel() }},
	"GET /admin/offerings/{id}/sessions/{sid}":         {mgrGET, func(f *matrixFixtures) (string, url.Values) { return f.sessionPage(), nil }},
	"POST /admin/offerings/{id}/sessions/{sid}": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return f.sessionPage(), url.Values{"date": {"2026-12-06"}, "time": {"11:00"}, "seats": {"9"}}
	}},
	"POST /admin/offerings/{id}/series": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/offerings/" + f.offering("pottery") + "/series", seriesValues("2026-12-01")
	}},
	"GET /admin/offerings/{id}/series/{sid}":  {mgrGET, func(f *matrixFixtures) (string, url.Values) { return f.series(), nil }},
	"POST /admin/offerings/{id}/series/{sid}": {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return f.series(), seriesValues("2026-12-15") }},
	"POST /admin/offerings/{id}/series/{sid}/end": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return f.series() + "/end", url.Values{"date": {"2026-12-20"}, "reason": {"The studio closes."}}
	}},
	"POST /admin/offerings/{id}/resources": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/offerings/" + f.terrace() + "/resources", url.Values{"resource_kind": {"staff"}, "resource_name": {"Anna"}, "resource_hours": {"Tue-Sat 17:00-23:00"}}
	}},
	"GET /admin/offerings/{id}/resources/{rid}": {mgrGET, func(f *matrixFixtures) (string, url.Values) { return f.resource(), nil }},
	"POST /admin/offerings/{id}/resources/{rid}": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return f.resource(), url.Values{"resource_name": {"Table 1"}, "resource_min_seats": {"1"}, "resource_max_seats": {"4"}, "resource_active": {"yes"}}
	}},
	"POST /admin/offerings/{id}/resources/{rid}/feed": {[4]int{forbid, forbid, ok, ok}, func(f *matrixFixtures) (string, url.Values) {
		return f.staffMember() + "/feed", url.Values{}
	}},
	"POST /admin/offerings/{id}/resources/{rid}/feed/revoke": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return f.staffMemberWithFeed() + "/feed/revoke", url.Values{}
	}},
	"POST /admin/offerings/{id}/combinations": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		a, b := f.table(), f.table()
		return "/admin/offerings/" + f.terrace() + "/combinations", url.Values{"table": {a, b}, "min_seats": {"5"}, "max_seats": {"8"}}
	}},
	"POST /admin/offerings/{id}/combinations/{cid}/delete": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		id, err := store.AddCombination(f.s.app, f.terrace(), []string{f.table(), f.table()}, 5, 8)
		if err != nil {
			f.t.Fatal(err)
		}
		return "/admin/offerings/" + f.terrace() + "/combinations/" + id + "/delete", url.Values{}
	}},
	"GET /admin/floor": {deskGET, func(f *matrixFixtures) (string, url.Values) {
		f.table()
		return "/admin/floor?offering=" + f.terrace() + "&date=2026-11-27", nil
	}},
	"POST /admin/bookings/{id}/resources": {deskPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/bookings/" + f.terraceBooking() + "/resources", url.Values{"resources": {f.table()}}
	}},
	"GET /admin/closures":                   {mgrGET, get("/admin/closures")},
	"POST /admin/closures":                  {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return "/admin/closures", f.closureForm() }},
	"POST /admin/closures/{id}/delete":      {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return f.closureDelete() }},
	"POST /admin/special-hours":             {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return "/admin/special-hours", f.specialForm() }},
	"POST /admin/special-hours/{id}/delete": {mgrPOST, func(f *matrixFixtures) (string, url.Values) { return f.specialDelete() }},
	"GET /admin/export":                     {mgrGET, get("/admin/export?from=2026-11-01&to=2026-12-31")},
	"GET /admin/outbox":                     {mgrGET, get("/admin/outbox")},
	"POST /admin/outbox/{id}/retry": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/outbox/" + f.outboxRow() + "/retry", url.Values{}
	}},
	"GET /admin/privacy": {mgrGET, get("/admin/privacy")},
	"POST /admin/privacy": {mgrPOST, func(*matrixFixtures) (string, url.Values) {
		return "/admin/privacy", url.Values{"kind": {"access"}, "subject": {"someone@example.com"}, "channel": {"phone"}, "received": {"2026-11-23"}}
	}},
	"GET /admin/privacy/{id}/export": {[4]int{seeOth, forbid, ok, ok}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/privacy/" + f.privacyRequest("access") + "/export", nil
	}},
	"POST /admin/privacy/{id}/erase": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/privacy/" + f.privacyRequest("erasure") + "/erase", url.Values{}
	}},
	"POST /admin/privacy/{id}/close": {mgrPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/privacy/" + f.privacyRequest("rectification") + "/close", url.Values{"status": {"done"}}
	}},
	"GET /admin/staff":                  {ownGET, get("/admin/staff")},
	"POST /admin/staff/invite":          {[4]int{forbid, forbid, forbid, ok}, func(f *matrixFixtures) (string, url.Values) { return f.inviteForm() }},
	"POST /admin/staff/{id}/role":       {ownPOST, func(f *matrixFixtures) (string, url.Values) { return f.colleaguePost("role", "role", "manager") }},
	"POST /admin/staff/{id}/activate":   {ownPOST, func(f *matrixFixtures) (string, url.Values) { return f.colleaguePost("activate") }},
	"POST /admin/staff/{id}/deactivate": {ownPOST, func(f *matrixFixtures) (string, url.Values) { return f.colleaguePost("deactivate") }},
	"POST /admin/staff/{id}/revoke":     {ownPOST, func(f *matrixFixtures) (string, url.Values) { return f.colleaguePost("revoke") }},
	"POST /admin/staff/{id}/reset2fa":   {ownPOST, func(f *matrixFixtures) (string, url.Values) { return f.colleaguePost("reset2fa") }},
	"GET /admin/settings":               {ownGET, get("/admin/settings")},
	"POST /admin/settings":              {ownPOST, func(f *matrixFixtures) (string, url.Values) { return "/admin/settings", f.settingsForm() }},
	"POST /admin/settings/mail":         {ownPOST, post("/admin/settings/mail")},
	"POST /admin/settings/access":       {ownPOST, func(*matrixFixtures) (string, url.Values) { return "/admin/settings/access", url.Values{"allow": {""}} }},
	"POST /admin/settings/embed":        {ownPOST, post("/admin/settings/embed")},
	"GET /admin/webhooks":               {ownGET, get("/admin/webhooks")},
	"GET /admin/payments":               {ownGET, get("/admin/payments")},
	// Without RESERVA_ENCRYPTION_KEY Stripe's keys cannot be stored: 422 beside the key.
	"POST /admin/payments": {[4]int{forbid, forbid, forbid, unproc}, func(*matrixFixtures) (string, url.Values) {
		return "/admin/payments", url.Values{"currency": {"eur"}, "secret_key": {"sk_test_123"}, "webhook_secret": {"whsec_123"}}
	}},
	// Without a Stripe account there is nothing to refund or charge: 409.
	"POST /admin/bookings/{id}/refund": {[4]int{forbid, forbid, http.StatusConflict, http.StatusConflict}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/bookings/" + f.booking() + "/refund", url.Values{}
	}},
	"POST /admin/bookings/{id}/charge": {[4]int{forbid, forbid, http.StatusConflict, http.StatusConflict}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/bookings/" + f.booking() + "/charge", url.Values{}
	}},
	"GET /admin/oidc": {ownGET, get("/admin/oidc")},
	// Without RESERVA_ENCRYPTION_KEY the client secret cannot be stored: 422 beside the issuer.
	"POST /admin/oidc": {[4]int{forbid, forbid, forbid, unproc}, func(*matrixFixtures) (string, url.Values) {
		return "/admin/oidc", url.Values{"issuer": {"https://idp.example"}, "client_id": {"reserva"}, "client_secret": {"s3cret"},
			"label": {"Sign in with Example"}, "enabled": {"yes"}}
	}},
	"POST /admin/staff/{id}/oidc-unlink": {ownPOST, func(f *matrixFixtures) (string, url.Values) { return f.colleaguePost("oidc-unlink") }},
	// Without RESERVA_ENCRYPTION_KEY (the matrix runs in parallel, without one) a new endpoint
	// or a new secret is refused beside the field: secrets are only stored sealed.
	"POST /admin/webhooks": {[4]int{forbid, forbid, forbid, unproc}, func(*matrixFixtures) (string, url.Values) {
		return "/admin/webhooks", url.Values{"url": {"https://hooks.example/reserva"}, "events": {"booking.created"}}
	}},
	"POST /admin/webhooks/{id}": {ownPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/webhooks/" + f.webhook(), url.Values{"url": {"https://hooks.example/other"}, "events": {"booking.changed"}, "active": {"yes"}}
	}},
	"POST /admin/webhooks/{id}/rotate": {[4]int{forbid, forbid, forbid, unproc}, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/webhooks/" + f.webhook() + "/rotate", url.Values{}
	}},
	"POST /admin/webhooks/{id}/delete": {ownPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/webhooks/" + f.webhook() + "/delete", url.Values{}
	}},
	"POST /admin/webhooks/deliveries/{id}/retry": {ownPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/webhooks/deliveries/" + f.webhookDelivery() + "/retry", url.Values{}
	}},
	"GET /admin/api-keys": {ownGET, get("/admin/api-keys")},
	// The new key is shown on the page itself (200): a redirect would carry it in its address.
	"POST /admin/api-keys": {[4]int{forbid, forbid, forbid, ok}, func(*matrixFixtures) (string, url.Values) {
		return "/admin/api-keys", url.Values{"name": {"Till"}, "scopes": {"bookings:read", "bookings:write"}}
	}},
	"POST /admin/api-keys/{id}/revoke": {ownPOST, func(f *matrixFixtures) (string, url.Values) {
		return "/admin/api-keys/" + f.apiKeyID() + "/revoke", url.Values{}
	}},
	"GET /admin/backups":        {ownGET, get("/admin/backups")},
	"POST /admin/backups/now":   {ownPOST, post("/admin/backups/now")},
	"POST /admin/purge/now":     {ownPOST, post("/admin/purge/now")},
	"POST /admin/backups/drill": {ownPOST, post("/admin/backups/drill")},
	"GET /admin/audit":          {ownGET, get("/admin/audit?action=booking&from=2026-11-01&to=2026-12-31")},

	// A form without a picture (the matrix posts url-encoded forms): the owner is asked for one.
	"POST /admin/settings/images/{kind}":        {[4]int{forbid, forbid, forbid, unproc}, post("/admin/settings/images/photo")},
	"POST /admin/settings/images/{kind}/remove": {ownPOST, post("/admin/settings/images/logo/remove")},
}

// TestAdminRoleMatrix sends every /admin/ route's request as each role and asserts the exact
// status. Each role has its own server, and each case builds its own fixtures there.
func TestAdminRoleMatrix(t *testing.T) {
	t.Parallel()
	probe := newServer(t)
	r, err := apis.NewRouter(probe.app)
	if err != nil {
		t.Fatal(err)
	}
	probe.h.routes(r)
	seen := map[string]bool{}
	var keys []string
	for _, rt := range routeTable(r) {
		if rt.path != "/admin" && !strings.HasPrefix(rt.path, "/admin/") {
			continue
		}
		key := rt.method + " " + rt.path
		seen[key] = true
		if _, ok := adminMatrix[key]; !ok {
			t.Errorf("route %s has no entry in adminMatrix: add one with the status of each role", key)
			continue
		}
		keys = append(keys, key)
	}
	for key := range adminMatrix {
		if !seen[key] {
			t.Errorf("adminMatrix has %s, which is no longer a route", key)
		}
	}
	sort.Strings(keys)

	for col, role := range matrixRoles {
		t.Run(role, func(t *testing.T) {
			cfg, _ := backupConfig(t, true)
			// No relay: an invite shows its link to the owner (200) instead of mailing it.
			s := newServerOpts(t, func(o *options) { o.backup, o.transport = cfg, nil })
			f := &matrixFixtures{t: t, s: s, role: role}
			// The owner of every server (the colleague routes act on a second member).
			f.owner = s.staffAccount(t, "owner@demo.invalid", "owner")
			if role != "anonymous" && role != "owner" {
				f.me = s.staffAccount(t, role+"@demo.invalid", role)
			} else if role == "owner" {
				f.me = f.owner
			}
			f.freshSession()
			for _, key := range keys {
				c := adminMatrix[key]
				method := strings.SplitN(key, " ", 2)[0]
				target, form := c.req(f)
				if method == http.MethodPost && form == nil {
					form = url.Values{}
				}
				res := s.as(t, f.cookie, method, target, form)
				if res.status != c.want[col] {
					t.Errorf("%s as %s (%s) = %d, want %d\n%s", key, role, target, res.status, c.want[col], snippet(res.body))
				}
				if res.status >= 500 {
					t.Errorf("%s as %s: a server error", key, role)
				}
				// Every staff answer carries the pages' security headers; none is cached.
				for name, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
					"Referrer-Policy": "no-referrer", "Content-Security-Policy": contentSecurityPolicy} {
					if got := res.header.Get(name); got != want {
						t.Errorf("%s as %s: %s = %q", key, role, name, got)
					}
				}
				if res.status == http.StatusOK && res.header.Get("Cache-Control") != "no-store" {
					t.Errorf("%s as %s: Cache-Control = %q, want no-store", key, role, res.header.Get("Cache-Control"))
				}
				f.cookie = f.session // a case may have used a one-off session
			}
		})
	}
}

func snippet(body string) string {
	if m := regexp.MustCompile(`(?s)<main.*?</main>`).FindString(body); m != "" {
		body = m
	}
	if len(body) > 600 {
		body = body[:600]
	}
	return body
}

// matrixFixtures makes what each case needs, fresh, on the role's server.
type matrixFixtures struct {
	t         *testing.T
	s         *testServer
	role      string
	owner, me *store.Staff
	// session is the role's cookie; cookie is what the current case sends.
	session, cookie string
	pw              string // the role's password once a case changed it
	n               int
}

// freshSession signs the role in anew (nothing for anonymous) and makes it the current cookie.
func (f *matrixFixtures) freshSession() {
	f.t.Helper()
	if f.me == nil {
		return
	}
	res, cookie := f.s.signIn(f.t, f.me.Email(), f.password())
	if cookie == "" {
		f.t.Fatalf("sign-in as %s = %d", f.role, res.status)
	}
	if f.session == "" {
		f.session = cookie
	}
	f.cookie = cookie
}

func (f *matrixFixtures) password() string {
	if f.pw != "" {
		return f.pw
	}
	return testPassword
}

// booking makes a confirmed visitor booking for tonight (17:00 to 21:00, half-hourly) and
// returns its id.
func (f *matrixFixtures) booking() string {
	f.t.Helper()
	f.n++
	minutes := 17*60 + f.n%9*30
	token := f.s.book(f.t, fmt.Sprintf("2026-11-24T%02d:%02d", minutes/60, minutes%60), "2")
	return f.s.bookingByToken(f.t, token).ID
}

// guest makes a guest with a booking and two tags and returns the customer's id.
func (f *matrixFixtures) guest() string {
	f.t.Helper()
	b := f.s.bookingByID(f.t, f.booking())
	if err := store.SetGuestTags(f.s.app, b.Customer, []string{"regular", "vip"}); err != nil {
		f.t.Fatal(err)
	}
	return b.Customer
}

func (f *matrixFixtures) bookingPost(action string) (string, url.Values) {
	form := url.Values{}
	if action == "cancel" {
		form.Set("reason", "The kitchen is closed tonight")
	}
	return "/admin/bookings/" + f.booking() + "/" + action, form
}

func (f *matrixFixtures) checkedInPost(action string) (string, url.Values) {
	f.t.Helper()
	id := f.booking()
	if _, err := f.s.app.DB().NewQuery("UPDATE bookings SET status = 'checked_in' WHERE id = {:id}").Bind(dbx.Params{"id": id}).Execute(); err != nil {
		f.t.Fatal(err)
	}
	return "/admin/bookings/" + id + "/" + action, url.Values{}
}

func (f *matrixFixtures) contactForm() url.Values {
	return url.Values{"name": {"Ada King"}, "email": {"ada.king@example.com"}, "phone": {"+49 30 1234567"},
		"notes": {"Window seat"}, "internal_notes": {"Regular guest"}}
}

func (f *matrixFixtures) staffBookingForm() url.Values {
	form := bookingForm("2026-11-25T19:00", "2")
	form.Set("offering", f.offering("dinner"))
	return form
}

func (f *matrixFixtures) moveForm() (string, url.Values) {
	return "/admin/bookings/" + f.booking() + "/move", url.Values{"start": {"2026-11-26T20:00"}, "party": {"3"}}
}

func (f *matrixFixtures) offering(slug string) string {
	var id string
	if err := f.s.app.DB().Select("id").From("offerings").Where(dbx.HashExp{"slug": slug}).Row(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *matrixFixtures) offeringForm() url.Values {
	f.n++
	return url.Values{"name": {"Brunch"}, "slug": {fmt.Sprintf("brunch-%d", f.n)}, "description": {"Sundays"}, "kind": {"slot"},
		"mode": {"people"}, "active": {"yes"}, "duration": {"90"}, "interval": {"30"}, "capacity": {"20"}, "min_party": {"1"},
		"max_party": {"6"}, "buffer_before": {"0"}, "buffer_after": {"0"}, "lead_time": {"60"}, "horizon": {"60"},
		"cancel_cutoff": {"120"}, "sort": {"5"}}
}

func (f *matrixFixtures) hoursForm() (string, url.Values) {
	return "/admin/offerings/" + f.offering("dinner") + "/hours", url.Values{"weekday": {"1"}, "opens": {"12:00"}, "closes": {"14:00"}}
}

func (f *matrixFixtures) hoursDelete() (string, url.Values) {
	f.t.Helper()
	dinner := f.offering("dinner")
	id, err := store.AddHours(f.s.app, dinner, booking.Hours{Weekday: time.Tuesday, Open: 12 * 60, Close: 14 * 60})
	if err != nil {
		f.t.Fatal(err)
	}
	return "/admin/offerings/" + dinner + "/hours/" + id + "/delete", url.Values{}
}

func (f *matrixFixtures) sessionForm() (string, url.Values) {
	return "/admin/offerings/" + f.offering("pottery") + "/sessions", url.Values{"date": {"2026-12-05"}, "time": {"10:00"}, "seats": {"8"}}
}

func (f *matrixFixtures) sessionCancel() (string, url.Values) {
	f.t.Helper()
	pottery := f.offering("pottery")
	start := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	id, err := store.AddSession(f.s.app, pottery, start, start.Add(2*time.Hour), 8)
	if err != nil {
		f.t.Fatal(err)
	}
	return "/admin/offerings/" + pottery + "/sessions/" + id + "/cancel", url.Values{}
}

// sessionPage adds a session of pottery and returns the path of its page.
func (f *matrixFixtures) sessionPage() string {
	f.t.Helper()
	pottery := f.offering("pottery")
	start := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	id, err := store.AddSession(f.s.app, pottery, start, start.Add(2*time.Hour), 8)
	if err != nil {
		f.t.Fatal(err)
	}
	return "/admin/offerings/" + pottery + "/sessions/" + id
}

// series adds a weekly series to pottery (Mondays and Wednesdays at 18:00 from 2026-12-01)
// and returns the path of its page.
func (f *matrixFixtures) series() string {
	f.t.Helper()
	pottery := f.offering("pottery")
	from, _ := booking.ParseDate("2026-12-01")
	id, err := store.AddSeries(f.s.app, pottery, booking.Series{Days: booking.WeekdaysOf(time.Monday, time.Wednesday), Time: 18 * 60, Seats: 8, From: from})
	if err != nil {
		f.t.Fatal(err)
	}
	return "/admin/offerings/" + pottery + "/series/" + id
}

// terrace is a slot offering like the dinner that the resource cases give tables to (made on
// first use), so that the dinner's bookings of other cases never wait for a table.
func (f *matrixFixtures) terrace() string {
	f.t.Helper()
	var id string
	if err := f.s.app.DB().Select("id").From("offerings").Where(dbx.HashExp{"slug": "terrace"}).Row(&id); err == nil {
		return id
	}
	return f.s.addOffering(f.t, store.Offering{Name: "Terrace", Slug: "terrace", Kind: booking.KindSlot, Duration: 120, Interval: 30,
		Capacity: 40, Mode: booking.ModePeople, MinParty: 1, MaxParty: 8, LeadTime: 60, Horizon: 90, Active: true}, "17:00", "23:00").ID
}

// terraceBooking books the terrace (at a time of its own) and returns the booking's id.
func (f *matrixFixtures) terraceBooking() string {
	f.t.Helper()
	f.terrace()
	f.n++
	minutes := 17*60 + f.n%9*30
	return f.s.bookingByToken(f.t, f.s.bookSlug(f.t, "terrace", fmt.Sprintf("2026-11-25T%02d:%02d", minutes/60, minutes%60), "2")).ID
}

// table adds a table for one to eight people to the terrace and returns its id.
func (f *matrixFixtures) table() string {
	f.t.Helper()
	f.n++
	id, err := store.SaveResource(f.s.app, store.Resource{Offering: f.terrace(), Kind: booking.ResourceTable, Name: fmt.Sprintf("Table %d", f.n), MinSeats: 1, MaxSeats: 8, Active: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// resource adds a table to the terrace and returns the path of its page.
func (f *matrixFixtures) resource() string {
	return "/admin/offerings/" + f.terrace() + "/resources/" + f.table()
}

// staffMember adds a staff member to the terrace and returns the path of their page.
func (f *matrixFixtures) staffMember() string {
	f.t.Helper()
	f.n++
	id := f.s.addResource(f.t, f.terrace(), booking.ResourceStaff, fmt.Sprintf("Guide %d", f.n), 0, 0, "")
	return "/admin/offerings/" + f.terrace() + "/resources/" + id
}

// staffMemberWithFeed adds a staff member with a calendar link and returns the path of their page.
func (f *matrixFixtures) staffMemberWithFeed() string {
	f.t.Helper()
	path := f.staffMember()
	r, err := store.ResourceByID(f.s.app, f.terrace(), path[strings.LastIndex(path, "/")+1:])
	if err != nil {
		f.t.Fatal(err)
	}
	if _, _, err := store.NewStaffFeed(f.s.app, r, "console"); err != nil {
		f.t.Fatal(err)
	}
	return path
}

// seriesValues is a series form: Mondays and Wednesdays at 18:00, 8 places, from from to the
// end of January, without Christmas Eve.
func seriesValues(from string) url.Values {
	return url.Values{"day": {"1", "3"}, "time": {"18:00"}, "seats": {"8"}, "from": {from}, "until": {"2027-01-31"}, "except": {"2026-12-24"}}
}

func (f *matrixFixtures) closureForm() url.Values {
	return url.Values{"from": {"2026-12-24"}, "to": {"2026-12-26"}, "reason": {"Christmas"}}
}

func (f *matrixFixtures) closureDelete() (string, url.Values) {
	f.t.Helper()
	day, _ := booking.ParseDate("2027-01-01")
	id, err := store.AddClosure(f.s.app, "", day, day, "New Year")
	if err != nil {
		f.t.Fatal(err)
	}
	return "/admin/closures/" + id + "/delete", url.Values{}
}

func (f *matrixFixtures) specialForm() url.Values {
	return url.Values{"special_from": {"2026-12-24"}, "special_to": {"2026-12-24"}, "opens_1": {"12:00"}, "closes_1": {"15:00"}}
}

func (f *matrixFixtures) specialDelete() (string, url.Values) {
	f.t.Helper()
	day, _ := booking.ParseDate("2026-12-31")
	id, err := store.AddSpecialHours(f.s.app, "", day, day, []booking.Span{{Open: 18 * 60, Close: 26 * 60}}, "New Year's Eve")
	if err != nil {
		f.t.Fatal(err)
	}
	return "/admin/special-hours/" + id + "/delete", url.Values{}
}

// outboxRow is the confirmation mail of a new booking.
func (f *matrixFixtures) outboxRow() string {
	f.t.Helper()
	f.booking()
	var id string
	if err := f.s.app.DB().Select("id").From("outbox").OrderBy("created DESC").Limit(1).Row(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// webhook inserts a webhook endpoint (its secret sealed under a key the test does not hold:
// the routes that need none work) and returns its id.
func (f *matrixFixtures) webhook() string {
	f.t.Helper()
	f.n++
	id := fmt.Sprintf("webhook%08d", f.n)
	if _, err := f.s.app.DB().Insert("webhook_endpoints", dbx.Params{"id": id, "url": "https://hooks.example/" + id,
		"events": "booking.created", "active": true, "include_contact": false, "secret": "c2VhbGVk"}).Execute(); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// apiKeyID makes an API key and returns its id.
func (f *matrixFixtures) apiKeyID() string {
	f.t.Helper()
	k, _, err := store.AddAPIKey(f.s.app, "Matrix", []store.Scope{store.ScopeBookingsRead}, "")
	if err != nil {
		f.t.Fatal(err)
	}
	return k.ID
}

// webhookDelivery inserts a failed delivery of a new endpoint and returns its id.
func (f *matrixFixtures) webhookDelivery() string {
	f.t.Helper()
	ep := f.webhook()
	id := "d" + ep[1:]
	if _, err := f.s.app.DB().Insert("webhook_deliveries", dbx.Params{"id": id, "endpoint": ep, "event_id": "evt_" + id,
		"event": "booking.created", "payload": "{}", "status": "failed", "attempts": 7}).Execute(); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// invite makes an unused invite and returns its token.
func (f *matrixFixtures) invite() string {
	f.t.Helper()
	f.n++
	token, err := store.NewInvite(f.s.app, fmt.Sprintf("invited%d@demo.invalid", f.n), store.RoleFrontdesk, f.owner.Id, f.s.now, inviteTTL)
	if err != nil {
		f.t.Fatal(err)
	}
	return token
}

// reset makes an open password reset link of a new front-desk colleague and returns its token.
func (f *matrixFixtures) reset() string {
	f.t.Helper()
	f.n++
	other := f.s.staffAccount(f.t, fmt.Sprintf("forgetful%d@demo.invalid", f.n), "frontdesk")
	token, err := store.NewPasswordReset(f.s.app, other.Id, f.s.now, resetTTL)
	if err != nil {
		f.t.Fatal(err)
	}
	return token
}

func (f *matrixFixtures) inviteForm() (string, url.Values) {
	f.n++
	return "/admin/staff/invite", url.Values{"email": {fmt.Sprintf("newcomer%d@demo.invalid", f.n)}, "role": {"frontdesk"}}
}

// colleaguePost acts on a new front-desk colleague (never on oneself).
func (f *matrixFixtures) colleaguePost(action string, kv ...string) (string, url.Values) {
	f.t.Helper()
	f.n++
	other := f.s.staffAccount(f.t, fmt.Sprintf("colleague%d@demo.invalid", f.n), "frontdesk")
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	return "/admin/staff/" + other.Id + "/" + action, form
}

// passwordChange changes the role's password from its own session, which stays signed in (a
// change ends only the other sessions); later sign-ins use the new password.
func (f *matrixFixtures) passwordChange() (string, url.Values) {
	f.n++
	next := fmt.Sprintf("saffron-quay-meridian-%d", f.n)
	form := url.Values{"current": {f.password()}, "password": {next}, "password2": {next}}
	if f.me != nil {
		f.pw = next
	}
	return "/admin/account/password", form
}

func (f *matrixFixtures) ownSessionRevoke() (string, url.Values) {
	f.t.Helper()
	if f.me == nil {
		return "/admin/sessions/none/revoke", url.Values{}
	}
	// A second session of one's own, revoked from the first.
	res, _ := f.s.signIn(f.t, f.me.Email(), f.password())
	if res.status != http.StatusSeeOther {
		f.t.Fatalf("second session = %d", res.status)
	}
	var id string
	if err := f.s.app.DB().Select("id").From("staff_sessions").Where(dbx.HashExp{"staff": f.me.Id}).
		OrderBy("created DESC", "rowid DESC").Limit(1).Row(&id); err != nil {
		f.t.Fatal(err)
	}
	return "/admin/sessions/" + id + "/revoke", url.Values{}
}

func (f *matrixFixtures) settingsForm() url.Values {
	f.t.Helper()
	v := f.s.venue(f.t)
	return url.Values{"name": {v.Name}, "timezone": {v.TimeZone}, "address": {v.Address},
		"email": {v.Email}, "phone": {v.Phone}, "locale": {"en"}, "policy": {v.BookingPolicy},
		"notice": {v.PrivacyNotice + "\nUpdated."}, "gdpr_email": {v.GDPREmail},
		"notify_email": {v.NotifyEmail}, "feedback_url": {""}, "reminder_hours": {"24"}, "feedback_hours": {"0"},
		"retention_days": {"548"}, "waitlist_offer_minutes": {"30"}}
}

// privacyRequest logs an open request of kind for a person without bookings.
func (f *matrixFixtures) privacyRequest(kind string) string {
	f.t.Helper()
	f.n++
	received, _ := booking.ParseDate("2026-11-23")
	id, err := store.LogRequest(f.s.app, store.NewRequest{Kind: store.RequestKind(kind), Subject: fmt.Sprintf("subject%d@example.com", f.n),
		Channel: store.ChannelMail, Status: store.RequestOpen, Received: received}, f.s.now)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// walkin adds a party at the door (with an address, so "table ready" can be sent).
func (f *matrixFixtures) walkin() string {
	f.t.Helper()
	day, _ := booking.ParseDate("2026-11-24")
	id, err := store.AddWalkin(f.s.app, day, "Door Party", 2, "", "door@example.com", 0, f.s.now)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}
