package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// inviteTTL is how long an invite link stays valid.
const inviteTTL = 30 * 24 * time.Hour

// accountPage shows the signed-in person's password form, 2FA state and sessions.
func (h *handlers) accountPage(e *core.RequestEvent) error {
	return h.renderAccount(e, http.StatusOK, nil)
}

func (h *handlers) renderAccount(e *core.RequestEvent, status int, errs map[string]views.Msg) error {
	staff := staffOf(e)
	rows, err := h.sessionRows(e, staff.Id)
	if err != nil {
		return err
	}
	return render(e, status, views.AccountPage(views.AccountData{
		AdminPage: h.adminPage(e, views.M("admin.account.title")), Email: staff.Email(),
		TOTP: staff.HasTOTP(), RecoveryLeft: staff.RecoveryLeft(), Sessions: rows, Errors: errs,
	}))
}

// sessionRows lists the live sessions of a staff member, newest first.
func (h *handlers) sessionRows(e *core.RequestEvent, staffID string) ([]views.SessionRow, error) {
	sessions, err := store.SessionsOf(e.App, staffID)
	if err != nil {
		return nil, err
	}
	var out []views.SessionRow
	cur := sessionOf(e)
	v, _ := h.st.Venue(e.App)
	for _, r := range sessions {
		if h.now().Sub(r.LastSeen.Time()) > store.SessionIdle || h.now().Sub(r.SignedIn.Time()) > store.SessionAbsolute {
			continue
		}
		row := views.SessionRow{ID: r.ID, Created: r.SignedIn.Time(), LastSeen: r.LastSeen.Time(),
			IP: r.IP, UserAgent: r.UserAgent, Current: cur != nil && cur.ID == r.ID}
		if v != nil {
			row.Created, row.LastSeen = row.Created.In(v.Loc), row.LastSeen.In(v.Loc)
		}
		out = append(out, row)
	}
	return out, nil
}

// changePassword sets a new password after checking the current one; every other session of
// the person ends.
func (h *handlers) changePassword(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	staff, now := staffOf(e), h.now()
	f := e.Request.PostForm
	errs := map[string]views.Msg{}
	// The current password is guessable here by whoever holds the session: failures count
	// towards a back-off of the account (as sign-ins do) and are audited.
	key := passwordCheckKey(staff.Id)
	if wait := h.signins.wait(key, backoffFreeAccount, now); wait > 0 {
		_ = h.staffAudit(e.App, e, "security.password_check_backoff", "staff/"+staff.Id, "")
		secs := int(math.Ceil(wait.Seconds()))
		e.Response.Header().Set("Retry-After", strconv.Itoa(secs))
		return h.renderAccount(e, http.StatusTooManyRequests, map[string]views.Msg{"current": views.M("admin.login.wait", secs)})
	}
	if !staff.ValidatePassword(f.Get("current")) {
		h.signins.fail(key, now)
		if err := h.staffAudit(e.App, e, "security.password_check_failed", "staff/"+staff.Id, ""); err != nil {
			return err
		}
		errs["current"] = views.M("admin.password.wrong")
	} else {
		h.signins.reset(key)
	}
	if p := h.passwordProblem(e.App, f.Get("password"), staff.Email(), staff.Name()); !p.IsZero() {
		errs["password"] = p
	} else if f.Get("password") != f.Get("password2") {
		errs["password2"] = views.M("admin.password.mismatch")
	}
	if len(errs) > 0 {
		return h.renderAccount(e, http.StatusUnprocessableEntity, errs)
	}
	staff.SetNewPassword(f.Get("password"), h.now())
	if err := staff.Save(e.App); err != nil {
		return err
	}
	if err := store.EndSessions(e.App, staff.Id, sessionOf(e).ID); err != nil {
		return err
	}
	// A reset link asked for earlier must not undo the password just chosen.
	if err := store.EndPasswordResets(e.App, staff.Id, h.now()); err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "staff.password_changed", "staff/"+staff.Id, ""); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/account?done=password")
}

// passwordCheckKey is the back-off key of a member's wrong current passwords.
func passwordCheckKey(staffID string) string { return "password:" + staffID }

// newRecoveryCodesAction replaces the person's recovery codes and shows the new ones once.
func (h *handlers) newRecoveryCodesAction(e *core.RequestEvent) error {
	staff := staffOf(e)
	if !staff.HasTOTP() {
		return e.Redirect(http.StatusSeeOther, "/admin/account")
	}
	codes, hashes := newRecoveryCodes()
	staff.SetRecoveryHashes(hashes)
	if err := staff.Save(e.App); err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "staff.recovery_codes", "staff/"+staff.Id, ""); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.RecoveryCodesPage(views.RecoveryCodesData{
		AdminPage: h.adminPage(e, views.M("admin.recovery.title")), Codes: codes}))
}

