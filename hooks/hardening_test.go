package hooks

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"reserva/internal/store"
)

// from sends one request from the peer address remote (ip:port) with headers (name, value...).
func (s *testServer) from(t testing.TB, remote, method, target string, form url.Values, headers ...string) response {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = remote
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func proxyAt(t testing.TB, nets, header string) *Proxy {
	t.Helper()
	p := &Proxy{}
	if err := p.Set(nets, header); err != nil {
		t.Fatal(err)
	}
	return p
}

// An address in X-Forwarded-For counts only when the peer is the trusted proxy: a stranger
// sending the allowed address is refused by the superuser allow-list, and rotating the header
// does not escape the per-address page limit.
func TestTrustedProxyOnlyFromItsAddresses(t *testing.T) {
	t.Parallel()
	limits := Limits{SuperuserNets: []netip.Prefix{netip.MustParsePrefix("203.0.113.7/32")}, Pages: Rate{N: 3, Per: time.Minute}}
	for _, tc := range []struct {
		name  string
		proxy *Proxy
	}{{"no proxy", nil}, {"proxy elsewhere", proxyAt(t, "10.9.9.9", "")}} {
		s := newServerOpts(t, func(o *options) { o.limits, o.proxy = limits, tc.proxy })
		if res := s.from(t, "198.51.100.20:4000", http.MethodGet, "/_/", nil, "X-Forwarded-For", "203.0.113.7"); res.status != http.StatusForbidden {
			t.Errorf("%s: /_/ from a stranger claiming the allowed address = %d, want 403", tc.name, res.status)
		}
		statuses := map[int]int{}
		for i := range 6 {
			res := s.from(t, "198.51.100.20:4000", http.MethodGet, "/book/dinner?date=2026-11-27", nil,
				"X-Forwarded-For", "192.0.2."+string(rune('1'+i)))
			statuses[res.status]++
		}
		if statuses[http.StatusTooManyRequests] != 3 {
			t.Errorf("%s: six page views with rotating X-Forwarded-For: %v, want three 429", tc.name, statuses)
		}
	}

	s := newServerOpts(t, func(o *options) { o.limits, o.proxy = limits, proxyAt(t, "10.0.0.1, 10.0.0.2", "") })
	if res := s.from(t, "10.0.0.1:4000", http.MethodGet, "/_/", nil, "X-Forwarded-For", "203.0.113.7"); res.status == http.StatusForbidden {
		t.Errorf("/_/ through the proxy for the allowed address = %d", res.status)
	}
	// Read from the right: what the client put in front of its own address is not believed.
	if res := s.from(t, "10.0.0.1:4000", http.MethodGet, "/_/", nil, "X-Forwarded-For", "203.0.113.7, 198.51.100.9"); res.status != http.StatusForbidden {
		t.Errorf("/_/ through the proxy, client 198.51.100.9 claiming 203.0.113.7 = %d, want 403", res.status)
	}
	// Two proxies in a row: the inner one is skipped as trusted.
	if res := s.from(t, "10.0.0.1:4000", http.MethodGet, "/_/", nil, "X-Forwarded-For", "203.0.113.7, 10.0.0.2"); res.status == http.StatusForbidden {
		t.Errorf("/_/ through two trusted proxies for the allowed address = %d", res.status)
	}
	// Through the proxy, each client has its own allowance.
	for i := range 4 {
		res := s.from(t, "10.0.0.1:4000", http.MethodGet, "/book/dinner?date=2026-11-27", nil, "X-Forwarded-For", "192.0.2."+string(rune('1'+i)))
		if res.status != http.StatusOK {
			t.Errorf("client %d through the proxy = %d", i, res.status)
		}
	}

	// The settings page says what is trusted.
	cookie, _ := s.signedIn(t, "owner")
	res := s.from(t, "10.0.0.1:4000", http.MethodGet, "/admin/settings", nil, "Cookie", cookie, "X-Forwarded-For", "203.0.113.7")
	mustContain(t, "settings", res.body, "10.0.0.1, 10.0.0.2", "X-Forwarded-For")
}

func TestProxySetRefusesAHeaderWithoutAddresses(t *testing.T) {
	t.Parallel()
	var p Proxy
	if err := p.Set("", "X-Forwarded-For"); err == nil || !strings.Contains(err.Error(), "--trusted-proxy") {
		t.Errorf("header without addresses: %v", err)
	}
	if err := p.Set("not-an-ip", ""); err == nil {
		t.Error("a bad address was accepted")
	}
	if err := p.Set("127.0.0.1", "X-Real-IP"); err != nil || p.Header != "X-Real-Ip" {
		t.Errorf("X-Real-IP: %v, header %q", err, p.Header)
	}
}

// PocketBase's stored trusted proxy headers are emptied (serve calls it on every start) and
// cannot be set again through its settings API.
func TestStoredProxyHeadersAreDroppedAndRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	set := s.app.Settings()
	set.TrustedProxy.Headers = []string{"X-Forwarded-For"}
	if err := s.app.Save(set); err != nil {
		t.Fatal(err)
	}
	dropped, err := store.ClearTrustedProxyHeaders(s.app)
	if err != nil || len(dropped) != 1 || len(s.app.Settings().TrustedProxy.Headers) != 0 {
		t.Fatalf("clear = %v, %v; left %v", dropped, err, s.app.Settings().TrustedProxy.Headers)
	}
	su := superuser(t, s)
	token, err := su.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	res := s.doBody(t, http.MethodPatch, "/api/settings", "application/json", `{"trustedProxy":{"headers":["X-Forwarded-For"]}}`)
	if res.status != http.StatusUnauthorized && res.status != http.StatusForbidden {
		t.Errorf("anonymous settings update = %d", res.status)
	}
	req := httptest.NewRequest(http.MethodPatch, "/api/settings", strings.NewReader(`{"trustedProxy":{"headers":["X-Forwarded-For"]}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || len(s.app.Settings().TrustedProxy.Headers) != 0 {
		t.Errorf("superuser sets trusted proxy headers = %d %s; stored %v", rec.Code, rec.Body, s.app.Settings().TrustedProxy.Headers)
	}
}

func superuser(t testing.TB, s *testServer) *core.Record {
	t.Helper()
	col, err := s.app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		t.Fatal(err)
	}
	su := core.NewRecord(col)
	su.SetEmail("root@demo.invalid")
	su.SetPassword("a long superuser password")
	if err := s.app.Save(su); err != nil {
		t.Fatal(err)
	}
	return su
}

// Behind a TLS proxy (trusted X-Forwarded-Proto: https) cookies are Secure and HSTS is sent;
// the same header from anyone else changes nothing.
func TestBehindATLSProxy(t *testing.T) {
	t.Parallel()
	s := newServerOpts(t, func(o *options) { o.proxy = proxyAt(t, "10.0.0.1", "") })
	s.staffAccount(t, "owner@demo.invalid", "owner")
	login := url.Values{"email": {"owner@demo.invalid"}, "password": {testPassword}}
	for _, tc := range []struct {
		peer   string
		secure bool
	}{{"10.0.0.1:4000", true}, {"198.51.100.20:4000", false}} {
		res := s.from(t, tc.peer, http.MethodPost, "/admin/login", login, "X-Forwarded-Proto", "https", "X-Forwarded-For", "192.0.2.50")
		cookies := (&http.Response{Header: res.header}).Cookies()
		if res.status != http.StatusSeeOther || len(cookies) == 0 {
			t.Fatalf("sign-in from %s = %d", tc.peer, res.status)
		}
		if cookies[0].Secure != tc.secure {
			t.Errorf("from %s: session cookie Secure = %v, want %v", tc.peer, cookies[0].Secure, tc.secure)
		}
		for _, path := range []string{"/", "/book/dinner?date=2026-11-27", "/book/dinner?date=2026-11-27"} { // twice: the short path
			res := s.from(t, tc.peer, http.MethodGet, path, nil, "X-Forwarded-Proto", "https")
			if got := res.header.Get("Strict-Transport-Security") != ""; got != tc.secure {
				t.Errorf("from %s: GET %s sends HSTS = %v, want %v", tc.peer, path, got, tc.secure)
			}
		}
	}
}

// The superuser auth API is behind the owner's allow-list and counts against the sign-in rate
// limit; PocketBase's mails to superusers carry the venue's name.
func TestSuperuserAuthAPI(t *testing.T) {
	t.Parallel()
	s := newServerWith(t, Limits{Signin: Rate{N: 5, Per: 10 * time.Minute}})
	superuser(t, s)
	statuses := map[int]int{}
	for range 20 {
		res := s.doBody(t, http.MethodPost, "/api/collections/_superusers/auth-with-password", "application/json",
			`{"identity":"root@demo.invalid","password":"a wrong guess"}`)
		statuses[res.status]++
	}
	if statuses[http.StatusTooManyRequests] != 15 || statuses[http.StatusBadRequest] != 5 {
		t.Errorf("20 wrong superuser passwords: %v, want 5×400 then 15×429", statuses)
	}

	// The venue's name, not "Acme", in the superuser's one-time code mail.
	s2 := newServer(t)
	superuser(t, s2)
	res := s2.doBody(t, http.MethodPost, "/api/collections/_superusers/request-otp", "application/json", `{"email":"root@demo.invalid"}`)
	if res.status != http.StatusOK {
		t.Fatalf("request-otp = %d %s", res.status, res.body)
	}
	venue, err := store.LoadVenue(s2.app)
	if err != nil {
		t.Fatal(err)
	}
	msgs := s2.relay.messages()
	for deadline := time.Now().Add(5 * time.Second); len(msgs) == 0 && time.Now().Before(deadline); msgs = s2.relay.messages() {
		time.Sleep(20 * time.Millisecond) // PocketBase sends the code in the background
	}
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want the code", len(msgs))
	}
	mustContain(t, "superuser mail", msgs[0].Subject+msgs[0].Text, venue.Name)
	mustNotContain(t, "superuser mail", msgs[0].Subject+msgs[0].Text+msgs[0].HTML, "Acme")

	// The owner's allow-list keeps the superuser API away from other addresses.
	cookie, _ := s2.signedIn(t, "owner")
	if res := s2.as(t, cookie, http.MethodPost, "/admin/settings/access", url.Values{"allow": {"192.0.2.0/24"}}); res.status != http.StatusSeeOther {
		t.Fatalf("set the allow-list = %d %s", res.status, res.body)
	}
	for _, path := range []string{"/api/collections/_superusers/auth-with-password", "/api/collections/_superusers/request-otp"} {
		if res := s2.from(t, "198.51.100.20:4000", http.MethodPost, path, url.Values{}); res.status != http.StatusForbidden {
			t.Errorf("POST %s from outside the allow-list = %d, want 403", path, res.status)
		}
	}
}

// Realtime is closed to anonymous clients; a superuser may hold a few streams per address.
func TestRealtimeOnlyForSuperusers(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	srv := httptest.NewServer(s.mux)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/realtime")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous realtime = %d, want 403", res.StatusCode)
	}
	token, err := superuser(t, s).NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/realtime", nil)
		req.Header.Set("Authorization", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode == http.StatusOK {
			line, _ := bufio.NewReader(res.Body).ReadString('\n') // the stream is open
			if !strings.HasPrefix(line, "id:") {
				t.Errorf("first line of the stream: %q", line)
			}
			return res.StatusCode // left open until cancel
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i := range realtimePerIP {
		if st := open(); st != http.StatusOK {
			t.Fatalf("superuser stream %d = %d", i+1, st)
		}
	}
	if st := open(); st != http.StatusTooManyRequests {
		t.Errorf("stream %d from one address = %d, want 429", realtimePerIP+1, st)
	}
}

// A stranger failing the owner's password from one address cannot keep the owner, at another
// address, out; the current-password check of the password change backs off and is audited.
func TestSignInLockoutIsPerAddress(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner := s.staffAccount(t, "owner@demo.invalid", "owner")
	login := func(remote, password string) int {
		return s.from(t, remote, http.MethodPost, "/admin/login", url.Values{"email": {owner.Email()}, "password": {password}}).status
	}
	for range 8 {
		login("198.51.100.20:4000", "a stranger's guess")
	}
	if st := login("198.51.100.20:4000", testPassword); st != http.StatusTooManyRequests {
		t.Errorf("the stranger's address after 8 failures = %d, want 429", st)
	}
	if st := login("192.0.2.10:5000", testPassword); st != http.StatusSeeOther {
		t.Errorf("the owner at another address = %d, want 303", st)
	}

	_, cookie := s.signIn(t, owner.Email(), testPassword)
	change := func(current string) response {
		return s.as(t, cookie, http.MethodPost, "/admin/account/password",
			url.Values{"current": {current}, "password": {"a new long password 42"}, "password2": {"a new long password 42"}})
	}
	for i := range backoffFreeAccount {
		if res := change("wrong " + string(rune('a'+i))); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong current password %d = %d", i+1, res.status)
		}
	}
	if res := change(testPassword); res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Errorf("after %d wrong current passwords = %d, want 429", backoffFreeAccount, res.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "security.password_check_failed"}); n != backoffFreeAccount {
		t.Errorf("audited password check failures: %d, want %d", n, backoffFreeAccount)
	}
}

// Every route with a {token} in the route table is requested with a token the log must not
// hold, well-formed or not; the log is read back from its table.
func TestEveryTokenRouteIsRedactedInTheLog(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.app.Settings().Logs.MaxDays = 7
	r, err := newRouterFor(s)
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	n := 0
	for _, rt := range routeTable(r) {
		if !strings.Contains(rt.path, "{token}") {
			continue
		}
		for _, tok := range []string{strings.Repeat("T", 43), "shortSecret" + strings.Repeat("s", n)} {
			n++
			path := strings.ReplaceAll(rt.path, "{token}", tok)
			s.do(t, rt.method, path, url.Values{})
			secrets = append(secrets, tok)
		}
	}
	if len(secrets) < 2*8 {
		t.Fatalf("only %d token requests: is the route table read?", len(secrets))
	}
	log, _ := s.appLog(t, len(secrets))
	if got := strings.Count(log, "/%7Btoken%7D"); got < len(secrets) {
		t.Errorf("the log shows %d redacted tokens for %d requests:\n%s", got, len(secrets), log)
	}
	mustNotContain(t, "request log", log, secrets...)
}

// newRouterFor builds a router with s's routes (Reserva's and PocketBase's) for reading the
// route table.
func newRouterFor(s *testServer) (*router.Router[*core.RequestEvent], error) {
	r, err := apis.NewRouter(s.app)
	if err != nil {
		return nil, err
	}
	se := &core.ServeEvent{App: s.app, Router: r}
	return r, s.app.OnServe().Trigger(se, func(*core.ServeEvent) error { return nil })
}

// PocketBase's X-XSS-Protection is not sent on any response; its other headers stay.
func TestNoXSSProtectionHeader(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, path := range []string{"/", "/_/", "/api/health", "/admin/login", "/api/collections/bookings/records", "/nothing"} {
		res := s.get(t, path)
		if v, ok := res.header["X-Xss-Protection"]; ok {
			t.Errorf("GET %s sends X-XSS-Protection %q", path, v)
		}
		if res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("X-Frame-Options") == "" {
			t.Errorf("GET %s lacks nosniff or X-Frame-Options: %v", path, res.header)
		}
	}
}

// TestSearchWildcardsMatchThemselves searches the bookings and the audit log for text holding
// % and _: each matches only rows that hold those characters, never every row.
func TestSearchWildcardsMatchThemselves(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ada := s.bookingByToken(t, s.book(t, "2026-11-24T19:00", "2"))
	form := bookingForm("2026-11-24T19:30", "2")
	form.Set("email", "x_y@example.com")
	form.Set("name", "Xavier Young")
	xy := s.bookingByToken(t, s.bookWith(t, "dinner", form))
	cookie, _ := s.signedIn(t, "owner")
	for q, want := range map[string][]string{"_": {xy.Reference}, "x_y": {xy.Reference}, "%": nil, "x%y": nil, `\`: nil, "ada": {ada.Reference}} {
		page := s.as(t, cookie, http.MethodGet, "/admin/bookings?from=2026-11-01&to=2026-12-31&q="+url.QueryEscape(q), nil)
		if page.status != http.StatusOK {
			t.Fatalf("search %q = %d", q, page.status)
		}
		for _, ref := range []string{ada.Reference, xy.Reference} {
			if found, wanted := strings.Contains(page.body, ref), slices.Contains(want, ref); found != wanted {
				t.Errorf("search %q: booking %s listed %v, want %v", q, ref, found, wanted)
			}
		}
	}
	// The audit log: "list_viewed" holds a _ (the list views above wrote such entries).
	for q, want := range map[string]bool{"list_viewed": true, "list%viewed": false, "list_": true, "%": false} {
		page := s.as(t, cookie, http.MethodGet, "/admin/audit?action="+url.QueryEscape(q), nil)
		if page.status != http.StatusOK {
			t.Fatalf("audit search %q = %d", q, page.status)
		}
		if got := strings.Contains(page.body, "booking.list_viewed"); got != want {
			t.Errorf("audit search %q lists booking.list_viewed: %v, want %v", q, got, want)
		}
	}
}
