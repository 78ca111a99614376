package hooks

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/pocketbase/dbx"

	"reserva/internal/store"
)

// testOP is an OpenID Connect provider for the handler tests, on a loopback port: discovery,
// a JWKS of its RSA key, an authorization endpoint that signs in whoever the test names (no
// login form: TestStaffSignInWithOIDC goes through a real provider's), a token endpoint that
// hands out each code once for its PKCE verifier and its client's secret, and userinfo.
type testOP struct {
	srv *httptest.Server
	now func() time.Time

	mu    sync.Mutex
	key   *rsa.PrivateKey // signs the ID tokens; the JWKS publishes the first one's public key
	as    map[string]any  // the claims of the next sign-in (sub, email, email_verified)
	bend  func(claims map[string]any)
	codes map[string]opGrant
	infos map[string]map[string]any // userinfo by access token
	// inUserinfo moves e-mail and email_verified from the ID token to userinfo only.
	inUserinfo bool
	verifiers  []string // the PKCE verifiers the token endpoint got
}

type opGrant struct {
	challenge, nonce, redirect string
	claims                     map[string]any
}

const (
	opClient = "reserva-test"
	opSecret = "op-secret-for-the-tests"
)

func newTestOP(t *testing.T, now func() time.Time) *testOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	op := &testOP{key: key, now: now, codes: map[string]opGrant{}, infos: map[string]map[string]any{}}
	mux := http.NewServeMux()
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	iss := op.srv.URL
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
			"jwks_uri": iss + "/jwks", "userinfo_endpoint": iss + "/userinfo", "id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported": []string{"S256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != opClient || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		code, _ := store.NewToken()
		op.mu.Lock()
		claims := map[string]any{}
		for k, v := range op.as {
			claims[k] = v
		}
		op.codes[code] = opGrant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri"), claims: claims}
		op.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if id == "" {
			id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		}
		op.mu.Lock()
		defer op.mu.Unlock()
		g, ok := op.codes[r.PostFormValue("code")]
		delete(op.codes, r.PostFormValue("code"))
		verifier := r.PostFormValue("code_verifier")
		op.verifiers = append(op.verifiers, verifier)
		sum := sha256.Sum256([]byte(verifier))
		switch {
		case id != opClient || secret != opSecret:
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]string{"error": "invalid_client"})
			return
		case !ok || r.PostFormValue("redirect_uri") != g.redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]string{"error": "invalid_grant"})
			return
		}
		now := op.now()
		claims := map[string]any{"iss": iss, "aud": opClient, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
		info := map[string]any{}
		for k, v := range g.claims {
			if op.inUserinfo && k != "sub" {
				info[k] = v
				continue
			}
			claims[k] = v
			info[k] = v
		}
		if op.bend != nil {
			op.bend(claims)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: op.key, KeyID: "k1"}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		payload, _ := json.Marshal(claims)
		sig, err := signer.Sign(payload)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		idToken, _ := sig.CompactSerialize()
		access, _ := store.NewToken()
		op.infos[access] = info
		writeJSON(w, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		info, ok := op.infos[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		op.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeJSON(w, info)
	})
	return op
}

// signInAs sets who the next authorization signs in as.
func (op *testOP) signInAs(claims map[string]any) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.as = claims
}

// setBend changes the next ID tokens' claims (a wrong nonce, audience, expiry) until reset.
func (op *testOP) setBend(f func(map[string]any)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.bend = f
}

// configureOIDC has the owner save op as the venue's provider, switched on.
func (s *testServer) configureOIDC(t *testing.T, owner string, op *testOP, passwordOff bool) {
	t.Helper()
	form := url.Values{"issuer": {op.srv.URL}, "client_id": {opClient}, "client_secret": {opSecret},
		"label": {"Sign in with Test IdP"}, "enabled": {"yes"}}
	if passwordOff {
		form.Set("password_off", "yes")
	}
	if res := s.as(t, owner, http.MethodPost, "/admin/oidc", form); res.status != http.StatusSeeOther {
		t.Fatalf("POST /admin/oidc = %d, want 303\n%s", res.status, snippet(res.body))
	}
}

