package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"

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
			Page: v.page(views.M("title.account")), Email: email, Errors: map[string]views.Msg{"email": views.M("err.email_invalid")}}))
	}
	now := h.now()
	err = e.App.RunInTransaction(func(tx core.App) error {
		// Links of the last hour (each expires accountLinkTTL after it was made).
		var recent int
		if err := tx.DB().Select("count(*)").From("visitor_links").
			Where(dbx.HashExp{"email": email}).AndWhere(dbx.NewExp("expires > {:since}", dbx.Params{"since": dbTime(now.Add(accountLinkTTL - time.Hour))})).
			Row(&recent); err != nil {
			return err
		}
		if recent >= accountLinksPerHour {
			return nil // the same answer; the address's owner already has fresh links
		}
		token, hash := newToken()
		col, err := tx.FindCachedCollectionByNameOrId("visitor_links")
		if err != nil {
			return err
		}
		link := core.NewRecord(col)
		link.Load(map[string]any{"email": email, "token_hash": hash, "expires": now.Add(accountLinkTTL).UTC()})
		if err := tx.Save(link); err != nil {
			return err
		}
		known, err := hasPersonalData(tx, email)
		if err != nil {
			return err
		}
		l, name := v.locale, v.rec.GetString("name")
		m := outMail{kind: "signin", to: email, subject: l.T("mail.subject.account", name)}
		if known {
			m.text = l.T("mail.account", name, h.absURL("/account/"+token), int(accountLinkTTL/time.Minute))
		} else {
			m.text = l.T("mail.account_unknown", name, h.absURL("/book"))
		}
		return h.enqueue(tx, m)
	})
	if err != nil {
		return err
	}
	return render(e, http.StatusOK, views.AccountRequestPage(views.AccountRequestData{
		Page: v.page(views.M("title.account")), Sent: true, Email: email}))
}

// hasPersonalData reports whether Reserva keeps anything about email.
func hasPersonalData(app core.App, email string) (bool, error) {
	var n int
	err := app.DB().NewQuery(`SELECT (SELECT count(*) FROM customers WHERE email = {:e}) +
		(SELECT count(*) FROM bookings WHERE email != '' AND lower(email) = {:e})`).Bind(dbx.Params{"e": email}).Row(&n)
	return n > 0, err
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
		Page: v.page(views.M("title.account")), Action: "/account/" + token}))
}

// validLink finds the unused, unexpired sign-in link of token.
func (h *handlers) validLink(app core.App, token string) (*core.Record, error) {
	expired := &pageError{status: http.StatusNotFound, heading: "account.link_expired", body: "account.link_expired_body"}
	if !wellFormedToken(token) {
		return nil, expired
	}
	rec, err := app.FindFirstRecordByData("visitor_links", "token_hash", hashToken(token))
	if err != nil {
		expired.err = err
		return nil, expired
	}
	if !rec.GetDateTime("used_at").IsZero() || !h.now().Before(rec.GetDateTime("expires").Time()) {
		return nil, expired
	}
	return rec, nil
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
		link.Set("used_at", now.UTC())
		if err := tx.Save(link); err != nil {
			return err
		}
		var hash string
		session, hash = newToken()
		col, err := tx.FindCachedCollectionByNameOrId("visitor_sessions")
		if err != nil {
			return err
		}
		rec := core.NewRecord(col)
		rec.Load(map[string]any{"email": link.GetString("email"), "token_hash": hash, "expires": now.Add(accountSessionTTL).UTC()})
		if err := tx.Save(rec); err != nil {
			return err
		}
		return audit(tx, reqID(e), actorVisitor, "gdpr.signin", "visitor_sessions/"+rec.Id, "")
	})
	if err != nil {
		return err
	}
	e.SetCookie(&http.Cookie{Name: accountCookie, Value: session, Path: "/account", HttpOnly: true, Secure: e.IsTLS(),
		SameSite: http.SameSiteLaxMode, MaxAge: int(accountSessionTTL / time.Second)})
	return e.Redirect(http.StatusSeeOther, "/account")
}

