package hooks

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"golang.org/x/crypto/bcrypt"

	"reserva/views"
)

// Staff sessions: an opaque random token in an HttpOnly, SameSite=Lax cookie (Secure under
// TLS); only its SHA-256 is stored. A session ends after 24 hours without use, and 14 days
// after sign-in whatever happens.
const (
	sessionCookie   = "reserva_staff"
	sessionIdle     = 24 * time.Hour
	sessionAbsolute = 14 * 24 * time.Hour
	// lastSeenEvery limits writes: last_seen moves at most once a minute per session.
	lastSeenEvery = time.Minute
)

// Request-event keys of the signed-in staff member and session.
const (
	staffKey   = "reservaStaff"
	sessionKey = "reservaStaffSession"
)

// currentSession returns the valid session behind the request's cookie and its staff member,
// or nil when there is none (no cookie, unknown, expired, or the person is deactivated).
func (h *handlers) currentSession(e *core.RequestEvent) (sess, staff *core.Record, err error) {
	c, cerr := e.Request.Cookie(sessionCookie)
	if cerr != nil || !wellFormedToken(c.Value) {
		return nil, nil, nil
	}
	sess, err = e.App.FindFirstRecordByData("staff_sessions", "token_hash", hashToken(c.Value))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session: %w", err)
	}
	now := h.now()
	if now.Sub(sess.GetDateTime("last_seen").Time()) > sessionIdle || now.Sub(sess.GetDateTime("signed_in").Time()) > sessionAbsolute {
		_ = e.App.Delete(sess)
		return nil, nil, nil
	}
	staff, err = e.App.FindRecordById("staff", sess.GetString("staff"))
	if err != nil || !staff.GetBool("active") {
		return nil, nil, nil
	}
	if now.Sub(sess.GetDateTime("last_seen").Time()) > lastSeenEvery {
		sess.Set("last_seen", now.UTC())
		if err := e.App.Save(sess); err != nil {
			return nil, nil, fmt.Errorf("session: %w", err)
		}
	}
	return sess, staff, nil
}

// startSession signs staff in: a new session, its cookie. The second factor is done when the
// person has none (or at once after it, see the 2FA step).
func (h *handlers) startSession(e *core.RequestEvent, staff *core.Record, secondFactor bool) error {
	token, hash := newToken()
	col, err := e.App.FindCachedCollectionByNameOrId("staff_sessions")
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	sess := core.NewRecord(col)
	sess.Set("token_hash", hash)
	sess.Set("staff", staff.Id)
	sess.Set("signed_in", h.now().UTC())
	sess.Set("last_seen", h.now().UTC())
	sess.Set("ip", e.RealIP())
	sess.Set("user_agent", truncate(e.Request.UserAgent(), 300))
	sess.Set("second_factor", secondFactor)
	if err := e.App.Save(sess); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	e.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: token, Path: "/admin", HttpOnly: true, Secure: e.IsTLS(),
		SameSite: http.SameSiteLaxMode, MaxAge: int(sessionAbsolute.Seconds()),
	})
	return nil
}

// purgeStaffLeftovers deletes the sessions that have expired (a request would end them, but
// one never made again would keep its row, with an IP and a browser, for ever) and the invites
// used or expired more than a week ago (they hold an e-mail address).
func purgeStaffLeftovers(app core.App, now time.Time) (sessions, invites int64, err error) {
	res, err := app.DB().Delete("staff_sessions", dbx.NewExp("last_seen < {:idle} OR signed_in < {:abs}",
		dbx.Params{"idle": dbTime(now.Add(-sessionIdle)), "abs": dbTime(now.Add(-sessionAbsolute))})).Execute()
	if err != nil {
		return 0, 0, fmt.Errorf("staff clean-up: sessions: %w", err)
	}
	sessions, _ = res.RowsAffected()
	week := dbTime(now.Add(-7 * 24 * time.Hour))
	res, err = app.DB().Delete("staff_invites", dbx.NewExp("expires < {:w} OR (used_at != '' AND used_at < {:w})",
		dbx.Params{"w": week})).Execute()
	if err != nil {
		return sessions, 0, fmt.Errorf("staff clean-up: invites: %w", err)
	}
	invites, _ = res.RowsAffected()
	return sessions, invites, nil
}

