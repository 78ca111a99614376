package hooks

import (
	"errors"
	"strings"
	"testing"
)

func TestSettingsSealSecrets(t *testing.T) {
	s := newServer(t)
	want := mailSettings{Primary: relaySettings{Host: "smtp.example.com", Port: 587, Username: "bookings", TLS: "starttls",
		FromName: "Demo", FromAddress: "bookings@example.com"}}

	t.Setenv(EncryptionKeyEnv, "")
	if err := saveSetting(s.app, "mail", want, mailSecrets{Primary: "hunter2"}); !errors.Is(err, errNoKey) {
		t.Fatalf("saving a secret without a key: %v, want errNoKey", err)
	}

	t.Setenv(EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	if err := saveSetting(s.app, "mail", want, mailSecrets{Primary: "hunter2"}); err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := s.app.DB().NewQuery("SELECT value || sealed FROM settings WHERE key = 'mail'").Row(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "hunter2") || !strings.Contains(raw, "smtp.example.com") {
		t.Errorf("stored: %s", raw)
	}
	var got mailSettings
	var sec mailSecrets
	if found, err := loadSetting(s.app, "mail", &got, &sec); !found || err != nil || got != want || sec.Primary != "hunter2" {
		t.Fatalf("loaded %v %+v %+v %v", found, got, sec, err)
	}
	// Saving without secrets keeps the sealed ones.
	want.Primary.Port = 465
	if err := saveSetting(s.app, "mail", want, nil); err != nil {
		t.Fatal(err)
	}
	sec = mailSecrets{}
	if _, err := loadSetting(s.app, "mail", &got, &sec); err != nil || got.Primary.Port != 465 || sec.Primary != "hunter2" {
		t.Errorf("after saving without secrets: %+v %+v %v", got, sec, err)
	}
	// Another key cannot read them.
	t.Setenv(EncryptionKeyEnv, "fedcba9876543210fedcba9876543210")
	if _, err := loadSetting(s.app, "mail", &got, &sec); err == nil {
		t.Errorf("secrets read with the wrong key")
	}
	// The stored relay is what mail is sent with when no RESERVA_SMTP_* is set.
	t.Setenv(EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	s.h.mail.override = nil
	tr, err := s.h.transport(s.app)
	if err != nil || tr == nil || s.h.activeRelay() != "smtp.example.com:465" {
		t.Errorf("transport from settings: %v, relay %q", err, s.h.activeRelay())
	}
}
