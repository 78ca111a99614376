package hooks

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/oauth2"

	"reserva/internal/store"
	"reserva/views"
)

// Staff sign-in through the owner's OpenID Connect provider: the authorization code flow with
// PKCE (S256), its state, nonce and verifier kept sealed in a short-lived cookie; the ID token
// is verified by go-oidc (signature by the provider's JWKS, issuer, audience, expiry) and its
// nonce here. A person is let in only to an existing, active staff account: linked at the first
// sign-in by a verified e-mail equal to the account's, by the provider's subject afterwards.
// The session made is password sign-in's, with its second factor still asked.
const (
	oidcCookie      = "reserva_oidc"
	oidcFlowTTL     = 10 * time.Minute
	oidcCallback    = "/admin/oidc/callback"
	oidcHTTPTimeout = 10 * time.Second
)

// oidcFlow is a sign-in through the provider in progress, kept sealed in the oidcCookie.
type oidcFlow struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"` // the PKCE code verifier
	Issuer   string    `json:"i"`
	Next     string    `json:"x"`
	Expires  time.Time `json:"e"`
}

// The flow's failures: the sign-in must start again.
var (
	errFlowMissing = errors.New("oidc: no sign-in in progress in this browser")
	errFlowExpired = errors.New("oidc: sign-in started too long ago")
	errFlowState   = errors.New("oidc: state does not match")
	errFlowIssuer  = errors.New("oidc: started with another provider")
	errFlowNonce   = errors.New("oidc: nonce does not match")
)

// newOIDCFlow starts a sign-in with issuer at now: fresh random state, nonce and PKCE verifier.
func newOIDCFlow(issuer, next string, now time.Time) oidcFlow {
	state, _ := store.NewToken()
	nonce, _ := store.NewToken()
	return oidcFlow{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), Issuer: issuer, Next: safeNext(next),
		Expires: now.Add(oidcFlowTTL)}
}

// check reports whether a callback with state, for the provider issuer, belongs to this flow at now.
func (f oidcFlow) check(state, issuer string, now time.Time) error {
	switch {
	case f.State == "":
		return errFlowMissing
	case !now.Before(f.Expires):
		return errFlowExpired
	case subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1:
		return errFlowState
	case f.Issuer != issuer:
		return errFlowIssuer
	}
	return nil
}

// checkNonce reports whether an ID token's nonce is the flow's.
func (f oidcFlow) checkNonce(nonce string) error {
	if f.Nonce == "" || subtle.ConstantTimeCompare([]byte(f.Nonce), []byte(nonce)) != 1 {
		return errFlowNonce
	}
	return nil
}

// setFlowCookie keeps f sealed in the browser: HttpOnly, SameSite=Lax (the provider's redirect
// back is a top-level GET, which carries it), Secure under TLS as the session cookie, for /admin.
func setFlowCookie(e *core.RequestEvent, f oidcFlow) error {
	sealed, err := store.SealOIDCFlow(f)
	if err != nil {
		return err
	}
	e.SetCookie(&http.Cookie{Name: oidcCookie, Value: sealed, Path: "/admin", HttpOnly: true, Secure: viaHTTPS(e.Request),
		SameSite: http.SameSiteLaxMode, MaxAge: int(oidcFlowTTL.Seconds())})
	return nil
}

// readFlow opens the flow cookie (errFlowMissing when there is none or it cannot be read).
func readFlow(e *core.RequestEvent) oidcFlow {
	var f oidcFlow
	c, err := e.Request.Cookie(oidcCookie)
	if err != nil || len(c.Value) > 2000 {
		return oidcFlow{}
	}
	if err := store.OpenOIDCFlow(c.Value, &f); err != nil {
		return oidcFlow{}
	}
	return f
}