// oidcResult is where a sign-in through the provider ended.
type oidcResult struct {
	status   int
	location string
	session  string // the session cookie ("name=value"), "" when none was set
	body     string
}

// oidcSignIn goes through the flow as a browser would: the button's link, the provider's
// authorization (op signs in whom signInAs named), the callback with the flow cookie. bend,
// when not nil, changes the callback's address before it is sent (a forged state).
func (s *testServer) oidcSignIn(t *testing.T, op *testOP, bend func(callback *url.URL, cookie *string)) oidcResult {
	t.Helper()
	start := s.get(t, "/admin/login/oidc?next=%2Fadmin%2Fbookings")
	if start.status != http.StatusSeeOther {
		t.Fatalf("GET /admin/login/oidc = %d\n%s", start.status, snippet(start.body))
	}
	var flow string
	for _, c := range (&http.Response{Header: start.header}).Cookies() {
		if c.Name == oidcCookie {
			flow = c.Name + "=" + c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/admin" || c.MaxAge != int(oidcFlowTTL.Seconds()) {
				t.Errorf("flow cookie %+v: want HttpOnly, SameSite=Lax, /admin, 10 minutes", c)
			}
		}
	}
	if flow == "" {
		t.Fatal("the start set no flow cookie")
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(start.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("the provider's authorization = %d", res.StatusCode)
	}
	cb, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if bend != nil {
		bend(cb, &flow)
	}
	out := s.do(t, http.MethodGet, cb.RequestURI(), nil, "Cookie", flow)
	r := oidcResult{status: out.status, location: out.header.Get("Location"), body: out.body}
	for _, c := range (&http.Response{Header: out.header}).Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			r.session = c.Name + "=" + c.Value
		}
	}
	return r
}

// TestOIDCFlowChecks: a flow is this browser's only with its own state, from the same provider,
// within ten minutes; the nonce must be the flow's; the PKCE challenge sent to the provider is
// S256 of the verifier kept in the cookie.
func TestOIDCFlowChecks(t *testing.T) {
	now := testNow
	f := newOIDCFlow("https://idp.example", "/admin/bookings", now)
	g := newOIDCFlow("https://idp.example", "//evil.example", now)
	if f.State == g.State || f.Nonce == g.Nonce || f.Verifier == g.Verifier || len(f.Verifier) < 43 {
		t.Fatalf("flows share or lack random values: %+v %+v", f, g)
	}
	if g.Next != "/admin/" {
		t.Errorf("next = %q, want /admin/ for a foreign address", g.Next)
	}
	for _, tt := range []struct {
		name, state, issuer string
		at                  time.Time
		flow                oidcFlow
		want                error
	}{
		{"its own state", f.State, "https://idp.example", now.Add(9 * time.Minute), f, nil},
		{"another flow's state", g.State, "https://idp.example", now, f, errFlowState},
		{"no state", "", "https://idp.example", now, f, errFlowState},
		{"after ten minutes", f.State, "https://idp.example", now.Add(oidcFlowTTL), f, errFlowExpired},
		{"another provider", f.State, "https://other.example", now, f, errFlowIssuer},
		{"no cookie", "", "https://idp.example", now, oidcFlow{}, errFlowMissing},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.flow.check(tt.state, tt.issuer, tt.at); !errors.Is(err, tt.want) {
				t.Errorf("check = %v, want %v", err, tt.want)
			}
		})
	}
	if err := f.checkNonce(f.Nonce); err != nil {
		t.Errorf("own nonce: %v", err)
	}
	if err := f.checkNonce(g.Nonce); !errors.Is(err, errFlowNonce) {
		t.Errorf("another nonce = %v, want errFlowNonce", err)
	}
	if err := (oidcFlow{}).checkNonce(""); !errors.Is(err, errFlowNonce) {
		t.Errorf("empty nonce = %v, want errFlowNonce", err)
	}

	// Through the handler: the start's redirect carries state, nonce and the S256 challenge,
	// and the cookie opens (only) under the key to the same flow.
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	op := newTestOP(t, func() time.Time { return s.now })
	s.configureOIDC(t, owner, op, false)
	start := s.get(t, "/admin/login/oidc")
	loc, err := url.Parse(start.header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), op.srv.URL+"/authorize?") {
		t.Fatalf("start → %q, want the provider's authorization endpoint", start.header.Get("Location"))
	}
	var kept oidcFlow
	for _, c := range (&http.Response{Header: start.header}).Cookies() {
		if c.Name == oidcCookie {
			if strings.Contains(c.Value, kept.Verifier) && kept.Verifier != "" {
				t.Error("the verifier is readable in the cookie")
			}
			if err := store.OpenOIDCFlow(c.Value, &kept); err != nil {
				t.Fatal(err)
			}
		}
	}
	q := loc.Query()
	sum := sha256.Sum256([]byte(kept.Verifier))
	if q.Get("state") != kept.State || q.Get("nonce") != kept.Nonce || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) || q.Get("redirect_uri") != "https://booking.test/admin/oidc/callback" {
		t.Errorf("authorization request %v does not match the flow %+v", q, kept)
	}
	if strings.Contains(loc.RawQuery, kept.Verifier) {
		t.Error("the verifier went to the provider in the authorization request")
	}
}

