package hooks

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// walkinsPage (GET /admin/walkins, front desk) is today's queue of parties at the door, in the
// order they came, with their quoted wait and the buttons to notify, seat, skip or remove.
func (h *handlers) walkinsPage(e *core.RequestEvent) error {
	return h.renderWalkins(e, http.StatusOK, views.WalkinForm{}, nil)
}

func (h *handlers) renderWalkins(e *core.RequestEvent, status int, form views.WalkinForm, errs map[string]views.Msg) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	today := v.Today(h.now())
	queue, err := store.Walkins(e.App, today)
	if err != nil {
		return err
	}
	d := views.WalkinsData{AdminPage: h.adminPage(e, views.M("admin.nav.walkins")), Form: form, Errors: errs,
		SMS: h.jobs.Texts() != nil}
	pos := 0
	tables := map[int][]views.Option{} // by party: the tables free for it now
	for _, w := range queue {
		row := views.WalkinRow{ID: w.ID, Name: w.Name, Party: w.Party, Phone: w.Phone, Email: w.Email, Status: string(w.Status),
			Result: w.NotifyResult, Added: w.AddedAt.Time().In(v.Loc), QuotedWait: w.QuotedWait}
		row.Ready = row.Added.Add(time.Duration(row.QuotedWait) * time.Minute)
		if w.Status.Queued() {
			pos++
			row.Position = pos
			if tables[w.Party] == nil {
				if tables[w.Party], err = h.seatTables(e.App, v, w.Party, h.now()); err != nil {
					return err
				}
			}
			row.Tables = tables[w.Party]
		}
		d.Rows = append(d.Rows, row)
	}
	if err := h.staffAudit(e.App, e, "walkins.viewed", "walkins", today.String()); err != nil {
		return err
	}
	return render(e, status, views.WalkinsPage(d))
}

// walkinAdd (POST /admin/walkins) adds a party at the door to today's queue.
func (h *handlers) walkinAdd(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	form := views.WalkinForm{Name: cleanName(f.Get("name")), Phone: strings.TrimSpace(f.Get("phone")),
		Email: strings.ToLower(strings.TrimSpace(f.Get("email"))), Party: strings.TrimSpace(f.Get("party")), Wait: strings.TrimSpace(f.Get("wait"))}
	errs := map[string]views.Msg{}
	switch {
	case form.Name == "":
		errs["name"] = views.M("err.name_required")
	case !cleanText(form.Name, false) || utf8.RuneCountInString(form.Name) > views.MaxName:
		errs["name"] = views.M("err.text_invalid")
	}
	party, perr := strconv.Atoi(form.Party)
	if perr != nil || party < 1 || party > 1000 {
		errs["party"] = views.M("admin.number_range", 1, 1000)
	}
	wait, werr := strconv.Atoi(form.Wait)
	if form.Wait == "" {
		wait, werr = 0, nil
	}
	if werr != nil || wait < 0 || wait > 600 {
		errs["wait"] = views.M("admin.number_range", 0, 600)
	}
	if form.Phone != "" && !validPhone(form.Phone) {
		errs["phone"] = views.M("err.phone_invalid")
	}
	if form.Email != "" && (len(form.Email) > views.MaxEmail || is.EmailFormat.Validate(form.Email) != nil) {
		errs["email"] = views.M("err.email_invalid")
	}
	if len(errs) > 0 {
		return h.renderWalkins(e, http.StatusUnprocessableEntity, form, errs)
	}
	now := h.now()
	err = e.App.RunInTransaction(func(tx core.App) error {
		id, err := store.AddWalkin(tx, v.Today(now), form.Name, party, form.Phone, form.Email, wait, now)
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "walkin.added", "walkins/"+id, "")
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/walkins?done=walkin_added")
}

// walkinNotify (POST /admin/walkins/{id}/notify) tells a party its table is ready: by mail
// through the outbox and by SMS through the venue's webhook, whichever it can.
func (h *handlers) walkinNotify(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	w, err := store.WalkinByID(e.App, e.Request.PathValue("id"))
	if err != nil {
		return notFound(err)
	}
	sms := h.jobs.Texts() != nil
	if w.Email == "" && (w.Phone == "" || !sms) {
		return &pageError{status: http.StatusConflict, heading: "admin.walkins.no_contact", body: "admin.walkins.no_contact_body"}
	}
	now := h.now()
	l := jobs.Locale(v)
	text := l.T("mail.walkin", w.Name, v.Name)
	var results []string
	if w.Email != "" {
		results = append(results, l.T("admin.walkins.mailed"))
	}
	if w.Phone != "" && sms {
		if err := h.textWalkin(e.Request.Context(), v, w.Phone, text); err != nil {
			e.App.Logger().Warn("walk-in: SMS", "error", err.Error())
			results = append(results, l.T("admin.walkins.sms_failed", err.Error()))
		} else {
			results = append(results, l.T("admin.walkins.sms_sent"))
		}
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if w.Email != "" {
			if err := store.QueueMail(tx, store.NewMail{Kind: store.MailWalkin, To: w.Email, ToName: w.Name,
				Subject: l.T("mail.subject.walkin", v.Name), Text: text}, now); err != nil {
				return err
			}
		}
		if err := store.NotifyWalkin(tx, w.ID, strings.Join(results, " "), now); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "walkin.notify", "walkins/"+w.ID, "")
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/walkins?done=walkin_notify")
}

// walkinVerbs name the actions that take a party out of the queue, for the audit log and the
// page's notice.
var walkinVerbs = map[store.WalkinStatus]string{store.WalkinSeated: "seat", store.WalkinSkipped: "skip", store.WalkinRemoved: "remove"}

// walkinClose (POST /admin/walkins/{id}/seat|skip|remove) takes a party out of the queue.
func (h *handlers) walkinClose(status store.WalkinStatus) func(*core.RequestEvent) error {
	verb := walkinVerbs[status]
	return func(e *core.RequestEvent) error {
		id := e.Request.PathValue("id")
		if err := e.Request.ParseForm(); err != nil {
			return formError(err)
		}
		if t := e.Request.PostForm.Get("table"); status == store.WalkinSeated && t != "" {
			return h.walkinSeatTable(e, id, t)
		}
		err := e.App.RunInTransaction(func(tx core.App) error {
			if err := store.CloseWalkin(tx, id, status, h.now()); err != nil {
				return err
			}
			return h.staffAudit(tx, e, "walkin."+verb, "walkins/"+id, "")
		})
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(err)
		}
		if err != nil {
			return err
		}
		return e.Redirect(http.StatusSeeOther, "/admin/walkins?done=walkin_"+verb)
	}
}

// textWalkin texts a party at the door through the venue's gateway, at once.
func (h *handlers) textWalkin(ctx context.Context, v *store.Venue, phone, text string) error {
	to, err := jobs.TextNumber(phone, v.Phone)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, jobs.TextTimeout)
	defer cancel()
	_, err = h.jobs.Texts().SendText(ctx, to, text)
	return err
}
