package hooks

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"reserva/internal/store"
	"reserva/views"
)

func TestParseOrigins(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in string
		want     []string // nil with bad set: refused
		bad      string   // the entry the message names
	}{
		{"empty", "", nil, ""},
		{"one", "https://www.example.com", []string{"https://www.example.com"}, ""},
		{"normalised", "HTTPS://WWW.Example.COM/", []string{"https://www.example.com"}, ""},
		{"port", "https://shop.example.com:8443", []string{"https://shop.example.com:8443"}, ""},
		{"default port", "https://shop.example.com:443 http://localhost:80", []string{"https://shop.example.com", "http://localhost"}, ""},
		{"internationalised, as xn--", "https://xn--bckerei-4wa.example", []string{"https://xn--bckerei-4wa.example"}, ""},
		{"several, deduplicated", "https://a.example\r\nhttps://b.example, https://a.example  https://b.example:444",
			[]string{"https://a.example", "https://b.example", "https://b.example:444"}, ""},
		{"http on localhost", "http://localhost:8080\nhttp://127.0.0.1:9000 http://[::1]:7000",
			[]string{"http://localhost:8080", "http://127.0.0.1:9000", "http://[::1]:7000"}, ""},
		{"http elsewhere", "http://www.example.com", nil, "http://www.example.com"},
		{"no scheme", "www.example.com", nil, "www.example.com"},
		{"other scheme", "ftp://example.com", nil, "ftp://example.com"},
		{"path", "https://example.com/booking", nil, "https://example.com/booking"},
		{"query", "https://example.com?x=1", nil, "https://example.com?x=1"},
		{"empty query", "https://example.com?", nil, "https://example.com?"},
		{"fragment", "https://example.com#top", nil, "https://example.com#top"},
		{"user", "https://me@example.com", nil, "https://me@example.com"},
		{"wildcard host", "https://*.example.com", nil, "https://*.example.com"},
		{"wildcard", "*", nil, "*"},
		{"keyword", "'self'", nil, "'self'"},
		{"policy injection", "https://example.com;script-src", nil, "https://example.com;script-src"},
		{"one label", "https://intranet", nil, "https://intranet"},
		{"bad label", "https://-x.example.com", nil, "https://-x.example.com"},
		{"underscore", "https://a_b.example.com", nil, "https://a_b.example.com"},
		{"unicode host", "https://bäckerei.example", nil, "https://bäckerei.example"},
		{"empty port", "https://example.com:", nil, "https://example.com:"},
		{"port zero", "https://example.com:0", nil, "https://example.com:0"},
		{"port too large", "https://example.com:70000", nil, "https://example.com:70000"},
		{"port with zeros", "https://example.com:0443", nil, "https://example.com:0443"},
		{"IPv6 elsewhere", "https://[2001:db8::1]", nil, "https://[2001:db8::1]"},
		{"one good one bad", "https://ok.example\nhttps://bad.example/path", nil, "https://bad.example/path"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := parseOrigins(tt.in)
			if tt.bad != "" {
				want := views.M("admin.settings.embed_bad", tt.bad)
				if got != nil || msg.Key != want.Key || len(msg.Args) != 1 || msg.Args[0] != tt.bad {
					t.Errorf("parseOrigins(%q) = %q, %v; want refused naming %q", tt.in, got, msg, tt.bad)
				}
				return
			}
			if !msg.IsZero() || strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("parseOrigins(%q) = %q, %v; want %q", tt.in, got, msg, tt.want)
			}
		})
	}
	var many []string
	for i := range maxEmbedOrigins + 1 {
		many = append(many, "https://s"+string(rune('a'+i))+".example")
	}
	if got, msg := parseOrigins(strings.Join(many, "\n")); got != nil || msg.Key != "admin.settings.embed_many" {
		t.Errorf("%d origins = %q, %v; want refused", len(many), got, msg)
	}
}

