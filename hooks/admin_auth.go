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

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"golang.org/x/crypto/bcrypt"

	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// Staff sessions: an opaque random token in an HttpOnly, SameSite=Lax cookie (Secure under
// TLS); only its SHA-256 is stored. A session ends after 24 hours without use, and 14 days
// after sign-in whatever happens (store.SessionIdle, store.SessionAbsolute).
const (
	sessionCookie = "reserva_staff"
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
func (h *handlers) currentSession(e *core.RequestEvent) (*store.StaffSession, *store.Staff, error) {
	c, cerr := e.Request.Cookie(sessionCookie)
	if cerr != nil || !store.WellFormedToken(c.Value) {
		return nil, nil, nil
	}
	sess, err := store.SessionByToken(e.App, c.Value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session: %w", err)
	}
	now := h.now()
	if now.Sub(sess.LastSeen.Time()) > store.SessionIdle || now.Sub(sess.SignedIn.Time()) > store.SessionAbsolute {
		_ = store.EndSession(e.App, sess.ID)
		return nil, nil, nil
	}
	staff, err := store.StaffByID(e.App, sess.Staff)
	if err != nil || !staff.Active() {
		return nil, nil, nil
	}
	if now.Sub(sess.LastSeen.Time()) > lastSeenEvery {
		if err := store.TouchSession(e.App, sess.ID, now); err != nil {
			return nil, nil, fmt.Errorf("session: %w", err)
		}
	}
	return sess, staff, nil
}

// startSession signs staff in: a new session, its cookie. The second factor is done when the
// person has none (or at once after it, see the 2FA step).
func (h *handlers) startSession(e *core.RequestEvent, staff *store.Staff, secondFactor bool) error {
	token, err := store.StartSession(e.App, staff.Id, e.RealIP(), e.Request.UserAgent(), secondFactor, h.now())
	if err != nil {
		return err
	}
	e.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: token, Path: "/admin", HttpOnly: true, Secure: viaHTTPS(e.Request),
		SameSite: http.SameSiteLaxMode, MaxAge: int(store.SessionAbsolute.Seconds()),
	})
	return nil
}

