//go:build integration

package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"reserva/internal/realtest"
)

// TestStaffSignInWithOIDC: the owner of a running reserva sets up a real OpenID Connect
// provider (zitadel/oidc's example OP on a port of its own) on Settings → "Sign in with your
// identity provider"; a bad issuer is refused beside the field. In chromium a front-desk member
// then signs in through the provider's own login form and lands on the dashboard (the account
// linked by its verified e-mail); a person the provider knows but who has no staff account is
// refused with a 403; a manager with an authenticator app is asked for its code after the
// provider, and gets in with it. The owner unlinks an account on the staff page. The audit log
// holds the links, the unlink, the settings change and the stranger's refusal without the
// stranger's address.
func TestStaffSignInWithOIDC(t *testing.T) {
	t.Setenv("RESERVA_ENCRYPTION_KEY", testKey) // for `reserva staff create` too
	// Every sign-in here comes from one address: more than the default ten sign-in requests in
	// ten minutes (a sign-in through the provider counts twice: the button and the way back).
	inst := startReserva(t, []string{"RESERVA_RATE_SIGNIN=60/10m"}, "--demo")
	const ownerPW, deskPW, tinaPW = "copper-lantern-estuary", "juniper-atlas-cobble", "saffron-quay-meridian"
	createStaff(t, inst.Dir, "owner@example.com", "owner", ownerPW)
	createStaff(t, inst.Dir, "desk@example.com", "frontdesk", deskPW)
	createStaff(t, inst.Dir, "tina@example.com", "manager", tinaPW)
	idp := realtest.StartOIDCProvider(t, inst.URL+"/admin/oidc/callback",
		realtest.OIDCUser{ID: "sub-desk", Username: "desk", Password: "desk-at-the-idp", Email: "desk@example.com", EmailVerified: true},
		realtest.OIDCUser{ID: "sub-tina", Username: "tina", Password: "tina-at-the-idp", Email: "Tina@Example.com", EmailVerified: true},
		realtest.OIDCUser{ID: "sub-stranger", Username: "stranger", Password: "stranger-at-the-idp", Email: "stranger@example.com", EmailVerified: true},
	)

	ctx := realtest.NewBrowser(t, 4*time.Minute)
	b := tab{t, ctx}
	step, text, submit := b.step, b.text, b.submit
	path := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		step("read the address", err)
		u, err := url.Parse(loc)
		step("parse the address", err)
		return u.Path
	}
	signIn := func(email, password string) {
		t.Helper()
		step("open sign-in", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/login")))
		step("fill sign-in", chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), password)))
		if st := submit(`[data-testid="login-submit"]`); st != http.StatusOK {
			t.Fatalf("sign-in as %s: %d", email, st)
		}
	}
	// throughProvider clicks the provider's button on the sign-in page and signs in on the
	// provider's own login form; it returns the status of the page Reserva answers with.
	throughProvider := func(username, password string) int64 {
		t.Helper()
		step("open sign-in", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/login")))
		if got := text(`[data-testid="oidc-login"]`); got != "Sign in with the Test IdP" {
			t.Fatalf("the provider's button reads %q", got)
		}
		if st := submit(`[data-testid="oidc-login"]`); st != http.StatusOK {
			t.Fatalf("the provider's login form: %d", st)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		step("at the provider", err)
		if !strings.HasPrefix(loc, idp.Issuer+"login/") {
			t.Fatalf("the button led to %s, want the provider's login form", loc)
		}
		step("fill the provider's form", chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("username"), username),
			chromedp.SendKeys(chromedp.ID("password"), password)))
		return submit(`button[type="submit"]`)
	}

	// The owner signs in with the password and sets the provider up; a wrong issuer first.
	signIn("owner@example.com", ownerPW)
	step("open settings", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/settings")))
	b.click(`[data-testid="oidc-link"]`)
	if got := text(`[data-testid="oidc-redirect"]`); got != inst.URL+"/admin/oidc/callback" {
		t.Fatalf("the page asks to register %q, want %s/admin/oidc/callback", got, inst.URL)
	}
	step("fill the provider", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("oidc-issuer"), "http://localhost:1/"),
		chromedp.SendKeys(chromedp.ID("oidc-client-id"), idp.ClientID),
		chromedp.SendKeys(chromedp.ID("oidc-client-secret"), idp.ClientSecret),
		chromedp.SendKeys(chromedp.ID("oidc-label"), "Sign in with the Test IdP"),
		chromedp.Click(chromedp.ID("oidc-enabled"))))
	if st := submit(`[data-testid="oidc-save"]`); st != http.StatusUnprocessableEntity {
		t.Fatalf("saving an issuer nobody answers at = %d, want 422", st)
	}
	if got := text(`#issuer-error`); !strings.Contains(got, "No OpenID Connect provider answered") {
		t.Fatalf("the issuer's message reads %q", got)
	}
	step("fix the issuer", chromedp.Do(ctx,
		chromedp.Clear(chromedp.ID("oidc-issuer")),
		chromedp.SendKeys(chromedp.ID("oidc-issuer"), idp.Issuer),
		chromedp.SendKeys(chromedp.ID("oidc-client-secret"), idp.ClientSecret)))
	if st := submit(`[data-testid="oidc-save"]`); st != http.StatusOK {
		t.Fatalf("saving the provider: %d", st)
	}
	if got := text(`.notice`); got != "Saved." {
		t.Fatalf("after saving the page says %q", got)
	}
	submit(`[data-testid="logout"]`)

	// A front-desk member signs in through the provider: the dashboard.
	if st := throughProvider("desk", "desk-at-the-idp"); st != http.StatusOK {
		t.Fatalf("back from the provider as desk: %d", st)
	}
	if p := path(); p != "/admin/" {
		t.Fatalf("desk landed on %s (%q), want the dashboard", p, text("h1"))
	}
	if got := text(`.signout`); !strings.Contains(got, "desk") {
		t.Errorf("the dashboard names %q, want desk", got)
	}
	submit(`[data-testid="logout"]`)

	// Someone the provider knows, without a staff account: refused.
	if st := throughProvider("stranger", "stranger-at-the-idp"); st != http.StatusForbidden {
		t.Fatalf("back from the provider as a stranger: %d, want 403", st)
	}
	if h := text("h1"); h != "No staff account matches" {
		t.Fatalf("the refusal reads %q", h)
	}
	step("the dashboard stays closed", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/")))
	if p := path(); p != "/admin/login" {
		t.Fatalf("after the refusal /admin/ shows %s", p)
	}

	// The manager enrols an authenticator app (with the password), signs out, and signs in
	// through the provider: the code is still asked.
	signIn("tina@example.com", tinaPW)
	step("open the account page", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/account")))
	submit(`[data-testid="2fa-setup"]`)
	secret := text(`[data-testid="totp-secret"]`)
	code, err := totp.GenerateCode(secret, time.Now())
	step("code", err)
	step("enter the code", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("code"), code)))
	submit(`[data-testid="setup-submit"]`)
	submit(`[data-testid="logout"]`)
	if st := throughProvider("tina", "tina-at-the-idp"); st != http.StatusOK {
		t.Fatalf("back from the provider as tina: %d", st)
	}
	if p, h := path(), text("h1"); p != "/admin/login/2fa" || h != "Two-factor sign-in" {
		t.Fatalf("after the provider tina is at %s (%q), want the second step", p, h)
	}
	step("the dashboard waits for the code", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/bookings")))
	if p := path(); p != "/admin/login/2fa" {
		t.Fatalf("before the code /admin/bookings shows %s", p)
	}
	code, err = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	step("code", err)
	step("enter the code", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("code"), code)))
	submit(`[data-testid="2fa-submit"]`)
	if p := path(); p != "/admin/" {
		t.Fatalf("after the code tina is at %s", p)
	}
	submit(`[data-testid="logout"]`)

	// The owner sees desk and tina linked on the staff page and unlinks one of them.
	signIn("owner@example.com", ownerPW)
	step("open staff", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/staff")))
	countLinked := func() int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid^="oidc-unlink-"]').length`))
		step("count the linked accounts", err)
		return n
	}
	if n := countLinked(); n != 2 {
		t.Fatalf("the staff page shows %d linked accounts, want desk and tina", n)
	}
	b.click(`[data-testid^="oidc-unlink-"]`)
	if n := countLinked(); n != 1 {
		t.Fatalf("after unlinking one the staff page shows %d linked accounts", n)
	}
	submit(`[data-testid="logout"]`)

	// The audit log: both links, the sign-ins through the provider, the stranger's refusal.
	owner := signInStaff(t, inst.URL, "owner@example.com", ownerPW)
	res, err := owner.client.Get(inst.URL + "/admin/audit")
	must(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	must(t, err)
	page := string(body)
	for _, want := range []string{"staff.oidc_linked", "staff.oidc_unlinked", "security.signin_failed", "oidc: unknown account", "settings.oidc"} {
		if !strings.Contains(page, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
	if strings.Contains(page, "stranger@example.com") {
		t.Errorf("the audit log names the stranger's address")
	}
}
