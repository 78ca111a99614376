package hooks

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	"reserva/internal/store"
	"reserva/views"
)

// loginPage shows the sign-in form (or goes on when a session exists).
func (h *handlers) loginPage(e *core.RequestEvent) error {
	if _, staff, err := h.currentSession(e); err == nil && staff != nil {
		return e.Redirect(http.StatusSeeOther, "/admin/")
	}
	p := h.adminPage(e, views.M("admin.login.title"))
	if e.Request.URL.Query().Get("done") == "password_reset" {
		p.Notice = views.M("admin.done.password_reset")
	}
	d := views.LoginData{AdminPage: p, Next: safeNext(e.Request.URL.Query().Get("next"))}
	if o, on := h.oidcReady(e.App); on {
		d.OIDCLabel = o.Label
	}
	return render(e, http.StatusOK, views.LoginPage(d))
}

// login checks the password, with a back-off per account at each address and per address, and
// starts a session; with 2FA on, the session still needs the second factor. The account's
// back-off is counted per address (signinKey): a stranger guessing the owner's password slows
// down only himself, and cannot keep the owner out from the venue's own network.
func (h *handlers) login(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	now := h.now()
	email := strings.ToLower(strings.TrimSpace(e.Request.PostForm.Get("email")))
	password := e.Request.PostForm.Get("password")
	next := safeNext(e.Request.PostForm.Get("next"))
	acctKey, ipKey := signinKey(email, e), "ip:"+e.RealIP()
	fail := func(status int, msg views.Msg) error {
		d := views.LoginData{AdminPage: h.adminPage(e, views.M("admin.login.title")), Email: email, Next: next, Error: msg}
		if o, on := h.oidcReady(e.App); on {
			d.OIDCLabel = o.Label
		}
		return render(e, status, views.LoginPage(d))
	}
	if wait := max(h.signins.wait(acctKey, backoffFreeAccount, now), h.signins.wait(ipKey, backoffFreeIP, now)); wait > 0 {
		_ = h.staffAudit(e.App, e, "security.signin_backoff", "", "")
		secs := int(math.Ceil(wait.Seconds()))
		e.Response.Header().Set("Retry-After", fmt.Sprint(secs))
		return fail(http.StatusTooManyRequests, views.M("admin.login.wait", secs))
	}
	staff, err := store.StaffByEmail(e.App, email)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	ok := false
	if staff != nil {
		ok = staff.ValidatePassword(password) && staff.Active()
	} else {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
	}
	if !ok {
		h.signins.fail(acctKey, now)
		h.signins.fail(ipKey, now)
		target, detail := "", "unknown account"
		if staff != nil {
			target, detail = "staff/"+staff.Id, "wrong password or inactive"
		}
		if err := h.staffAudit(e.App, e, "security.signin_failed", target, detail); err != nil {
			return err
		}
		return fail(http.StatusUnauthorized, views.M("admin.login.failed"))
	}
	if o, on := h.oidcReady(e.App); on && o.PasswordOff && staff.OIDCLinked() {
		// The owner has this account sign in through the provider only.
		h.signins.fail(acctKey, now)
		if err := h.staffAudit(e.App, e, "security.signin_failed", "staff/"+staff.Id, "password sign-in off for linked accounts"); err != nil {
			return err
		}
		return fail(http.StatusUnauthorized, views.M("admin.oidc.password_off", o.Label))
	}
	h.signins.reset(acctKey)
	return h.signedIn(e, staff, "password", next)
}

// signedIn starts staff's session once the first sign-in step is done (how: "password" or
// "oidc", as the audit log's "signed in" row says) and sends the person on: to the second
// factor when they have one (the session waits for it), to enrolment when the venue requires
// two-factor sign-in, else to next.
func (h *handlers) signedIn(e *core.RequestEvent, staff *store.Staff, how, next string) error {
	hasTOTP := staff.HasTOTP()
	if err := h.startSession(e, staff, !hasTOTP); err != nil {
		return err
	}
	e.Set(staffKey, staff)
	if err := h.staffAudit(e.App, e, "staff.signin", "staff/"+staff.Id, how); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, afterSignIn(hasTOTP, h.access(e.App).Require2FA, next))
}

// afterSignIn is where a person goes after the first sign-in step: the second factor, the
// enrolment the venue requires, or next.
func afterSignIn(hasTOTP, require2FA bool, next string) string {
	switch {
	case hasTOTP:
		return "/admin/login/2fa"
	case require2FA:
		return "/admin/2fa/setup"
	}
	return safeNext(next)
}

// signinKey is the back-off key of an account's failures from e's address.
func signinKey(email string, e *core.RequestEvent) string {
	return signinKeyPrefix(email) + e.RealIP()
}

