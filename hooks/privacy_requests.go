package hooks

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/pocketbase/ozzo-validation/v4/is"

	"reserva/internal/booking"
	"reserva/views"
)

// privacyRequestDays is how long the venue has to answer a request (GDPR art. 12(3): one month).
const privacyRequestDays = 30

var (
	privacyKinds    = []string{"access", "erasure", "rectification"}
	privacyChannels = []string{"mail", "phone", "letter", "in_person"}
)

// erasureBlockers are the bookings that keep email from being erased: confirmed or checked in,
// and not yet over.
func erasureBlockers(app core.App, email string, now time.Time) ([]*core.Record, error) {
	return app.FindRecordsByFilter("bookings",
		"email:lower = {:e} && anonymised = false && (status = 'confirmed' || status = 'checked_in') && end > {:now}",
		"start", 0, 0, dbx.Params{"e": email, "now": dbTime(now)})
}

// recordPrivacyRequest writes a request to the queue (inside tx when given one).
func recordPrivacyRequest(tx core.App, v *venue, kind, subject, channel, status, notes string, received booking.Date, handledBy string, now time.Time) (*core.Record, error) {
	col, err := tx.FindCachedCollectionByNameOrId("gdpr_requests")
	if err != nil {
		return nil, err
	}
	rec := core.NewRecord(col)
	rec.Load(map[string]any{"kind": kind, "subject": subject, "channel": channel, "status": status, "notes": notes,
		"received": received.String(), "due": received.AddDays(privacyRequestDays).String()})
	if status != "open" {
		rec.Set("handled_at", now.UTC())
		rec.Set("handled_by", handledBy)
	}
	return rec, tx.Save(rec)
}

// overduePrivacyRequests counts the open requests past their due date.
func overduePrivacyRequests(app core.App, v *venue, now time.Time) int {
	var n int
	_ = app.DB().Select("count(*)").From("gdpr_requests").
		Where(dbx.HashExp{"status": "open"}).AndWhere(dbx.NewExp("due < {:today}", dbx.Params{"today": v.today(now).String()})).Row(&n)
	return n
}

// privacyRequestsPage (manager) lists the queue, open requests first by due date, overdue ones
// marked, with the form to log a new one.
func (h *handlers) privacyRequestsPage(e *core.RequestEvent) error {
	return h.renderPrivacyRequests(e, http.StatusOK, views.PrivacyRequestForm{}, nil, views.Msg{})
}

// renderPrivacyRequests renders the queue with the new-request form (and its problems) and a
// refusal of the last action, if any.
func (h *handlers) renderPrivacyRequests(e *core.RequestEvent, status int, form views.PrivacyRequestForm, errs map[string]views.Msg, problem views.Msg) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	now := h.now()
	today := v.today(now)
	if form.Received == "" {
		form.Received = today.String()
	}
	d := views.PrivacyRequestsData{AdminPage: h.adminPage(e, views.M("admin.nav.privacy")), Form: form, Errors: errs,
		Kinds: privacyKinds, Channels: privacyChannels}
	d.Problem = problem
	var rows []struct {
		ID, Kind, Subject, Channel, Received, Due, Status, Notes string
		HandledAt                                                types.DateTime `db:"handled_at"`
	}
	err = e.App.DB().NewQuery(`SELECT id, kind, subject, channel, received, due, status, notes, handled_at FROM gdpr_requests
		ORDER BY status != 'open', CASE WHEN status = 'open' THEN due END, handled_at DESC LIMIT 300`).All(&rows)
	if err != nil {
		return err
	}
	for _, r := range rows {
		d.Rows = append(d.Rows, views.PrivacyRequestRow{ID: r.ID, Kind: r.Kind, Subject: r.Subject, Channel: r.Channel,
			Received: r.Received, Due: r.Due, Status: r.Status, Notes: r.Notes, Overdue: r.Status == "open" && r.Due < today.String(),
			Handled: r.HandledAt.Time().In(v.loc)})
	}
	if err := h.staffAudit(e.App, e, "privacy.viewed", "gdpr_requests", ""); err != nil {
		return err
	}
	return render(e, status, views.PrivacyRequestsPage(d))
}