func clearFlowCookie(e *core.RequestEvent) {
	e.SetCookie(&http.Cookie{Name: oidcCookie, Value: "", Path: "/admin", HttpOnly: true, Secure: viaHTTPS(e.Request),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// oidcHTTP is the client of every call to the provider: short, and never following a redirect
// to somewhere else for the token.
var oidcHTTP = &http.Client{Timeout: oidcHTTPTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// oidcProviders keeps one go-oidc provider per configuration, so its key set (the JWKS) is
// fetched once and again only for a key it does not know.
type oidcProviders struct {
	mu sync.Mutex
	m  map[string]*oidc.Provider
}

// get returns the provider of o (made from its stored discovery, no request).
func (p *oidcProviders) get(o store.OIDC) *oidc.Provider {
	key := strings.Join([]string{o.Issuer, o.AuthURL, o.TokenURL, o.JWKSURL, o.UserInfoURL, strings.Join(o.Algorithms, " ")}, "\n")
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := p.m[key]; pr != nil {
		return pr
	}
	if p.m == nil || len(p.m) > 8 {
		p.m = map[string]*oidc.Provider{}
	}
	// The key set's context outlives the request: it is used to fetch the keys later.
	ctx := oidc.ClientContext(context.Background(), oidcHTTP)
	pr := (&oidc.ProviderConfig{IssuerURL: o.Issuer, AuthURL: o.AuthURL, TokenURL: o.TokenURL, JWKSURL: o.JWKSURL,
		UserInfoURL: o.UserInfoURL, Algorithms: o.Algorithms}).NewProvider(ctx)
	p.m[key] = pr
	return pr
}

// discoverOIDC fetches issuer's discovery document and returns o with its endpoints; an
// error when it cannot be read or names another issuer (go-oidc checks that).
func discoverOIDC(ctx context.Context, o store.OIDC) (store.OIDC, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, oidcHTTP), oidcHTTPTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.Issuer)
	if err != nil {
		return o, fmt.Errorf("oidc discovery: %w", err)
	}
	var doc struct {
		JWKS     string   `json:"jwks_uri"`
		UserInfo string   `json:"userinfo_endpoint"`
		Algs     []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&doc); err != nil {
		return o, fmt.Errorf("oidc discovery: %w", err)
	}
	ep := p.Endpoint()
	if ep.AuthURL == "" || ep.TokenURL == "" || doc.JWKS == "" {
		return o, errors.New("oidc discovery: the document lacks an authorization, token or jwks endpoint")
	}
	// Only asymmetric signatures verified by the JWKS (never "none" or a shared-secret HMAC);
	// none named: go-oidc's default, RS256.
	var algs []string
	for _, a := range doc.Algs {
		if slices.Contains(oidcAlgorithms, a) {
			algs = append(algs, a)
		}
	}
	o.AuthURL, o.TokenURL, o.JWKSURL, o.UserInfoURL, o.Algorithms = ep.AuthURL, ep.TokenURL, doc.JWKS, doc.UserInfo, algs
	return o, nil
}

// oidcAlgorithms are the ID token signatures Reserva accepts (those go-oidc verifies).
var oidcAlgorithms = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

// oidcRedirect is the address the provider sends the person back to (the owner registers it
// at the provider): the site's public address, else this request's.
func (h *handlers) oidcRedirect(e *core.RequestEvent) string {
	base := h.jobs.AbsURL("")
	if base == "" {
		scheme := "http"
		if viaHTTPS(e.Request) {
			scheme = "https"
		}
		base = scheme + "://" + e.Request.Host
	}
	return strings.TrimSuffix(base, "/") + oidcCallback
}

// oidcReady returns the provider's settings when staff may sign in through it.
func (h *handlers) oidcReady(app core.App) (store.OIDC, bool) {
	o, _, err := store.LoadOIDC(app, false)
	if err != nil {
		app.Logger().Error("oidc settings", "error", err.Error())
		return store.OIDC{}, false
	}
	// Without the key the flow's cookie cannot be sealed (nor the client secret read).
	return o, o.Ready() && store.OIDCEnabled()
}

// oidcStart (GET /admin/login/oidc?next=) sends the browser to the provider with a new flow:
// 404 when no provider is on. A link, not a form: the pages' form-action policy would stop a
// form's redirect to the provider.
func (h *handlers) oidcStart(e *core.RequestEvent) error {
	o, ok := h.oidcReady(e.App)
	if !ok {
		return notFound(errors.New("oidc: not configured"))
	}
	now := h.now()
	if wait := h.signins.wait("ip:"+e.RealIP(), backoffFreeIP, now); wait > 0 {
		return h.oidcWait(e, wait)
	}
	f := newOIDCFlow(o.Issuer, e.Request.URL.Query().Get("next"), now)
	if err := setFlowCookie(e, f); err != nil {
		return err
	}
	cfg := oauth2.Config{ClientID: o.ClientID, Endpoint: oauth2.Endpoint{AuthURL: o.AuthURL, TokenURL: o.TokenURL},
		RedirectURL: h.oidcRedirect(e), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	return e.Redirect(http.StatusSeeOther, cfg.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)))
}

func (h *handlers) oidcWait(e *core.RequestEvent, wait time.Duration) error {
	_ = h.staffAudit(e.App, e, "security.signin_backoff", "", "oidc")
	secs := int(math.Ceil(wait.Seconds()))
	e.Response.Header().Set("Retry-After", fmt.Sprint(secs))
	return &pageError{status: http.StatusTooManyRequests, heading: "admin.oidc.failed", body: "admin.login.wait", args: []any{secs}}
}

// oidcPerson is who the provider says signed in.
type oidcPerson struct {
	Issuer, Subject, Email string
	EmailVerified          bool
}

// flexBool reads a JSON boolean that some providers send as a string ("true").
type flexBool bool

func (b *flexBool) UnmarshalJSON(raw []byte) error {
	s := strings.Trim(string(raw), `"`)
	*b = flexBool(s == "true")
	return nil
}

// errOIDCToken wraps every failure of the code exchange and the ID token's checks.
var errOIDCToken = errors.New("oidc: the provider's answer was refused")

// oidcPersonOf exchanges code (with the flow's PKCE verifier) for tokens, verifies the ID token
// (signature, issuer, audience, expiry: go-oidc; the nonce: the flow) and reads the person's
// e-mail from it, or from the userinfo endpoint when the ID token carries none (its subject
// must then be the token's).
func (h *handlers) oidcPersonOf(ctx context.Context, o store.OIDC, secret, redirect, code string, f oidcFlow) (oidcPerson, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, oidcHTTP), 2*oidcHTTPTimeout)
	defer cancel()
	p := h.oidcProvs.get(o)
	cfg := oauth2.Config{ClientID: o.ClientID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: redirect,
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	if code == "" {
		return oidcPerson{}, fmt.Errorf("%w: no code", errOIDCToken)
	}
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return oidcPerson{}, fmt.Errorf("%w: exchange: %w", errOIDCToken, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return oidcPerson{}, fmt.Errorf("%w: no id_token", errOIDCToken)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.ClientID, Now: h.now}).Verify(ctx, raw)
	if err != nil {
		return oidcPerson{}, fmt.Errorf("%w: %w", errOIDCToken, err)
	}
	if err := f.checkNonce(idt.Nonce); err != nil {
		return oidcPerson{}, fmt.Errorf("%w: %w", errOIDCToken, err)
	}
	var c struct {
		Email         string    `json:"email"`
		EmailVerified *flexBool `json:"email_verified"`
	}
	if err := idt.Claims(&c); err != nil {
		return oidcPerson{}, fmt.Errorf("%w: claims: %w", errOIDCToken, err)
	}
	person := oidcPerson{Issuer: o.Issuer, Subject: idt.Subject, Email: c.Email, EmailVerified: c.EmailVerified != nil && bool(*c.EmailVerified)}
	if c.Email == "" && o.UserInfoURL != "" {
		var ui struct {
			Subject       string   `json:"sub"`
			Email         string   `json:"email"`
			EmailVerified flexBool `json:"email_verified"`
		}
		info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return oidcPerson{}, fmt.Errorf("%w: userinfo: %w", errOIDCToken, err)
		}
		if err := info.Claims(&ui); err != nil {
			return oidcPerson{}, fmt.Errorf("%w: userinfo: %w", errOIDCToken, err)
		}
		if ui.Subject != idt.Subject {
			return oidcPerson{}, fmt.Errorf("%w: userinfo names another subject", errOIDCToken)
		}
		person.Email, person.EmailVerified = ui.Email, bool(ui.EmailVerified)
	}
	person.Email = strings.ToLower(strings.TrimSpace(person.Email))
	return person, nil
}

