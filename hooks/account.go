package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// The visitors' own account: passwordless, by a link mailed to the address they booked with.
const (
	accountCookie     = "reserva_account"
	accountLinkTTL    = 15 * time.Minute
	accountSessionTTL = time.Hour
	// accountLinksPerHour caps the links mailed to one address, whoever asks.
	accountLinksPerHour = 3
)

// accountRequest (POST /account) mails a sign-in link. The answer, and the work done, are the
// same whether or not the address has bookings: a known address gets the link, an unknown one
// a short mail saying there is nothing under it. Both are one link row and one outbox row, so
// neither the page nor its timing tells a stranger whether someone booked here.
func (h *handlers) accountRequest(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	email := strings.ToLower(strings.TrimSpace(e.Request.PostForm.Get("email")))
	if email == "" || len(email) > views.MaxEmail || !cleanText(email, false) || is.EmailFormat.Validate(email) != nil {
		return render(e, http.StatusUnprocessableEntity, views.AccountRequestPage(views.AccountRequestData{
			Page: page(e, v, views.M("title.account")), Email: email, Errors: map[string]views.Msg{"email": views.M("err.email_invalid")}}))
	}
	now := h.now()
	err = e.App.RunInTransaction(func(tx core.App) error {
		// Links of the last hour (each expires accountLinkTTL after it was made).
		recent, err := store.LinksSince(tx, email, now.Add(accountLinkTTL-time.Hour))
		if err != nil {
			return err
		}
		if recent >= accountLinksPerHour {
			return nil // the same answer; the address's owner already has fresh links
		}
		token, err := store.NewVisitorLink(tx, email, now.Add(accountLinkTTL))
		if err != nil {
			return err
		}
		known, err := store.HasPersonalData(tx, email)
		if err != nil {
			return err
		}
		l := views.NewLocale(visitorLanguage(e.Request, v.Locale)) // the language of the page asked from
		m := store.NewMail{Kind: store.MailSignin, To: email, Subject: l.T("mail.subject.account", v.Name)}
		if known {
			m.Text = l.T("mail.account", v.Name, h.jobs.AbsURL("/account/"+token), int(accountLinkTTL/time.Minute))
		} else {
			m.Text = l.T("mail.account_unknown", v.Name, h.jobs.AbsURL("/book"))
		}
		return store.QueueMail(tx, m, now)
	})
	if err != nil {
		return err
	}
	return render(e, http.StatusOK, views.AccountRequestPage(views.AccountRequestData{
		Page: page(e, v, views.M("title.account")), Sent: true, Email: email}))
}

// accountSignin (GET /account/{token}) shows a button that signs in: the link itself
// changes nothing, so a mail scanner that opens it does not use it up.
func (h *handlers) accountSignin(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	if _, err := h.validLink(e.App, token); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.AccountSigninPage(views.AccountSigninData{
		Page: page(e, v, views.M("title.account")), Action: "/account/" + token}))
}

// validLink finds the unused, unexpired sign-in link of token.
func (h *handlers) validLink(app core.App, token string) (*store.VisitorLink, error) {
	expired := &pageError{status: http.StatusNotFound, heading: "account.link_expired", body: "account.link_expired_body"}
	if !store.WellFormedToken(token) {
		return nil, expired
	}
	l, err := store.VisitorLinkByToken(app, token)
	if err != nil {
		expired.err = err
		return nil, expired
	}
	if !l.UsedAt.IsZero() || !h.now().Before(l.Expires.Time()) {
		return nil, expired
	}
	return l, nil
}

// accountSigninPost (POST /account/{token}) uses the link once and opens a session of an
// hour behind an HttpOnly cookie limited to /account.
func (h *handlers) accountSigninPost(e *core.RequestEvent) error {
	token := e.Request.PathValue("token")
	var session string
	err := e.App.RunInTransaction(func(tx core.App) error {
		link, err := h.validLink(tx, token)
		if err != nil {
			return err
		}
		now := h.now()
		if err := store.UseVisitorLink(tx, link.ID, now); err != nil {
			return err
		}
		id, tok, err := store.StartVisitorSession(tx, link.Email, now.Add(accountSessionTTL))
		if err != nil {
			return err
		}
		session = tok
		return store.Audit(tx, store.Entry{RequestID: reqID(e), Actor: store.ActorVisitor, Action: "gdpr.signin", Target: "visitor_sessions/" + id})
	})
	if err != nil {
		return err
	}
	e.SetCookie(&http.Cookie{Name: accountCookie, Value: session, Path: "/account", HttpOnly: true, Secure: viaHTTPS(e.Request),
		SameSite: http.SameSiteLaxMode, MaxAge: int(accountSessionTTL / time.Second)})
	return e.Redirect(http.StatusSeeOther, "/account")
}

