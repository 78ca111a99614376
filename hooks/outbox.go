package hooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/mail"
	"reserva/views"
)

// outMail is one e-mail to write to the outbox.
type outMail struct {
	kind        string
	bookingID   string
	to, toName  string
	subject     string
	text, html  string
	attachments []mail.Attachment
}

// storedAttachment is an attachment as the outbox row keeps it (JSON, data base64 by encoding/json).
type storedAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// enqueue writes m to the outbox, due now. Call it inside the transaction of the change that
// causes the mail: both are stored, or neither.
func (h *handlers) enqueue(tx core.App, m outMail) error {
	col, err := tx.FindCachedCollectionByNameOrId("outbox")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	atts := make([]storedAttachment, len(m.attachments))
	for i, a := range m.attachments {
		atts[i] = storedAttachment{a.Name, a.ContentType, a.Data}
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	rec := core.NewRecord(col)
	rec.Set("kind", m.kind)
	rec.Set("booking", m.bookingID)
	rec.Set("to_email", m.to)
	rec.Set("to_name", m.toName)
	rec.Set("subject", m.subject)
	rec.Set("text", m.text)
	rec.Set("html", m.html)
	rec.Set("attachments", atts)
	rec.Set("message_id", "<"+hex.EncodeToString(b)+"@"+h.mailHost()+">")
	rec.Set("status", "queued")
	rec.Set("next_attempt", h.now().UTC())
	if err := tx.Save(rec); err != nil {
		return fmt.Errorf("outbox: queue %s: %w", m.kind, err)
	}
	return nil
}

// mailHost is the host part of Message-IDs: the site's own name when known.
func (h *handlers) mailHost() string {
	if u, err := url.Parse(h.baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "reserva.invalid"
}

// bookingMail renders and queues a mail of kind about booking rec to its holder (and, for new
// bookings, the venue's notice). A new manage token goes into the link. Inside the transaction.
func (h *handlers) bookingMail(tx core.App, v *venue, off, rec *core.Record, kind string, reason string) error {
	email := rec.GetString("email")
	if email == "" {
		return nil // anonymised: nobody to write to
	}
	b := bookingView(v, off, rec)
	d := views.MailData{L: v.locale, Kind: kind, Venue: v.view(), Booking: b, Reason: reason, ByVenue: reason != "" && reason != "guest"}
	if kind != views.MailCancellation {
		token, err := issueToken(tx, rec.Id, "mail:"+kind)
		if err != nil {
			return err
		}
		d.ManageURL = h.absURL("/b/" + token)
		if changeable(rec, off, h.now()) == nil {
			d.Deadline = rules(off).CancelDeadline(b.Start).In(v.loc)
		}
	}
	if kind == views.MailFeedback {
		d.FeedbackURL = v.rec.GetString("feedback_url")
	}
	m, err := renderMail(d)
	if err != nil {
		return err
	}
	m.bookingID, m.to, m.toName = rec.Id, email, rec.GetString("name")
	if d.Kind != views.MailFeedback {
		ics, err := bookingCalendar(v, off, rec)
		if err != nil {
			return err
		}
		method := "PUBLISH"
		if b.Status == "cancelled" {
			method = "CANCEL"
		}
		m.attachments = []mail.Attachment{{Name: "booking-" + b.Reference + ".ics",
			ContentType: "text/calendar; method=" + method + "; charset=utf-8", Data: ics}}
	}
	if err := h.enqueue(tx, m); err != nil {
		return err
	}
	if notify := v.rec.GetString("notify_email"); kind == views.MailConfirmation && notify != "" {
		d.Kind, d.ManageURL, d.Deadline = views.MailVenueNotice, "", time.Time{}
		n, err := renderMail(d)
		if err != nil {
			return err
		}
		n.bookingID, n.to, n.toName = rec.Id, notify, v.rec.GetString("name")
		return h.enqueue(tx, n)
	}
	return nil
}

// renderMail renders both parts of d.
func renderMail(d views.MailData) (outMail, error) {
	var html bytes.Buffer
	if err := views.MailHTML(d).Render(context.Background(), &html); err != nil {
		return outMail{}, fmt.Errorf("mail: render %s: %w", d.Kind, err)
	}
	return outMail{kind: d.Kind, subject: views.MailSubject(d), text: views.MailText(d), html: html.String()}, nil
}

// absURL is path on the site's public address.
func (h *handlers) absURL(path string) string { return h.baseURL + path }

// deliveryStats is what one run of the outbox worker did.
type deliveryStats struct{ Sent, Retried, Failed int }

// emailLike finds e-mail addresses in relay errors, which quote the recipient.
var emailLike = regexp.MustCompile(`[^\s<>"',;:()]+@[^\s<>"',;:()]+`)

// deliver sends up to limit due outbox rows, one at a time, outside any transaction; each row
// is marked sent only after the relay accepted it, so a crash or outage delays mail and never
// loses it (at worst a message whose acceptance was not recorded is sent twice, with the same
// Message-ID). Failures are retried with mail.Backoff; permanent ones, and any after
// mail.MaxAge, are marked failed. When nothing is due but messages wait after failures, the
// oldest is tried early; once one gets through, every waiting row is made due at once, so a
// relay that comes back drains the queue within one run.
func (h *handlers) deliver(app core.App, limit int) (deliveryStats, error) {
	var st deliveryStats
	now := h.now()
	t, err := h.transport(app)
	if err != nil {
		return st, err
	}
	due, err := app.FindRecordsByFilter("outbox", "status = 'queued' && next_attempt <= {:now}", "next_attempt", limit, 0,
		dbx.Params{"now": dbTime(now)})
	if err != nil {
		return st, fmt.Errorf("outbox: due rows: %w", err)
	}
	if len(due) == 0 {
		due, err = app.FindRecordsByFilter("outbox", "status = 'queued' && attempts > 0", "next_attempt", 1, 0)
		if err != nil {
			return st, fmt.Errorf("outbox: waiting rows: %w", err)
		}
	}
	recovered := false
	for _, rec := range due {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		sendErr := t.Send(ctx, outboxMessage(rec))
		cancel()
		attempts := rec.GetInt("attempts") + 1
		rec.Set("attempts", attempts)
		if rec.GetDateTime("first_attempt").IsZero() {
			rec.Set("first_attempt", now.UTC())
		}
		switch {
		case sendErr == nil:
			recovered = recovered || attempts > 1
			rec.Set("status", "sent")
			rec.Set("sent_at", now.UTC())
			rec.Set("relay", h.activeRelay())
			rec.Set("last_error", "")
			st.Sent++
		case mail.IsPermanent(sendErr) || mail.GiveUp(rec.GetDateTime("first_attempt").Time(), now):
			rec.Set("status", "failed")
			rec.Set("last_error", truncate(sendErr.Error(), 1000))
			st.Failed++
			app.Logger().Error("mail: gave up on a message", "outbox", rec.Id, "kind", rec.GetString("kind"),
				"attempts", attempts, "error", emailLike.ReplaceAllString(sendErr.Error(), "{address}"))
		default:
			rec.Set("next_attempt", now.Add(mail.Backoff(attempts)).UTC())
			rec.Set("last_error", truncate(sendErr.Error(), 1000))
			st.Retried++
			app.Logger().Warn("mail: send failed, will retry", "outbox", rec.Id, "attempts", attempts,
				"retry_in", mail.Backoff(attempts).String(), "error", emailLike.ReplaceAllString(sendErr.Error(), "{address}"))
		}
		if err := app.Save(rec); err != nil {
			return st, fmt.Errorf("outbox: record the result of %s: %w", rec.Id, err)
		}
	}
	if recovered {
		if _, err := app.DB().Update("outbox", dbx.Params{"next_attempt": dbTime(now)},
			dbx.NewExp("status = 'queued' AND attempts > 0")).Execute(); err != nil {
			return st, fmt.Errorf("outbox: make waiting rows due: %w", err)
		}
	}
	return st, nil
}

// outboxMessage turns an outbox row into the message to send.
func outboxMessage(rec *core.Record) mail.Message {
	var atts []storedAttachment
	_ = json.Unmarshal([]byte(rec.GetString("attachments")), &atts)
	m := mail.Message{
		To: rec.GetString("to_email"), ToName: rec.GetString("to_name"), Subject: rec.GetString("subject"),
		Text: rec.GetString("text"), HTML: rec.GetString("html"), MessageID: rec.GetString("message_id"),
		Headers: map[string]string{"Auto-Submitted": "auto-generated"},
	}
	for _, a := range atts {
		m.Attachments = append(m.Attachments, mail.Attachment{Name: a.Name, ContentType: a.ContentType, Data: a.Data})
	}
	return m
}

// stripSentBodies removes the bodies and attachments of mail sent more than 30 days ago (they
// hold personal data; the row stays as a record that a message was sent). Returns the count.
func stripSentBodies(app core.App, now time.Time) (int64, error) {
	res, err := app.DB().Update("outbox",
		dbx.Params{"text": "", "html": "", "attachments": "[]", "stripped": true},
		dbx.NewExp("status = 'sent' AND stripped = FALSE AND sent_at < {:cut}", dbx.Params{"cut": dbTime(now.Add(-30 * 24 * time.Hour))})).Execute()
	if err != nil {
		return 0, fmt.Errorf("outbox: strip bodies: %w", err)
	}
	return res.RowsAffected()
}

// retryNow makes a queued or failed outbox row due at once (the dashboard's "retry now").
func retryNow(app core.App, id string, now time.Time) error {
	rec, err := app.FindRecordById("outbox", id)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if rec.GetString("status") == "sent" {
		return errors.New("outbox: already sent")
	}
	if rec.GetString("status") == "failed" {
		// A new day of tries: the give-up clock starts again.
		rec.Set("first_attempt", now.UTC())
	}
	rec.Set("status", "queued")
	rec.Set("next_attempt", now.UTC())
	return app.Save(rec)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