// The linking rules' refusals.
var (
	errOIDCUnknown    = errors.New("oidc: no staff account matches")
	errOIDCUnverified = errors.New("oidc: the provider has not verified the e-mail address")
	errOIDCInactive   = errors.New("oidc: the staff account is deactivated")
	errOIDCOther      = errors.New("oidc: the staff account is linked to another person at the provider")
)

// oidcStaff finds the staff account p may sign in to, inside tx, linking it at now on the
// first sign-in. The subject counts once linked (a changed e-mail at the provider does not
// move the link); before that only a verified e-mail equal to an account's links, and never
// to an account linked to another person at the same provider. Only an active account is let
// in; nobody ever gets a new one. It returns the account found (also with a refusal, for the
// audit log, nil when none is) and whether it was linked now.
func oidcStaff(tx core.App, p oidcPerson, now time.Time) (*store.Staff, bool, error) {
	s, err := store.StaffByOIDC(tx, p.Issuer, p.Subject)
	if err == nil {
		if !s.Active() {
			return s, false, errOIDCInactive
		}
		return s, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, err
	}
	if !p.EmailVerified || p.Email == "" {
		return nil, false, errOIDCUnverified
	}
	s, err = store.StaffByEmail(tx, p.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, errOIDCUnknown
	}
	if err != nil {
		return nil, false, err
	}
	if s.OIDCLinked() && s.OIDCIssuer() == p.Issuer {
		return s, false, errOIDCOther
	}
	if !s.Active() {
		return s, false, errOIDCInactive
	}
	s.LinkOIDC(p.Issuer, p.Subject, now)
	if err := s.Save(tx); err != nil {
		return s, false, err
	}
	return s, true, nil
}