// accountEmail returns the address of the request's visitor session ("" when signed out).
func (h *handlers) accountEmail(e *core.RequestEvent) (email, sessionID string, err error) {
	c, cerr := e.Request.Cookie(accountCookie)
	if cerr != nil || !wellFormedToken(c.Value) {
		return "", "", nil
	}
	rec, err := e.App.FindFirstRecordByData("visitor_sessions", "token_hash", hashToken(c.Value))
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	if !h.now().Before(rec.GetDateTime("expires").Time()) {
		return "", "", nil
	}
	return rec.GetString("email"), rec.Id, nil
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
		return render(e, http.StatusOK, views.AccountRequestPage(views.AccountRequestData{Page: v.page(views.M("title.account"))}))
	}
	d, err := h.accountData(e.App, v, email)
	if err != nil {
		return err
	}
	switch e.Request.URL.Query().Get("m") {
	case "saved":
		d.Notice = views.M("account.saved")
	}
	return render(e, http.StatusOK, views.VisitorAccountPage(d))
}

// accountData gathers the signed-in visitor's bookings, past and future.
func (h *handlers) accountData(app core.App, v *venue, email string) (views.VisitorAccountData, error) {
	d := views.VisitorAccountData{Page: v.page(views.M("title.account")), Email: email}
	recs, err := subjectBookings(app, email)
	if err != nil {
		return d, err
	}
	now := h.now()
	for _, rec := range recs {
		off, err := bookingOffering(app, rec)
		if err != nil {
			return d, err
		}
		b := bookingView(v, off, rec)
		if d.Name == "" || rec.GetString("name") != "" {
			d.Name, d.Phone = rec.GetString("name"), rec.GetString("phone")
		}
		if b.Active() && rec.GetDateTime("end").Time().After(now) {
			d.Upcoming = append(d.Upcoming, b)
		} else {
			d.Past = append(d.Past, b)
		}
	}
	if c, err := app.FindFirstRecordByData("customers", "email", email); err == nil {
		d.Name, d.Phone = c.GetString("name"), c.GetString("phone")
	}
	return d, nil
}

// subjectBookings are the bookings made with email that still hold personal data, oldest first.
func subjectBookings(app core.App, email string) ([]*core.Record, error) {
	return app.FindRecordsByFilter("bookings", "email:lower = {:e} && anonymised = false", "start", 0, 0, dbx.Params{"e": email})
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
	name := strings.TrimSpace(e.Request.PostForm.Get("name"))
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
		d, err := h.accountData(e.App, v, email)
		if err != nil {
			return err
		}
		d.Name, d.Phone, d.Errors = name, phone, errs
		return render(e, http.StatusUnprocessableEntity, views.VisitorAccountPage(d))
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		set := dbx.Params{"name": name, "phone": phone}
		if _, err := tx.DB().Update("customers", set, dbx.HashExp{"email": email}).Execute(); err != nil {
			return err
		}
		if _, err := tx.DB().Update("bookings", set, dbx.NewExp("email != '' AND lower(email) = {:e} AND anonymised = FALSE",
			dbx.Params{"e": email})).Execute(); err != nil {
			return err
		}
		return audit(tx, reqID(e), actorVisitor, "gdpr.rectify", "customers/"+pseudonym(email), "name, phone")
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
	x, err := exportSubject(e.App, v, email, h.now())
	if err != nil {
		return err
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if _, err := recordPrivacyRequest(tx, v, "access", email, "self_service", "done", "", v.today(h.now()), "", h.now()); err != nil {
			return err
		}
		return audit(tx, reqID(e), actorVisitor, "gdpr.export", "customers/"+pseudonym(email), "self-service")
	})
	if err != nil {
		return err
	}
	e.Response.Header().Set("Content-Type", "application/zip")
	e.Response.Header().Set("Content-Disposition", `attachment; filename="my-data.zip"`)
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.WriteHeader(http.StatusOK)
	return x.writeZip(e.Response)
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
	var blocking []*core.Record
	err = e.App.RunInTransaction(func(tx core.App) error {
		if blocking, err = erasureBlockers(tx, email, h.now()); err != nil || len(blocking) > 0 {
			return err
		}
		if err := eraseSubject(tx, reqID(e), email); err != nil {
			return err
		}
		_, err := recordPrivacyRequest(tx, v, "erasure", pseudonym(email), "self_service", "done", "", v.today(h.now()), "", h.now())
		return err
	})
	if err != nil {
		return err
	}
	if len(blocking) > 0 {
		d, err := h.accountData(e.App, v, email)
		if err != nil {
			return err
		}
		d.Problem = views.M("account.erase_refused", len(blocking))
		return render(e, http.StatusConflict, views.VisitorAccountPage(d))
	}
	if err := checkpointAfterErasure(e.App); err != nil {
		e.App.Logger().Warn("erasure: checkpoint", "error", err.Error())
	}
	e.SetCookie(&http.Cookie{Name: accountCookie, Value: "", Path: "/account", HttpOnly: true, Secure: e.IsTLS(), MaxAge: -1})
	return render(e, http.StatusOK, views.AccountErasedPage(views.AccountErasedData{Page: v.page(views.M("title.account"))}))
}