func clearSessionCookie(e *core.RequestEvent) {
	e.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/admin", HttpOnly: true, Secure: e.IsTLS(),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// staffGuard lets a request through only for a signed-in staff member with at least min's
// role, their second factor done, and their 2FA set up when the owner requires it. Otherwise:
// sign-in (303 for a page, 403 for a post), the 2FA step, enrolment, or 403 for the role.
func (h *handlers) staffGuard(min role) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Func: func(e *core.RequestEvent) error {
			sess, staff, err := h.currentSession(e)
			if err != nil {
				return err
			}
			if staff == nil {
				return notSignedIn(e, "/admin/login?next="+url.QueryEscape(e.Request.URL.RequestURI()))
			}
			hasTOTP := staff.GetString("totp_secret") != ""
			if hasTOTP && !sess.GetBool("second_factor") {
				return e.Redirect(http.StatusSeeOther, "/admin/login/2fa")
			}
			if !hasTOTP && h.access(e.App).Require2FA {
				return e.Redirect(http.StatusSeeOther, "/admin/2fa/setup")
			}
			if roleOf(staff) < min {
				return forbidden(fmt.Errorf("role %s below %d", staff.GetString("role"), min))
			}
			e.Set(staffKey, staff)
			e.Set(sessionKey, sess)
			return e.Next()
		},
	}
}

// halfSignedIn lets through a session whose password step is done (the 2FA step and the
// enrolment pages); nobody else.
func (h *handlers) halfSignedIn() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Func: func(e *core.RequestEvent) error {
			sess, staff, err := h.currentSession(e)
			if err != nil {
				return err
			}
			if staff == nil {
				return notSignedIn(e, "/admin/login")
			}
			e.Set(staffKey, staff)
			e.Set(sessionKey, sess)
			return e.Next()
		},
	}
}

// notSignedIn answers a request without a session: a page is sent to sign in (at login), a
// post is refused.
func notSignedIn(e *core.RequestEvent, login string) error {
	if e.Request.Method == http.MethodGet || e.Request.Method == http.MethodHead {
		return e.Redirect(http.StatusSeeOther, login)
	}
	return forbidden(nil)
}

func forbidden(err error) error {
	return &pageError{status: http.StatusForbidden, heading: "error.forbidden", body: "admin.forbidden", err: err}
}

func staffOf(e *core.RequestEvent) *core.Record {
	s, _ := e.Get(staffKey).(*core.Record)
	return s
}

func sessionOf(e *core.RequestEvent) *core.Record {
	s, _ := e.Get(sessionKey).(*core.Record)
	return s
}

// actor is how the audit log names the signed-in staff member.
func actor(e *core.RequestEvent) string {
	if s := staffOf(e); s != nil {
		return "staff:" + s.Id
	}
	return "anonymous"
}

// staffAudit writes an audit entry for a staff request, with its IP and request id.
func (h *handlers) staffAudit(app core.App, e *core.RequestEvent, action, target, detail string) error {
	return writeAudit(app, auditEntry{RequestID: reqID(e), Actor: actor(e), Action: action, Target: target, Detail: detail, IP: e.RealIP()})
}

// accessSettings are the owner's access rules (settings section "access").
type accessSettings struct {
	Allow      []string `json:"allow"`       // IPs/CIDRs that may reach /admin/ and /_/; empty: any
	Require2FA bool     `json:"require_2fa"` // every staff member needs an authenticator app
}

func (h *handlers) access(app core.App) accessSettings {
	var a accessSettings
	if _, err := loadSetting(app, "access", &a, nil); err != nil {
		app.Logger().Error("access settings", "error", err.Error())
	}
	return a
}

// adminAllowList refuses /admin/ and /_/ to addresses outside the owner's allow-list.
func (h *handlers) adminAllowList() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaAdminAllowList",
		Priority: apis.DefaultRateLimitMiddlewarePriority - 3,
		Func: func(e *core.RequestEvent) error {
			p := e.Request.URL.Path
			if !(strings.HasPrefix(p, "/admin") || strings.HasPrefix(p, "/_/") || p == "/_") {
				return e.Next()
			}
			a := h.access(e.App)
			if len(a.Allow) == 0 {
				return e.Next()
			}
			nets, err := ParseNets(strings.Join(a.Allow, ","))
			if err != nil || !containsIP(nets, e.RealIP()) {
				return &pageError{status: http.StatusForbidden, heading: "error.forbidden", body: "admin.ip_refused", err: err}
			}
			return e.Next()
		},
	}
}

