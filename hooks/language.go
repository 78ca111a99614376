package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"reserva/views"
)

// langCookie remembers the language a visitor picked from the header's links. It holds the
// language's code only, is set only when the visitor picks one, and is needed for what they
// asked for: no consent is needed, and it says nothing about them.
const langCookie = "reserva_lang"

// visitorLanguage is the catalog a visitor's page is written in: the one picked now (?lang=),
// the one picked before (the cookie), the browser's on a first visit (Accept-Language), or the
// venue's. A framed page (under /embed/) reads no cookie, as a browser sends none to a frame
// on another site: the language travels in the query and in the booking form (field lang).
func visitorLanguage(r *http.Request, venue string) string {
	if l := r.URL.Query().Get("lang"); views.HasLanguage(l) {
		return l
	}
	if embedded(r) {
		if l := r.PostForm.Get("lang"); views.HasLanguage(l) { // nil PostForm: ""
			return l
		}
	} else if c, err := r.Cookie(langCookie); err == nil && views.HasLanguage(c.Value) {
		return c.Value
	}
	if l := views.MatchLanguage(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return venue
}

// rememberLanguage keeps a language picked with ?lang= for a year.
func rememberLanguage() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id: "reservaLanguage",
		Func: func(e *core.RequestEvent) error {
			if l := e.Request.URL.Query().Get("lang"); views.HasLanguage(l) {
				http.SetCookie(e.Response, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: int(365 * 24 * time.Hour / time.Second),
					HttpOnly: true, Secure: e.Request.TLS != nil, SameSite: http.SameSiteLaxMode})
			}
			return e.Next()
		},
	}
}

// languageLinks are the request's page in every language, current marked (none when there is
// only one language).
func languageLinks(r *http.Request, current string) []views.LanguageLink {
	langs := views.Languages()
	if len(langs) < 2 {
		return nil
	}
	// The page's own path, never another site's: "//host" would be read as an address elsewhere.
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, "/\\") {
		path = "/"
	}
	out := make([]views.LanguageLink, 0, len(langs))
	for _, code := range langs {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("lang", code)
		out = append(out, views.LanguageLink{Code: code, Name: views.LanguageName(code), URL: path + "?" + q.Encode(),
			Current: code == current})
	}
	return out
}
