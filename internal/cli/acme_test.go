package cli

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"reserva/internal/jobs"
)

// A failing ACME server is asked once per back-off period, not on every handshake; the cause
// is logged at warning level and recorded; other names and ACME's own handshakes pass through.
func TestACMEFailuresBackOff(t *testing.T) {
	var asked atomic.Int64
	ca := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusForbidden) // not retried by the ACME client itself
		w.Write([]byte(`{"type":"urn:ietf:params:acme:error:unauthorized","detail":"the CA refuses"}`))
	}))
	defer ca.Close()
	m := &autocert.Manager{Prompt: autocert.AcceptTOS, HostPolicy: autocert.HostWhitelist("booking.test"),
		Cache: autocert.DirCache(t.TempDir()), Client: &acme.Client{DirectoryURL: ca.URL}}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	var state jobs.CertState
	var tries atomic.Int64 // attempts that reached autocert
	get := func(h *tls.ClientHelloInfo) (*tls.Certificate, error) { tries.Add(1); return m.GetCertificate(h) }
	g := &certGate{get: get, domains: []string{"booking.test"}, now: func() time.Time { return now },
		log: slog.New(slog.NewTextHandler(&logs, nil)), record: func(c jobs.CertState) { state = c }}
	hello := &tls.ClientHelloInfo{ServerName: "booking.test"}

	if _, err := g.GetCertificate(hello); err == nil {
		t.Fatal("a certificate from a CA that is down")
	}
	first := asked.Load()
	if first == 0 || !state.Failing() || !state.RetryAt.Equal(now.Add(acmeFirstWait)) {
		t.Fatalf("after the first failure: CA asked %d times, state %+v", first, state)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "the CA refuses") {
		t.Errorf("the warning lacks the level or the cause: %s", logs.String())
	}
	for range 50 { // a busy minute of handshakes
		if _, err := g.GetCertificate(hello); err == nil || !strings.Contains(err.Error(), "not retried before") {
			t.Fatalf("during the back-off: %v", err)
		}
	}
	if asked.Load() != first || tries.Load() != 1 {
		t.Errorf("during the back-off the CA was asked %d more times, autocert %d times", asked.Load()-first, tries.Load()-1)
	}
	now = now.Add(acmeFirstWait + time.Second)
	g.GetCertificate(hello)
	if tries.Load() != 2 || !state.RetryAt.Equal(now.Add(2*acmeFirstWait)) {
		t.Errorf("after the wait: %d attempts, retry at %v; want a second attempt and twice the wait", tries.Load(), state.RetryAt)
	}
	// Names that are not the site's do not start or extend the back-off.
	before := state
	g.GetCertificate(&tls.ClientHelloInfo{ServerName: "scanner.example"})
	if state != before {
		t.Errorf("a foreign name changed the state: %+v", state)
	}
}
