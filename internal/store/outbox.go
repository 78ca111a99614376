package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Mail is one row of the outbox: an e-mail written in the same transaction as the change that
// causes it and sent later by the outbox worker, with retries.
//
// Mails about a booking (Kind.AboutBooking) hold no body when queued: they are rendered when
// sent, from the booking as it is then, with the manage token the row carries (sealed) until
// it is sent or given up. Every other mail is rendered when queued.
type Mail struct {
	ID           string         `db:"id"`
	Kind         MailKind       `db:"kind"`
	Booking      string         `db:"booking"`
	To           string         `db:"to_email"`
	ToName       string         `db:"to_name"`
	Subject      string         `db:"subject"`
	Text         string         `db:"text"`
	HTML         string         `db:"html"`
	Attachments  types.JSONRaw  `db:"attachments"`
	MessageID    string         `db:"message_id"`
	Token        string         `db:"token"` // NB! sealed (MailToken opens it)
	Status       MailStatus     `db:"status"`
	Attempts     int            `db:"attempts"`
	NextAttempt  types.DateTime `db:"next_attempt"`
	FirstAttempt types.DateTime `db:"first_attempt"`
	LastError    string         `db:"last_error"`
	SentAt       types.DateTime `db:"sent_at"`
	Relay        string         `db:"relay"`
	Stripped     bool           `db:"stripped"`
	Created      types.DateTime `db:"created"`
}

// Attachment is a file of a mail rendered when queued.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"` // base64 in the row, by encoding/json
}

// Files are the mail's attachments.
func (m *Mail) Files() []Attachment {
	var atts []Attachment
	_ = json.Unmarshal(m.Attachments, &atts)
	return atts
}

// MessageIDAt is the row's Message-ID with host as its domain (rows queued before the host was
// known keep the one they were given).
func (m *Mail) MessageIDAt(host string) string {
	if strings.HasPrefix(m.MessageID, "<") {
		return m.MessageID
	}
	return "<" + m.MessageID + "@" + host + ">"
}

// MailToken opens the manage token the row carries ("" when it carries none).
func (m *Mail) MailToken() (string, error) {
	if m.Token == "" {
		return "", nil
	}
	return openSoft(mailTokenKey, m.Token)
}

// NewMail is a mail rendered when queued.
type NewMail struct {
	Kind                MailKind
	Booking             string // the booking it is about, if any
	To, ToName          string
	Subject, Text, HTML string
	Attachments         []Attachment
}

// QueueMail writes m to the outbox, due now. Call it inside the transaction of the change that
// causes the mail: both are stored, or neither.
func QueueMail(tx core.App, m NewMail, now time.Time) error {
	atts := m.Attachments
	if atts == nil {
		atts = []Attachment{}
	}
	raw, err := json.Marshal(atts)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return insertMail(tx, dbx.Params{"kind": string(m.Kind), "booking": m.Booking, "to": m.To, "to_name": truncate(m.ToName, 200),
		"subject": truncate(m.Subject, 500), "text": m.Text, "html": m.HTML, "atts": string(raw), "token": ""}, now)
}

// QueueBookingMail queues a mail of kind about booking b to its guest, carrying token (its
// manage link; "" for none), to be rendered when sent. A booking without an address (taken by
// phone, or anonymised) gets no mail.
func QueueBookingMail(tx core.App, kind MailKind, b *Booking, token string, now time.Time) error {
	if b.Email == "" {
		return nil
	}
	return QueueBookingMailTo(tx, kind, b.ID, b.Email, b.Name, token, now)
}

// QueueBookingMailTo queues a mail of kind about booking id to an address of the caller's
// choosing (the venue's notify address), to be rendered when sent.
func QueueBookingMailTo(tx core.App, kind MailKind, bookingID, to, toName, token string, now time.Time) error {
	sealed := ""
	if token != "" {
		var err error
		if sealed, err = sealSoft(mailTokenKey, token); err != nil {
			return fmt.Errorf("outbox: seal the link: %w", err)
		}
	}
	return insertMail(tx, dbx.Params{"kind": string(kind), "booking": bookingID, "to": to, "to_name": truncate(toName, 200),
		"subject": "", "text": "", "html": "", "atts": "[]", "token": sealed}, now)
}