// frameAncestors is the frame-ancestors directive of a response's policy ("" without one).
func frameAncestors(res response) string {
	for _, d := range strings.Split(res.header.Get("Content-Security-Policy"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(d), "frame-ancestors "); ok {
			return v
		}
	}
	return ""
}

var embedBookedLink = regexp.MustCompile(`^/embed/b/([A-Za-z0-9_-]{43})\?m=booked&lang=([a-z]+)$`)

// The framed pages (the booking page, its post, the confirmation) may be framed by the listed
// sites only, and by none while none is listed; every other page denies framing as before,
// the admin's included. The whole flow stays under /embed/ and sets no cookie.
func TestEmbedFramingPerRoute(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	token := s.book(t, "2026-11-27T19:00", "2")
	others := []string{"/", "/book/dinner?date=2026-11-27", "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T20:00",
		"/b/" + token, "/b/" + token + "/change", "/privacy", "/account", "/waitlist/dinner?party=2&start=2026-11-27T21:00",
		"/no-such-page", "/admin/login"}
	checkOthers := func(when string) {
		t.Helper()
		for _, target := range others {
			res := s.get(t, target)
			if got := res.header.Get("Content-Security-Policy"); got != contentSecurityPolicy || res.header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: GET %s: policy %q, X-Frame-Options %q; want the visitor pages' (no framing)", when, target, got, res.header.Get("X-Frame-Options"))
			}
		}
		res := s.as(t, owner, http.MethodGet, "/admin/settings", nil)
		if res.status != http.StatusOK || frameAncestors(res) != "'none'" || res.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: the settings page = %d, frame-ancestors %q, X-Frame-Options %q", when, res.status, frameAncestors(res), res.header.Get("X-Frame-Options"))
		}
		if res := s.get(t, "/api/reserva/availability?offering=dinner&date=2026-11-27"); res.header.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("%s: the availability API's X-Frame-Options = %q", when, res.header.Get("X-Frame-Options"))
		}
	}
	embedPages := func() map[string]response {
		t.Helper()
		pages := map[string]response{}
		for _, target := range []string{"/embed/dinner?date=2026-11-27", "/embed/dinner?date=2026-11-27&party=2&start=2026-11-27T20:00",
			"/embed/b/" + token + "?m=booked", "/embed/no-such-offering"} {
			pages["GET "+target] = s.get(t, target)
		}
		pages["POST /embed/dinner (errors)"] = s.post(t, "/embed/dinner", url.Values{"start": {"2026-11-27T20:00"}, "party": {"2"}})
		pages["POST /embed/dinner"] = s.post(t, "/embed/dinner", bookingForm("2026-11-27T20:00", "2"))
		return pages
	}

	// Nothing listed: the framed pages answer, but may not be framed.
	for name, res := range embedPages() {
		if frameAncestors(res) != "'none'" || res.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("no site listed: %s: frame-ancestors %q, X-Frame-Options %q; want none", name, frameAncestors(res), res.header.Get("X-Frame-Options"))
		}
	}
	checkOthers("no site listed")

	if _, err := store.SaveEmbedOrigins(s.app, []string{"https://www.venue.example", "http://localhost:8080"}); err != nil {
		t.Fatal(err)
	}
	for name, res := range embedPages() {
		if got := frameAncestors(res); got != "https://www.venue.example http://localhost:8080" {
			t.Errorf("%s: frame-ancestors %q", name, got)
		}
		if xfo := res.header.Get("X-Frame-Options"); xfo != "" {
			t.Errorf("%s: X-Frame-Options %q beside frame-ancestors", name, xfo)
		}
		csp := res.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: policy %q lacks %q", name, csp, want)
			}
		}
		if res.header.Get("Referrer-Policy") != "no-referrer" || res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: Referrer-Policy %q, X-Content-Type-Options %q", name, res.header.Get("Referrer-Policy"), res.header.Get("X-Content-Type-Options"))
		}
		if c := res.header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("%s sets a cookie: %q", name, c)
		}
	}
	checkOthers("two sites listed")
}