// signinKeyPrefix begins the back-off keys of an account's failures at every address.
func signinKeyPrefix(email string) string { return "acct:" + email + "|" }

// safeNext keeps only a local /admin path to return to after sign-in (no open redirect).
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/admin/"
}

// logout ends the session.
func (h *handlers) logout(e *core.RequestEvent) error {
	if sess, staff, err := h.currentSession(e); err == nil && sess != nil {
		e.Set(staffKey, staff)
		_ = h.staffAudit(e.App, e, "staff.signout", "staff/"+staff.Id, "")
		if err := store.EndSession(e.App, sess.ID); err != nil {
			return err
		}
	}
	clearSessionCookie(e)
	return e.Redirect(http.StatusSeeOther, "/admin/login")
}

// twoFactorPage asks for the second factor.
func (h *handlers) twoFactorPage(e *core.RequestEvent) error {
	if !staffOf(e).HasTOTP() || sessionOf(e).SecondFactor {
		return e.Redirect(http.StatusSeeOther, "/admin/")
	}
	return render(e, http.StatusOK, views.TwoFactorPage(views.TwoFactorData{AdminPage: h.adminPage(e, views.M("admin.2fa.title"))}))
}

// twoFactor checks a TOTP code (each time step once) or a recovery code (each once) and marks
// the session's second factor done. Failures count towards the sign-in back-off.
func (h *handlers) twoFactor(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	staff, sess, now := staffOf(e), sessionOf(e), h.now()
	if !staff.HasTOTP() || sess.SecondFactor {
		return e.Redirect(http.StatusSeeOther, "/admin/") // nothing to check (as the page)
	}
	key := signinKey(staff.Email(), e)
	if wait := h.signins.wait(key, backoffFreeAccount, now); wait > 0 {
		return render(e, http.StatusTooManyRequests, views.TwoFactorPage(views.TwoFactorData{
			AdminPage: h.adminPage(e, views.M("admin.2fa.title")), Error: views.M("admin.login.wait", int(math.Ceil(wait.Seconds())))}))
	}
	code := strings.TrimSpace(e.Request.PostForm.Get("code"))
	ok, how, err := h.checkSecondFactor(e.App, staff, code, now)
	if err != nil {
		return err
	}
	if !ok {
		h.signins.fail(key, now)
		if err := h.staffAudit(e.App, e, "security.2fa_failed", "staff/"+staff.Id, ""); err != nil {
			return err
		}
		return render(e, http.StatusUnauthorized, views.TwoFactorPage(views.TwoFactorData{
			AdminPage: h.adminPage(e, views.M("admin.2fa.title")), Error: views.M("admin.2fa.failed")}))
	}
	h.signins.reset(key)
	if err := store.PassSecondFactor(e.App, sess.ID); err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "staff.signin_2fa", "staff/"+staff.Id, how); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/")
}

// checkSecondFactor accepts a current TOTP code not used before, or an unused recovery code
// (which is then spent). The check and the spending run in one write transaction on a fresh
// read of the account, so two requests racing with the same code cannot both pass.
func (h *handlers) checkSecondFactor(app core.App, staff *store.Staff, code string, now time.Time) (ok bool, how string, err error) {
	err = app.RunInTransaction(func(tx core.App) error {
		cur, err := staff.Reload(tx)
		if err != nil {
			return err
		}
		secret, err := store.OpenTOTP(cur.TOTPSecret())
		if err != nil {
			return err
		}
		if step, valid := totpStep(secret, code, now); valid {
			if step <= cur.TOTPLastStep() {
				return nil // a code seen already: replayed
			}
			cur.SetTOTPLastStep(step)
			ok, how = true, "totp"
			return cur.Save(tx)
		}
		if cur.SpendRecovery(store.HashToken(normalizeRecovery(code))) {
			ok, how = true, "recovery code"
			return cur.Save(tx)
		}
		return nil
	})
	if err != nil {
		return false, "", err
	}
	return ok, how, nil
}

// totpStep validates a 6-digit code against secret at now (allowing one 30-second step of
// clock drift either way) and returns the time step it belongs to.
func totpStep(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	for _, skew := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(skew) * 30 * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && want == code {
			return t.Unix() / 30, true
		}
	}
	return 0, false
}

// totpSetupPage starts (or shows) enrolment: a new pending secret, its QR code and text.
func (h *handlers) totpSetupPage(e *core.RequestEvent) error {
	staff := staffOf(e)
	if staff.HasTOTP() && !sessionOf(e).SecondFactor {
		return e.Redirect(http.StatusSeeOther, "/admin/login/2fa")
	}
	secret, err := h.pendingSecret(e.App, staff)
	if err != nil {
		return err
	}
	return render(e, http.StatusOK, views.TOTPSetupPage(views.TOTPSetupData{
		AdminPage: h.adminPage(e, views.M("admin.setup.title")), Secret: secret,
		Required: h.access(e.App).Require2FA && !staff.HasTOTP()}))
}

