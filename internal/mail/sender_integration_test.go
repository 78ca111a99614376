//go:build integration

package mail

import (
	"context"
	"strings"
	"testing"
	"time"

	"reserva/internal/realtest"
)

func TestSenderIntegrationMailpit(t *testing.T) {
	mp := realtest.StartMailpit(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	config := Config{
		Host: "127.0.0.1", Port: mp.SMTPPort, TLS: TLSStartTLS,
		Username: "reserva", Password: "secret",
		FromName: "Reserva", FromAddress: "bookings@example.com",
		RootCAs: mp.Cert.Pool, Timeout: 10 * time.Second,
	}

	t.Run("starttls with calendar", func(t *testing.T) {
		sender, err := NewSender(config)
		if err != nil {
			t.Fatal(err)
		}
		want := fullMessage()
		if err := sender.Send(ctx, want); err != nil {
			t.Fatalf("Send() = %v", err)
		}

		list := mp.Messages(t)
		if len(list) != 1 {
			t.Fatalf("mailpit holds %d messages, want 1: %+v", len(list), list)
		}
		wantID := strings.Trim(want.MessageID, "<>")
		if list[0].MessageID != wantID || list[0].Subject != want.Subject || list[0].Attachments != 1 {
			t.Errorf("listed %+v, want Message-ID %s, subject %q, 1 attachment", list[0], wantID, want.Subject)
		}

		got := mp.Message(t, list[0].ID)
		if got.MessageID != wantID {
			t.Errorf("MessageID = %q, want %q", got.MessageID, wantID)
		}
		if got.Subject != want.Subject {
			t.Errorf("Subject = %q, want %q", got.Subject, want.Subject)
		}
		if strings.TrimSpace(got.Text) != want.Text {
			t.Errorf("Text = %q, want %q", got.Text, want.Text)
		}
		if !strings.Contains(got.HTML, want.HTML) {
			t.Errorf("HTML = %q, want it to contain %q", got.HTML, want.HTML)
		}
		if got.From.Address != config.FromAddress || got.From.Name != config.FromName {
			t.Errorf("From = %+v, want %s <%s>", got.From, config.FromName, config.FromAddress)
		}
		if len(got.To) != 1 || got.To[0].Address != want.To || got.To[0].Name != want.ToName {
			t.Errorf("To = %+v, want %s <%s>", got.To, want.ToName, want.To)
		}
		// Username is not checked: Mailpit records it for AUTH LOGIN only, and the Sender uses
		// PLAIN when offered (the unit tests check the credentials and that they go over TLS).
		if len(got.Attachments) != 1 {
			t.Fatalf("Attachments = %+v, want one", got.Attachments)
		}
		a := got.Attachments[0]
		if a.FileName != "booking.ics" || !strings.HasPrefix(a.ContentType, "text/calendar") || a.Size != len(testICS) {
			t.Errorf("attachment = %+v, want booking.ics, text/calendar, %d bytes", a, len(testICS))
		}
		if data := mp.Part(t, got.ID, a.PartID); string(data) != testICS {
			t.Errorf("attachment data = %q, want %q", data, testICS)
		}

		// The raw message as stored: content type parameters, extra headers, every part.
		checkFullMessage(t, mp.Get(t, "/api/v1/message/"+got.ID+"/raw", nil))
	})

	t.Run("none to a remote host is refused by Validate", func(t *testing.T) {
		c := config
		c.Host, c.TLS, c.Port = "mail.example.com", TLSNone, 0
		_, err := NewSender(c)
		if want := `smtp: tls mode "none" is only allowed for a loopback host (got mail.example.com)`; err == nil || err.Error() != want {
			t.Errorf("NewSender() = %v, want %s", err, want)
		}
	})

	t.Run("none is refused by a relay that requires STARTTLS", func(t *testing.T) {
		c := config
		c.TLS, c.Username, c.Password = TLSNone, "", ""
		sender, err := NewSender(c)
		if err != nil {
			t.Fatal(err)
		}
		err = sender.Send(ctx, validMessage())
		if err == nil || !strings.Contains(err.Error(), "530") {
			t.Fatalf("Send() = %v, want a 530 from the relay", err)
		}
		// The relay wants STARTTLS: a matter of configuration, not of this message.
		if IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = true, want false", err)
		}
		if n := len(mp.Messages(t)); n != 1 {
			t.Errorf("mailpit holds %d messages, want still 1", n)
		}
	})

	t.Run("certificate not trusted", func(t *testing.T) {
		c := config
		c.RootCAs = newTestCert(t).Pool // another CA
		sender, err := NewSender(c)
		if err != nil {
			t.Fatal(err)
		}
		err = sender.Send(ctx, validMessage())
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Send() = %v, want a certificate error", err)
		}
		if n := len(mp.Messages(t)); n != 1 {
			t.Errorf("mailpit holds %d messages, want still 1", n)
		}
	})
}
