package hooks

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"reserva/internal/booking"
	"reserva/internal/cli"
	"reserva/internal/store"
)

const testPassword = "violet-harbour-lantern"

// staffAccount makes a staff member with role and testPassword.
func (s *testServer) staffAccount(t testing.TB, email, role string) *store.Staff {
	t.Helper()
	rec, err := store.CreateStaff(s.app, email, strings.Split(email, "@")[0], store.Role(role), testPassword, s.now)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// count counts the rows of table that where selects (tests read the database directly).
func (s *testServer) count(t testing.TB, table string, where dbx.Expression) int {
	t.Helper()
	var n int
	if err := s.app.DB().Select("count(*)").From(table).Where(where).Row(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// signIn posts the sign-in form and returns the session cookie ("name=value").
func (s *testServer) signIn(t testing.TB, email, password string) (response, string) {
	t.Helper()
	res := s.post(t, "/admin/login", url.Values{"email": {email}, "password": {password}})
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return res, c.Name + "=" + c.Value
		}
	}
	return res, ""
}

// as sends a request with a session cookie.
func (s *testServer) as(t testing.TB, cookie, method, target string, form url.Values) response {
	t.Helper()
	return s.do(t, method, target, form, "Cookie", cookie)
}

// signedIn makes an account of role and signs it in (password only).
func (s *testServer) signedIn(t testing.TB, role string) (string, *store.Staff) {
	t.Helper()
	rec := s.staffAccount(t, role+"@demo.invalid", role)
	res, cookie := s.signIn(t, rec.Email(), testPassword)
	if res.status != http.StatusSeeOther || cookie == "" {
		t.Fatalf("sign-in as %s = %d", role, res.status)
	}
	return cookie, rec
}

func TestPasswordRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pw   string
		want string // catalog key, "" for accepted
	}{
		{"short", "admin.password.short"},
		{"Password1234!", "admin.password.common"},
		{"123456789012", "admin.password.common"},
		{"qwertyuiop12", "admin.password.common"},
		{"aaaaaaaaaaaaaa", "admin.password.repetitive"},
		{"abcdefghijklmnop", "admin.password.repetitive"},
		{"Lovelace2026!!", "admin.password.personal"},
		{"violet-harbour-lantern", ""},
		{"correct horse battery staple", "admin.password.common"},
		{"Spätzle mit Käse im Oktober", ""},
	} {
		if got := store.PasswordProblem(tc.pw, "ada@example.com", "Ada Lovelace", "Demo Bistro").Key; got != tc.want {
			t.Errorf("passwordProblem(%q) = %q, want %q", tc.pw, got, tc.want)
		}
	}
}

func TestSignInSessionsAndExpiry(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner := s.staffAccount(t, "owner@demo.invalid", "owner")
	if res := s.get(t, "/admin/"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/admin/login") {
		t.Fatalf("dashboard without a session = %d %s", res.status, res.header.Get("Location"))
	}
	res, _ := s.signIn(t, owner.Email(), "wrong password!!")
	if res.status != http.StatusUnauthorized {
		t.Fatalf("wrong password = %d", res.status)
	}
	mustContain(t, "failed sign-in", res.body, "not right")
	res, cookie := s.signIn(t, "OWNER@demo.invalid", testPassword)
	if res.status != http.StatusSeeOther || cookie == "" {
		t.Fatalf("sign-in = %d", res.status)
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/admin"} {
		if !strings.Contains(res.header.Get("Set-Cookie"), want) {
			t.Errorf("session cookie %q lacks %s", res.header.Get("Set-Cookie"), want)
		}
	}
	if page := s.as(t, cookie, http.MethodGet, "/admin/", nil); page.status != http.StatusOK {
		t.Fatalf("today = %d", page.status)
	}
	// Only the hash of the session token is stored.
	token := strings.TrimPrefix(cookie, sessionCookie+"=")
	if n := s.count(t, "staff_sessions", dbx.HashExp{"token_hash": store.HashToken(token)}); n != 1 {
		t.Errorf("session rows by hash = %d", n)
	}
	if n := s.count(t, "staff_sessions", dbx.HashExp{"token_hash": token}); n != 0 {
		t.Errorf("the raw token is stored")
	}

	// Idle: 23 hours later it still works (and is refreshed), after 24 idle hours it ends.
	s.now = s.now.Add(23 * time.Hour)
	if page := s.as(t, cookie, http.MethodGet, "/admin/", nil); page.status != http.StatusOK {
		t.Fatalf("after 23 h = %d", page.status)
	}
	s.now = s.now.Add(24*time.Hour + time.Minute)
	if page := s.as(t, cookie, http.MethodGet, "/admin/", nil); page.status != http.StatusSeeOther {
		t.Fatalf("after 24 idle hours = %d, want a sign-in redirect", page.status)
	}

	// Absolute: used every 12 hours, a session still ends 14 days after sign-in.
	_, cookie = s.signIn(t, owner.Email(), testPassword)
	for range 27 {
		s.now = s.now.Add(12 * time.Hour)
		if page := s.as(t, cookie, http.MethodGet, "/admin/", nil); page.status != http.StatusOK {
			t.Fatalf("within 14 days = %d", page.status)
		}
	}
	s.now = s.now.Add(12*time.Hour + time.Minute)
	if page := s.as(t, cookie, http.MethodGet, "/admin/", nil); page.status != http.StatusSeeOther {
		t.Fatalf("after 14 days = %d, want a sign-in redirect", page.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "security.signin_failed"}); n != 1 {
		t.Errorf("failed sign-ins in the audit log = %d, want 1", n)
	}
}