// backoff slows down guessing: after a few failed sign-ins for an account (or from an
// address) each further try must wait twice as long as the last, up to 15 minutes. The
// counts live in memory and fade after an hour without failures.
type backoff struct {
	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

const (
	backoffFreeAccount = 3
	backoffFreeIP      = 10
	backoffMax         = 15 * time.Minute
	backoffForget      = time.Hour
)

// wait is how long key must still wait at now (0: it may try).
func (b *backoff) wait(key string, free int, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.m[key]
	if f == nil || now.Sub(f.last) > backoffForget || f.n < free {
		return 0
	}
	d := time.Second << min(f.n-free, 20)
	if d > backoffMax {
		d = backoffMax
	}
	if left := f.last.Add(d).Sub(now); left > 0 {
		return left
	}
	return 0
}

func (b *backoff) fail(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*failures{}
	}
	f := b.m[key]
	if f == nil || now.Sub(f.last) > backoffForget {
		f = &failures{}
		b.m[key] = f
	}
	f.n++
	f.last = now
	if len(b.m) > 10000 {
		for k, v := range b.m {
			if now.Sub(v.last) > backoffForget {
				delete(b.m, k)
			}
		}
	}
}

func (b *backoff) reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, key)
}

// dummyHash is a bcrypt hash no password matches, checked for unknown accounts so that a
// sign-in takes as long whether or not the address exists (made at the first sign-in, not at
// start).
var dummyHash = sync.OnceValue(func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	h, _ := bcrypt.GenerateFromPassword(b, bcrypt.DefaultCost)
	return h
})

// adminPage builds the common model of a staff page for e.
func (h *handlers) adminPage(e *core.RequestEvent, title views.Msg) views.AdminPage {
	p := views.AdminPage{L: views.NewLocale(views.DefaultLanguage), Venue: "Reserva", Title: title}
	if v, err := h.venue(e.App); err == nil {
		p.L, p.Venue = v.locale, v.rec.GetString("name")
	}
	staff := staffOf(e)
	if staff == nil {
		return p
	}
	p.Staff = staff.GetString("name")
	if p.Staff == "" {
		p.Staff = staff.Email()
	}
	p.Role = staff.GetString("role")
	r := roleOf(staff)
	for _, n := range adminNav {
		if r >= n.min {
			path := e.Request.URL.Path
			current := strings.HasPrefix(path, n.href) && n.href != "/admin/" || path == "/admin/" && n.href == "/admin/"
			p.Nav = append(p.Nav, views.NavItem{Href: n.href, Label: views.M(n.label), Current: current})
		}
	}
	if r >= roleManager {
		if v, err := h.venue(e.App); err == nil {
			if n := overduePrivacyRequests(e.App, v, h.now()); n > 0 {
				p.Banner = views.M("admin.banner.privacy", n)
			}
		}
	}
	if r >= roleOwner {
		h.backup.stateMu.Lock()
		failing := h.backup.failing
		h.backup.stateMu.Unlock()
		if failing {
			p.Banner = views.M("admin.banner.backup")
		}
	}
	switch e.Request.URL.Query().Get("done") {
	case "":
	default:
		p.Notice = views.M("admin.done." + e.Request.URL.Query().Get("done"))
		if !p.L.Has(p.Notice.Key) {
			p.Notice = views.Msg{}
		}
	}
	return p
}

// adminNav is the staff navigation: what each role sees.
var adminNav = []struct {
	href, label string
	min         role
}{
	{"/admin/", "admin.nav.today", roleFrontdesk},
	{"/admin/bookings", "admin.nav.bookings", roleFrontdesk},
	{"/admin/waitlist", "admin.nav.waitlist", roleFrontdesk},
	{"/admin/walkins", "admin.nav.walkins", roleFrontdesk},
	{"/admin/offerings", "admin.nav.offerings", roleManager},
	{"/admin/closures", "admin.nav.closures", roleManager},
	{"/admin/outbox", "admin.nav.outbox", roleManager},
	{"/admin/privacy", "admin.nav.privacy", roleManager},
	{"/admin/staff", "admin.nav.staff", roleOwner},
	{"/admin/settings", "admin.nav.settings", roleOwner},
	{"/admin/backups", "admin.nav.backups", roleOwner},
	{"/admin/audit", "admin.nav.audit", roleOwner},
	{"/admin/account", "admin.nav.account", roleFrontdesk},
}