// eraseSubject removes everything Reserva keeps about email, inside tx: the personal fields of
// their bookings (date, offering and party stay for statistics), their customer row, sign-in
// links and sessions, and every mail addressed to them, queued or sent. The audit entry names
// only a pseudonym.
func eraseSubject(tx core.App, requestID, email string) error {
	var ids []string
	if err := tx.DB().Select("id").From("bookings").
		Where(dbx.NewExp("email != '' AND lower(email) = {:e}", dbx.Params{"e": email})).Column(&ids); err != nil {
		return err
	}
	var custID string
	_ = tx.DB().Select("id").From("customers").Where(dbx.HashExp{"email": email}).Row(&custID)
	if custID != "" {
		var more []string
		if err := tx.DB().Select("id").From("bookings").Where(dbx.HashExp{"customer": custID}).Column(&more); err != nil {
			return err
		}
		ids = append(ids, more...)
	}
	// Places held for them on a waitlist are released, not kept anonymised.
	if _, err := tx.DB().Delete("bookings", dbx.NewExp("status = 'held' AND email != '' AND lower(email) = {:e}",
		dbx.Params{"e": email})).Execute(); err != nil {
		return fmt.Errorf("erase: held places: %w", err)
	}
	if _, _, err := anonymiseBookings(tx, ids); err != nil {
		return err
	}
	for _, q := range []struct {
		table string
		where dbx.Expression
	}{
		{"customers", dbx.HashExp{"email": email}},
		{"outbox", dbx.NewExp("lower(to_email) = {:e}", dbx.Params{"e": email})},
		{"visitor_links", dbx.HashExp{"email": email}},
		{"visitor_sessions", dbx.HashExp{"email": email}},
		{"waitlist", dbx.HashExp{"email": email}},
		{"walkins", dbx.HashExp{"email": email}},
	} {
		if _, err := tx.DB().Delete(q.table, q.where).Execute(); err != nil {
			return fmt.Errorf("erase: %s: %w", q.table, err)
		}
	}
	// The queue keeps the requests (they show the venue answered) under the pseudonym.
	if _, err := tx.DB().Update("gdpr_requests", dbx.Params{"subject": pseudonym(email)}, dbx.HashExp{"subject": email}).Execute(); err != nil {
		return fmt.Errorf("erase: gdpr_requests: %w", err)
	}
	return audit(tx, requestID, actorVisitor, "gdpr.erase", "customers/"+pseudonym(email), fmt.Sprintf("%d bookings anonymised", len(ids)))
}

// accountLogout (POST /account/logout) ends the visitor's session.
func (h *handlers) accountLogout(e *core.RequestEvent) error {
	_, id, err := h.accountEmail(e)
	if err != nil {
		return err
	}
	if id != "" {
		if _, err := e.App.DB().Delete("visitor_sessions", dbx.HashExp{"id": id}).Execute(); err != nil {
			return err
		}
	}
	e.SetCookie(&http.Cookie{Name: accountCookie, Value: "", Path: "/account", HttpOnly: true, Secure: e.IsTLS(), MaxAge: -1})
	return e.Redirect(http.StatusSeeOther, "/account")
}

// pseudonym names a person in the audit log without their address: the first 16 hex digits
// of the address's SHA-256.
func pseudonym(email string) string { return "p-" + hashToken(strings.ToLower(email))[:16] }