// revokeOwnSession ends one of the person's own sessions (any of them, this one included).
func (h *handlers) revokeOwnSession(e *core.RequestEvent) error {
	staff := staffOf(e)
	sess, err := store.StaffSessionOf(e.App, staff.Id, e.Request.PathValue("id"))
	if err != nil {
		return notFound(err)
	}
	if err := store.EndSession(e.App, sess.ID); err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "staff.session_revoked", "staff/"+staff.Id, ""); err != nil {
		return err
	}
	if sess.ID == sessionOf(e).ID {
		clearSessionCookie(e)
		return e.Redirect(http.StatusSeeOther, "/admin/login")
	}
	return e.Redirect(http.StatusSeeOther, "/admin/account?done=revoked")
}

// staffPage (owner) lists the team and open invites.
func (h *handlers) staffPage(e *core.RequestEvent) error {
	return h.renderStaff(e, http.StatusOK, views.StaffData{})
}

func (h *handlers) renderStaff(e *core.RequestEvent, status int, d views.StaffData) error {
	d.AdminPage = h.adminPage(e, views.M("admin.staff.title"))
	team, err := store.AllStaff(e.App)
	if err != nil {
		return err
	}
	me := staffOf(e)
	for _, r := range team {
		n, _ := store.LiveSessionCount(e.App, r.Id, h.now().Add(-store.SessionIdle))
		d.Staff = append(d.Staff, views.StaffRow{ID: r.Id, Name: r.Name(), Email: r.Email(), Role: string(r.Role()),
			Active: r.Active(), TOTP: r.HasTOTP(), Sessions: n, Self: r.Id == me.Id, OIDC: r.OIDCLinked()})
	}
	invites, err := store.OpenInvites(e.App, h.now())
	if err != nil {
		return err
	}
	for _, i := range invites {
		d.Invites = append(d.Invites, views.InviteRow{ID: i.ID, Email: i.Email, Role: string(i.Role), Expires: i.Expires.Time()})
	}
	if d.Role == "" {
		d.Role = string(store.RoleFrontdesk)
	}
	return render(e, status, views.StaffPage(d))
}