// accountEmail returns the address of the request's visitor session ("" when signed out).
func (h *handlers) accountEmail(e *core.RequestEvent) (email, sessionID string, err error) {
	c, cerr := e.Request.Cookie(accountCookie)
	if cerr != nil || !store.WellFormedToken(c.Value) {
		return "", "", nil
	}
	s, err := store.VisitorSessionByToken(e.App, c.Value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	if !h.now().Before(s.Expires.Time()) {
		return "", "", nil
	}
	return s.Email, s.ID, nil
}

// signedInVisitor is accountEmail for the routes that need a session: signed out, the visitor
// is sent to the sign-in form.
func (h *handlers) signedInVisitor(e *core.RequestEvent) (string, error) {
	email, _, err := h.accountEmail(e)
	if err == nil && email == "" {
		err = &pageError{status: http.StatusForbidden, heading: "account.signed_out", body: "account.signed_out_body"}
	}
	return email, err
}

// account (GET /account) is the sign-in form, or, signed in, the visitor's bookings and data.
func (h *handlers) account(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	email, _, err := h.accountEmail(e)
	if err != nil {
		return err
	}
	if email == "" {
		return render(e, http.StatusOK, views.AccountRequestPage(views.AccountRequestData{Page: page(e, v, views.M("title.account"))}))
	}
	d, err := h.accountData(e, v, email)
	if err != nil {
		return err
	}
	if e.Request.URL.Query().Get("m") == "saved" {
		d.Notice = views.M("account.saved")
	}
	return render(e, http.StatusOK, views.VisitorAccountPage(d))
}

// accountData gathers the signed-in visitor's bookings, past and future.
func (h *handlers) accountData(e *core.RequestEvent, v *store.Venue, email string) (views.VisitorAccountData, error) {
	app := e.App
	d := views.VisitorAccountData{Page: page(e, v, views.M("title.account")), Email: email}
	bookings, err := store.SubjectBookings(app, email)
	if err != nil {
		return d, err
	}
	now := h.now()
	for _, b := range bookings {
		off, err := store.OfferingByID(app, b.Offering)
		if err != nil {
			return d, err
		}
		bv := jobs.BookingView(v, off, b)
		if d.Name == "" || b.Name != "" {
			d.Name, d.Phone = b.Name, b.Phone
		}
		if bv.Active() && b.End.Time().After(now) {
			d.Upcoming = append(d.Upcoming, bv)
		} else {
			d.Past = append(d.Past, bv)
		}
	}
	c, err := store.CustomerByEmail(app, email)
	if err != nil {
		return d, err
	}
	if c != nil {
		d.Name, d.Phone = c.Name, c.Phone
	}
	return d, nil
}

// accountDetails (POST /account/details) corrects the visitor's name and phone on their
// customer record and on every booking that holds them.
func (h *handlers) accountDetails(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	email, err := h.signedInVisitor(e)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	name := cleanName(e.Request.PostForm.Get("name"))
	phone := strings.TrimSpace(e.Request.PostForm.Get("phone"))
	errs := map[string]views.Msg{}
	switch {
	case !cleanText(name, false):
		errs["name"] = views.M("err.text_invalid")
	case name == "":
		errs["name"] = views.M("err.name_required")
	case utf8.RuneCountInString(name) > views.MaxName:
		errs["name"] = views.M("err.name_long", views.MaxName)
	}
	if phone != "" && !validPhone(phone) {
		errs["phone"] = views.M("err.phone_invalid")
	}
	if len(errs) > 0 {
		d, err := h.accountData(e, v, email)
		if err != nil {
			return err
		}
		d.Name, d.Phone, d.Errors = name, phone, errs
		return render(e, http.StatusUnprocessableEntity, views.VisitorAccountPage(d))
	}
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		if err := store.Rectify(tx.App, email, name, phone); err != nil {
			return err
		}
		return store.Audit(tx.App, store.Entry{RequestID: reqID(e), Actor: store.ActorVisitor, Action: "gdpr.rectify",
			Target: "customers/" + store.Pseudonym(email), Detail: "name, phone"})
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/account?m=saved")
}

// accountExport (GET /account/export) downloads everything Reserva keeps about the visitor: a
// zip with the data as JSON and a readable HTML copy.
func (h *handlers) accountExport(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	email, err := h.signedInVisitor(e)
	if err != nil {
		return err
	}
	x, err := exportSubject(e.App, v, views.NewLocale(visitorLanguage(e.Request, v.Locale)), email, h.now())
	if err != nil {
		return err
	}
	now := h.now()
	err = e.App.RunInTransaction(func(tx core.App) error {
		if _, err := store.LogRequest(tx, store.NewRequest{Kind: store.RequestAccess, Subject: email, Channel: store.ChannelSelfService,
			Status: store.RequestDone, Received: v.Today(now)}, now); err != nil {
			return err
		}
		return store.Audit(tx, store.Entry{RequestID: reqID(e), Actor: store.ActorVisitor, Action: "gdpr.export",
			Target: "customers/" + store.Pseudonym(email), Detail: "self-service"})
	})
	if err != nil {
		return err
	}
	return writeZipDownload(e, "my-data.zip", x)
}

// accountErase (POST /account/erase) erases the visitor at once, unless a confirmed booking is
// still ahead: then nothing changes and the page says which bookings to cancel first (409).
func (h *handlers) accountErase(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	email, err := h.signedInVisitor(e)
	if err != nil {
		return err
	}
	now := h.now()
	blocking, err := h.erase(e, email, func(tx core.App) error {
		_, err := store.LogRequest(tx, store.NewRequest{Kind: store.RequestErasure, Subject: store.Pseudonym(email),
			Channel: store.ChannelSelfService, Status: store.RequestDone, Received: v.Today(now)}, now)
		return err
	})
	if err != nil {
		return err
	}
	if len(blocking) > 0 {
		d, err := h.accountData(e, v, email)
		if err != nil {
			return err
		}
		d.Problem = views.M("account.erase_refused", len(blocking))
		return render(e, http.StatusConflict, views.VisitorAccountPage(d))
	}
	e.SetCookie(&http.Cookie{Name: accountCookie, Value: "", Path: "/account", HttpOnly: true, Secure: viaHTTPS(e.Request), MaxAge: -1})
	return render(e, http.StatusOK, views.AccountErasedPage(views.AccountErasedData{Page: page(e, v, views.M("title.account"))}))
}

// erase erases email in one write, unless bookings of theirs are still ahead: those are
// returned and nothing changes. then runs in the same write (the request's own record). The
// erasure is audited under the person's pseudonym, and its bytes are checkpointed out of the
// WAL afterwards.
func (h *handlers) erase(e *core.RequestEvent, email string, then func(tx core.App) error) ([]*store.Booking, error) {
	var blocking []*store.Booking
	err := h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		var err error
		if blocking, err = store.ErasureBlockers(tx.App, email, h.now()); err != nil || len(blocking) > 0 {
			return err
		}
		n, err := store.EraseSubject(tx.App, email)
		if err != nil {
			return err
		}
		tx.Freed() // places held for them went
		if err := store.Audit(tx.App, store.Entry{RequestID: reqID(e), Actor: store.ActorVisitor, Action: "gdpr.erase",
			Target: "customers/" + store.Pseudonym(email), Detail: fmt.Sprintf("%d bookings anonymised", n)}); err != nil {
			return err
		}
		return then(tx.App)
	})
	if err != nil || len(blocking) > 0 {
		return blocking, err
	}
	if err := store.Checkpoint(e.App); err != nil {
		e.App.Logger().Warn("erasure: checkpoint", "error", err.Error())
	}
	return nil, nil
}

// accountLogout (POST /account/logout) ends the visitor's session.
func (h *handlers) accountLogout(e *core.RequestEvent) error {
	_, id, err := h.accountEmail(e)
	if err != nil {
		return err
	}
	if id != "" {
		if err := store.EndVisitorSession(e.App, id); err != nil {
			return err
		}
	}
	e.SetCookie(&http.Cookie{Name: accountCookie, Value: "", Path: "/account", HttpOnly: true, Secure: viaHTTPS(e.Request), MaxAge: -1})
	return e.Redirect(http.StatusSeeOther, "/account")
}