// TestOIDCLinkingRules: only an existing, active staff account is let in, never a new one. The
// first sign-in links by a verified e-mail equal to the account's (from the ID token, or from
// userinfo when the token has none), storing issuer and subject; then the subject counts (a
// changed e-mail at the provider keeps the link, another person with the account's e-mail is
// refused). An unverified or unknown e-mail and a deactivated account get the calm 403,
// audited as a failed sign-in without the address. The session is the password sign-in's,
// audited "oidc".
func TestOIDCLinkingRules(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	op := newTestOP(t, func() time.Time { return s.now })
	s.configureOIDC(t, owner, op, false)
	desk := s.staffAccount(t, "desk@demo.invalid", "frontdesk")
	gone := s.staffAccount(t, "gone@demo.invalid", "manager")
	gone.SetActive(false)
	if err := gone.Save(s.app); err != nil {
		t.Fatal(err)
	}
	staffBefore := s.count(t, "staff", nil)
	refused := func(name string, claims map[string]any, detail string) {
		t.Helper()
		op.signInAs(claims)
		failedBefore := s.count(t, "audit_log", dbx.HashExp{"action": "security.signin_failed"})
		r := s.oidcSignIn(t, op, nil)
		if r.status != http.StatusForbidden || r.session != "" || !strings.Contains(r.body, "No staff account matches") {
			t.Errorf("%s: %d, session %q, want the 403 page\n%s", name, r.status, r.session, snippet(r.body))
		}
		if email, _ := claims["email"].(string); email != "" && strings.Contains(r.body, email) {
			t.Errorf("%s: the page names %s", name, email)
		}
		if n := s.count(t, "audit_log", dbx.HashExp{"action": "security.signin_failed", "detail": "oidc: " + detail}); n == 0 ||
			s.count(t, "audit_log", dbx.HashExp{"action": "security.signin_failed"}) != failedBefore+1 {
			t.Errorf("%s: no failed sign-in audited as %q", name, detail)
		}
	}

	refused("unverified e-mail", map[string]any{"sub": "s-desk", "email": "desk@demo.invalid", "email_verified": false}, "e-mail not verified by the provider")
	refused("no email_verified claim", map[string]any{"sub": "s-desk", "email": "desk@demo.invalid"}, "e-mail not verified by the provider")
	refused("unknown e-mail", map[string]any{"sub": "s-nobody", "email": "nobody@demo.invalid", "email_verified": true}, "unknown account")
	refused("deactivated account", map[string]any{"sub": "s-gone", "email": "gone@demo.invalid", "email_verified": true}, "inactive")
	if n := s.count(t, "audit_log", dbx.NewExp("action = 'security.signin_failed' AND detail LIKE '%nobody%'")); n != 0 {
		t.Error("the audit log keeps the unknown person's address")
	}
	if n := s.count(t, "staff", nil); n != staffBefore {
		t.Fatalf("the refusals made %d staff accounts", n-staffBefore)
	}

	// The first sign-in links by the verified e-mail (any case), and is a full session.
	op.signInAs(map[string]any{"sub": "s-desk", "email": "Desk@Demo.invalid", "email_verified": true})
	r := s.oidcSignIn(t, op, nil)
	if r.status != http.StatusSeeOther || r.location != "/admin/bookings" || r.session == "" {
		t.Fatalf("linking sign-in = %d → %q (session %q)\n%s", r.status, r.location, r.session, snippet(r.body))
	}
	if res := s.as(t, r.session, http.MethodGet, "/admin/bookings", nil); res.status != http.StatusOK {
		t.Fatalf("the session opens /admin/bookings with %d", res.status)
	}
	got, _ := store.StaffByID(s.app, desk.Id)
	if got.OIDCIssuer() != op.srv.URL || got.OIDCSubject() != "s-desk" || !got.OIDCLinkedAt().Equal(s.now) {
		t.Errorf("link = %q %q %v", got.OIDCIssuer(), got.OIDCSubject(), got.OIDCLinkedAt())
	}
	if s.count(t, "audit_log", dbx.HashExp{"action": "staff.oidc_linked", "target": "staff/" + desk.Id}) != 1 ||
		s.count(t, "audit_log", dbx.HashExp{"action": "staff.signin", "target": "staff/" + desk.Id, "detail": "oidc"}) != 1 {
		t.Error("the link or the sign-in is not audited")
	}

	// Afterwards the subject counts: a new e-mail at the provider still signs desk in (without
	// linking again), even when unverified; another person with desk's e-mail is refused.
	op.signInAs(map[string]any{"sub": "s-desk", "email": "d.new@elsewhere.example", "email_verified": false})
	if r := s.oidcSignIn(t, op, nil); r.status != http.StatusSeeOther || r.session == "" {
		t.Fatalf("subject sign-in after an e-mail change = %d\n%s", r.status, snippet(r.body))
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "staff.oidc_linked"}); n != 1 {
		t.Errorf("%d links audited, want the first only", n)
	}
	refused("another subject with the linked account's e-mail",
		map[string]any{"sub": "s-impostor", "email": "desk@demo.invalid", "email_verified": true}, "linked to another person")

	// The e-mail may come from userinfo only (as zitadel's example provider sends it).
	op.mu.Lock()
	op.inUserinfo = true
	op.mu.Unlock()
	manager := s.staffAccount(t, "mona@demo.invalid", "manager")
	op.signInAs(map[string]any{"sub": "s-mona", "email": "mona@demo.invalid", "email_verified": "true"})
	if r := s.oidcSignIn(t, op, nil); r.status != http.StatusSeeOther || r.session == "" {
		t.Fatalf("sign-in with userinfo's e-mail = %d\n%s", r.status, snippet(r.body))
	}
	if got, _ := store.StaffByID(s.app, manager.Id); got.OIDCSubject() != "s-mona" {
		t.Errorf("mona linked to %q", got.OIDCSubject())
	}
	op.mu.Lock()
	op.inUserinfo = false
	op.mu.Unlock()

	// A deactivated account stays out, also by its subject.
	desk.SetActive(false)
	if err := desk.Save(s.app); err != nil {
		t.Fatal(err)
	}
	refused("deactivated linked account", map[string]any{"sub": "s-desk", "email": "desk@demo.invalid", "email_verified": true}, "inactive")

	// The owner unlinks mona on the staff page (audited); her next sign-in links again.
	if res := s.as(t, owner, http.MethodPost, "/admin/staff/"+manager.Id+"/oidc-unlink", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("unlink = %d", res.status)
	}
	if got, _ := store.StaffByID(s.app, manager.Id); got.OIDCLinked() {
		t.Error("still linked after unlinking")
	}
	if s.count(t, "audit_log", dbx.HashExp{"action": "staff.oidc_unlinked", "target": "staff/" + manager.Id}) != 1 {
		t.Error("the unlink is not audited")
	}
}

