package hooks

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// embedPrefix starts the paths of the booking pages a venue's own site may frame: the booking
// page (GET and POST /embed/{slug}) and the confirmation reached after booking (GET
// /embed/b/{token}). Nothing else may be framed.
const embedPrefix = "/embed/"

// embedded reports whether r is for one of the framable pages under /embed/.
func embedded(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, embedPrefix) }

// bookPath is the booking page of the offering with slug as r reaches it: under /embed/ for a
// framed page, so that its links, forms and redirects stay inside the frame.
func bookPath(r *http.Request, slug string) string {
	if embedded(r) {
		return embedPrefix + url.PathEscape(slug)
	}
	return "/book/" + url.PathEscape(slug)
}

// maxEmbedOrigins is the most sites the owner may list.
const maxEmbedOrigins = 20

// parseOrigins reads the owner's list of sites that may frame the booking pages: origins
// (https://host or https://host:port; http only for localhost, 127.0.0.1 and [::1], to try it
// out) separated by line breaks, commas or spaces. A lone trailing slash is dropped; a path,
// a query, a user, a wildcard or anything else is refused with a message naming the entry.
// The answer is lowercase, without the scheme's default port and duplicates, in the order
// given. Host names are ASCII: an internationalised one is written in its xn-- form.
//
// NB! Each origin goes into the Content-Security-Policy header as it is returned: only host
// names of letters, digits, hyphens and dots, IP literals and port digits may pass.
func parseOrigins(s string) ([]string, views.Msg) {
	var out []string
	for _, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		origin, ok := parseOrigin(entry)
		if !ok {
			return nil, views.M("admin.settings.embed_bad", entry)
		}
		if !slices.Contains(out, origin) {
			out = append(out, origin)
		}
	}
	if len(out) > maxEmbedOrigins {
		return nil, views.M("admin.settings.embed_many", maxEmbedOrigins)
	}
	return out, views.Msg{}
}

// parseOrigin is one entry of parseOrigins, normalised ("HTTPS://Example.com/" reads
// "https://example.com").
func parseOrigin(entry string) (string, bool) {
	if len(entry) > 300 || strings.ContainsAny(entry, "*\\'\";") {
		return "", false
	}
	u, err := url.Parse(entry)
	if err != nil || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") || strings.Contains(entry, "#") {
		return "", false
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	local := host == "localhost" || host == "127.0.0.1" || host == "::1"
	if scheme != "https" && (scheme != "http" || !local) {
		return "", false
	}
	if !validHost(host) {
		return "", false
	}
	if strings.HasSuffix(u.Host, ":") { // "https://example.com:" has an empty port
		return "", false
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", false
		}
		if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
			port = "" // the scheme's own port: the origin as browsers write it
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	origin := scheme + "://" + host
	if port != "" {
		origin += ":" + port
	}
	return origin, true
}

// validHost reports whether h (lowercase, without brackets) is a DNS name of at least two
// labels, or localhost, or an IP address.
func validHost(h string) bool {
	if h == "localhost" || h == "::1" {
		return true
	}
	if strings.Contains(h, ":") {
		return false // other IPv6 literals: not worth the risk of a malformed one
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 || len(h) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}

// embedPolicy is the Content-Security-Policy of the framable pages: the visitor pages' policy,
// with the listed origins as the only frame ancestors ('none' without any) and the site's own
// scripts allowed (the frame's height script, static/embed-frame.js).
func embedPolicy(origins []string) string {
	ancestors := "'none'"
	if len(origins) > 0 {
		ancestors = strings.Join(origins, " ")
	}
	return "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action 'self'; " +
		"base-uri 'none'; frame-ancestors " + ancestors
}

// setEmbedHeaders sets the security headers of a framable page for the venue's origins: those
// of every visitor page (securityHeaders), but framing by the listed sites. Without a site
// listed the page may not be framed at all (X-Frame-Options: DENY, as every other page).
func setEmbedHeaders(h http.Header, origins []string) {
	h.Set("Content-Security-Policy", embedPolicy(origins))
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	if len(origins) == 0 {
		h.Set("X-Frame-Options", "DENY")
	} else {
		// X-Frame-Options cannot name another site; frame-ancestors says who may frame.
		h.Del("X-Frame-Options")
	}
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// embedHeaders sends the framable pages' security headers (setEmbedHeaders) for the venue's
// origins as they stand; no venue yet is no origin.
func (h *handlers) embedHeaders() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id: "reservaEmbedHeaders",
		Func: func(e *core.RequestEvent) error {
			var origins []string
			if v, err := h.st.Venue(e.App); err == nil {
				origins = v.EmbedOrigins()
			}
			setEmbedHeaders(e.Response.Header(), origins)
			return e.Next()
		},
	}
}

