package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/pocketbase/ozzo-validation/v4/is"

	"reserva/views"
)

// The SMS gateway: a generic HTTP webhook the venue sets up (off when unset). Reserva POSTs
// {"to": phone, "text": message} as JSON, with the token as a bearer token when given.
const (
	smsWebhookEnv      = "RESERVA_SMS_WEBHOOK_URL"
	smsWebhookTokenEnv = "RESERVA_SMS_WEBHOOK_TOKEN"
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
	now := h.now()
	recs, err := e.App.FindRecordsByFilter("walkins", "day = {:d}", "added_at", 0, 0, dbx.Params{"d": v.today(now).String()})
	if err != nil {
		return err
	}
	d := views.WalkinsData{AdminPage: h.adminPage(e, views.M("admin.nav.walkins")), Form: form, Errors: errs,
		SMS: os.Getenv(smsWebhookEnv) != ""}
	pos := 0
	for _, r := range recs {
		row := views.WalkinRow{ID: r.Id, Name: r.GetString("name"), Party: r.GetInt("party"), Phone: r.GetString("phone"),
			Email: r.GetString("email"), Status: r.GetString("status"), Result: r.GetString("notify_result"),
			Added: r.GetDateTime("added_at").Time().In(v.loc), QuotedWait: r.GetInt("quoted_wait")}
		row.Ready = row.Added.Add(time.Duration(row.QuotedWait) * time.Minute)
		if row.Status == "waiting" || row.Status == "notified" {
			pos++
			row.Position = pos
		}
		d.Rows = append(d.Rows, row)
	}
	if err := h.staffAudit(e.App, e, "walkins.viewed", "walkins", v.today(now).String()); err != nil {
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
	form := views.WalkinForm{Name: strings.TrimSpace(f.Get("name")), Phone: strings.TrimSpace(f.Get("phone")),
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
		col, err := tx.FindCachedCollectionByNameOrId("walkins")
		if err != nil {
			return err
		}
		rec := core.NewRecord(col)
		rec.Load(map[string]any{"day": v.today(now).String(), "name": form.Name, "party": party, "phone": form.Phone,
			"email": form.Email, "quoted_wait": wait, "status": "waiting", "added_at": now.UTC()})
		if err := tx.Save(rec); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "walkin.added", "walkins/"+rec.Id, "")
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/walkins?done=walkin_added")
}

// walkinAction (POST /admin/walkins/{id}/{action}) notifies, seats, skips or removes a party.
func (h *handlers) walkinAction(action string) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		v, err := h.venueOrUnavailable(e.App)
		if err != nil {
			return err
		}
		rec, err := e.App.FindRecordById("walkins", e.Request.PathValue("id"))
		if err != nil {
			return notFound(err)
		}
		now := h.now()
		switch action {
		case "notify":
			if rec.GetString("email") == "" && (rec.GetString("phone") == "" || os.Getenv(smsWebhookEnv) == "") {
				return &pageError{status: http.StatusConflict, heading: "admin.walkins.no_contact", body: "admin.walkins.no_contact_body"}
			}
			text := v.locale.T("mail.walkin", rec.GetString("name"), v.rec.GetString("name"))
			var results []string
			if rec.GetString("email") != "" {
				if err := h.enqueue(e.App, outMail{kind: "walkin", to: rec.GetString("email"), toName: rec.GetString("name"),
					subject: v.locale.T("mail.subject.walkin", v.rec.GetString("name")), text: text}); err != nil {
					return err
				}
				results = append(results, v.locale.T("admin.walkins.mailed"))
			}
			if rec.GetString("phone") != "" && os.Getenv(smsWebhookEnv) != "" {
				if err := sendSMS(e.Request.Context(), rec.GetString("phone"), text); err != nil {
					e.App.Logger().Warn("walk-in: SMS", "error", err.Error())
					results = append(results, v.locale.T("admin.walkins.sms_failed", err.Error()))
				} else {
					results = append(results, v.locale.T("admin.walkins.sms_sent"))
				}
			}
			rec.Set("status", "notified")
			rec.Set("notified_at", now.UTC())
			rec.Set("notify_result", truncate(strings.Join(results, " "), 500))
		case "seat":
			rec.Set("status", "seated")
			rec.Set("closed_at", now.UTC())
		case "skip":
			rec.Set("status", "skipped")
			rec.Set("closed_at", now.UTC())
		case "remove":
			rec.Set("status", "removed")
			rec.Set("closed_at", now.UTC())
		}
		err = e.App.RunInTransaction(func(tx core.App) error {
			if err := tx.Save(rec); err != nil {
				return err
			}
			return h.staffAudit(tx, e, "walkin."+action, "walkins/"+rec.Id, "")
		})
		if err != nil {
			return err
		}
		return e.Redirect(http.StatusSeeOther, "/admin/walkins?done=walkin_"+action)
	}
}

// sendSMS posts one message to the venue's SMS webhook; a non-2xx answer is an error.
func sendSMS(ctx context.Context, to, text string) error {
	target := os.Getenv(smsWebhookEnv)
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s is not an http(s) URL", smsWebhookEnv)
	}
	body, _ := json.Marshal(map[string]string{"to": to, "text": text})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if tok := os.Getenv(smsWebhookTokenEnv); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("SMS webhook: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("SMS webhook answered %d", res.StatusCode)
	}
	return nil
}

// deleteOldWalkins deletes walk-ins closed more than a day ago and those of earlier days: their
// names and numbers are kept no longer than the evening needs them.
func deleteOldWalkins(tx core.App, v *venue, now time.Time) (int64, error) {
	res, err := tx.DB().Delete("walkins", dbx.Or(
		dbx.NewExp("closed_at != '' AND closed_at < {:before}", dbx.Params{"before": dbTime(now.Add(-waitlistKeep))}),
		dbx.NewExp("day < {:yesterday}", dbx.Params{"yesterday": v.today(now).AddDays(-1).String()}))).Execute()
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