// invite (owner) makes a 30-day single-use invite and mails it; when no relay is configured
// the link is shown to the owner to pass on. The address may belong to a member already (one
// deactivated, or locked out of their account): accepting the invite then brings that account
// back with the new password and role (acceptInvite). Only one's own address is refused.
func (h *handlers) invite(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	email := strings.ToLower(strings.TrimSpace(e.Request.PostForm.Get("email")))
	roleName := e.Request.PostForm.Get("role")
	errs := map[string]views.Msg{}
	var member *store.Staff
	if email == "" || is.EmailFormat.Validate(email) != nil || len(email) > views.MaxEmail {
		errs["email"] = views.M("err.email_invalid")
	} else if s, err := store.StaffByEmail(e.App, email); err == nil {
		if s.Id == staffOf(e).Id {
			errs["email"] = views.M("admin.staff.invite_self")
		}
		member = s
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if !store.Role(roleName).Valid() {
		errs["role"] = views.M("admin.staff.bad_role")
	}
	if len(errs) > 0 {
		return h.renderStaff(e, http.StatusUnprocessableEntity, views.StaffData{Errors: errs, Email: email, Role: roleName})
	}
	var link string
	mailed := false
	err := e.App.RunInTransaction(func(tx core.App) error {
		token, err := store.NewInvite(tx, email, store.Role(roleName), staffOf(e).Id, h.now(), inviteTTL)
		if err != nil {
			return err
		}
		link = h.jobs.AbsURL("/admin/invite/" + token)
		if _, terr := h.jobs.Transport(); terr == nil {
			if err := h.inviteMail(tx, email, roleName, link, returning(member)); err != nil {
				return err
			}
			mailed = true
		}
		if returning(member) {
			detail := roleName
			if !member.Active() {
				detail += ", deactivated"
			}
			return h.staffAudit(tx, e, "staff.reinvited", "staff/"+member.Id, detail)
		}
		return h.staffAudit(tx, e, "staff.invited", "staff_invites/"+email, roleName)
	})
	if err != nil {
		return err
	}
	switch {
	case mailed && returning(member):
		return e.Redirect(http.StatusSeeOther, "/admin/staff?done=reinvited")
	case mailed:
		return e.Redirect(http.StatusSeeOther, "/admin/staff?done=invited")
	}
	return h.renderStaff(e, http.StatusOK, views.StaffData{InviteLink: link})
}

// returning reports whether member is an account that had a password of its own: an invite
// brings it back rather than setting it up (an account made with --link has none yet).
func returning(member *store.Staff) bool {
	return member != nil && !member.PasswordChanged().IsZero()
}

// inviteMail queues the invite mail (again: the one that brings an account back).
func (h *handlers) inviteMail(tx core.App, email, roleName, link string, again bool) error {
	v, err := h.st.Venue(tx)
	if err != nil {
		return err
	}
	l := jobs.Locale(v)
	key := "mail.invite"
	if again {
		key = "mail.reinvite"
	}
	return store.QueueMail(tx, store.NewMail{Kind: store.MailInvite, To: email,
		Subject: l.T("mail.subject.invite", v.Name),
		Text:    l.T(key, v.Name, l.Name(views.RoleNames, roleName), link, l.Date(h.now().Add(inviteTTL).In(v.Loc)))}, h.now())
}

// staffChange runs change on a fresh read of the member inside one write transaction, saves
// the member, writes the audit entry and, with endSessions, ends all their sessions: all of it
// or none. The guards (the last owner) run inside it too, so two owners demoting each other at
// once cannot leave the venue without one.
func (h *handlers) staffChange(e *core.RequestEvent, id, action string, endSessions bool, change func(tx core.App, rec *store.Staff) (detail string, err error)) error {
	return e.App.RunInTransaction(func(tx core.App) error {
		rec, err := store.StaffByID(tx, id)
		if err != nil {
			return notFound(err)
		}
		detail, err := change(tx, rec)
		if err != nil {
			return err
		}
		if err := rec.Save(tx); err != nil {
			return err
		}
		if endSessions {
			if err := store.EndSessions(tx, rec.Id, ""); err != nil {
				return err
			}
		}
		return h.staffAudit(tx, e, action, "staff/"+rec.Id, detail)
	})
}

// staffRole (owner) changes a member's role; the last active owner stays an owner.
func (h *handlers) staffRole(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	newRole := store.Role(e.Request.PostForm.Get("role"))
	if !newRole.Valid() {
		return badRequest(fmt.Errorf("role %q", newRole))
	}
	err := h.staffChange(e, e.Request.PathValue("id"), "staff.role_changed", false, func(tx core.App, rec *store.Staff) (string, error) {
		old := rec.Role()
		if old == store.RoleOwner && newRole != store.RoleOwner {
			if err := keepAnOwner(tx, rec.Id); err != nil {
				return "", err
			}
		}
		rec.SetRole(newRole)
		return string(old) + " → " + string(newRole), nil
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/staff?done=saved")
}

// keepAnOwner refuses a change that would leave no active owner but the one changed.
func keepAnOwner(app core.App, changing string) error {
	n, err := store.CountOtherActiveOwners(app, changing)
	if err != nil {
		return err
	}
	if n == 0 {
		return &pageError{status: http.StatusConflict, heading: "admin.staff.last_owner", body: "admin.staff.last_owner_body"}
	}
	return nil
}

// staffActive (owner) deactivates or reactivates a member (never oneself); deactivation ends
// their sessions.
func (h *handlers) staffActive(active bool) func(*core.RequestEvent) error {
	action := "staff.activated"
	if !active {
		action = "staff.deactivated"
	}
	return func(e *core.RequestEvent) error {
		id := e.Request.PathValue("id")
		if id == staffOf(e).Id {
			return &pageError{status: http.StatusConflict, heading: "admin.staff.self", body: "admin.staff.self_body"}
		}
		err := h.staffChange(e, id, action, !active, func(tx core.App, rec *store.Staff) (string, error) {
			if !active && rec.Role() == store.RoleOwner {
				if err := keepAnOwner(tx, rec.Id); err != nil {
					return "", err
				}
			}
			rec.SetActive(active)
			return "", nil
		})
		if err != nil {
			return err
		}
		return e.Redirect(http.StatusSeeOther, "/admin/staff?done=saved")
	}
}

// staffRevoke (owner) ends every session of a member (on their next request they are signed out).
func (h *handlers) staffRevoke(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := h.staffChange(e, id, "staff.sessions_revoked", true, func(core.App, *store.Staff) (string, error) { return "", nil }); err != nil {
		return err
	}
	if id == staffOf(e).Id {
		clearSessionCookie(e)
		return e.Redirect(http.StatusSeeOther, "/admin/login")
	}
	return e.Redirect(http.StatusSeeOther, "/admin/staff?done=revoked")
}

// staffReset2FA (owner) removes a member's authenticator (a lost phone) and ends their
// sessions; they enrol again at their next sign-in if 2FA is required.
func (h *handlers) staffReset2FA(e *core.RequestEvent) error {
	err := h.staffChange(e, e.Request.PathValue("id"), "staff.2fa_reset", true, func(_ core.App, rec *store.Staff) (string, error) {
		rec.ResetTOTP()
		return "", nil
	})
	if err != nil {
		return err
	}
	if e.Request.PathValue("id") == staffOf(e).Id {
		clearSessionCookie(e)
		return e.Redirect(http.StatusSeeOther, "/admin/login")
	}
	return e.Redirect(http.StatusSeeOther, "/admin/staff?done=saved")
}

// staffNames maps every staff account's id to how the audit log names it: the name, or the
// address when there is no name.
func staffNames(app core.App) (map[string]string, error) {
	all, err := store.AllStaff(app)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(all))
	for _, s := range all {
		names[s.Id] = s.Name()
		if names[s.Id] == "" {
			names[s.Id] = s.Email()
		}
	}
	return names, nil
}