// pendingSecret returns the person's enrolment secret, making one when there is none.
func (h *handlers) pendingSecret(app core.App, staff *store.Staff) (string, error) {
	if p := staff.PendingTOTP(); p != "" {
		return store.OpenTOTP(p)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Reserva", AccountName: staff.Email()})
	if err != nil {
		return "", fmt.Errorf("2fa: %w", err)
	}
	sealed, err := store.SealTOTP(key.Secret())
	if err != nil {
		return "", err
	}
	staff.SetPendingTOTP(sealed)
	if err := staff.Save(app); err != nil {
		return "", err
	}
	return key.Secret(), nil
}

// totpQR serves the enrolment QR code as a PNG (the page's CSP allows images from 'self' only).
func (h *handlers) totpQR(e *core.RequestEvent) error {
	staff := staffOf(e)
	secret, err := h.pendingSecret(e.App, staff)
	if err != nil {
		return err
	}
	venue := "Reserva"
	if v, err := h.st.Venue(e.App); err == nil {
		venue = v.Name
	}
	key, err := otp.NewKeyFromURL(fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=30",
		urlPathEscape(venue), urlPathEscape(staff.Email()), secret, urlPathEscape(venue)))
	if err != nil {
		return err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.Blob(http.StatusOK, "image/png", buf.Bytes())
}

// totpSetup confirms enrolment with a code from the app, turns 2FA on and shows ten
// recovery codes once.
func (h *handlers) totpSetup(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	staff := staffOf(e)
	if staff.HasTOTP() && !sessionOf(e).SecondFactor {
		// Replacing an authenticator needs the current one first.
		return forbidden(errors.New("2fa setup without the second factor"))
	}
	secret, err := h.pendingSecret(e.App, staff)
	if err != nil {
		return err
	}
	step, ok := totpStep(secret, strings.TrimSpace(e.Request.PostForm.Get("code")), h.now())
	if !ok {
		return render(e, http.StatusUnprocessableEntity, views.TOTPSetupPage(views.TOTPSetupData{
			AdminPage: h.adminPage(e, views.M("admin.setup.title")), Secret: secret, Error: views.M("admin.2fa.failed"),
			Required: h.access(e.App).Require2FA}))
	}
	codes, hashes := newRecoveryCodes()
	staff.ActivateTOTP(step, hashes)
	if err := staff.Save(e.App); err != nil {
		return err
	}
	if err := store.PassSecondFactor(e.App, sessionOf(e).ID); err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "staff.2fa_enabled", "staff/"+staff.Id, ""); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.RecoveryCodesPage(views.RecoveryCodesData{
		AdminPage: h.adminPage(e, views.M("admin.recovery.title")), Codes: codes}))
}

// newRecoveryCodes makes ten single-use codes (about 60 random bits each) and their hashes.
func newRecoveryCodes() (codes []string, hashes []string) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	for range 10 {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		var sb strings.Builder
		for i, c := range b {
			if i > 0 && i%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(alphabet[int(c)%len(alphabet)])
		}
		codes = append(codes, sb.String())
		hashes = append(hashes, store.HashToken(normalizeRecovery(sb.String())))
	}
	return codes, hashes
}

func normalizeRecovery(code string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
}

func urlPathEscape(s string) string {
	return strings.NewReplacer(" ", "%20", ":", "%3A", "?", "%3F", "&", "%26", "#", "%23", "/", "%2F").Replace(s)
}

// validInvite finds an unused, unexpired invite by token; a calm 404 page otherwise.
func (h *handlers) validInvite(app core.App, token string) (*store.Invite, error) {
	if !store.WellFormedToken(token) {
		return nil, inviteGone(nil)
	}
	inv, err := store.InviteByToken(app, token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, inviteGone(nil)
	}
	if err != nil {
		return nil, err
	}
	if !inv.UsedAt.IsZero() || !h.now().Before(inv.Expires.Time()) {
		return nil, inviteGone(errors.New("used or expired"))
	}
	return inv, nil
}

func inviteGone(err error) error {
	return &pageError{status: http.StatusNotFound, heading: "admin.invite.gone", body: "admin.invite.gone_body", err: err}
}