func TestRevocationTakesEffectOnTheNextRequest(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ownerCookie, _ := s.signedIn(t, "owner")
	deskCookie, desk := s.signedIn(t, "frontdesk")
	if page := s.as(t, deskCookie, http.MethodGet, "/admin/", nil); page.status != http.StatusOK {
		t.Fatal(page.status)
	}
	if res := s.as(t, ownerCookie, http.MethodPost, "/admin/staff/"+desk.Id+"/revoke", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("revoke = %d", res.status)
	}
	if page := s.as(t, deskCookie, http.MethodGet, "/admin/", nil); page.status != http.StatusSeeOther {
		t.Errorf("after revocation = %d, want a sign-in redirect", page.status)
	}
	// Own sessions: a second session ends the first from the account page.
	_, second := s.signIn(t, desk.Email(), testPassword)
	_, third := s.signIn(t, desk.Email(), testPassword)
	var rows []string
	_ = s.app.DB().NewQuery("SELECT id FROM staff_sessions WHERE staff = {:s} ORDER BY created, rowid").Bind(dbx.Params{"s": desk.Id}).Column(&rows)
	if len(rows) != 2 {
		t.Fatalf("sessions = %d", len(rows))
	}
	if res := s.as(t, third, http.MethodPost, "/admin/sessions/"+rows[0]+"/revoke", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("revoke own = %d", res.status)
	}
	if page := s.as(t, second, http.MethodGet, "/admin/", nil); page.status != http.StatusSeeOther {
		t.Errorf("the revoked session still works: %d", page.status)
	}
	if page := s.as(t, third, http.MethodGet, "/admin/", nil); page.status != http.StatusOK {
		t.Errorf("the other session ended too: %d", page.status)
	}
	// Deactivation ends every session at once.
	s.as(t, ownerCookie, http.MethodPost, "/admin/staff/"+desk.Id+"/deactivate", url.Values{})
	if page := s.as(t, third, http.MethodGet, "/admin/", nil); page.status != http.StatusSeeOther {
		t.Errorf("a deactivated member's session = %d", page.status)
	}
	if res, _ := s.signIn(t, desk.Email(), testPassword); res.status != http.StatusUnauthorized {
		t.Errorf("a deactivated member signs in: %d", res.status)
	}
}

var secretOnPage = regexp.MustCompile(`data-testid="totp-secret">([A-Z2-7]+)<`)
var codeOnPage = regexp.MustCompile(`<li><code>([a-z0-9-]{14})</code></li>`)