// TestOIDCTokenChecks: the ID token is refused (401, no session, audited) when its nonce is
// not the flow's, its audience another client's, its issuer another, it has expired, or its
// signature is not the provider's key; a callback whose state is not the browser's flow, or
// without the flow cookie, is a 400. Failures back off per address like the password form.
func TestOIDCTokenChecks(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	op := newTestOP(t, func() time.Time { return s.now })
	s.configureOIDC(t, owner, op, false)
	s.staffAccount(t, "desk@demo.invalid", "frontdesk")
	op.signInAs(map[string]any{"sub": "s-desk", "email": "desk@demo.invalid", "email_verified": true})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		bend func(map[string]any)
	}{
		{"another nonce", func(c map[string]any) { c["nonce"] = "not-the-flows" }},
		{"no nonce", func(c map[string]any) { delete(c, "nonce") }},
		{"another audience", func(c map[string]any) { c["aud"] = "someone-else" }},
		{"another issuer", func(c map[string]any) { c["iss"] = "https://evil.example" }},
		{"expired", func(c map[string]any) { c["exp"] = s.now.Add(-time.Minute).Unix() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			op.setBend(tt.bend)
			defer op.setBend(nil)
			r := s.oidcSignIn(t, op, nil)
			if r.status != http.StatusUnauthorized || r.session != "" || !strings.Contains(r.body, "did not confirm the sign-in") {
				t.Errorf("= %d (session %q), want 401\n%s", r.status, r.session, snippet(r.body))
			}
		})
	}
	t.Run("a key not in the provider's JWKS", func(t *testing.T) {
		op.mu.Lock()
		published := op.key
		op.key = other
		op.mu.Unlock()
		defer func() { op.mu.Lock(); op.key = published; op.mu.Unlock() }()
		if r := s.oidcSignIn(t, op, nil); r.status != http.StatusUnauthorized || r.session != "" {
			t.Errorf("= %d (session %q), want 401", r.status, r.session)
		}
	})
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "security.signin_failed", "detail": "oidc: the provider's answer was refused"}); n != 6 {
		t.Errorf("%d refused answers audited, want 6", n)
	}
	if n := s.count(t, "staff_sessions", nil); n != 1 {
		t.Errorf("%d sessions, want the owner's only", n)
	}
	r := s.oidcSignIn(t, op, func(cb *url.URL, _ *string) {
		q := cb.Query()
		q.Set("state", "forged")
		cb.RawQuery = q.Encode()
	})
	if r.status != http.StatusBadRequest || r.session != "" || !strings.Contains(r.body, "Please sign in again") {
		t.Errorf("forged state = %d, want 400\n%s", r.status, snippet(r.body))
	}
	if r := s.oidcSignIn(t, op, func(_ *url.URL, cookie *string) { *cookie = "" }); r.status != http.StatusBadRequest {
		t.Errorf("no flow cookie = %d, want 400", r.status)
	}
	if r := s.oidcSignIn(t, op, func(_ *url.URL, cookie *string) { *cookie = oidcCookie + "=dGFtcGVyZWQ" }); r.status != http.StatusBadRequest {
		t.Errorf("altered flow cookie = %d, want 400", r.status)
	}
	// A provider's error answer (the person declined) is a calm 401.
	res := s.do(t, http.MethodGet, "/admin/oidc/callback?error=access_denied&state=x", nil)
	if res.status != http.StatusBadRequest && res.status != http.StatusUnauthorized {
		t.Errorf("provider error = %d", res.status)
	}
	// Ten failures from this address so far or soon: the next callback waits (429).
	for range 12 {
		s.do(t, http.MethodGet, "/admin/oidc/callback?state=x&code=y", nil)
	}
	if res := s.do(t, http.MethodGet, "/admin/oidc/callback?state=x&code=y", nil); res.status != http.StatusTooManyRequests ||
		res.header.Get("Retry-After") == "" {
		t.Errorf("after many failures the callback = %d (Retry-After %q), want 429", res.status, res.header.Get("Retry-After"))
	}
	if res := s.get(t, "/admin/login/oidc"); res.status != http.StatusTooManyRequests {
		t.Errorf("after many failures the start = %d, want 429", res.status)
	}
}