func insertMail(tx core.App, p dbx.Params, now time.Time) error {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	p["id"], p["mid"], p["due"], p["now"] = newID(), hex.EncodeToString(b), DBTime(now), stamp()
	p["queued"] = string(MailQueued)
	_, err := tx.DB().NewQuery(`INSERT INTO outbox (id, kind, booking, to_email, to_name, subject, text, html, attachments,
		message_id, token, status, next_attempt, created, updated)
		VALUES ({:id}, {:kind}, {:booking}, {:to}, {:to_name}, {:subject}, {:text}, {:html}, {:atts},
		{:mid}, {:token}, {:queued}, {:due}, {:now}, {:now})`).Bind(p).Execute()
	if err != nil {
		return fmt.Errorf("outbox: queue %s: %w", p["kind"], err)
	}
	return nil
}

// DueMail lists up to limit queued rows due at now, the longest due first.
func DueMail(app core.App, now time.Time, limit int) ([]*Mail, error) {
	var out []*Mail
	err := app.DB().NewQuery("SELECT * FROM outbox WHERE status = {:q} AND next_attempt <= {:now} ORDER BY next_attempt LIMIT {:n}").
		Bind(dbx.Params{"q": string(MailQueued), "now": DBTime(now), "n": limit}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("outbox: due rows: %w", err)
	}
	return out, nil
}

// OldestWaiting is the queued row that failed before and is due next (nil when none).
func OldestWaiting(app core.App) (*Mail, error) {
	var out []*Mail
	err := app.DB().NewQuery("SELECT * FROM outbox WHERE status = {:q} AND attempts > 0 ORDER BY next_attempt LIMIT 1").
		Bind(dbx.Params{"q": string(MailQueued)}).All(&out)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out[0], nil
}

// SentMail records that m was accepted by relay at now, with what was sent: a mail rendered at
// sending keeps its subject (for the dashboard) but not its body, and the token it carried is
// dropped.
func SentMail(app core.App, m *Mail, relay, subject string, now time.Time) error {
	first := m.FirstAttempt.String()
	if first == "" {
		first = DBTime(now)
	}
	if subject == "" {
		subject = m.Subject
	}
	_, err := app.DB().Update(colOutbox, dbx.Params{"status": string(MailSent), "attempts": m.Attempts + 1, "first_attempt": first,
		"sent_at": DBTime(now), "relay": truncate(relay, 300), "last_error": "", "subject": truncate(subject, 500), "token": "",
		"updated": stamp()}, hashExp("id", m.ID)).Execute()
	if err != nil {
		return fmt.Errorf("outbox: record the result of %s: %w", m.ID, err)
	}
	return nil
}

// KeepMailToken keeps token (sealed) in outbox row id: a link made for the mail when it was
// first rendered, which its later attempts carry again instead of a new one each.
func KeepMailToken(app core.App, id, token string) error {
	sealed, err := sealSoft(mailTokenKey, token)
	if err != nil {
		return fmt.Errorf("outbox: seal the link of %s: %w", id, err)
	}
	if _, err := app.DB().Update(colOutbox, dbx.Params{"token": sealed, "updated": stamp()}, hashExp("id", id)).Execute(); err != nil {
		return fmt.Errorf("outbox: keep the link of %s: %w", id, err)
	}
	return nil
}

// RetryMail records a failed attempt of m at now, to be tried again at next.
func RetryMail(app core.App, m *Mail, cause string, next, now time.Time) error {
	first := m.FirstAttempt.String()
	if first == "" {
		first = DBTime(now)
	}
	_, err := app.DB().Update(colOutbox, dbx.Params{"attempts": m.Attempts + 1, "first_attempt": first, "next_attempt": DBTime(next),
		"last_error": truncate(cause, 1000), "updated": stamp()}, hashExp("id", m.ID)).Execute()
	if err != nil {
		return fmt.Errorf("outbox: record the result of %s: %w", m.ID, err)
	}
	return nil
}