func clearSessionCookie(e *core.RequestEvent) {
	e.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/admin", HttpOnly: true, Secure: viaHTTPS(e.Request),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// staffGuard lets a request through only for a signed-in staff member with at least min's
// role, their second factor done, and their 2FA set up when the owner requires it. Otherwise:
// sign-in (303 for a page, 403 for a post), the 2FA step, enrolment, or 403 for the role.
func (h *handlers) staffGuard(min store.Role) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Func: func(e *core.RequestEvent) error {
			sess, staff, err := h.currentSession(e)
			if err != nil {
				return err
			}
			if staff == nil {
				return notSignedIn(e, "/admin/login?next="+url.QueryEscape(e.Request.URL.RequestURI()))
			}
			hasTOTP := staff.HasTOTP()
			if hasTOTP && !sess.SecondFactor {
				return e.Redirect(http.StatusSeeOther, "/admin/login/2fa")
			}
			if !hasTOTP && h.access(e.App).Require2FA {
				return e.Redirect(http.StatusSeeOther, "/admin/2fa/setup")
			}
			if staff.Role().Rank() < min.Rank() {
				return forbidden(fmt.Errorf("role %s below %s", staff.Role(), min))
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

func staffOf(e *core.RequestEvent) *store.Staff {
	s, _ := e.Get(staffKey).(*store.Staff)
	return s
}

func sessionOf(e *core.RequestEvent) *store.StaffSession {
	s, _ := e.Get(sessionKey).(*store.StaffSession)
	return s
}

// roleOf is the rank of the request's staff member (0 when signed out).
func roleOf(e *core.RequestEvent) int {
	if s := staffOf(e); s != nil {
		return s.Role().Rank()
	}
	return 0
}

// actor is how the audit log names the signed-in staff member.
func actor(e *core.RequestEvent) string {
	if s := staffOf(e); s != nil {
		return store.StaffActor(s.Id)
	}
	return "anonymous"
}

// staffAudit writes an audit entry for a staff request, with its IP and request id.
func (h *handlers) staffAudit(app core.App, e *core.RequestEvent, action, target, detail string) error {
	return store.Audit(app, store.Entry{RequestID: reqID(e), Actor: actor(e), Action: action, Target: target, Detail: detail, IP: e.RealIP()})
}

// access reads the owner's access rules (an unreadable setting counts as none, and is logged).
func (h *handlers) access(app core.App) store.Access {
	a, err := store.LoadAccess(app)
	if err != nil {
		app.Logger().Error("access settings", "error", err.Error())
	}
	return a
}

// adminAllowList refuses the staff dashboard (/admin/) and PocketBase's dashboard and API
// (the superuser sign-in included) to addresses outside the owner's allow-list.
func (h *handlers) adminAllowList() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "reservaAdminAllowList",
		Priority: apis.DefaultRateLimitMiddlewarePriority - 3,
		Func: func(e *core.RequestEvent) error {
			p := e.Request.URL.Path
			if !(strings.HasPrefix(p, "/admin") || pocketBasePath(p)) {
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

// forget drops the counts of every key that begins with prefix.
func (b *backoff) forget(prefix string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.m {
		if strings.HasPrefix(k, prefix) {
			delete(b.m, k)
		}
	}
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
	v, verr := h.st.Venue(e.App)
	if verr == nil {
		p.L, p.Venue = jobs.Locale(v), v.Name
	}
	staff := staffOf(e)
	if staff == nil {
		return p
	}
	p.Staff = staff.Label()
	p.Role = string(staff.Role())
	r := staff.Role().Rank()
	for _, n := range adminNav {
		if r >= n.min.Rank() {
			path := e.Request.URL.Path
			current := strings.HasPrefix(path, n.href) && n.href != "/admin/" || path == "/admin/" && n.href == "/admin/"
			p.Nav = append(p.Nav, views.NavItem{Href: n.href, Label: views.M(n.label), Current: current})
		}
	}
	if r >= store.RoleManager.Rank() && verr == nil {
		if n, _ := store.OverdueRequests(e.App, v.Today(h.now())); n > 0 {
			p.Banner = views.M("admin.banner.privacy", n)
		}
	}
	if r >= store.RoleOwner.Rank() && h.jobs.BackupFailing() {
		p.Banner = views.M("admin.banner.backup")
	}
	if c := h.jobs.Cert(); r >= store.RoleOwner.Rank() && c.Failing() {
		at := c.RetryAt
		if verr == nil {
			at = at.In(v.Loc)
		}
		p.Banner = views.M("admin.banner.certificate", c.Error, p.L.Time(at))
	}
	if key, ok := views.DoneNotices[e.Request.URL.Query().Get("done")]; ok {
		p.Notice = views.M(key)
	}
	return p
}

// adminNav is the staff navigation: what each role sees.
var adminNav = []struct {
	href, label string
	min         store.Role
}{
	{"/admin/", "admin.nav.today", store.RoleFrontdesk},
	{"/admin/bookings", "admin.nav.bookings", store.RoleFrontdesk},
	{"/admin/waitlist", "admin.nav.waitlist", store.RoleFrontdesk},
	{"/admin/walkins", "admin.nav.walkins", store.RoleFrontdesk},
	{"/admin/guests", "admin.nav.guests", store.RoleManager},
	{"/admin/offerings", "admin.nav.offerings", store.RoleManager},
	{"/admin/closures", "admin.nav.closures", store.RoleManager},
	{"/admin/outbox", "admin.nav.outbox", store.RoleManager},
	{"/admin/privacy", "admin.nav.privacy", store.RoleManager},
	{"/admin/staff", "admin.nav.staff", store.RoleOwner},
	{"/admin/settings", "admin.nav.settings", store.RoleOwner},
	{"/admin/backups", "admin.nav.backups", store.RoleOwner},
	{"/admin/audit", "admin.nav.audit", store.RoleOwner},
	{"/admin/account", "admin.nav.account", store.RoleFrontdesk},
}