// TestOIDCSecondFactorStillAsked: after the provider, a member with an authenticator app gets
// a session that waits for the code (every page sends to the second step) and the code
// finishes it; when the venue requires two-factor sign-in, a member without it is sent to
// enrolment. With "password sign-in off for linked accounts" a linked member's right password
// is refused, an unlinked member's is not.
func TestOIDCSecondFactorStillAsked(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	op := newTestOP(t, func() time.Time { return s.now })
	s.configureOIDC(t, owner, op, true)
	tina := s.staffAccount(t, "tina@demo.invalid", "manager")
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	sealed, err := store.SealTOTP(secret)
	if err != nil {
		t.Fatal(err)
	}
	tina.SetPendingTOTP(sealed)
	tina.ActivateTOTP(0, nil)
	if err := tina.Save(s.app); err != nil {
		t.Fatal(err)
	}

	op.signInAs(map[string]any{"sub": "s-tina", "email": "tina@demo.invalid", "email_verified": true})
	r := s.oidcSignIn(t, op, nil)
	if r.status != http.StatusSeeOther || r.location != "/admin/login/2fa" || r.session == "" {
		t.Fatalf("tina after the provider = %d → %q, want the second step", r.status, r.location)
	}
	for _, p := range []string{"/admin/", "/admin/bookings", "/admin/guests"} {
		if res := s.as(t, r.session, http.MethodGet, p, nil); res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/login/2fa" {
			t.Errorf("before the code %s = %d → %q", p, res.status, res.header.Get("Location"))
		}
	}
	res := s.as(t, r.session, http.MethodPost, "/admin/login/2fa", url.Values{"code": {totpCode(t, secret, s.now)}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("the code = %d", res.status)
	}
	if res := s.as(t, r.session, http.MethodGet, "/admin/guests", nil); res.status != http.StatusOK {
		t.Errorf("after the code /admin/guests = %d", res.status)
	}

	// Password sign-in is off for tina, linked now; the unlinked owner still signs in so.
	if res, cookie := s.signIn(t, "tina@demo.invalid", testPassword); res.status != http.StatusUnauthorized || cookie != "" ||
		!strings.Contains(res.body, "Sign in with Test IdP") {
		t.Errorf("tina's password with password sign-in off = %d (cookie %q)\n%s", res.status, cookie, snippet(res.body))
	}
	if res, cookie := s.signIn(t, "owner@demo.invalid", testPassword); res.status != http.StatusSeeOther || cookie == "" {
		t.Errorf("the unlinked owner's password = %d", res.status)
	}

	// The venue requires two-factor sign-in: a member without it goes to enrolment.
	if err := store.SaveSetting(s.app, store.SettingAccess, store.Access{Require2FA: true}, nil); err != nil {
		t.Fatal(err)
	}
	s.staffAccount(t, "desk@demo.invalid", "frontdesk")
	op.signInAs(map[string]any{"sub": "s-desk", "email": "desk@demo.invalid", "email_verified": true})
	if r := s.oidcSignIn(t, op, nil); r.status != http.StatusSeeOther || r.location != "/admin/2fa/setup" {
		t.Errorf("desk under required 2FA = %d → %q, want enrolment", r.status, r.location)
	}
	if got := afterSignIn(false, false, "//evil.example"); got != "/admin/" {
		t.Errorf("afterSignIn to a foreign address = %q", got)
	}
}