// oidcCallback (GET /admin/oidc/callback) ends a sign-in at the provider: the flow's cookie
// and state, the provider's tokens, the linking rules, then the session as a password sign-in
// makes it (the second factor still asked). Failures back off per address like the password
// form and are audited as failed sign-ins: 400 for a flow that is not this browser's (or too
// old), 401 when the provider's answer is refused, 403 when no staff account matches.
func (h *handlers) oidcCallback(e *core.RequestEvent) error {
	now := h.now()
	ipKey := "ip:" + e.RealIP()
	if wait := h.signins.wait(ipKey, backoffFreeIP, now); wait > 0 {
		return h.oidcWait(e, wait)
	}
	o, sec, err := store.LoadOIDC(e.App, true)
	if err != nil || !o.Ready() {
		return notFound(err)
	}
	q := e.Request.URL.Query()
	f := readFlow(e)
	clearFlowCookie(e)
	fail := func(staff *store.Staff, detail string, pe *pageError) error {
		h.signins.fail(ipKey, now)
		target := ""
		if staff != nil {
			target = "staff/" + staff.Id
			h.signins.fail(signinKey(staff.Email(), e), now)
		}
		if err := h.staffAudit(e.App, e, "security.signin_failed", target, "oidc: "+detail); err != nil {
			return err
		}
		return pe
	}
	if err := f.check(q.Get("state"), o.Issuer, now); err != nil {
		return fail(nil, "no matching sign-in", &pageError{status: http.StatusBadRequest, heading: "admin.oidc.expired",
			body: "admin.oidc.expired_body", err: err})
	}
	refused := &pageError{status: http.StatusUnauthorized, heading: "admin.oidc.failed", body: "admin.oidc.failed_body"}
	if pe := q.Get("error"); pe != "" {
		refused.err = fmt.Errorf("oidc: the provider answered %.40q", pe)
		return fail(nil, "refused by the provider", refused)
	}
	person, err := h.oidcPersonOf(e.Request.Context(), o, sec.ClientSecret, h.oidcRedirect(e), q.Get("code"), f)
	if err != nil {
		refused.err = err
		return fail(nil, "the provider's answer was refused", refused)
	}
	var staff *store.Staff
	var linked bool
	err = e.App.RunInTransaction(func(tx core.App) error {
		var err error
		staff, linked, err = oidcStaff(tx, person, now)
		if err != nil || !linked {
			return err
		}
		return store.Audit(tx, store.Entry{RequestID: reqID(e), Actor: store.StaffActor(staff.Id), Action: "staff.oidc_linked",
			Target: "staff/" + staff.Id, Detail: o.Issuer, IP: e.RealIP()})
	})
	switch {
	case errors.Is(err, errOIDCUnknown), errors.Is(err, errOIDCUnverified):
		detail := "unknown account"
		if errors.Is(err, errOIDCUnverified) {
			detail = "e-mail not verified by the provider"
		}
		return fail(nil, detail, &pageError{status: http.StatusForbidden, heading: "admin.oidc.no_account",
			body: "admin.oidc.no_account_body", err: err})
	case errors.Is(err, errOIDCInactive), errors.Is(err, errOIDCOther):
		detail := "inactive"
		if errors.Is(err, errOIDCOther) {
			detail = "linked to another person"
		}
		return fail(staff, detail, &pageError{status: http.StatusForbidden, heading: "admin.oidc.no_account",
			body: "admin.oidc.no_account_body", err: err})
	case err != nil:
		return err
	}
	h.signins.reset(signinKey(staff.Email(), e))
	return h.signedIn(e, staff, "oidc", f.Next)
}

