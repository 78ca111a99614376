package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"reserva/internal/mail"
	"reserva/internal/store"
)

// ErrNoRelay means no SMTP relay is configured: mail waits in the outbox until one is.
var ErrNoRelay = errors.New("mail: no SMTP relay configured (RESERVA_SMTP_* or the dashboard's mail settings)")

// Environment prefixes of the primary and the second (failover) relay.
const (
	SMTPEnvPrefix  = "RESERVA_SMTP_"
	SMTP2EnvPrefix = "RESERVA_SMTP2_"
)

// RelayConfig is a stored relay with its password as the sender takes it.
func RelayConfig(r store.Relay, password string) mail.Config {
	return mail.Config{Host: r.Host, Port: r.Port, Username: r.Username, Password: password,
		TLS: mail.TLSMode(r.TLS), FromName: r.FromName, FromAddress: r.FromAddress}
}

// RelaysFromEnv reports whether the relays come from RESERVA_SMTP_* (then the dashboard's are
// not used).
func RelaysFromEnv() bool {
	_, ok, _ := mail.ConfigFromEnv(SMTPEnvPrefix, os.Getenv)
	return ok
}

// mailer holds the transport every mail leaves by. It is built from RESERVA_SMTP_* (and
// RESERVA_SMTP2_* for a second relay) when set, else from the stored settings, and rebuilt
// only when those change, so the failover state survives between sends.
type mailer struct {
	mu       sync.Mutex
	override mail.Transport // tests
	built    string         // the settings the cached transport was built from
	t        *mail.Failover
	names    [2]string
	warned   time.Time // when "no relay" was last logged
}

// Transport returns the transport to send with, or ErrNoRelay.
func (j *Jobs) Transport() (mail.Transport, error) {
	app := j.app
	m := &j.mail
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.override != nil {
		return m.override, nil
	}
	primary, okP, err := mail.ConfigFromEnv(SMTPEnvPrefix, os.Getenv)
	if err != nil {
		return nil, err
	}
	secondary, okS, err := mail.ConfigFromEnv(SMTP2EnvPrefix, os.Getenv)
	if err != nil {
		return nil, err
	}
	stamp := "env"
	if !okP {
		var s store.MailSettings
		var sec store.MailSecrets
		found, err := store.LoadSetting(app, store.SettingMail, &s, &sec)
		if err != nil {
			return nil, err
		}
		if !found || s.Primary.Host == "" {
			return nil, ErrNoRelay
		}
		primary, okP = RelayConfig(s.Primary, sec.Primary), true
		if okS = s.Secondary.Host != ""; okS {
			secondary = RelayConfig(s.Secondary, sec.Secondary)
		}
		stamp = fmt.Sprintf("%+v|%+v", s, sec)
	} else {
		stamp = fmt.Sprintf("env|%+v|%+v", primary, secondary)
	}
	if m.t != nil && m.built == stamp {
		return m.t, nil
	}
	p, err := mail.NewSender(primary)
	if err != nil {
		return nil, fmt.Errorf("mail: primary relay: %w", err)
	}
	f := &mail.Failover{Primary: p}
	m.names = [2]string{p.Name(), ""}
	if okS {
		s, err := mail.NewSender(secondary)
		if err != nil {
			return nil, fmt.Errorf("mail: second relay: %w", err)
		}
		f.Secondary = s
		m.names[1] = s.Name()
	}
	m.t, m.built = f, stamp
	return f, nil
}

// RelayNames names the configured relays (host:port), for the privacy notice's list of
// processors; none when no relay is set up.
func (j *Jobs) RelayNames() []string {
	if _, err := j.Transport(); err != nil {
		return nil
	}
	m := &j.mail
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, n := range m.names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// ActiveRelay names the relay in use, for the outbox's record and the dashboard.
func (j *Jobs) ActiveRelay() string {
	m := &j.mail
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.t == nil {
		return ""
	}
	if m.t.Active() == "secondary" {
		return m.names[1]
	}
	return m.names[0]
}

// BindPocketBaseMail sends PocketBase's own mails (superuser one-time codes, password resets,
// alerts) through Reserva's relays, at once (not through the outbox: a sign-in code is only
// useful now).
func (j *Jobs) BindPocketBaseMail(app core.App) {
	app.OnMailerSend().Bind(&hook.Handler[*core.MailerEvent]{
		Id: "reservaMailer",
		Func: func(e *core.MailerEvent) error {
			t, err := j.Transport()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			msg := e.Message
			var atts []mail.Attachment
			for name, r := range msg.Attachments {
				b, err := io.ReadAll(r)
				if err != nil {
					return fmt.Errorf("mail: attachment %s: %w", name, err)
				}
				atts = append(atts, mail.Attachment{Name: name, Data: b})
			}
			text := msg.Text
			if strings.TrimSpace(text) == "" {
				text = htmlToText(msg.HTML)
			}
			var errs []error
			for _, to := range msg.To {
				errs = append(errs, t.Send(ctx, mail.Message{
					To: to.Address, ToName: to.Name, Subject: msg.Subject, Text: text, HTML: msg.HTML,
					Attachments: atts, Headers: map[string]string{"Auto-Submitted": "auto-generated"},
				}))
			}
			return errors.Join(errs...)
		},
	})
}

// htmlToText is a plain-text fallback for PocketBase's HTML-only mails: tags dropped, entities
// of the common kind decoded, blank runs collapsed.
func htmlToText(html string) string {
	var b strings.Builder
	inTag := false
	for _, r := range html {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	s := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&nbsp;", " ").Replace(b.String())
	return strings.Join(strings.Fields(s), " ")
}