// TestOIDCSettingsPage: the owner's page fetches discovery when saved (an issuer nobody
// answers at, or a malformed one, is a 422 beside the field, nothing stored), keeps the client
// secret sealed (never in clear in the database, never on the page, a blank field keeps it),
// audits the change without it, and shows the button on the sign-in page only while on.
func TestOIDCSettingsPage(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	op := newTestOP(t, func() time.Time { return s.now })
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	for _, tt := range []struct{ name, issuer, want string }{
		{"nobody answers", dead.URL, "No OpenID Connect provider answered"},
		{"not a provider", op.srv.URL + "/jwks", "No OpenID Connect provider answered"},
		{"plain http elsewhere", "http://idp.example", "starting with https://"},
		{"a query", op.srv.URL + "?x=1", "starting with https://"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := s.as(t, owner, http.MethodPost, "/admin/oidc", url.Values{"issuer": {tt.issuer}, "client_id": {opClient},
				"client_secret": {opSecret}, "label": {"Sign in"}, "enabled": {"yes"}})
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="issuer-error"`) || !strings.Contains(res.body, tt.want) {
				t.Errorf("= %d, want 422 with %q beside the issuer\n%s", res.status, tt.want, snippet(res.body))
			}
		})
	}
	if o, _, _ := store.LoadOIDC(s.app, false); o.Issuer != "" {
		t.Fatalf("a refused issuer was stored: %+v", o)
	}
	if res := s.get(t, "/admin/login"); strings.Contains(res.body, "oidc-login") {
		t.Error("the sign-in page shows a provider's button before one is set up")
	}

	s.configureOIDC(t, owner, op, false)
	var raw struct {
		Value  string `db:"value"`
		Sealed string `db:"sealed"`
	}
	if err := s.app.DB().NewQuery("SELECT value, sealed FROM settings WHERE key = 'oidc'").One(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.Value, opSecret) || strings.Contains(raw.Sealed, opSecret) || raw.Sealed == "" ||
		!strings.Contains(raw.Value, op.srv.URL+"/token") {
		t.Errorf("stored: value %s, sealed %q: want the endpoints in clear and the secret sealed", raw.Value, raw.Sealed)
	}
	page := s.as(t, owner, http.MethodGet, "/admin/oidc", nil)
	if page.status != http.StatusOK || strings.Contains(page.body, opSecret) || !strings.Contains(page.body, "https://booking.test/admin/oidc/callback") {
		t.Errorf("the page = %d, shows the secret or lacks the redirect address\n%s", page.status, snippet(page.body))
	}
	if n := s.count(t, "audit_log", dbx.NewExp("action = 'settings.oidc' AND detail NOT LIKE {:s}", dbx.Params{"s": "%" + opSecret + "%"})); n != 1 {
		t.Errorf("%d settings.oidc entries without the secret, want 1", n)
	}
	if res := s.get(t, "/admin/login"); !strings.Contains(res.body, `href="/admin/login/oidc?next=%2Fadmin%2F"`) || !strings.Contains(res.body, "Sign in with Test IdP") {
		t.Errorf("the sign-in page lacks the provider's button\n%s", snippet(res.body))
	}

	// A blank secret keeps the stored one; switching off asks nothing of the provider (down
	// here) and hides the button.
	op.srv.Close()
	res := s.as(t, owner, http.MethodPost, "/admin/oidc", url.Values{"issuer": {op.srv.URL}, "client_id": {opClient},
		"label": {"Sign in with Test IdP"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("saving off with a blank secret = %d\n%s", res.status, snippet(res.body))
	}
	if _, sec, err := store.LoadOIDC(s.app, true); err != nil || sec.ClientSecret != opSecret {
		t.Errorf("the secret after a blank field: %q, %v", sec.ClientSecret, err)
	}
	if res := s.get(t, "/admin/login"); strings.Contains(res.body, "oidc-login") {
		t.Error("the button stays while the provider is off")
	}
	if o, _, _ := store.LoadOIDC(s.app, false); o.Enabled || o.TokenURL != op.srv.URL+"/token" {
		t.Errorf("switched off: %+v, want off with the endpoints kept", o)
	}
	// Switching on again asks the provider: down, a 422.
	res = s.as(t, owner, http.MethodPost, "/admin/oidc", url.Values{"issuer": {op.srv.URL}, "client_id": {opClient},
		"label": {"Sign in with Test IdP"}, "enabled": {"yes"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "No OpenID Connect provider answered") {
		t.Errorf("switching on with the provider down = %d, want 422", res.status)
	}
	if res := s.get(t, "/admin/login/oidc"); res.status != http.StatusNotFound {
		t.Errorf("the start while off = %d, want 404", res.status)
	}
	if res := s.get(t, "/admin/oidc/callback?state=x&code=y"); res.status != http.StatusNotFound {
		t.Errorf("the callback while off = %d, want 404", res.status)
	}
}
