package hooks

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"reserva/internal/booking"
	"reserva/internal/store"
	"reserva/views"
)

// englishFragments are the pieces of the English catalog's messages (between their format
// verbs) of three words or more that the German catalog does not also hold: a German page that
// shows one shows an English text.
func englishFragments(t *testing.T) map[string]string {
	t.Helper()
	load := func(lang string) map[string]json.RawMessage {
		raw, err := os.ReadFile("../views/locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	text := func(raw json.RawMessage) string {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var cases map[string]string
		_ = json.Unmarshal(raw, &cases)
		all := make([]string, 0, len(cases))
		for _, c := range cases {
			all = append(all, c)
		}
		return strings.Join(all, "\n")
	}
	en, de := load("en"), load("de")
	var german strings.Builder
	for _, v := range de {
		german.WriteString(text(v) + "\n")
	}
	verb := regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*[a-zA-Z%]|\n`)
	out := map[string]string{}
	for key, v := range en {
		for _, part := range verb.Split(text(v), -1) {
			part = strings.TrimSpace(part)
			if strings.Count(part, " ") < 2 || len(part) < 14 || strings.Contains(german.String(), part) {
				continue
			}
			out[html.EscapeString(part)] = key
		}
	}
	if len(out) < 300 {
		t.Fatalf("only %d English fragments: the catalogs are not read as they should be", len(out))
	}
	return out
}

// Every page in German holds no English catalog text: the visitor pages (with a booking, a
// form with errors, a full time, an error page) and every staff page the owner can open.
func TestPagesInGermanHoldNoEnglish(t *testing.T) {
	t.Parallel()
	if !views.HasLanguage("de") {
		t.Fatal("no German catalog")
	}
	english := englishFragments(t)
	s := newServerOpts(t, func(o *options) { o.transport = nil })
	s.setVenue(t, func(f *store.VenueFields) { f.Locale = "de" })
	// A staff member serves the dinner: its pages pick, name and reassign them.
	anna := s.addResource(t, s.offering(t, "dinner").ID, booking.ResourceStaff, "Anna", 0, 0, "Tue-Sat 17:00-23:00")
	token := s.book(t, "2026-11-27T19:00", "2")
	// Special hours and a part-day closure, told on the booking page and the home page.
	sat, _ := booking.ParseDate("2026-11-28")
	if _, err := store.AddSpecialHours(s.app, "", sat, sat, []booking.Span{{Open: 12 * 60, Close: 15 * 60}, {Open: 18 * 60, Close: 25 * 60}}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddPartClosure(s.app, "", sat, sat.AddDays(1), booking.Span{Open: 13 * 60, Close: 14 * 60}, ""); err != nil {
		t.Fatal(err)
	}

	pages := map[string]response{}
	for _, target := range []string{"/", "/book/dinner?date=2026-11-27&party=2", "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00",
		"/book/pottery", "/book/dinner?date=2026-11-28&party=2", "/b/" + token, "/b/" + token + "/change", "/b/" + token + "/change?party=3&start=2026-11-27T20:00",
		"/privacy", "/account", "/no-such-page", "/book/dinner?date=not-a-date", "/waitlist/dinner?party=2&start=2026-11-27T21:00",
		"/api/reserva/availability?offering=dinner&date=x",
		"/embed/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00", "/embed/dinner?date=2026-11-28&party=2", "/embed/b/" + token + "?m=booked"} {
		pages["GET "+target] = s.get(t, target)
	}
	pages["POST /embed/dinner (errors)"] = s.post(t, "/embed/dinner", url.Values{"start": {"2026-11-27T19:00"}, "party": {"2"}})
	pages["POST /book/dinner (errors)"] = s.post(t, "/book/dinner", url.Values{"start": {"2026-11-27T19:00"}, "party": {"2"}})
	pages["POST /account"] = s.post(t, "/account", url.Values{"email": {"ada@example.com"}})

	// Anna retires: the matrix's many dinner bookings at one time must not wait for her.
	if _, err := store.SaveResource(s.app, store.Resource{ID: anna, Offering: s.offering(t, "dinner").ID, Kind: booking.ResourceStaff, Name: "Anna"}); err != nil {
		t.Fatal(err)
	}

	// Every staff page the owner opens, as the role matrix opens it.
	f := &matrixFixtures{t: t, s: s, role: "owner"}
	f.owner = s.staffAccount(t, "owner@demo.invalid", "owner")
	f.me = f.owner
	f.freshSession()
	var keys []string
	for key := range adminMatrix {
		if strings.HasPrefix(key, "GET ") && !strings.HasSuffix(key, ".png") {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	for _, key := range keys {
		target, _ := adminMatrix[key].req(f)
		pages[key+" ("+target+")"] = s.as(t, f.cookie, http.MethodGet, target, nil)
	}

	pages["POST /admin/special-hours (errors)"] = s.as(t, f.cookie, http.MethodPost, "/admin/special-hours",
		url.Values{"special_from": {"2026-12-24"}, "special_to": {"2026-12-23"}, "opens_1": {"12:00"}, "closes_1": {"11:00"}})
	pages["POST /admin/settings/embed (errors)"] = s.as(t, f.cookie, http.MethodPost, "/admin/settings/embed",
		url.Values{"embed_origins": {"https://venue.example/booking"}})
	pages["POST /admin/closures (errors)"] = s.as(t, f.cookie, http.MethodPost, "/admin/closures",
		url.Values{"from": {"2026-12-24"}, "to": {"2026-12-24"}, "opens": {"12:00"}})
	for _, want := range []struct{ page, text string }{
		{"GET /", "Sonderöffnungszeiten und Schließtage"},
		{"GET /book/dinner?date=2026-11-28&party=2", "Sonderöffnungszeiten am"},
		{"GET /book/dinner?date=2026-11-28&party=2", "geschlossen"},
		{"POST /admin/special-hours (errors)", "Bitte geben Sie eine Öffnungszeit vor 24:00"},
		{"GET /book/dinner?date=2026-11-27&party=2", "Beliebig, wer frei ist"},
	} {
		if !strings.Contains(pages[want.page].body, want.text) {
			t.Errorf("%s: missing %q", want.page, want.text)
		}
	}
	for name, res := range pages {
		if res.status >= 500 {
			t.Errorf("%s: %d", name, res.status)
		}
		if !strings.Contains(res.header.Get("Content-Type"), "html") && !strings.Contains(res.header.Get("Content-Type"), "json") {
			continue
		}
		if strings.Contains(res.header.Get("Content-Type"), "html") && !strings.Contains(res.body, `lang="de"`) {
			t.Errorf("%s is not in German (lang attribute)", name)
		}
		for frag, key := range english {
			if strings.Contains(res.body, frag) {
				t.Errorf("%s shows the English %q (%s)", name, frag, key)
			}
		}
	}
}

// A visitor's language: picked with ?lang= (and remembered in a cookie), else the browser's
// (Accept-Language), else the venue's. A booking keeps the language it was made in, and its
// mails are written in it; the venue's own notice is in the venue's language.
func TestVisitorLanguage(t *testing.T) {
	t.Parallel()
	s := newServer(t) // an English venue
	if res := s.get(t, "/"); !strings.Contains(res.body, `<html lang="en">`) || !strings.Contains(res.body, `data-testid="languages"`) {
		t.Fatalf("home without a choice: not English, or no language links")
	}
	mustContain(t, "home", s.get(t, "/").body, `href="/?lang=de" lang="de" hreflang="de">Deutsch</a>`, `lang="fr" hreflang="fr">Français</a>`)
	browser := s.do(t, http.MethodGet, "/", nil, "Accept-Language", "fr-CH,fr;q=0.9,en;q=0.5")
	mustContain(t, "home for a French browser", browser.body, `<html lang="fr">`)
	unknown := s.do(t, http.MethodGet, "/", nil, "Accept-Language", "pl,ru;q=0.8")
	mustContain(t, "home for a Polish browser", unknown.body, `<html lang="en">`)

	picked := s.do(t, http.MethodGet, "/book/dinner?date=2026-11-27&lang=de", nil, "Accept-Language", "fr")
	mustContain(t, "a page with ?lang=de", picked.body, `<html lang="de">`, "Freitag, 27. November 2026")
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: picked.header}).Cookies() {
		if c.Name == langCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != "de" || !cookie.HttpOnly || cookie.MaxAge < 300*24*3600 {
		t.Fatalf("the choice is not remembered: %+v", cookie)
	}
	again := s.do(t, http.MethodGet, "/book/dinner?date=2026-11-27", nil, "Cookie", langCookie+"=de", "Accept-Language", "fr")
	mustContain(t, "the next page", again.body, `<html lang="de">`)
	bogus := s.do(t, http.MethodGet, "/?lang=xx", nil, "Cookie", langCookie+"=klingon")
	mustContain(t, "an unknown choice", bogus.body, `<html lang="en">`)

	// Kept pages are kept per language: the English and the German booking page differ.
	en1 := s.get(t, "/book/dinner?date=2026-11-28")
	de1 := s.do(t, http.MethodGet, "/book/dinner?date=2026-11-28", nil, "Cookie", langCookie+"=de")
	if !strings.Contains(en1.body, `lang="en"`) || !strings.Contains(de1.body, `lang="de"`) {
		t.Errorf("a kept page was served in the other language")
	}

	// A booking made in Italian: its confirmation is Italian, the venue's notice English.
	form := bookingForm("2026-11-27T19:00", "2")
	res := s.do(t, http.MethodPost, "/book/dinner", form, "Cookie", langCookie+"=it")
	m := manageLink.FindStringSubmatch(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || m == nil {
		t.Fatalf("booking in Italian = %d", res.status)
	}
	if b := s.bookingByToken(t, m[1]); b.Locale != "it" {
		t.Errorf("the booking keeps language %q, want it", b.Locale)
	}
	it := views.NewLocale("it")
	conf := s.rendered(t, s.only(t, store.MailConfirmation))
	mustContain(t, "Italian confirmation", conf.Text, it.T("mail.intro.confirmation", "Demo Bistro & Pottery"))
	var ics string
	for _, a := range conf.Attachments {
		ics += string(a.Data)
	}
	mustContain(t, "Italian calendar file", ics, it.T("booking.reference"))
	s.setVenue(t, func(f *store.VenueFields) { f.NotifyEmail = "desk@demo.invalid" })
	s.do(t, http.MethodPost, "/book/dinner", bookingForm("2026-11-27T20:00", "2"), "Cookie", langCookie+"=it")
	notice := s.rendered(t, s.only(t, store.MailVenueNotice))
	mustContain(t, "the venue's notice", notice.Subject+notice.Text, views.NewLocale("en").T("mail.intro.venue_notice"))
}

// The venue's language is one of the catalogs: the settings offer each by its own name, a
// regional variant saves its language, and the staff dashboard follows it.
func TestVenueLanguageSetting(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "owner")
	page := s.as(t, cookie, http.MethodGet, "/admin/settings", nil)
	for _, code := range views.Languages() {
		mustContain(t, "settings", page.body, `value="`+code+`"`, ">"+views.LanguageName(code)+"</option>")
	}
	form := (&matrixFixtures{t: t, s: s}).settingsForm()
	form.Set("locale", "de-DE")
	if r := s.as(t, cookie, http.MethodPost, "/admin/settings", form); r.status != http.StatusSeeOther {
		t.Fatalf("settings = %d\n%s", r.status, snippet(r.body))
	}
	if got := s.venue(t).Locale; got != "de" {
		t.Errorf("de-DE saved as %q, want de", got)
	}
	mustContain(t, "the dashboard", s.as(t, cookie, http.MethodGet, "/admin/", nil).body, `<html lang="de">`,
		views.NewLocale("de").T("admin.nav.today"))
	mustContain(t, "a visitor without a choice", s.get(t, "/").body, `<html lang="de">`)
}

// The language links lead to the same page on this site, whatever path was asked for.
func TestLanguageLinksStayOnTheSite(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, target := range []string{"//evil.example/x", "/%2F%2Fevil.example", "/book/dinner?date=2026-11-27&x=%22%3E"} {
		res := s.get(t, target)
		for _, bad := range []string{`href="//evil`, `href="/\`} {
			if i := strings.Index(res.body, `data-testid="languages"`); i >= 0 && strings.Contains(res.body[i:i+min(2000, len(res.body)-i)], bad) {
				t.Errorf("%s: a language link holds %q", target, bad)
			}
		}
	}
	// However a request reaches the handler, the links keep to this site's paths.
	for _, raw := range []string{"http://booking.test//evil.example/a", "http://booking.test/\\evil.example"} {
		r := httptest.NewRequest(http.MethodGet, raw, nil)
		for _, l := range languageLinks(r, "en") {
			if !strings.HasPrefix(l.URL, "/") || strings.HasPrefix(l.URL, "//") || strings.HasPrefix(l.URL, "/\\") {
				t.Errorf("%s: the %s link is %q, which a browser may read as another site", raw, l.Code, l.URL)
			}
		}
	}
	mustContain(t, "a booking page's links", s.get(t, "/book/dinner?date=2026-11-27").body, `href="/book/dinner?date=2026-11-27&amp;lang=de"`)
	// A query value is carried encoded, never as markup.
	mustContain(t, "a page with an odd query", s.get(t, "/book/dinner?date=2026-11-27&x=%22%3E").body, `x=%22%3E`)
}