func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTPEnrolmentSignInAndRecoveryCodes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, owner := s.signedIn(t, "owner")
	setup := s.as(t, cookie, http.MethodGet, "/admin/2fa/setup", nil)
	m := secretOnPage.FindStringSubmatch(setup.body)
	if m == nil {
		t.Fatalf("no secret on the setup page:\n%s", setup.body)
	}
	secret := m[1]
	if qr := s.as(t, cookie, http.MethodGet, "/admin/2fa/qr.png", nil); qr.status != http.StatusOK || !strings.HasPrefix(qr.body, "\x89PNG") {
		t.Errorf("QR code = %d %q", qr.status, qr.header.Get("Content-Type"))
	}
	if res := s.as(t, cookie, http.MethodPost, "/admin/2fa/setup", url.Values{"code": {"000000"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("a wrong enrolment code = %d", res.status)
	}
	done := s.as(t, cookie, http.MethodPost, "/admin/2fa/setup", url.Values{"code": {totpCode(t, secret, s.now)}})
	codes := codeOnPage.FindAllStringSubmatch(done.body, -1)
	if done.status != http.StatusOK || len(codes) != 10 {
		t.Fatalf("enrolment = %d with %d recovery codes", done.status, len(codes))
	}
	var storedCodes, storedSecret string
	_ = s.app.DB().NewQuery("SELECT recovery_codes, totp_secret FROM staff WHERE id = {:id}").Bind(dbx.Params{"id": owner.Id}).Row(&storedCodes, &storedSecret)
	if strings.Contains(storedCodes, codes[0][1]) || strings.Contains(storedSecret, secret) && !strings.HasPrefix(storedSecret, "plain:") {
		t.Errorf("recovery codes or secret stored in clear")
	}

	// A new sign-in now needs the second step.
	s.now = s.now.Add(time.Minute)
	res, c2 := s.signIn(t, owner.Email(), testPassword)
	if res.header.Get("Location") != "/admin/login/2fa" {
		t.Fatalf("after the password: %s", res.header.Get("Location"))
	}
	if page := s.as(t, c2, http.MethodGet, "/admin/", nil); page.header.Get("Location") != "/admin/login/2fa" {
		t.Errorf("the dashboard before the second step: %d %s", page.status, page.header.Get("Location"))
	}
	if page := s.as(t, c2, http.MethodPost, "/admin/2fa/setup", url.Values{"code": {"123456"}}); page.status != http.StatusForbidden {
		t.Errorf("replacing the authenticator before the second step = %d, want 403", page.status)
	}
	code := totpCode(t, secret, s.now)
	if r := s.as(t, c2, http.MethodPost, "/admin/login/2fa", url.Values{"code": {code}}); r.status != http.StatusSeeOther {
		t.Fatalf("TOTP step = %d", r.status)
	}
	if page := s.as(t, c2, http.MethodGet, "/admin/", nil); page.status != http.StatusOK {
		t.Errorf("after the second step = %d", page.status)
	}
	// The same code cannot be used twice.
	_, c3 := s.signIn(t, owner.Email(), testPassword)
	if r := s.as(t, c3, http.MethodPost, "/admin/login/2fa", url.Values{"code": {code}}); r.status != http.StatusUnauthorized {
		t.Errorf("a replayed code = %d, want 401", r.status)
	}
	// A recovery code works once.
	rc := codes[3][1]
	if r := s.as(t, c3, http.MethodPost, "/admin/login/2fa", url.Values{"code": {strings.ToUpper(rc)}}); r.status != http.StatusSeeOther {
		t.Fatalf("recovery code = %d", r.status)
	}
	_, c4 := s.signIn(t, owner.Email(), testPassword)
	if r := s.as(t, c4, http.MethodPost, "/admin/login/2fa", url.Values{"code": {rc}}); r.status != http.StatusUnauthorized {
		t.Errorf("a recovery code used twice = %d, want 401", r.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "security.2fa_failed"}); n < 2 {
		t.Errorf("failed second steps logged: %d", n)
	}
}

// TestSecondFactorCodesWorkOnceUnderConcurrency races sessions with one TOTP code and one
// recovery code: each is accepted exactly once.
func TestSecondFactorCodesWorkOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner := s.staffAccount(t, "owner@demo.invalid", "owner")
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	sealed, err := store.SealTOTP(secret)
	if err != nil {
		t.Fatal(err)
	}
	codes, hashes := newRecoveryCodes()
	owner.SetPendingTOTP(sealed)
	owner.ActivateTOTP(0, hashes)
	if err := owner.Save(s.app); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{totpCode(t, secret, s.now), codes[0]} {
		const n = 12
		cookies := make([]string, n)
		for i := range cookies {
			_, cookies[i] = s.signIn(t, owner.Email(), testPassword)
		}
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for _, c := range cookies {
			wg.Go(func() {
				statuses <- s.as(t, c, http.MethodPost, "/admin/login/2fa", url.Values{"code": {code}}).status
			})
		}
		wg.Wait()
		close(statuses)
		counts := map[int]int{}
		for st := range statuses {
			counts[st]++
		}
		// The losers are refused: 401, or 429 once their failures start the back-off.
		if counts[http.StatusSeeOther] != 1 || counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests] != n-1 {
			t.Errorf("code %q raced by %d sessions: %v, want one 303 and %d refusals", code, n, counts, n-1)
		}
		s.h.signins.reset("acct:" + owner.Email() + "|192.0.2.1") // start the next round without the back-off
	}
}