// FailMail gives m up at now (a permanent refusal, or a day of failures); its token goes.
func FailMail(app core.App, m *Mail, cause string, now time.Time) error {
	first := m.FirstAttempt.String()
	if first == "" {
		first = DBTime(now)
	}
	_, err := app.DB().Update(colOutbox, dbx.Params{"status": string(MailFailed), "attempts": m.Attempts + 1, "first_attempt": first,
		"last_error": truncate(cause, 1000), "token": "", "updated": stamp()}, hashExp("id", m.ID)).Execute()
	if err != nil {
		return fmt.Errorf("outbox: record the result of %s: %w", m.ID, err)
	}
	return nil
}

// DropMail ends a mail that has nobody to go to any more (its booking was erased) as failed.
func DropMail(app core.App, m *Mail, why string) error {
	_, err := app.DB().Update(colOutbox, dbx.Params{"status": string(MailFailed), "last_error": truncate(why, 1000), "token": "",
		"updated": stamp()}, hashExp("id", m.ID)).Execute()
	return err
}

// MakeWaitingDue makes every queued row that failed before due at now (the relay is back).
func MakeWaitingDue(app core.App, now time.Time) error {
	_, err := app.DB().Update(colOutbox, dbx.Params{"next_attempt": DBTime(now)},
		dbx.NewExp("status = {:q} AND attempts > 0", dbx.Params{"q": string(MailQueued)})).Execute()
	if err != nil {
		return fmt.Errorf("outbox: make waiting rows due: %w", err)
	}
	return nil
}

// StripSentBodies removes the bodies and attachments of mail sent more than 30 days ago (they
// hold personal data; the row stays as a record that a message was sent). Returns the count.
func StripSentBodies(app core.App, now time.Time) (int64, error) {
	res, err := app.DB().Update(colOutbox,
		dbx.Params{"text": "", "html": "", "attachments": "[]", "stripped": true},
		dbx.NewExp("status = {:sent} AND stripped = FALSE AND sent_at < {:cut}",
			dbx.Params{"sent": string(MailSent), "cut": DBTime(now.Add(-30 * 24 * time.Hour))})).Execute()
	if err != nil {
		return 0, fmt.Errorf("outbox: strip bodies: %w", err)
	}
	return rowsAffected(res), nil
}

// ErrAlreadySent refuses to send a mail again.
var ErrAlreadySent = fmt.Errorf("outbox: already sent")

// RetryNow makes a queued or failed row due at once (the dashboard's "retry now"); a failed one
// gets a new day of tries. sql.ErrNoRows when there is no such row.
func RetryNow(app core.App, id string, now time.Time) error {
	var m Mail
	if err := app.DB().NewQuery("SELECT * FROM outbox WHERE id = {:id}").Bind(dbx.Params{"id": id}).One(&m); err != nil {
		return errNotFound(err)
	}
	if m.Status == MailSent {
		return ErrAlreadySent
	}
	cols := dbx.Params{"status": string(MailQueued), "next_attempt": DBTime(now), "updated": stamp()}
	if m.Status == MailFailed {
		cols["first_attempt"] = DBTime(now)
	}
	_, err := app.DB().Update(colOutbox, cols, hashExp("id", id)).Execute()
	return err
}

// MailCounts counts the rows of each status.
func MailCounts(app core.App) (map[MailStatus]int, error) {
	var rows []struct {
		Status MailStatus `db:"status"`
		N      int        `db:"n"`
	}
	if err := app.DB().NewQuery("SELECT status, count(*) AS n FROM outbox GROUP BY status").All(&rows); err != nil {
		return nil, err
	}
	out := map[MailStatus]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// MailList lists the newest limit rows of status, without their bodies.
func MailList(app core.App, status MailStatus, limit int) ([]*Mail, error) {
	var out []*Mail
	err := app.DB().NewQuery(`SELECT id, kind, booking, to_email, to_name, subject, message_id, status, attempts, next_attempt,
		first_attempt, last_error, sent_at, relay, stripped, created FROM outbox WHERE status = {:s} ORDER BY created DESC LIMIT {:n}`).
		Bind(dbx.Params{"s": string(status), "n": limit}).All(&out)
	return out, err
}