// The framed flow: the booking page's links and forms, its post's redirect and the
// confirmation stay under /embed/, the language travels in the address and the form (never
// in a cookie), and the private link opens outside the frame.
func TestEmbedFlowStaysInTheFrame(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if _, err := store.SaveEmbedOrigins(s.app, []string{"https://www.venue.example"}); err != nil {
		t.Fatal(err)
	}
	page := s.get(t, "/embed/dinner?date=2026-11-27&party=2&lang=de")
	if page.status != http.StatusOK {
		t.Fatalf("GET /embed/dinner = %d", page.status)
	}
	mustContain(t, "framed booking page in German", page.body, `<html lang="de">`, `action="/embed/dinner"`,
		`<input type="hidden" name="lang" value="de">`, `href="/embed/dinner?date=2026-11-28&amp;party=2&amp;lang=de"`,
		`formaction="/embed/dinner#details"`, `<meta name="reserva-embed-origins" content="https://www.venue.example">`,
		`<script src="/static/embed-frame.js" defer></script>`, `href="/embed/dinner?date=2026-11-27&amp;lang=en&amp;party=2"`)
	mustNotContain(t, "framed booking page", page.body, `href="/book/`, `action="/book/`, `<header class="site">`, `href="/account"`)
	if c := page.header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("?lang= on a framed page sets a cookie: %q", c)
	}
	// A cookie would not reach a frame on another site: the framed pages never read one.
	if res := s.do(t, http.MethodGet, "/embed/dinner?date=2026-11-27", nil, "Cookie", langCookie+"=de"); !strings.Contains(res.body, `<html lang="en">`) {
		t.Errorf("a framed page read the language cookie")
	}

	form := s.get(t, "/embed/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00&lang=de")
	mustContain(t, "the framed details form", form.body, `action="/embed/dinner"`, `name="lang" value="de"`,
		`href="/privacy" target="_blank" rel="noopener noreferrer"`)

	bad := s.post(t, "/embed/dinner", url.Values{"start": {"2026-11-27T19:00"}, "party": {"2"}, "lang": {"de"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("a framed form with errors = %d", bad.status)
	}
	mustContain(t, "the framed form with errors", bad.body, `<html lang="de">`, `action="/embed/dinner"`, `name="lang" value="de"`)

	post := bookingForm("2026-11-27T19:00", "2")
	post.Set("lang", "de")
	res := s.post(t, "/embed/dinner", post)
	m := embedBookedLink.FindStringSubmatch(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || m == nil || m[2] != "de" {
		t.Fatalf("POST /embed/dinner = %d to %q, want 303 to /embed/b/{token}?m=booked&lang=de", res.status, res.header.Get("Location"))
	}
	if b := s.bookingByToken(t, m[1]); b.Locale != "de" || b.Name != "Ada Lovelace" {
		t.Errorf("the framed booking: locale %q, name %q", b.Locale, b.Name)
	}
	conf := s.get(t, res.header.Get("Location"))
	de := views.NewLocale("de")
	mustContain(t, "the framed confirmation", conf.body, `<html lang="de">`, de.T("embed.booked"),
		`<a href="/b/`+m[1]+`" target="_blank" rel="noopener noreferrer" data-testid="manage-link">`,
		`href="/embed/dinner?party=2&amp;lang=de"`, "Ada Lovelace")
	mustNotContain(t, "the framed confirmation", conf.body, "<form", `href="/b/`+m[1]+`/change"`)
	if conf.status != http.StatusOK || len(conf.header.Values("Set-Cookie")) > 0 {
		t.Errorf("the framed confirmation = %d, cookies %q", conf.status, conf.header.Values("Set-Cookie"))
	}
	// An error page in the frame keeps the compact layout, and sends the guest out of it.
	for _, target := range []string{"/embed/b/not-a-token", "/embed/no-such-offering"} {
		res := s.get(t, target)
		if res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, res.status)
		}
		mustContain(t, target, res.body, `data-testid="embed-footer"`, `<a href="/" target="_blank" rel="noopener noreferrer">`)
		mustNotContain(t, target, res.body, `<header class="site">`)
	}
	// A full time's waitlist is outside the framed flow: it opens outside the frame.
	s.fillDinner(t, "2026-11-27T21:00")
	full := s.get(t, "/embed/dinner?date=2026-11-27&party=2")
	mustContain(t, "a full time in the frame", full.body, `target="_blank" rel="noopener noreferrer" data-testid="join-waitlist"`)

	// Every link of the framed pages stays under /embed/ or opens outside the frame; every form
	// posts (and every time button sends) under /embed/.
	for name, body := range map[string]string{"times": page.body, "details": form.body, "errors": bad.body,
		"confirmation": conf.body, "full": full.body, "error": s.get(t, "/embed/nothing").body} {
		for _, tag := range htmlTag.FindAllString(body, -1) {
			attr := func(name string) (string, bool) {
				m := htmlAttr[name].FindStringSubmatch(tag)
				if m == nil {
					return "", false
				}
				return html.UnescapeString(m[1]), true
			}
			target, _ := attr("target")
			for _, a := range []string{"href", "action", "formaction"} {
				v, ok := attr(a)
				if !ok || strings.HasPrefix(tag, "<link") || target == "_blank" {
					continue
				}
				if !strings.HasPrefix(v, "/embed/") {
					t.Errorf("%s: %s leaves the frame: %s", name, a, tag)
				}
			}
		}
	}
}