// invitePage shows the form to accept an invite: name and a password. An invite that brings
// back an existing account says so, with the account's name filled in.
func (h *handlers) invitePage(e *core.RequestEvent) error {
	inv, err := h.validInvite(e.App, e.Request.PathValue("token"))
	if err != nil {
		return err
	}
	d := views.InviteData{AdminPage: h.adminPage(e, views.M("admin.invite.title")), Email: inv.Email, Role: string(inv.Role)}
	member, err := store.StaffByEmail(e.App, inv.Email)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if returning(member) {
		d.Existing, d.Name = true, member.Name()
	}
	return render(e, http.StatusOK, views.InvitePage(d))
}

// acceptInvite creates the account (or sets the password of one made with --link), spends the
// invite and signs the person in. An invite to an existing account (deactivated, or its owner
// locked out) brings it back: active, with the new password and the invite's role; its other
// sessions and open reset links end, its sign-in back-off is cleared, and its second factor
// stays (the person is sent to it). The last active owner cannot be demoted this way.
func (h *handlers) acceptInvite(e *core.RequestEvent) error {
	token := e.Request.PathValue("token")
	inv, err := h.validInvite(e.App, token)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	member, err := store.StaffByEmail(e.App, inv.Email)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	name := strings.TrimSpace(e.Request.PostForm.Get("name"))
	password := e.Request.PostForm.Get("password")
	errs := map[string]views.Msg{}
	if name == "" || !cleanText(name, false) || len(name) > views.MaxName {
		errs["name"] = views.M("err.name_required")
	}
	if p := h.passwordProblem(e.App, password, inv.Email, name); !p.IsZero() {
		errs["password"] = p
	} else if password != e.Request.PostForm.Get("password2") {
		errs["password2"] = views.M("admin.password.mismatch")
	}
	if len(errs) > 0 {
		return render(e, http.StatusUnprocessableEntity, views.InvitePage(views.InviteData{
			AdminPage: h.adminPage(e, views.M("admin.invite.title")), Email: inv.Email, Role: string(inv.Role),
			Name: name, Errors: errs, Existing: returning(member)}))
	}
	var staff *store.Staff
	err = e.App.RunInTransaction(func(tx core.App) error {
		now := h.now()
		cur, err := store.InviteByID(tx, inv.ID)
		if err != nil || !cur.UsedAt.IsZero() {
			return inviteGone(err)
		}
		staff, err = store.StaffByEmail(tx, cur.Email)
		if errors.Is(err, sql.ErrNoRows) {
			staff, err = store.CreateStaff(tx, cur.Email, name, cur.Role, "", now)
		}
		if err != nil {
			return err
		}
		back := returning(staff)
		oldRole, wasActive := staff.Role(), staff.Active()
		if wasActive && oldRole == store.RoleOwner && cur.Role != store.RoleOwner {
			if err := keepAnOwner(tx, staff.Id); err != nil {
				return err
			}
		}
		staff.SetName(name)
		staff.SetRole(cur.Role)
		staff.SetActive(true)
		staff.SetNewPassword(password, now)
		if back {
			// Nor does a link to a person at the identity provider carry over: they link again.
			staff.UnlinkOIDC()
		}
		if err := staff.Save(tx); err != nil {
			return err
		}
		if err := store.UseInvite(tx, cur.ID, now); err != nil {
			return err
		}
		e.Set(staffKey, staff)
		if !back {
			return h.staffAudit(tx, e, "staff.invite_accepted", "staff/"+staff.Id, string(cur.Role))
		}
		// The account comes back with a password someone else may have known until now.
		if err := store.EndSessions(tx, staff.Id, ""); err != nil {
			return err
		}
		if err := store.EndPasswordResets(tx, staff.Id, now); err != nil {
			return err
		}
		detail := string(oldRole) + " → " + string(cur.Role)
		if !wasActive {
			detail += ", reactivated"
		}
		return h.staffAudit(tx, e, "staff.reinvite_accepted", "staff/"+staff.Id, detail)
	})
	if err != nil {
		return err
	}
	h.clearBackoff(staff)
	hasTOTP := staff.HasTOTP()
	if err := h.startSession(e, staff, !hasTOTP); err != nil {
		return err
	}
	switch {
	case hasTOTP:
		return e.Redirect(http.StatusSeeOther, "/admin/login/2fa")
	case h.access(e.App).Require2FA:
		return e.Redirect(http.StatusSeeOther, "/admin/2fa/setup")
	}
	return e.Redirect(http.StatusSeeOther, "/admin/")
}

// passwordProblem says why password may not be used for an account of email and name (a zero
// Msg when it may): the password rules, in the venue's words.
func (h *handlers) passwordProblem(app core.App, password, email, name string) views.Msg {
	venueName := ""
	if v, err := h.st.Venue(app); err == nil {
		venueName = v.Name
	}
	p := store.PasswordProblem(password, email, name, venueName)
	if p.IsZero() {
		return views.Msg{}
	}
	return views.M(p.Key, p.Args...)
}