// oidcUnlink (owner, POST /admin/staff/{id}/oidc-unlink) removes an account's link to its
// person at the provider: the next sign-in through it links by e-mail again.
func (h *handlers) oidcUnlink(e *core.RequestEvent) error {
	err := h.staffChange(e, e.Request.PathValue("id"), "staff.oidc_unlinked", false, func(_ core.App, rec *store.Staff) (string, error) {
		issuer := rec.OIDCIssuer()
		rec.UnlinkOIDC()
		return issuer, nil
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/staff?done=saved")
}

// oidcPage (owner, GET /admin/oidc) shows the provider's settings and the address to register.
func (h *handlers) oidcPage(e *core.RequestEvent) error {
	o, sec, err := store.LoadOIDC(e.App, store.OIDCEnabled())
	if err != nil {
		e.App.Logger().Warn("oidc settings unreadable", "error", err.Error())
	}
	form := views.OIDCForm{Enabled: o.Enabled, Issuer: o.Issuer, ClientID: o.ClientID, Label: o.Label,
		PasswordOff: o.PasswordOff, HasSecret: sec.ClientSecret != ""}
	return h.renderOIDC(e, http.StatusOK, form, nil)
}

func (h *handlers) renderOIDC(e *core.RequestEvent, status int, form views.OIDCForm, errs map[string]views.Msg) error {
	d := views.OIDCData{AdminPage: h.adminPage(e, views.M("admin.oidc.title")), Enabled: store.OIDCEnabled(), Form: form,
		Errors: errs, Redirect: h.oidcRedirect(e)}
	team, err := store.AllStaff(e.App)
	if err != nil {
		return err
	}
	for _, s := range team {
		if s.OIDCLinked() {
			d.Linked++
		}
	}
	return render(e, status, views.OIDCPage(d))
}

// issuerURL reports whether s may be an issuer: an absolute https URL without user, query or
// fragment (http only to localhost, 127.0.0.1 and [::1], for trying it out).
func issuerURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && webhookURL(s) && u.RawQuery == "" && !u.ForceQuery
}

// oidcSave (owner, POST /admin/oidc) stores the provider after reading its discovery document:
// a bad issuer is a 422 beside the field. A blank client secret keeps the stored one; switching
// the provider off (same issuer) keeps the endpoints read before without asking it.
func (h *handlers) oidcSave(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	old, oldSec, _ := store.LoadOIDC(e.App, store.OIDCEnabled())
	form := views.OIDCForm{Enabled: f.Get("enabled") == "yes", Issuer: strings.TrimSpace(f.Get("issuer")),
		ClientID: strings.TrimSpace(f.Get("client_id")), Label: strings.TrimSpace(f.Get("label")),
		PasswordOff: f.Get("password_off") == "yes", HasSecret: oldSec.ClientSecret != ""}
	secret := f.Get("client_secret")
	if secret == "" {
		secret = oldSec.ClientSecret
	}
	errs := map[string]views.Msg{}
	if !store.OIDCEnabled() {
		errs["issuer"] = views.M("admin.oidc.need_key")
	} else if !issuerURL(form.Issuer) {
		errs["issuer"] = views.M("admin.oidc.issuer_bad")
	}
	if form.ClientID == "" || len(form.ClientID) > 500 || !cleanText(form.ClientID, false) {
		errs["client_id"] = views.M("admin.oidc.client_id_bad")
	}
	if secret == "" || len(secret) > 1000 {
		errs["client_secret"] = views.M("admin.oidc.secret_required")
	}
	if form.Label == "" || len(form.Label) > 80 || !cleanText(form.Label, false) {
		errs["label"] = views.M("admin.oidc.label_bad")
	}
	if len(errs) > 0 {
		return h.renderOIDC(e, http.StatusUnprocessableEntity, form, errs)
	}
	o := store.OIDC{Enabled: form.Enabled, Issuer: form.Issuer, ClientID: form.ClientID, Label: form.Label, PasswordOff: form.PasswordOff}
	var err error
	if !o.Enabled && o.Issuer == old.Issuer && old.AuthURL != "" {
		// Switching off asks nothing of the provider (it may be why): its endpoints stay.
		o.AuthURL, o.TokenURL, o.JWKSURL, o.UserInfoURL, o.Algorithms = old.AuthURL, old.TokenURL, old.JWKSURL, old.UserInfoURL, old.Algorithms
	} else if o, err = discoverOIDC(e.Request.Context(), o); err != nil {
		e.App.Logger().Warn("oidc: discovery failed", "issuer", form.Issuer, "error", err.Error())
		return h.renderOIDC(e, http.StatusUnprocessableEntity, form, map[string]views.Msg{"issuer": views.M("admin.oidc.issuer_unreachable")})
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := store.SaveOIDC(tx, o, &store.OIDCSecrets{ClientSecret: secret}); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "settings.oidc", "settings/oidc", oidcDetail(o, old, secret != oldSec.ClientSecret))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/oidc?done=saved")
}

// oidcDetail is what the audit log keeps of a provider's change: never the secret.
func oidcDetail(o, old store.OIDC, newSecret bool) string {
	d := o.Issuer + " client " + o.ClientID
	if o.Enabled {
		d += " on"
	} else {
		d += " off"
	}
	if o.PasswordOff {
		d += ", password sign-in off for linked accounts"
	}
	if newSecret {
		d += ", new client secret"
	}
	if old.Issuer != "" && old.Issuer != o.Issuer {
		d += " (was " + old.Issuer + ")"
	}
	return d
}