// embedBooked is the confirmation inside the frame after a booking: its details and the
// private link to the booking's own page, which opens outside the frame (the guest keeps it).
// It has no form: changing and cancelling happen on that page, which may not be framed.
func (h *handlers) embedBooked(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	b, off, err := findBooking(e.App, token)
	if err != nil {
		return err
	}
	d := views.EmbedBookedData{Page: page(e, v, views.M("title.manage")), Booking: jobs.BookingView(v, off, b), ManageURL: "/b/" + token}
	pays, err := store.PaymentsOf(e.App, b.ID)
	if err != nil {
		return err
	}
	d.Booking.AwaitsPayment, _, _ = awaitingPayment(pays, b, h.now())
	switch {
	case d.Booking.AwaitsPayment:
		// Stripe's page cannot be framed: the booking's own page, in a new window, has "Pay".
		d.Notice = views.M("embed.pay")
	case e.Request.URL.Query().Get("m") == "booked":
		d.Notice = views.M("embed.booked")
	}
	if off.Active {
		d.BookAgain = bookPath(e.Request, off.Slug) + "?party=" + strconv.Itoa(b.Party) + "&lang=" + url.QueryEscape(d.L.Lang())
	}
	return render(e, http.StatusOK, views.EmbedBookedPage(d))
}

// embedSave (owner) saves the sites that may frame the booking pages. A change is audited and
// makes the kept booking pages stale (the venue's record changes), so the next answer carries
// the new frame-ancestors.
func (h *handlers) embedSave(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	raw := e.Request.PostForm.Get("embed_origins")
	origins, bad := parseOrigins(raw)
	if !bad.IsZero() {
		return h.renderSettings(e, http.StatusUnprocessableEntity, views.SettingsData{
			EmbedErrors: map[string]views.Msg{"embed_origins": bad}, EmbedOrigins: raw})
	}
	err := e.App.RunInTransaction(func(tx core.App) error {
		changed, err := store.SaveEmbedOrigins(tx, origins)
		if err != nil || !changed {
			return err
		}
		detail := strings.Join(origins, " ")
		if detail == "" {
			detail = "none"
		}
		return h.staffAudit(tx, e, "settings.embed", "venue", detail)
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/settings?done=saved")
}

// embedSnippet is the HTML the owner pastes into the venue's site: a frame of the first
// bookable offering's framed booking page and the script that sizes it.
func (h *handlers) embedSnippet(e *core.RequestEvent, v *store.Venue) string {
	base := h.jobs.AbsURL("")
	if base == "" {
		base = "https://" + e.Request.Host
	}
	slug := "SLUG"
	if offs, err := store.Offerings(e.App, true); err == nil && len(offs) > 0 {
		slug = offs[0].Slug
	}
	return `<iframe src="` + base + embedPrefix + slug + `" title="` + html.EscapeString(v.Name) + `" style="width:100%;height:900px;border:0"></iframe>` + "\n" +
		`<script src="` + base + views.EmbedScriptURL + `" async></script>`
}