func TestRequired2FASendsMembersToEnrolment(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ownerCookie, owner := s.signedIn(t, "owner")
	deskCookie, _ := s.signedIn(t, "frontdesk")
	// The owner cannot require 2FA before having it.
	res := s.as(t, ownerCookie, http.MethodPost, "/admin/settings/access", url.Values{"allow": {""}, "require_2fa": {"yes"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("require 2FA without it = %d", res.status)
	}
	owner.SetPendingTOTP("plain:JBSWY3DPEHPK3PXP")
	owner.ActivateTOTP(0, nil)
	if err := owner.Save(s.app); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.DB().NewQuery("UPDATE staff_sessions SET second_factor = TRUE WHERE staff = {:s}").Bind(dbx.Params{"s": owner.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	if res := s.as(t, ownerCookie, http.MethodPost, "/admin/settings/access", url.Values{"allow": {""}, "require_2fa": {"yes"}}); res.status != http.StatusSeeOther {
		t.Fatalf("require 2FA = %d", res.status)
	}
	if page := s.as(t, deskCookie, http.MethodGet, "/admin/", nil); page.header.Get("Location") != "/admin/2fa/setup" {
		t.Errorf("a member without 2FA: %d %s, want enrolment", page.status, page.header.Get("Location"))
	}
	res, _ = s.signIn(t, "frontdesk@demo.invalid", testPassword)
	if res.header.Get("Location") != "/admin/2fa/setup" {
		t.Errorf("after the password: %s, want enrolment", res.header.Get("Location"))
	}
}

func TestSignInBackOff(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner := s.staffAccount(t, "owner@demo.invalid", "owner")
	for i := range backoffFreeAccount {
		if res, _ := s.signIn(t, owner.Email(), "not the password "+string(rune('a'+i))); res.status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d", i+1, res.status)
		}
	}
	// Now even the right password must wait.
	res, _ := s.signIn(t, owner.Email(), testPassword)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("during the back-off = %d", res.status)
	}
	s.now = s.now.Add(2 * time.Second)
	if res, _ := s.signIn(t, owner.Email(), testPassword); res.status != http.StatusSeeOther {
		t.Fatalf("after waiting = %d", res.status)
	}
	// Failures from one address against many accounts slow that address down too.
	for i := range backoffFreeIP {
		s.signIn(t, "nobody"+string(rune('a'+i))+"@demo.invalid", "whatever whatever")
	}
	if res, _ := s.signIn(t, owner.Email(), testPassword); res.status != http.StatusTooManyRequests {
		t.Errorf("an address with many failures = %d, want 429", res.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "security.signin_backoff"}); n < 2 {
		t.Errorf("back-off events logged: %d", n)
	}
}

func TestInvitesExpireAndWorkOnce(t *testing.T) {
	t.Parallel()
	s := newServerOpts(t, func(o *options) { o.transport = nil }) // no relay: the link is shown to the owner
	ownerCookie, _ := s.signedIn(t, "owner")
	res := s.as(t, ownerCookie, http.MethodPost, "/admin/staff/invite", url.Values{"email": {"new@demo.invalid"}, "role": {"manager"}})
	link := regexp.MustCompile(`/admin/invite/([A-Za-z0-9_-]{43})`).FindStringSubmatch(res.body)
	if res.status != http.StatusOK || link == nil {
		t.Fatalf("invite = %d, link %v", res.status, link)
	}
	inv, err := store.InviteByToken(s.app, link[1])
	if err != nil || inv.Email != "new@demo.invalid" || !inv.Expires.Time().Equal(s.now.Add(inviteTTL)) {
		t.Errorf("invite stored: %+v %v", inv, err)
	}
	form := url.Values{"name": {"Nina New"}, "password": {"amber-pelican-orchard"}, "password2": {"amber-pelican-orchard"}}
	if r := s.post(t, "/admin/invite/"+link[1], url.Values{"name": {"Nina"}, "password": {"password1234"}, "password2": {"password1234"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("a common password = %d", r.status)
	}
	r := s.post(t, "/admin/invite/"+link[1], form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("accept = %d\n%s", r.status, r.body)
	}
	nina, err := store.StaffByEmail(s.app, "new@demo.invalid")
	if err != nil || nina.Role() != store.RoleManager || !nina.ValidatePassword("amber-pelican-orchard") {
		t.Fatalf("account: %v", err)
	}
	if r := s.post(t, "/admin/invite/"+link[1], form); r.status != http.StatusNotFound {
		t.Errorf("the invite used twice = %d, want 404", r.status)
	}
	// A second invite expires after 30 days.
	res = s.as(t, ownerCookie, http.MethodPost, "/admin/staff/invite", url.Values{"email": {"late@demo.invalid"}, "role": {"frontdesk"}})
	link = regexp.MustCompile(`/admin/invite/([A-Za-z0-9_-]{43})`).FindStringSubmatch(res.body)
	s.now = s.now.Add(inviteTTL + time.Minute)
	if r := s.get(t, "/admin/invite/"+link[1]); r.status != http.StatusNotFound {
		t.Errorf("an expired invite = %d, want 404", r.status)
	}
	mustContain(t, "expired", s.get(t, "/admin/invite/"+link[1]).body, "no longer valid")
}

func TestInviteIsMailedWhenARelayExists(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ownerCookie, _ := s.signedIn(t, "owner")
	res := s.as(t, ownerCookie, http.MethodPost, "/admin/staff/invite", url.Values{"email": {"new@demo.invalid"}, "role": {"frontdesk"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("invite = %d", res.status)
	}
	rows := s.outboxRows(t, store.MailInvite)
	if len(rows) != 1 || rows[0].To != "new@demo.invalid" || !strings.Contains(rows[0].Text, "https://booking.test/admin/invite/") {
		t.Fatalf("invite mail: %d rows", len(rows))
	}
}

func TestAllowList(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "owner")
	// 192.0.2.1 is the test requests' address (httptest).
	res := s.as(t, cookie, http.MethodPost, "/admin/settings/access", url.Values{"allow": {"10.0.0.0/8"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "would lock you out") {
		t.Fatalf("a list without the owner's address = %d", res.status)
	}
	if res := s.as(t, cookie, http.MethodPost, "/admin/settings/access", url.Values{"allow": {"not an address"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("garbage = %d", res.status)
	}
	if res := s.as(t, cookie, http.MethodPost, "/admin/settings/access", url.Values{"allow": {"192.0.2.0/24\n10.0.0.0/8"}}); res.status != http.StatusSeeOther {
		t.Fatalf("a good list = %d", res.status)
	}
	if page := s.as(t, cookie, http.MethodGet, "/admin/", nil); page.status != http.StatusOK {
		t.Errorf("from an allowed address = %d", page.status)
	}
	for _, target := range []string{"/admin/login", "/admin/", "/_/"} {
		req := s.request(http.MethodGet, target, cookie, "203.0.113.9:5555")
		if req.status != http.StatusForbidden {
			t.Errorf("GET %s from another address = %d, want 403", target, req.status)
		}
	}
	// Visitors are not affected.
	if req := s.request(http.MethodGet, "/book/dinner", "", "203.0.113.9:5555"); req.status != http.StatusOK {
		t.Errorf("the booking page from another address = %d", req.status)
	}
}

func TestCrossSiteStaffPostsAreRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, desk := s.signedIn(t, "owner")
	token := s.book(t, "2026-11-24T19:00", "2")
	rec := s.bookingByToken(t, token)
	res := s.do(t, http.MethodPost, "/admin/bookings/"+rec.ID+"/checkin", url.Values{}, "Cookie", cookie, "Sec-Fetch-Site", "cross-site")
	if res.status != http.StatusForbidden {
		t.Errorf("cross-site check-in = %d, want 403", res.status)
	}
	res = s.do(t, http.MethodPost, "/admin/staff/"+desk.Id+"/deactivate", url.Values{}, "Cookie", cookie, "Origin", "https://evil.example")
	if res.status != http.StatusForbidden {
		t.Errorf("cross-origin staff change = %d, want 403", res.status)
	}
	if r := s.bookingByID(t, rec.ID); r.Status != booking.StatusConfirmed {
		t.Errorf("a refused post changed the booking")
	}
}

// TestBookingViewsAndExportsAreAudited reads the audit log after staff look at bookings.
func TestBookingViewsAndExportsAreAudited(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-24T19:00", "2")
	rec := s.bookingByToken(t, token)
	mgrCookie, mgr := s.signedIn(t, "manager")
	page := s.as(t, mgrCookie, http.MethodGet, "/admin/bookings/"+rec.ID, nil)
	mustContain(t, "booking page", page.body, "Ada Lovelace", "ada@example.com", rec.Reference)
	s.as(t, mgrCookie, http.MethodGet, "/admin/", nil)
	s.as(t, mgrCookie, http.MethodGet, "/admin/bookings?q=ada", nil)
	csv := s.as(t, mgrCookie, http.MethodGet, "/admin/export?from=2026-11-01&to=2026-12-31", nil)
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export = %d", csv.status)
	}
	mustContain(t, "csv", csv.body, "Reference,Offering,Start,End,Party,Status,Name,E-mail,Phone,Notes,Source,Booked at", "Confirmed,Ada", rec.Reference, "ada@example.com", "2026-11-24T19:00")
	var entries []store.Entry
	_ = s.app.DB().NewQuery("SELECT actor, action, target, detail, ip, request_id, created FROM audit_log WHERE actor = {:a} ORDER BY created").
		Bind(dbx.Params{"a": store.StaffActor(mgr.Id)}).All(&entries)
	var got []string
	for _, e := range entries {
		got = append(got, e.Action+" "+e.Target)
		if strings.Contains(e.Detail, "ada") {
			t.Errorf("the audit detail holds the search text: %q", e.Detail)
		}
		if e.IP == "" || e.RequestID == "" {
			t.Errorf("audit entry without IP or request id: %+v", e)
		}
	}
	sort.Strings(got)
	want := []string{"booking.exported bookings", "booking.list_viewed bookings", "booking.list_viewed today/2026-11-24",
		"booking.viewed bookings/" + rec.ID, "staff.signin staff/" + mgr.Id}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestStaffBookingOverCapacityNeedsAManagerAndAReason(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for range 5 {
		s.book(t, "2026-11-27T19:00", "8")
	}
	form := bookingForm("2026-11-27T19:00", "4")
	form.Set("offering", s.offering(t, "dinner").ID)
	deskCookie, _ := s.signedIn(t, "frontdesk")
	form.Set("override", "regulars")
	if res := s.as(t, deskCookie, http.MethodPost, "/admin/bookings/new", form); res.status != http.StatusUnprocessableEntity {
		t.Errorf("front desk over capacity = %d, want 422", res.status)
	}
	mgrCookie, _ := s.signedIn(t, "manager")
	form.Del("override")
	if res := s.as(t, mgrCookie, http.MethodPost, "/admin/bookings/new", form); res.status != http.StatusConflict {
		t.Errorf("manager over capacity without a reason = %d, want 409", res.status)
	}
	form.Set("override", "Regulars, extra table on the terrace")
	res := s.as(t, mgrCookie, http.MethodPost, "/admin/bookings/new", form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("manager over capacity with a reason = %d\n%s", res.status, res.body)
	}
	id := strings.TrimPrefix(strings.Split(res.header.Get("Location"), "?")[0], "/admin/bookings/")
	rec := s.bookingByID(t, id)
	if rec.Source != store.SourceStaff || rec.OverrideReason == "" {
		t.Errorf("stored: source %q override %q", rec.Source, rec.OverrideReason)
	}
	if n := s.count(t, "audit_log", dbx.NewExp("action = 'booking.create' AND detail LIKE 'over capacity%'")); n != 1 {
		t.Errorf("over-capacity bookings audited: %d", n)
	}
	// A staff booking is one entry in the log: the staff member's.
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "booking.create", "target": "bookings/" + id}); n != 1 {
		t.Errorf("the staff booking has %d create entries, want 1", n)
	}
}

// request sends a request with a remote address (and optionally a cookie).
func (s *testServer) request(method, target, cookie, remote string) response {
	req := newRequest(method, target)
	req.RemoteAddr = remote
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	return s.serve(req)
}

// TestAuditLogIsAppendOnly: no entry can be changed or deleted through the superusers' REST
// API (store's TestAuditAppendOnly covers PocketBase's records in the code).
func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.book(t, "2026-11-24T19:00", "2")
	var entryID string
	if err := s.app.DB().NewQuery("SELECT id FROM audit_log WHERE action = 'booking.create' LIMIT 1").Row(&entryID); err != nil {
		t.Fatal(err)
	}
	su := core.NewRecord(mustCollection(t, s.app, core.CollectionNameSuperusers))
	su.SetEmail("root@demo.invalid")
	su.SetPassword("a-long-superuser-password")
	if err := s.app.Save(su); err != nil {
		t.Fatal(err)
	}
	token, err := su.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	req := newRequest(http.MethodPatch, "/api/collections/audit_log/records/"+entryID)
	req.Body = io.NopCloser(strings.NewReader(`{"actor":"nobody"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	if r := s.serve(req); r.status != http.StatusBadRequest {
		t.Errorf("superuser PATCH of an audit entry = %d, want 400\n%s", r.status, r.body)
	}
	del := newRequest(http.MethodDelete, "/api/collections/audit_log/records/"+entryID)
	del.Header.Set("Authorization", token)
	if r := s.serve(del); r.status != http.StatusBadRequest {
		t.Errorf("superuser DELETE of an audit entry = %d, want 400\n%s", r.status, r.body)
	}
	var actor string
	if err := s.app.DB().NewQuery("SELECT actor FROM audit_log WHERE id = {:id}").Bind(dbx.Params{"id": entryID}).Row(&actor); err != nil || actor != store.ActorVisitor {
		t.Errorf("the entry after the attempts: %q %v", actor, err)
	}
}

func mustCollection(t testing.TB, app core.App, name string) *core.Collection {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStaffCreateCommand: the first owner from the console, the password on stdin or a
// one-time link; weak passwords and second accounts for an address are refused; each creation
// is audited.
func TestStaffCreateCommand(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	run := func(stdin string, args ...string) (string, error) {
		cmd := cli.NewStaffCommand(s.app, cli.Deps{Store: s.st, Jobs: s.jobs})
		var out strings.Builder
		cmd.SetArgs(args)
		cmd.SetIn(strings.NewReader(stdin))
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		err := cmd.Execute()
		return out.String(), err
	}
	if out, err := run("violet-harbour-lantern\n", "create", "Owner@Demo.invalid", "--role", "owner", "--name", "Olivia"); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	owner, err := store.StaffByEmail(s.app, "owner@demo.invalid")
	if err != nil || owner.Role() != store.RoleOwner || !owner.ValidatePassword("violet-harbour-lantern") {
		t.Fatalf("the owner: %v", err)
	}
	if _, err := run("another-fine-password\n", "create", "owner@demo.invalid"); err == nil {
		t.Errorf("a second account for one address was created")
	}
	if _, err := run("password1234\n", "create", "weak@demo.invalid"); err == nil || !strings.Contains(err.Error(), "common") {
		t.Errorf("a common password: %v", err)
	}
	if _, err := run("violet-harbour-lantern\n", "create", "x@demo.invalid", "--role", "admin"); err == nil {
		t.Errorf("an unknown role was accepted")
	}
	out, err := run("", "create", "desk@demo.invalid", "--role", "frontdesk", "--link")
	link := regexp.MustCompile(`https://booking\.test/admin/invite/([A-Za-z0-9_-]{43})`).FindStringSubmatch(out)
	if err != nil || link == nil {
		t.Fatalf("--link: %v\n%s", err, out)
	}
	form := url.Values{"name": {"Dana Desk"}, "password": {"amber-pelican-orchard"}, "password2": {"amber-pelican-orchard"}}
	if r := s.post(t, "/admin/invite/"+link[1], form); r.status != http.StatusSeeOther {
		t.Fatalf("setting the password through the link = %d", r.status)
	}
	if r := s.post(t, "/admin/invite/"+link[1], form); r.status != http.StatusNotFound {
		t.Errorf("the link used twice = %d", r.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "staff.created", "actor": store.ActorConsole}); n != 2 {
		t.Errorf("console creations audited: %d, want 2", n)
	}

	// open-access empties an allow-list that shuts everyone out.
	if err := store.SaveSetting(s.app, store.SettingAccess, store.Access{Allow: []string{"10.0.0.0/8"}}, nil); err != nil {
		t.Fatal(err)
	}
	if r := s.request(http.MethodGet, "/admin/login", "", "192.0.2.1:4000"); r.status != http.StatusForbidden {
		t.Fatalf("outside the list = %d", r.status)
	}
	if out, err := run("", "open-access"); err != nil || !strings.Contains(out, "it held 1") {
		t.Fatalf("open-access: %v\n%s", err, out)
	}
	if r := s.request(http.MethodGet, "/admin/login", "", "192.0.2.1:4000"); r.status != http.StatusOK {
		t.Errorf("after open-access = %d", r.status)
	}
}

// TestExportStreamsEveryBookingOnce exports more bookings than one page of the stream (many
// sharing a start time), and a guest whose name a spreadsheet would run as a formula.
func TestExportStreamsEveryBookingOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	addBookings(t, s.app, 2500)
	token := s.book(t, "2026-11-24T19:00", "2")
	rec := s.bookingByToken(t, token)
	if _, err := s.app.DB().NewQuery("UPDATE bookings SET name = {:n}, notes = {:notes} WHERE id = {:id}").
		Bind(dbx.Params{"n": `=HYPERLINK("https://evil.example","Ada")`, "notes": "+1 for the terrace", "id": rec.ID}).Execute(); err != nil {
		t.Fatal(err)
	}
	cookie, _ := s.signedIn(t, "manager")
	res := s.as(t, cookie, http.MethodGet, "/admin/export", nil)
	if res.status != http.StatusOK || !strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export = %d %q", res.status, res.header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[0]] {
			t.Errorf("booking %s exported twice", r[0])
		}
		seen[r[0]] = true
		if r[0] == rec.Reference && (r[6] != `'=HYPERLINK("https://evil.example","Ada")` || r[9] != "'+1 for the terrace") {
			t.Errorf("formula cells not neutralised: name %q notes %q", r[6], r[9])
		}
	}
	if len(seen) != 2501 {
		t.Errorf("exported %d distinct bookings, want 2501", len(seen))
	}
	if n := s.count(t, "audit_log", dbx.NewExp("action = 'booking.exported' AND detail LIKE '2501 bookings%'")); n != 1 {
		t.Errorf("the export's audit entry is missing or miscounted")
	}
}

// TestStaffCleanUp: the daily job deletes expired sessions and old invites, nothing current.
func TestStaffCleanUp(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner := s.staffAccount(t, "owner@demo.invalid", "owner")
	_, stale := s.signIn(t, owner.Email(), testPassword)
	if _, err := store.NewInvite(s.app, "old@demo.invalid", store.RoleFrontdesk, owner.Id, s.now, inviteTTL); err != nil {
		t.Fatal(err)
	}
	s.now = s.now.Add(inviteTTL + 8*24*time.Hour)
	_, fresh := s.signIn(t, owner.Email(), testPassword)
	if _, err := store.NewInvite(s.app, "new@demo.invalid", store.RoleFrontdesk, owner.Id, s.now, inviteTTL); err != nil {
		t.Fatal(err)
	}
	sessions, invites, err := s.jobs.StaffCleanup(s.now)
	if err != nil || sessions != 1 || invites != 1 {
		t.Fatalf("purged %d sessions, %d invites: %v", sessions, invites, err)
	}
	if r := s.as(t, fresh, http.MethodGet, "/admin/", nil); r.status != http.StatusOK {
		t.Errorf("the current session ended: %d", r.status)
	}
	if r := s.as(t, stale, http.MethodGet, "/admin/", nil); r.status != http.StatusSeeOther {
		t.Errorf("the expired session works: %d", r.status)
	}
	if s.count(t, "staff_invites", dbx.HashExp{"email": "new@demo.invalid"}) != 1 {
		t.Errorf("the current invite was deleted")
	}
}

// TestTheLastOwnerStays: an owner cannot demote or deactivate the last active owner, also when
// two owners demote each other at the same moment.
func TestTheLastOwnerStays(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	aCookie, a := s.signedIn(t, "owner")
	if r := s.as(t, aCookie, http.MethodPost, "/admin/staff/"+a.Id+"/role", url.Values{"role": {"manager"}}); r.status != http.StatusConflict {
		t.Errorf("the only owner demoted themself: %d", r.status)
	}
	b := s.staffAccount(t, "second@demo.invalid", "owner")
	_, bCookie := s.signIn(t, b.Email(), testPassword)
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, c := range []struct{ cookie, target string }{{aCookie, b.Id}, {bCookie, a.Id}} {
		wg.Go(func() {
			statuses[i] = s.as(t, c.cookie, http.MethodPost, "/admin/staff/"+c.target+"/role", url.Values{"role": {"frontdesk"}}).status
		})
	}
	wg.Wait()
	n := s.count(t, "staff", dbx.HashExp{"role": "owner", "active": true})
	if n < 1 {
		t.Fatalf("no owner left after demoting each other (statuses %v)", statuses)
	}
	// Whatever order they ran in, one demotion went through and the other was refused or
	// came from a member no longer an owner (403).
	sort.Ints(statuses)
	if statuses[0] != http.StatusSeeOther || (statuses[1] != http.StatusConflict && statuses[1] != http.StatusForbidden) {
		t.Errorf("statuses %v, want one 303 and one 409 or 403", statuses)
	}
}

// TestVenueChangesShowAtOnce: the venue is kept in memory, and a change through the dashboard
// or PocketBase's records shows on the next page.
func TestVenueChangesShowAtOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	mustContain(t, "home", s.get(t, "/").body, "Demo Bistro &amp; Pottery")
	s.setVenue(t, func(f *store.VenueFields) { f.Name = "Chez Ada" })
	mustContain(t, "home after a record change", s.get(t, "/").body, "Chez Ada")
	cookie, _ := s.signedIn(t, "owner")
	form := (&matrixFixtures{t: t, s: s}).settingsForm()
	form.Set("name", "Ada's Kitchen")
	if r := s.as(t, cookie, http.MethodPost, "/admin/settings", form); r.status != http.StatusSeeOther {
		t.Fatalf("settings = %d", r.status)
	}
	mustContain(t, "home after the settings page", s.get(t, "/").body, "Ada&#39;s Kitchen")
}

// TestStaffBookByPhoneWithoutAnEmail: the desk takes a booking by phone with no address: it is
// stored with the phone only, without a customer, a manage token or a mail to the guest (the
// venue's own notice still goes); a booking with neither address nor phone is refused, naming
// both; the booking's contact can be edited without inventing an address.
func TestStaffBookByPhoneWithoutAnEmail(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	deskCookie, _ := s.signedIn(t, "frontdesk")
	form := bookingForm("2026-11-27T19:00", "2")
	form.Set("offering", s.offering(t, "dinner").ID)
	form.Set("email", "")
	form.Set("phone", "")
	res := s.as(t, deskCookie, http.MethodPost, "/admin/bookings/new", form)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "Give an e-mail address or a phone number") {
		t.Fatalf("neither address nor phone = %d\n%s", res.status, snippet(res.body))
	}
	form.Set("phone", "+49 30 1234567")
	res = s.as(t, deskCookie, http.MethodPost, "/admin/bookings/new", form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("a phone booking = %d\n%s", res.status, snippet(res.body))
	}
	id := strings.TrimPrefix(strings.Split(res.header.Get("Location"), "?")[0], "/admin/bookings/")
	b := s.bookingByID(t, id)
	if b.Email != "" || b.Phone != "+49 30 1234567" || b.Customer != "" || b.Source != store.SourceStaff {
		t.Errorf("stored: email %q phone %q customer %q source %q", b.Email, b.Phone, b.Customer, b.Source)
	}
	if n := s.count(t, "booking_tokens", dbx.HashExp{"booking": id}); n != 0 {
		t.Errorf("a phone booking has %d manage tokens, want none", n)
	}
	if n := s.count(t, "outbox", dbx.NewExp("booking = {:b} AND kind != {:notice}", dbx.Params{"b": id, "notice": string(store.MailVenueNotice)})); n != 0 {
		t.Errorf("a phone booking queued %d mails to the guest", n)
	}
	edit := url.Values{"name": {"Ada Lovelace"}, "email": {""}, "phone": {"+49 30 7654321"}, "notes": {""}, "internal_notes": {"called back"}}
	if res := s.as(t, deskCookie, http.MethodPost, "/admin/bookings/"+id, edit); res.status != http.StatusSeeOther {
		t.Fatalf("editing the phone booking = %d\n%s", res.status, snippet(res.body))
	}
	if b := s.bookingByID(t, id); b.Phone != "+49 30 7654321" || b.Email != "" {
		t.Errorf("after the edit: phone %q email %q", b.Phone, b.Email)
	}
	// A booking made with an address keeps needing one.
	other := s.bookingByToken(t, s.book(t, "2026-11-27T20:00", "2"))
	edit.Set("email", "")
	if res := s.as(t, deskCookie, http.MethodPost, "/admin/bookings/"+other.ID, edit); res.status != http.StatusUnprocessableEntity {
		t.Errorf("removing a booking's address = %d, want 422", res.status)
	}
}

// TestWaitlistOfferMinutesInSettings: the owner sets how long a waitlist offer holds its place;
// the page shows it, the venue uses it, and a value out of range is refused beside the field.
func TestWaitlistOfferMinutesInSettings(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "owner")
	page := s.as(t, cookie, http.MethodGet, "/admin/settings", nil)
	mustContain(t, "settings", page.body, `name="waitlist_offer_minutes"`, `value="30"`)
	form := (&matrixFixtures{t: t, s: s}).settingsForm()
	form.Set("waitlist_offer_minutes", "3")
	if r := s.as(t, cookie, http.MethodPost, "/admin/settings", form); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "5") || !strings.Contains(r.body, "1440") {
		t.Errorf("3 minutes = %d, want 422 naming the range", r.status)
	}
	form.Set("waitlist_offer_minutes", "45")
	if r := s.as(t, cookie, http.MethodPost, "/admin/settings", form); r.status != http.StatusSeeOther {
		t.Fatalf("45 minutes = %d\n%s", r.status, snippet(r.body))
	}
	if got := s.venue(t).OfferTTL(); got != 45*time.Minute {
		t.Errorf("the offer holds %s, want 45m", got)
	}
	mustContain(t, "settings after saving", s.as(t, cookie, http.MethodGet, "/admin/settings", nil).body, `value="45"`)
}

// TestEmptyTablesSaySo: a table with nothing in it says so in a row of its own, instead of
// showing bare column headers.
func TestEmptyTablesSaySo(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "owner")
	for _, path := range []string{"/admin/outbox", "/admin/privacy", "/admin/walkins", "/admin/waitlist?date=2026-11-27",
		"/admin/bookings?q=nobody-at-all"} {
		page := s.as(t, cookie, http.MethodGet, path, nil)
		if page.status != http.StatusOK {
			t.Fatalf("%s = %d", path, page.status)
		}
		mustContain(t, path, page.body, `<tr data-testid="empty"><td colspan="`, "Nothing here yet.")
	}
	s.book(t, "2026-11-27T19:00", "2")
	mustNotContain(t, "bookings", s.as(t, cookie, http.MethodGet, "/admin/bookings?from=2026-11-01&to=2026-12-31", nil).body, "Nothing here yet.")
}
