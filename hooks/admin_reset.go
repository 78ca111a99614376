package hooks

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// Staff who forgot their password ask for a link by mail (/admin/forgot) and choose a new one
// behind it (/admin/reset/{token}).
const (
	// resetTTL is how long a reset link stays valid.
	resetTTL = time.Hour
	// resetsPerHour caps the reset mails one member gets, whoever asks.
	resetsPerHour = 3
)

// forgotPage asks for the address to mail a reset link to (and, after a request, says that a
// link is on its way if the address is an active member's).
func (h *handlers) forgotPage(e *core.RequestEvent) error {
	p := h.adminPage(e, views.M("admin.forgot.title"))
	if e.Request.URL.Query().Get("done") == "reset_sent" {
		p.Notice = views.M("admin.done.reset_sent")
	}
	return render(e, http.StatusOK, views.ForgotPage(views.ForgotData{AdminPage: p}))
}

// forgot (POST /admin/forgot) mails a reset link to an active member's address. The answer is
// the same 303 for every well-formed address, known or not, active or not, so the page tells a
// stranger nothing about who works here. A deactivated member, an unknown address, or a member
// who got resetsPerHour links in the last hour gets no mail; each request is audited.
func (h *handlers) forgot(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	email := strings.ToLower(strings.TrimSpace(e.Request.PostForm.Get("email")))
	if email == "" || len(email) > views.MaxEmail || !cleanText(email, false) || is.EmailFormat.Validate(email) != nil {
		return render(e, http.StatusUnprocessableEntity, views.ForgotPage(views.ForgotData{
			AdminPage: h.adminPage(e, views.M("admin.forgot.title")), Email: email,
			Errors: map[string]views.Msg{"email": views.M("err.email_invalid")}}))
	}
	now := h.now()
	err := e.App.RunInTransaction(func(tx core.App) error {
		staff, err := store.StaffByEmail(tx, email)
		if errors.Is(err, sql.ErrNoRows) {
			return h.staffAudit(tx, e, "staff.password_reset_requested", "", "unknown account, no mail")
		}
		if err != nil {
			return err
		}
		target := "staff/" + staff.Id
		if !staff.Active() {
			return h.staffAudit(tx, e, "staff.password_reset_requested", target, "deactivated, no mail")
		}
		recent, err := store.PasswordResetsSince(tx, staff.Id, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if recent >= resetsPerHour {
			return h.staffAudit(tx, e, "staff.password_reset_requested", target, "hourly limit reached, no mail")
		}
		token, err := store.NewPasswordReset(tx, staff.Id, now, resetTTL)
		if err != nil {
			return err
		}
		if err := h.resetMail(tx, staff.Email(), h.jobs.AbsURL("/admin/reset/"+token), now); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "staff.password_reset_requested", target, "mailed")
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/forgot?done=reset_sent")
}

// resetMail queues the mail with the reset link.
func (h *handlers) resetMail(tx core.App, email, link string, now time.Time) error {
	v, err := h.st.Venue(tx)
	if err != nil {
		return err
	}
	l := jobs.Locale(v)
	return store.QueueMail(tx, store.NewMail{Kind: store.MailStaffReset, To: email,
		Subject: l.T("mail.subject.staff_reset", v.Name),
		Text:    l.T("mail.staff_reset", v.Name, link, l.TimeZone(now.Add(resetTTL).In(v.Loc)))}, now)
}

// validReset finds the open reset link of token and its member, who must still be active; a
// calm 404 page otherwise (unknown, used, expired, replaced by a newer link).
func (h *handlers) validReset(app core.App, token string) (*store.PasswordReset, *store.Staff, error) {
	if !store.WellFormedToken(token) {
		return nil, nil, resetGone(nil)
	}
	r, err := store.PasswordResetByToken(app, token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, resetGone(nil)
	}
	if err != nil {
		return nil, nil, err
	}
	if !r.Open(h.now()) {
		return nil, nil, resetGone(errors.New("used, expired or replaced"))
	}
	staff, err := store.StaffByID(app, r.Staff)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, resetGone(err)
	}
	if err != nil {
		return nil, nil, err
	}
	if !staff.Active() {
		return nil, nil, resetGone(errors.New("member deactivated"))
	}
	return r, staff, nil
}

func resetGone(err error) error {
	return &pageError{status: http.StatusNotFound, heading: "admin.reset.gone", body: "admin.reset.gone_body", err: err}
}

// resetPage shows the form to choose a new password. Opening the link changes nothing, so a
// mail scanner that follows it does not use it up.
func (h *handlers) resetPage(e *core.RequestEvent) error {
	_, staff, err := h.validReset(e.App, e.Request.PathValue("token"))
	if err != nil {
		return err
	}
	return render(e, http.StatusOK, views.ResetPage(views.ResetData{
		AdminPage: h.adminPage(e, views.M("admin.reset.title")), Email: staff.Email()}))
}

// reset (POST /admin/reset/{token}) sets the new password under the invite's password rules,
// spends the link, ends every session of the member and clears their sign-in back-off, all in
// one write, then sends them to sign in. Their second factor stays: a reset by mail does not
// replace it.
func (h *handlers) reset(e *core.RequestEvent) error {
	token := e.Request.PathValue("token")
	_, staff, err := h.validReset(e.App, token)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	password := e.Request.PostForm.Get("password")
	errs := map[string]views.Msg{}
	if p := h.passwordProblem(e.App, password, staff.Email(), staff.Name()); !p.IsZero() {
		errs["password"] = p
	} else if password != e.Request.PostForm.Get("password2") {
		errs["password2"] = views.M("admin.password.mismatch")
	}
	if len(errs) > 0 {
		return render(e, http.StatusUnprocessableEntity, views.ResetPage(views.ResetData{
			AdminPage: h.adminPage(e, views.M("admin.reset.title")), Email: staff.Email(), Errors: errs}))
	}
	now := h.now()
	err = e.App.RunInTransaction(func(tx core.App) error {
		// Again inside the write: two posts of one link cannot both pass.
		r, cur, err := h.validReset(tx, token)
		if err != nil {
			return err
		}
		cur.SetNewPassword(password, now)
		if err := cur.Save(tx); err != nil {
			return err
		}
		if err := store.UsePasswordReset(tx, r.ID, now); err != nil {
			return err
		}
		if err := store.EndPasswordResets(tx, cur.Id, now); err != nil {
			return err
		}
		if err := store.EndSessions(tx, cur.Id, ""); err != nil {
			return err
		}
		staff = cur
		e.Set(staffKey, cur) // the audit entry's actor
		return h.staffAudit(tx, e, "staff.password_reset", "staff/"+cur.Id, "by mailed link")
	})
	if err != nil {
		return err
	}
	h.clearBackoff(staff)
	return e.Redirect(http.StatusSeeOther, "/admin/login?done=password_reset")
}

// clearBackoff forgets the failed sign-ins of staff's account at every address and of their
// current-password checks: after a new password the old guesses count for nothing. The
// per-address counts stay (they are about the address, not the account).
func (h *handlers) clearBackoff(staff *store.Staff) {
	h.signins.forget(signinKeyPrefix(staff.Email()))
	h.signins.reset(passwordCheckKey(staff.Id))
}
