package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestTextNumber: numbers as people type them, read in the venue's country when they carry no
// code, come out in E.164; landlines and nonsense do not.
func TestTextNumber(t *testing.T) {
	const berlin = "+49 30 1234567"
	tests := []struct {
		typed, venue, want string
		err                bool
	}{
		{"+47 912 34 567", berlin, "+4791234567", false},
		{"0151 23456789", berlin, "+4915123456789", false},
		{"(0151) 234-567-89", berlin, "+4915123456789", false},
		{"0049 151 23456789", berlin, "+4915123456789", false},
		{"+44 7911 123456", berlin, "+447911123456", false},
		{"030 1234567", berlin, "", true},          // a Berlin landline
		{"+49 30 1234567", "", "", true},           // the same, written with its code
		{"0151 23456789", "", "", true},            // no code and no venue country to read it in
		{"0151 23456789", "030 1234567", "", true}, // the venue's own number has no code either
		{"12345", berlin, "", true},
		{"call me", berlin, "", true},
		{"", berlin, "", true},
	}
	for _, tt := range tests {
		got, err := TextNumber(tt.typed, tt.venue)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("TextNumber(%q, %q) = %q, %v; want %q (error %v)", tt.typed, tt.venue, got, err, tt.want, tt.err)
		}
		if tt.err && !errors.Is(err, ErrNotTextable) {
			t.Errorf("TextNumber(%q) error %v, want ErrNotTextable", tt.typed, err)
		}
	}
	for _, tt := range []struct {
		number, venue string
		home          bool
		code          string
	}{
		{"+4915123456789", berlin, true, "+49"},
		{"+4791234567", berlin, false, "+49"},
		{"+4791234567", "+47 22 00 00 00", true, "+47"},
		{"+4915123456789", "030 1234567", false, ""},
	} {
		if home, code := HomeNumber(tt.number, tt.venue); home != tt.home || code != tt.code {
			t.Errorf("HomeNumber(%q, %q) = %v, %q; want %v, %q", tt.number, tt.venue, home, code, tt.home, tt.code)
		}
	}
	if got := DisplayNumber("+4915123456789"); got != "+49 1512 3456789" {
		t.Errorf("DisplayNumber = %q", got)
	}
}

// TestTextsFromEnv: no gateway, each gateway, and every half set-up one refused with the
// variable named.
func TestTextsFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if s, err := TextsFromEnv(env(nil)); s != nil || err != nil {
		t.Errorf("no gateway = %v, %v", s, err)
	}
	if s, err := TextsFromEnv(env(map[string]string{SMSWebhookEnv: "https://gw.example/send"})); err != nil || s == nil {
		t.Errorf("webhook = %v, %v", s, err)
	}
	if s, err := TextsFromEnv(env(map[string]string{TwilioSIDEnv: "AC123", TwilioTokenEnv: "tok", TwilioFromEnv: "+15005550006"})); err != nil || s == nil {
		t.Errorf("twilio = %v, %v", s, err)
	}
	for _, bad := range []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{SMSWebhookEnv: "ftp://gw.example"}, SMSWebhookEnv},
		{map[string]string{SMSWebhookEnv: "gw.example/send"}, SMSWebhookEnv},
		{map[string]string{SMSWebhookEnv: "https://gw.example", TwilioSIDEnv: "AC1"}, TwilioSIDEnv},
		{map[string]string{TwilioSIDEnv: "AC1", TwilioFromEnv: "+15005550006"}, TwilioTokenEnv},
		{map[string]string{TwilioSIDEnv: "AC1", TwilioTokenEnv: "tok"}, TwilioFromEnv},
		{map[string]string{TwilioSIDEnv: "SK1", TwilioTokenEnv: "tok", TwilioFromEnv: "+15005550006"}, TwilioSIDEnv},
		{map[string]string{TwilioSIDEnv: "AC1", TwilioTokenEnv: "tok", TwilioFromEnv: "+1", TwilioAPIEnv: "api.twilio.com"}, TwilioAPIEnv},
	} {
		if s, err := TextsFromEnv(env(bad.env)); err == nil || s != nil || !strings.Contains(err.Error(), bad.name) {
			t.Errorf("TextsFromEnv(%v) = %v, %v; want an error naming %s", bad.env, s, err, bad.name)
		}
	}
}

