package hooks

import (
	"errors"
	"strings"
	"testing"

	"reserva/internal/store"
)

func TestSettingsSealSecrets(t *testing.T) {
	s := newServerOpts(t, func(o *options) { o.transport = nil }) // mail leaves by the stored relay
	want := store.MailSettings{Primary: store.Relay{Host: "smtp.example.com", Port: 587, Username: "bookings", TLS: "starttls",
		FromName: "Demo", FromAddress: "bookings@example.com"}}

	t.Setenv(store.EncryptionKeyEnv, "")
	if err := store.SaveSetting(s.app, store.SettingMail, want, store.MailSecrets{Primary: "hunter2"}); !errors.Is(err, store.ErrNoKey) {
		t.Fatalf("saving a secret without a key: %v, want store.ErrNoKey", err)
	}

	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	if err := store.SaveSetting(s.app, store.SettingMail, want, store.MailSecrets{Primary: "hunter2"}); err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := s.app.DB().NewQuery("SELECT value || sealed FROM settings WHERE key = 'mail'").Row(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "hunter2") || !strings.Contains(raw, "smtp.example.com") {
		t.Errorf("stored: %s", raw)
	}
	var got store.MailSettings
	var sec store.MailSecrets
	if found, err := store.LoadSetting(s.app, store.SettingMail, &got, &sec); !found || err != nil || got != want || sec.Primary != "hunter2" {
		t.Fatalf("loaded %v %+v %+v %v", found, got, sec, err)
	}
	// Saving without secrets keeps the sealed ones.
	want.Primary.Port = 465
	if err := store.SaveSetting(s.app, store.SettingMail, want, nil); err != nil {
		t.Fatal(err)
	}
	sec = store.MailSecrets{}
	if _, err := store.LoadSetting(s.app, store.SettingMail, &got, &sec); err != nil || got.Primary.Port != 465 || sec.Primary != "hunter2" {
		t.Errorf("after saving without secrets: %+v %+v %v", got, sec, err)
	}
	// Another key cannot read them.
	t.Setenv(store.EncryptionKeyEnv, "fedcba9876543210fedcba9876543210")
	if _, err := store.LoadSetting(s.app, store.SettingMail, &got, &sec); err == nil {
		t.Errorf("secrets read with the wrong key")
	}
	// The stored relay is what mail is sent with when no RESERVA_SMTP_* is set.
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	tr, err := s.jobs.Transport()
	if err != nil || tr == nil || s.jobs.ActiveRelay() != "smtp.example.com:465" {
		t.Errorf("transport from settings: %v, relay %q", err, s.jobs.ActiveRelay())
	}
}