var (
	htmlTag  = regexp.MustCompile(`<(a|form|button|link)\s[^>]*>`)
	htmlAttr = map[string]*regexp.Regexp{}
)

func init() {
	for _, name := range []string{"href", "action", "formaction", "target"} {
		htmlAttr[name] = regexp.MustCompile(`\s` + name + `="([^"]*)"`)
	}
}

// A kept framed page carries the origins that were listed when it was rendered, and a change
// of the list is seen by the next request, on the short path too.
func TestEmbedSettingReachesKeptPages(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if _, err := store.SaveEmbedOrigins(s.app, []string{"https://one.example"}); err != nil {
		t.Fatal(err)
	}
	target := "/embed/dinner?date=2026-11-28&lang=fr"
	first := s.get(t, target)
	served := s.h.fastServed.Load()
	again := s.get(t, target)
	if s.h.fastServed.Load() != served+1 {
		t.Errorf("the second view of a framed page was not served from the kept pages")
	}
	if frameAncestors(first) != "https://one.example" || frameAncestors(again) != "https://one.example" || again.body != first.body {
		t.Errorf("kept framed page: frame-ancestors %q then %q", frameAncestors(first), frameAncestors(again))
	}
	if !strings.Contains(again.body, `<html lang="fr">`) || len(again.header.Values("Set-Cookie")) > 0 {
		t.Errorf("the kept page is not the French one, or sets a cookie")
	}
	if _, err := store.SaveEmbedOrigins(s.app, []string{"https://two.example"}); err != nil {
		t.Fatal(err)
	}
	if got := frameAncestors(s.get(t, target)); got != "https://two.example" {
		t.Errorf("after the list changed: frame-ancestors %q, want https://two.example", got)
	}
	if _, err := store.SaveEmbedOrigins(s.app, nil); err != nil {
		t.Fatal(err)
	}
	if res := s.get(t, target); frameAncestors(res) != "'none'" || res.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("after the list was emptied: frame-ancestors %q, X-Frame-Options %q", frameAncestors(res), res.header.Get("X-Frame-Options"))
	}
	// The site's own booking page is kept apart from the framed one.
	if res := s.get(t, "/book/dinner?date=2026-11-28"); res.header.Get("Content-Security-Policy") != contentSecurityPolicy {
		t.Errorf("the booking page took the framed page's policy: %q", res.header.Get("Content-Security-Policy"))
	}
}