// twilioAPI is a local HTTP server that answers the one call of Twilio's Messages API that
// Reserva makes, as Twilio documents it: form fields To, Body and From (or
// MessagingServiceSid), HTTP basic auth with the account SID and auth token; 201 with the
// message's sid, or an error object {code, message, status}. It checks what it is sent.
type twilioAPI struct {
	t      *testing.T
	mu     sync.Mutex
	got    []url.Values
	status int // the answer: 201 unless set
}

func (a *twilioAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/AC0123/Messages.json":
		a.t.Errorf("twilio got %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		return
	case !ok || user != "AC0123" || pass != "auth-token":
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code": 20003, "message": "Authenticate", "status": 401}`))
		return
	case r.Header.Get("Content-Type") != "application/x-www-form-urlencoded":
		a.t.Errorf("twilio got Content-Type %q", r.Header.Get("Content-Type"))
	}
	if err := r.ParseForm(); err != nil {
		a.t.Errorf("twilio form: %v", err)
	}
	a.mu.Lock()
	a.got = append(a.got, r.PostForm)
	status := a.status
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch status {
	case 0, http.StatusCreated:
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"sid": "SM0123456789abcdef", "status": "queued", "to": r.PostForm.Get("To")})
	default:
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 21211, "message": "Invalid 'To' Phone Number", "status": status})
	}
}

// TestTwilioTexts: a text goes to the Messages API with the account's credentials, from the
// number or the Messaging Service set up; a 4xx is final, a 429 or 5xx worth a retry, and
// wrong credentials a final no.
func TestTwilioTexts(t *testing.T) {
	api := &twilioAPI{t: t}
	srv := httptest.NewServer(api)
	defer srv.Close()
	sender := func(from, token string) TextSender {
		s, err := TextsFromEnv(func(k string) string {
			return map[string]string{TwilioSIDEnv: "AC0123", TwilioTokenEnv: token, TwilioFromEnv: from, TwilioAPIEnv: srv.URL}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := context.Background()
	id, err := sender("+4915112345678", "auth-token").SendText(ctx, "+4791234567", "Demo Bistro: booked.")
	if err != nil || id != "SM0123456789abcdef" {
		t.Fatalf("send = %q, %v", id, err)
	}
	if _, err := sender("MG0123", "auth-token").SendText(ctx, "+4791234567", "Zweite"); err != nil {
		t.Fatal(err)
	}
	api.mu.Lock()
	if len(api.got) != 2 || api.got[0].Get("To") != "+4791234567" || api.got[0].Get("Body") != "Demo Bistro: booked." ||
		api.got[0].Get("From") != "+4915112345678" || api.got[0].Has("MessagingServiceSid") ||
		api.got[1].Get("MessagingServiceSid") != "MG0123" || api.got[1].Has("From") {
		t.Errorf("twilio got %v", api.got)
	}
	api.mu.Unlock()

	for _, tt := range []struct {
		status int
		final  bool
	}{{http.StatusBadRequest, true}, {http.StatusTooManyRequests, false}, {http.StatusServiceUnavailable, false}} {
		api.mu.Lock()
		api.status = tt.status
		api.mu.Unlock()
		_, err := sender("+4915112345678", "auth-token").SendText(ctx, "+4791234567", "x")
		if err == nil || errors.Is(err, ErrTextRefused) != tt.final {
			t.Errorf("answer %d: %v, want final %v", tt.status, err, tt.final)
		}
		if tt.status == http.StatusBadRequest && !strings.Contains(err.Error(), "21211") {
			t.Errorf("answer 400: %v does not carry Twilio's error code", err)
		}
	}
	if _, err := sender("+4915112345678", "wrong").SendText(ctx, "+4791234567", "x"); !errors.Is(err, ErrTextRefused) {
		t.Errorf("wrong token: %v, want a final no", err)
	}
}