// privacyRequestAdd (manager) logs a request that came by mail, phone or letter, due a month
// after it was received, and tells the venue's privacy address.
func (h *handlers) privacyRequestAdd(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	form := views.PrivacyRequestForm{Kind: f.Get("kind"), Subject: strings.ToLower(strings.TrimSpace(f.Get("subject"))),
		Channel: f.Get("channel"), Received: strings.TrimSpace(f.Get("received")), Notes: strings.TrimSpace(f.Get("notes"))}
	errs := map[string]views.Msg{}
	if !slices.Contains(privacyKinds, form.Kind) {
		errs["kind"] = views.M("admin.choose")
	}
	if !slices.Contains(privacyChannels, form.Channel) {
		errs["channel"] = views.M("admin.choose")
	}
	if form.Subject == "" || len(form.Subject) > views.MaxEmail || !cleanText(form.Subject, false) || is.EmailFormat.Validate(form.Subject) != nil {
		errs["subject"] = views.M("err.email_invalid")
	}
	now := h.now()
	received, derr := booking.ParseDate(form.Received)
	if derr != nil || received.Compare(v.today(now)) > 0 || received.Compare(v.today(now).AddDays(-365)) < 0 {
		errs["received"] = views.M("admin.privacy.received_bad")
	}
	if !cleanText(form.Notes, true) || utf8.RuneCountInString(form.Notes) > 2000 {
		errs["notes"] = views.M("err.text_invalid")
	}
	if len(errs) > 0 {
		return h.renderPrivacyRequests(e, http.StatusUnprocessableEntity, form, errs, views.Msg{})
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		rec, err := recordPrivacyRequest(tx, v, form.Kind, form.Subject, form.Channel, "open", form.Notes, received, "", now)
		if err != nil {
			return err
		}
		if to := v.rec.GetString("gdpr_email"); to != "" {
			l := v.locale
			if err := h.enqueue(tx, outMail{kind: "alert", to: to, subject: l.T("mail.subject.privacy_request", v.rec.GetString("name")),
				text: l.T("mail.privacy_request", l.T("privacy.kind."+form.Kind), received.AddDays(privacyRequestDays).String(),
					h.absURL("/admin/privacy"))}); err != nil {
				return err
			}
		}
		return h.staffAudit(tx, e, "privacy.request_logged", "gdpr_requests/"+rec.Id, form.Kind)
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/privacy?done=privacy_logged")
}

// privacyRequestOf finds the request of the route.
func privacyRequestOf(e *core.RequestEvent) (*core.Record, error) {
	rec, err := e.App.FindRecordById("gdpr_requests", e.Request.PathValue("id"))
	if err != nil {
		return nil, notFound(err)
	}
	return rec, nil
}

// privacyRequestExport (manager) downloads the export of the request's subject; audited.
func (h *handlers) privacyRequestExport(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	rec, err := privacyRequestOf(e)
	if err != nil {
		return err
	}
	x, err := exportSubject(e.App, v, rec.GetString("subject"), h.now())
	if err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "privacy.export", "gdpr_requests/"+rec.Id, ""); err != nil {
		return err
	}
	e.Response.Header().Set("Content-Type", "application/zip")
	e.Response.Header().Set("Content-Disposition", `attachment; filename="data-`+rec.Id+`.zip"`)
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.WriteHeader(http.StatusOK)
	return x.writeZip(e.Response)
}

// privacyRequestErase (manager) erases the request's subject, as self-service erasure does:
// refused (409) while a booking of theirs is ahead. The request is then done.
func (h *handlers) privacyRequestErase(e *core.RequestEvent) error {
	rec, err := privacyRequestOf(e)
	if err != nil {
		return err
	}
	email := rec.GetString("subject")
	var blocking []*core.Record
	err = e.App.RunInTransaction(func(tx core.App) error {
		if blocking, err = erasureBlockers(tx, email, h.now()); err != nil || len(blocking) > 0 {
			return err
		}
		if err := eraseSubject(tx, reqID(e), email); err != nil {
			return err
		}
		if _, err := tx.DB().Update("gdpr_requests", dbx.Params{"status": "done", "handled_at": dbTime(h.now()),
			"handled_by": staffOf(e).Id}, dbx.HashExp{"id": rec.Id}).Execute(); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "privacy.erased", "gdpr_requests/"+rec.Id, "")
	})
	if err != nil {
		return err
	}
	if len(blocking) > 0 {
		var refs []string
		for _, b := range blocking {
			refs = append(refs, b.GetString("reference"))
		}
		return h.renderPrivacyRequests(e, http.StatusConflict, views.PrivacyRequestForm{}, nil,
			views.M("admin.privacy.erase_refused", len(blocking), strings.Join(refs, ", ")))
	}
	if err := checkpointAfterErasure(e.App); err != nil {
		e.App.Logger().Warn("erasure: checkpoint", "error", err.Error())
	}
	return e.Redirect(http.StatusSeeOther, "/admin/privacy?done=privacy_erased")
}

// privacyRequestClose (manager) marks a request done or refused (an access request answered by
// post, a rectification made in the booking) with a note.
func (h *handlers) privacyRequestClose(e *core.RequestEvent) error {
	rec, err := privacyRequestOf(e)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	status := e.Request.PostForm.Get("status")
	if status != "done" && status != "refused" {
		return badRequest(fmt.Errorf("privacy request: status %q", status))
	}
	note := strings.TrimSpace(e.Request.PostForm.Get("notes"))
	if !cleanText(note, true) || utf8.RuneCountInString(note) > 2000 {
		return badRequest(fmt.Errorf("privacy request: notes"))
	}
	rec.Set("status", status)
	rec.Set("handled_at", h.now().UTC())
	rec.Set("handled_by", staffOf(e).Id)
	if note != "" {
		rec.Set("notes", strings.TrimSpace(rec.GetString("notes")+"\n"+note))
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(rec); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "privacy.request_"+status, "gdpr_requests/"+rec.Id, "")
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/privacy?done=privacy_closed")
}