// The owner lists the sites on the settings page: a bad entry is a 422 beside the field with
// the text kept, a good list is stored normalised and audited, and the page shows the snippet.
func TestEmbedOriginsOnTheSettingsPage(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	page := s.as(t, owner, http.MethodGet, "/admin/settings", nil)
	mustContain(t, "settings", page.body, `action="/admin/settings/embed"`, `name="embed_origins"`,
		`&lt;iframe src=&#34;https://booking.test/embed/`, `&lt;script src=&#34;https://booking.test/static/embed.js&#34; async&gt;&lt;/script&gt;`)
	for _, bad := range []string{"https://venue.example/booking", "http://venue.example", "https://*.venue.example", "venue.example",
		"https://venue.example; script-src *", strings.Repeat("https://a.example ", 5) + "https://b.example?q"} {
		res := s.as(t, owner, http.MethodPost, "/admin/settings/embed", url.Values{"embed_origins": {bad}})
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("origins %q = %d, want 422", bad, res.status)
			continue
		}
		mustContain(t, "refused origins", res.body, `data-testid="embed_origins-error"`, `aria-invalid="true"`)
		if !strings.Contains(res.body, `>`+html.EscapeString(bad)+`</textarea>`) {
			t.Errorf("origins %q: the text is not kept in the field", bad)
		}
	}
	if got := s.venue(t).EmbedOrigins(); len(got) != 0 {
		t.Fatalf("refused lists were stored: %q", got)
	}
	kept := "/embed/dinner?date=2026-11-28"
	s.get(t, kept) // kept for a second: the change must reach it at once
	res := s.as(t, owner, http.MethodPost, "/admin/settings/embed", url.Values{"embed_origins": {"HTTPS://www.Venue.example/\r\nhttp://localhost:8080"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("a good list = %d\n%s", res.status, snippet(res.body))
	}
	if got := frameAncestors(s.get(t, kept)); got != "https://www.venue.example http://localhost:8080" {
		t.Errorf("the kept framed page after the settings change: frame-ancestors %q", got)
	}
	if got := strings.Join(s.venue(t).EmbedOrigins(), " "); got != "https://www.venue.example http://localhost:8080" {
		t.Errorf("stored %q", got)
	}
	if n := s.auditCount(t, "settings.embed", "venue"); n != 1 {
		t.Errorf("%d audit entries of the change, want 1", n)
	}
	// Saving the same list again changes nothing and audits nothing.
	s.as(t, owner, http.MethodPost, "/admin/settings/embed", url.Values{"embed_origins": {"https://www.venue.example\nhttp://localhost:8080"}})
	if n := s.auditCount(t, "settings.embed", "venue"); n != 1 {
		t.Errorf("%d audit entries after saving the same list, want 1", n)
	}
	mustContain(t, "settings with a list", s.as(t, owner, http.MethodGet, "/admin/settings", nil).body,
		">https://www.venue.example\nhttp://localhost:8080</textarea>")
	if res := s.as(t, owner, http.MethodPost, "/admin/settings/embed", url.Values{"embed_origins": {""}}); res.status != http.StatusSeeOther {
		t.Errorf("emptying the list = %d", res.status)
	}
	if got := s.venue(t).EmbedOrigins(); len(got) != 0 {
		t.Errorf("after emptying: %q", got)
	}
	if n := s.auditCount(t, "settings.embed", "venue"); n != 2 {
		t.Errorf("%d audit entries after emptying, want 2", n)
	}
	for _, role := range []string{"manager", "frontdesk"} {
		cookie, _ := s.signedIn(t, role)
		if res := s.as(t, cookie, http.MethodPost, "/admin/settings/embed", url.Values{"embed_origins": {"https://evil.example"}}); res.status != http.StatusForbidden {
			t.Errorf("a %s saving origins = %d, want 403", role, res.status)
		}
	}
}
