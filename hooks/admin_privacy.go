package hooks

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

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
	today := v.Today(h.now())
	if form.Received == "" {
		form.Received = today.String()
	}
	d := views.PrivacyRequestsData{AdminPage: h.adminPage(e, views.M("admin.nav.privacy")), Form: form, Errors: errs,
		Kinds: stringsOf(store.RequestKinds), Channels: stringsOf(store.Channels)}
	d.Problem = problem
	rows, err := store.Requests(e.App)
	if err != nil {
		return err
	}
	for _, r := range rows {
		d.Rows = append(d.Rows, views.PrivacyRequestRow{ID: r.ID, Kind: string(r.Kind), Subject: r.Subject, Channel: string(r.Channel),
			Received: r.Received, Due: r.Due, Status: string(r.Status), Notes: r.Notes,
			Overdue: r.Status == store.RequestOpen && r.Due < today.String(), Handled: r.HandledAt.Time().In(v.Loc)})
	}
	if err := h.staffAudit(e.App, e, "privacy.viewed", "gdpr_requests", ""); err != nil {
		return err
	}
	return render(e, status, views.PrivacyRequestsPage(d))
}

// stringsOf lists typed values as their strings.
func stringsOf[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
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
	if !slices.Contains(store.RequestKinds, store.RequestKind(form.Kind)) {
		errs["kind"] = views.M("admin.choose")
	}
	if !slices.Contains(store.Channels, store.Channel(form.Channel)) {
		errs["channel"] = views.M("admin.choose")
	}
	if form.Subject == "" || len(form.Subject) > views.MaxEmail || !cleanText(form.Subject, false) || is.EmailFormat.Validate(form.Subject) != nil {
		errs["subject"] = views.M("err.email_invalid")
	}
	now := h.now()
	received, derr := booking.ParseDate(form.Received)
	if derr != nil || received.Compare(v.Today(now)) > 0 || received.Compare(v.Today(now).AddDays(-365)) < 0 {
		errs["received"] = views.M("admin.privacy.received_bad")
	}
	if !cleanText(form.Notes, true) || utf8.RuneCountInString(form.Notes) > 2000 {
		errs["notes"] = views.M("err.text_invalid")
	}
	if len(errs) > 0 {
		return h.renderPrivacyRequests(e, http.StatusUnprocessableEntity, form, errs, views.Msg{})
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		id, err := store.LogRequest(tx, store.NewRequest{Kind: store.RequestKind(form.Kind), Subject: form.Subject,
			Channel: store.Channel(form.Channel), Status: store.RequestOpen, Notes: form.Notes, Received: received}, now)
		if err != nil {
			return err
		}
		if to := v.GDPREmail; to != "" {
			l := jobs.Locale(v)
			if err := store.QueueMail(tx, store.NewMail{Kind: store.MailAlert, To: to, Subject: l.T("mail.subject.privacy_request", v.Name),
				Text: l.T("mail.privacy_request", l.Name(views.PrivacyKindNames, form.Kind), received.AddDays(store.RequestDays).String(),
					h.jobs.AbsURL("/admin/privacy"))}, now); err != nil {
				return err
			}
		}
		return h.staffAudit(tx, e, "privacy.request_logged", "gdpr_requests/"+id, form.Kind)
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/privacy?done=privacy_logged")
}

// privacyRequestOf finds the request of the route.
func privacyRequestOf(e *core.RequestEvent) (*store.Request, error) {
	r, err := store.RequestByID(e.App, e.Request.PathValue("id"))
	if err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// privacyRequestExport (manager) downloads the export of the request's subject; audited.
func (h *handlers) privacyRequestExport(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	r, err := privacyRequestOf(e)
	if err != nil {
		return err
	}
	x, err := exportSubject(e.App, v, jobs.Locale(v), r.Subject, h.now())
	if err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "privacy.export", "gdpr_requests/"+r.ID, ""); err != nil {
		return err
	}
	return writeZipDownload(e, "data-"+r.ID+".zip", x)
}

// privacyRequestErase (manager) erases the request's subject, as self-service erasure does:
// refused (409) while a booking of theirs is ahead. The request is then done.
func (h *handlers) privacyRequestErase(e *core.RequestEvent) error {
	r, err := privacyRequestOf(e)
	if err != nil {
		return err
	}
	blocking, err := h.erase(e, r.Subject, func(tx core.App) error {
		if err := store.CloseRequest(tx, r, store.RequestDone, "", staffOf(e).Id, h.now()); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "privacy.erased", "gdpr_requests/"+r.ID, "")
	})
	if err != nil {
		return err
	}
	if len(blocking) > 0 {
		var refs []string
		for _, b := range blocking {
			refs = append(refs, b.Reference)
		}
		return h.renderPrivacyRequests(e, http.StatusConflict, views.PrivacyRequestForm{}, nil,
			views.M("admin.privacy.erase_refused", len(blocking), strings.Join(refs, ", ")))
	}
	return e.Redirect(http.StatusSeeOther, "/admin/privacy?done=privacy_erased")
}

// privacyRequestClose (manager) marks a request done or refused (an access request answered by
// post, a rectification made in the booking) with a note.
func (h *handlers) privacyRequestClose(e *core.RequestEvent) error {
	r, err := privacyRequestOf(e)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	status := store.RequestStatus(e.Request.PostForm.Get("status"))
	if status != store.RequestDone && status != store.RequestRefused {
		return badRequest(fmt.Errorf("privacy request: status %q", status))
	}
	note := strings.TrimSpace(e.Request.PostForm.Get("notes"))
	if !cleanText(note, true) || utf8.RuneCountInString(note) > 2000 {
		return badRequest(fmt.Errorf("privacy request: notes"))
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := store.CloseRequest(tx, r, status, note, staffOf(e).Id, h.now()); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "privacy.request_"+string(status), "gdpr_requests/"+r.ID, "")
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/privacy?done=privacy_closed")
}
