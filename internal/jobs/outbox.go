package jobs

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/mail"
	"reserva/internal/store"
	"reserva/views"
)

// defaultMailInterval is how often the outbox is looked at.
const defaultMailInterval = 15 * time.Second

// DeliveryStats is what one run of the outbox worker did.
type DeliveryStats struct{ Sent, Retried, Failed, Dropped int }

// emailLike finds e-mail addresses in relay errors, which quote the recipient.
var emailLike = regexp.MustCompile(`[^\s<>"',;:()]+@[^\s<>"',;:()]+`)

// Deliver sends up to limit due outbox rows, one at a time, outside any transaction. Mails
// about a booking are rendered now, from the booking as it stands; one whose booking has been
// erased is dropped. Each row is marked sent only after the relay accepted it, so a crash or
// outage delays mail and never loses it (at worst a message whose acceptance was not recorded
// is sent twice, with the same Message-ID). Failures are retried with mail.Backoff; permanent
// ones, and any after mail.MaxAge, are marked failed. When nothing is due but messages wait
// after failures, the oldest is tried early; once one gets through, every waiting row is made
// due at once, so a relay that comes back drains the queue within one run.
func (j *Jobs) Deliver(limit int) (DeliveryStats, error) {
	var st DeliveryStats
	app := j.app
	now := j.now()
	t, err := j.Transport()
	if err != nil {
		return st, err
	}
	due, err := store.DueMail(app, now, limit)
	if err != nil {
		return st, err
	}
	if len(due) == 0 {
		if w, err := store.OldestWaiting(app); err != nil {
			return st, fmt.Errorf("outbox: waiting rows: %w", err)
		} else if w != nil {
			due = append(due, w)
		}
	}
	recovered := false
	host := j.mailHost()
	for _, m := range due {
		msg, subject, err := j.message(m, host, now)
		if errors.Is(err, errNobody) {
			st.Dropped++
			if err := store.DropMail(app, m, err.Error()); err != nil {
				return st, err
			}
			continue
		}
		if err != nil {
			return st, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		sendErr := t.Send(ctx, msg)
		cancel()
		attempts := m.Attempts + 1
		first := m.FirstAttempt.Time()
		if first.IsZero() {
			first = now
		}
		switch {
		case sendErr == nil:
			recovered = recovered || attempts > 1
			err = store.SentMail(app, m, j.ActiveRelay(), subject, now)
			st.Sent++
		case mail.IsPermanent(sendErr) || mail.GiveUp(first, now):
			err = store.FailMail(app, m, sendErr.Error(), now)
			st.Failed++
			app.Logger().Error("mail: gave up on a message", "outbox", m.ID, "kind", string(m.Kind),
				"attempts", attempts, "error", emailLike.ReplaceAllString(sendErr.Error(), "{address}"))
		default:
			err = store.RetryMail(app, m, sendErr.Error(), now.Add(mail.Backoff(attempts)), now)
			st.Retried++
			app.Logger().Warn("mail: send failed, will retry", "outbox", m.ID, "attempts", attempts,
				"retry_in", mail.Backoff(attempts).String(), "error", emailLike.ReplaceAllString(sendErr.Error(), "{address}"))
		}
		if err != nil {
			return st, err
		}
	}
	if recovered {
		if err := store.MakeWaitingDue(app, now); err != nil {
			return st, err
		}
	}
	return st, nil
}

// errNobody drops a mail whose booking no longer has anyone to write to.
var errNobody = errors.New("outbox: the booking's personal data is gone; nothing to send")

// message is the mail of row m as it goes out now, with its subject.
func (j *Jobs) message(m *store.Mail, host string, now time.Time) (mail.Message, string, error) {
	msg := mail.Message{To: m.To, ToName: m.ToName, MessageID: m.MessageIDAt(host),
		Headers: map[string]string{"Auto-Submitted": "auto-generated"}}
	if !m.Kind.ToVenue() { // answers to the venue's own notices need no detour
		if v, err := j.st.Venue(j.app); err == nil && v.Email != "" && !strings.EqualFold(v.Email, m.To) {
			msg.ReplyTo, msg.ReplyToName = v.Email, v.Name
		}
	}
	if !m.Kind.AboutBooking() {
		msg.Subject, msg.Text, msg.HTML = m.Subject, m.Text, m.HTML
		for _, a := range m.Files() {
			msg.Attachments = append(msg.Attachments, mail.Attachment{Name: a.Name, ContentType: a.ContentType, Data: a.Data})
		}
		return msg, m.Subject, nil
	}
	r, err := j.renderBookingMail(m, now)
	if err != nil {
		return msg, "", err
	}
	msg.Subject, msg.Text, msg.HTML, msg.Attachments = r.subject, r.text, r.html, r.attachments
	return msg, r.subject, nil
}

// rendered is a booking mail as it goes out.
type rendered struct {
	subject, text, html string
	attachments         []mail.Attachment
}

// renderBookingMail renders row m from its booking as it stands at now.
func (j *Jobs) renderBookingMail(m *store.Mail, now time.Time) (rendered, error) {
	app := j.app
	b, err := store.BookingByID(app, m.Booking)
	if err != nil && !isNoRows(err) {
		return rendered{}, err
	}
	if b == nil || b.Anonymised || (b.Email == "" && !m.Kind.ToVenue()) {
		return rendered{}, errNobody
	}
	o, err := store.OfferingByID(app, b.Offering)
	if err != nil {
		return rendered{}, err
	}
	v, err := j.st.Venue(app)
	if err != nil {
		return rendered{}, err
	}
	token, err := m.MailToken()
	if err != nil {
		return rendered{}, fmt.Errorf("outbox: the link of %s: %w", m.ID, err)
	}
	// The guest's mails are in the language they booked in; the venue's notices in its own.
	l := GuestLocale(v, b.Locale)
	if m.Kind.ToVenue() {
		l = Locale(v)
	}
	d := views.MailData{L: l, Kind: string(m.Kind), Venue: VenueView(v), Booking: BookingView(v, o, b)}
	if m.Kind == store.MailCancellation || m.Kind == store.MailVenueCancellation {
		d.Reason, d.ByVenue = b.CancelReason, b.ByVenue()
	}
	if token == "" && m.Kind != store.MailCancellation && !m.Kind.ToVenue() {
		// Every mail to the guest carries a link of its own, made now (a confirmation carries
		// the link the booking page sent the guest to, kept in the row until it is sent).
		if token, err = store.IssueBookingToken(app, b.ID, "mail:"+string(m.Kind)); err != nil {
			return rendered{}, err
		}
		// Kept in the row until it is sent: a retry carries the same link, not another.
		if err := store.KeepMailToken(app, m.ID, token); err != nil {
			return rendered{}, err
		}
	}
	if token != "" {
		d.ManageURL = j.AbsURL("/b/" + token)
		if b.Changeable(o, now) == nil {
			d.Deadline = o.Rules().CancelDeadline(d.Booking.Start).In(v.Loc)
		}
	}
	if m.Kind == store.MailFeedback {
		d.FeedbackURL = v.FeedbackURL
	}
	var html bytes.Buffer
	if err := views.MailHTML(d).Render(context.Background(), &html); err != nil {
		return rendered{}, fmt.Errorf("mail: render %s: %w", m.Kind, err)
	}
	r := rendered{subject: views.MailSubject(d), text: views.MailText(d), html: html.String()}
	if m.Kind != store.MailFeedback && !m.Kind.ToVenue() {
		ics, err := CalendarFile(v, o, b)
		if err != nil {
			return rendered{}, err
		}
		method := "PUBLISH"
		if b.Status == booking.StatusCancelled {
			method = "CANCEL"
		}
		r.attachments = []mail.Attachment{{Name: "booking-" + b.Reference + ".ics",
			ContentType: "text/calendar; method=" + method + "; charset=utf-8", Data: ics}}
	}
	return r, nil
}

// RenderForTest renders the mail of outbox row id as Deliver would send it now (tests read
// what a guest would get without a relay).
func (j *Jobs) RenderForTest(m *store.Mail) (mail.Message, error) {
	msg, _, err := j.message(m, j.mailHost(), j.now())
	return msg, err
}

// QueueBookingMail queues the mail of kind about b to its guest (and its text, when the guest
// asked for texts and kind is one of store.TextKinds), and for a new booking also the notice to
// the venue's notify address. token, when not empty, is the manage link the mail
// carries: the one the booking page itself sends the guest to (one token for both); otherwise
// the mail gets a link of its own when it is sent (none for a cancellation). Call it inside the
// transaction of the change.
func QueueBookingMail(tx core.App, v *store.Venue, kind store.MailKind, b *store.Booking, token string, now time.Time) error {
	if kind == store.MailCancellation {
		token = ""
	}
	if err := store.QueueBookingMail(tx, kind, b, token, now); err != nil {
		return err
	}
	if b.SMS && slices.Contains(store.TextKinds, kind) {
		if err := store.QueueText(tx, b.ID, kind, now); err != nil {
			return err
		}
	}
	if notice := kind.VenueCopy(); notice != "" && v.NotifyEmail != "" {
		return store.QueueBookingMailTo(tx, notice, b.ID, v.NotifyEmail, v.Name, "", now)
	}
	return nil
}

// isNoRows reports whether err means absence.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
