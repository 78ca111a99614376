package hooks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"

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
	var codes []string
	_ = json.Unmarshal([]byte(staff.GetString("recovery_codes")), &codes)
	rows, err := h.sessionRows(e, staff.Id)
	if err != nil {
		return err
	}
	return render(e, status, views.AccountPage(views.AccountData{
		AdminPage: h.adminPage(e, views.M("admin.account.title")), Email: staff.Email(),
		TOTP: staff.GetString("totp_secret") != "", RecoveryLeft: len(codes), Sessions: rows, Errors: errs,
	}))
}

// sessionRows lists the live sessions of a staff member, newest first.
func (h *handlers) sessionRows(e *core.RequestEvent, staffID string) ([]views.SessionRow, error) {
	recs, err := e.App.FindRecordsByFilter("staff_sessions", "staff = {:s}", "-last_seen", 100, 0, dbx.Params{"s": staffID})
	if err != nil {
		return nil, err
	}
	var out []views.SessionRow
	cur := sessionOf(e)
	v, _ := h.venue(e.App)
	for _, r := range recs {
		if h.now().Sub(r.GetDateTime("last_seen").Time()) > sessionIdle || h.now().Sub(r.GetDateTime("signed_in").Time()) > sessionAbsolute {
			continue
		}
		row := views.SessionRow{ID: r.Id, Created: r.GetDateTime("signed_in").Time(), LastSeen: r.GetDateTime("last_seen").Time(),
			IP: r.GetString("ip"), UserAgent: r.GetString("user_agent"), Current: cur != nil && cur.Id == r.Id}
		if v != nil {
			row.Created, row.LastSeen = row.Created.In(v.loc), row.LastSeen.In(v.loc)
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
	staff := staffOf(e)
	f := e.Request.PostForm
	errs := map[string]views.Msg{}
	venueName := ""
	if v, err := h.venue(e.App); err == nil {
		venueName = v.rec.GetString("name")
	}
	if !staff.ValidatePassword(f.Get("current")) {
		errs["current"] = views.M("admin.password.wrong")
	}
	if p := passwordProblem(f.Get("password"), staff.Email(), staff.GetString("name"), venueName); !p.IsZero() {
		errs["password"] = p
	} else if f.Get("password") != f.Get("password2") {
		errs["password2"] = views.M("admin.password.mismatch")
	}
	if len(errs) > 0 {
		return h.renderAccount(e, http.StatusUnprocessableEntity, errs)
	}
	staff.SetPassword(f.Get("password"))
	staff.Set("password_changed", h.now().UTC())
	if err := e.App.Save(staff); err != nil {
		return err
	}
	if _, err := e.App.DB().Delete("staff_sessions", dbx.NewExp("staff = {:s} AND id != {:cur}",
		dbx.Params{"s": staff.Id, "cur": sessionOf(e).Id})).Execute(); err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "staff.password_changed", "staff/"+staff.Id, ""); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/account?done=password")
}

// newRecoveryCodesAction replaces the person's recovery codes and shows the new ones once.
func (h *handlers) newRecoveryCodesAction(e *core.RequestEvent) error {
	staff := staffOf(e)
	if staff.GetString("totp_secret") == "" {
		return e.Redirect(http.StatusSeeOther, "/admin/account")
	}
	codes, hashes := newRecoveryCodes()
	staff.Set("recovery_codes", hashes)
	if err := e.App.Save(staff); err != nil {
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
	sess, err := e.App.FindRecordById("staff_sessions", e.Request.PathValue("id"))
	if err != nil || sess.GetString("staff") != staff.Id {
		return notFound(err)
	}
	if err := e.App.Delete(sess); err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "staff.session_revoked", "staff/"+staff.Id, ""); err != nil {
		return err
	}
	if sess.Id == sessionOf(e).Id {
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
	recs, err := e.App.FindRecordsByFilter("staff", "", "role,name", 0, 0)
	if err != nil {
		return err
	}
	me := staffOf(e)
	for _, r := range recs {
		n, _ := e.App.CountRecords("staff_sessions", dbx.NewExp("staff = {:s} AND last_seen > {:idle}",
			dbx.Params{"s": r.Id, "idle": dbTime(h.now().Add(-sessionIdle))}))
		d.Staff = append(d.Staff, views.StaffRow{ID: r.Id, Name: r.GetString("name"), Email: r.Email(), Role: r.GetString("role"),
			Active: r.GetBool("active"), TOTP: r.GetString("totp_secret") != "", Sessions: int(n), Self: r.Id == me.Id})
	}
	invites, err := e.App.FindRecordsByFilter("staff_invites", "used_at = '' && expires > {:now}", "expires", 0, 0,
		dbx.Params{"now": dbTime(h.now())})
	if err != nil {
		return err
	}
	for _, i := range invites {
		d.Invites = append(d.Invites, views.InviteRow{ID: i.Id, Email: i.GetString("email"), Role: i.GetString("role"),
			Expires: i.GetDateTime("expires").Time()})
	}
	if d.Role == "" {
		d.Role = "frontdesk"
	}
	return render(e, status, views.StaffPage(d))
}

// invite (owner) makes a 30-day single-use invite and mails it; when no relay is configured
// the link is shown to the owner to pass on.
func (h *handlers) invite(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	email := strings.ToLower(strings.TrimSpace(e.Request.PostForm.Get("email")))
	roleName := e.Request.PostForm.Get("role")
	errs := map[string]views.Msg{}
	if email == "" || is.EmailFormat.Validate(email) != nil || len(email) > views.MaxEmail {
		errs["email"] = views.M("err.email_invalid")
	} else if _, err := staffByEmail(e.App, email); err == nil {
		errs["email"] = views.M("admin.staff.exists")
	}
	if _, ok := roleNames[roleName]; !ok {
		errs["role"] = views.M("admin.staff.bad_role")
	}
	if len(errs) > 0 {
		return h.renderStaff(e, http.StatusUnprocessableEntity, views.StaffData{Errors: errs, Email: email, Role: roleName})
	}
	var link string
	mailed := false
	err := e.App.RunInTransaction(func(tx core.App) error {
		token, err := newInvite(tx, email, roleName, staffOf(e).Id, h.now(), inviteTTL)
		if err != nil {
			return err
		}
		link = h.absURL("/admin/invite/" + token)
		if _, terr := h.transport(tx); terr == nil {
			if err := h.inviteMail(tx, email, roleName, link); err != nil {
				return err
			}
			mailed = true
		}
		return h.staffAudit(tx, e, "staff.invited", "staff_invites/"+email, roleName)
	})
	if err != nil {
		return err
	}
	if mailed {
		return e.Redirect(http.StatusSeeOther, "/admin/staff?done=invited")
	}
	return h.renderStaff(e, http.StatusOK, views.StaffData{InviteLink: link})
}

// inviteMail queues the invite mail.
func (h *handlers) inviteMail(tx core.App, email, roleName, link string) error {
	v, err := h.venue(tx)
	if err != nil {
		return err
	}
	l := v.locale
	return h.enqueue(tx, outMail{kind: "invite", to: email,
		subject: l.T("mail.subject.invite", v.rec.GetString("name")),
		text: l.T("mail.invite", v.rec.GetString("name"), l.T("role."+roleName), link,
			l.Date(h.now().Add(inviteTTL).In(v.loc)))})
}

// staffChange runs change on a fresh read of the member inside one write transaction, saves
// the member, writes the audit entry and, with endSessions, ends all their sessions: all of it
// or none. The guards (the last owner) run inside it too, so two owners demoting each other at
// once cannot leave the venue without one.
func (h *handlers) staffChange(e *core.RequestEvent, id, action string, endSessions bool, change func(tx core.App, rec *core.Record) (detail string, err error)) error {
	return e.App.RunInTransaction(func(tx core.App) error {
		rec, err := tx.FindRecordById("staff", id)
		if err != nil {
			return notFound(err)
		}
		detail, err := change(tx, rec)
		if err != nil {
			return err
		}
		if err := tx.Save(rec); err != nil {
			return err
		}
		if endSessions {
			if _, err := tx.DB().Delete("staff_sessions", dbx.HashExp{"staff": rec.Id}).Execute(); err != nil {
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
	newRole := e.Request.PostForm.Get("role")
	if _, ok := roleNames[newRole]; !ok {
		return badRequest(fmt.Errorf("role %q", newRole))
	}
	err := h.staffChange(e, e.Request.PathValue("id"), "staff.role_changed", false, func(tx core.App, rec *core.Record) (string, error) {
		old := rec.GetString("role")
		if old == "owner" && newRole != "owner" {
			if err := keepAnOwner(tx, rec.Id); err != nil {
				return "", err
			}
		}
		rec.Set("role", newRole)
		return old + " → " + newRole, nil
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/staff?done=saved")
}

// keepAnOwner refuses a change that would leave no active owner but the one changed.
func keepAnOwner(app core.App, changing string) error {
	n, err := app.CountRecords("staff", dbx.NewExp("role = 'owner' AND active = TRUE AND id != {:id}", dbx.Params{"id": changing}))
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
		err := h.staffChange(e, id, action, !active, func(tx core.App, rec *core.Record) (string, error) {
			if !active && rec.GetString("role") == "owner" {
				if err := keepAnOwner(tx, rec.Id); err != nil {
					return "", err
				}
			}
			rec.Set("active", active)
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
	if err := h.staffChange(e, id, "staff.sessions_revoked", true, func(core.App, *core.Record) (string, error) { return "", nil }); err != nil {
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
	err := h.staffChange(e, e.Request.PathValue("id"), "staff.2fa_reset", true, func(_ core.App, rec *core.Record) (string, error) {
		rec.Set("totp_secret", "")
		rec.Set("totp_pending", "")
		rec.Set("recovery_codes", []string{})
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
