package cli

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"reserva/internal/jobs"
)

// ACME back-off: after a failed attempt to obtain a certificate no new attempt is made for a
// minute, then twice as long after each further failure, up to six hours. Let's Encrypt allows
// five failed validations per name per hour; autocert alone tried again on every handshake.
const (
	acmeFirstWait = time.Minute
	acmeMaxWait   = 6 * time.Hour
)

// certGate stands between TLS handshakes and autocert: it passes the handshakes of ACME's own
// TLS-ALPN-01 challenge and of names that are not the site's untouched, and for the site's
// names remembers a failure (logged at warning level with its cause, recorded for /healthz and
// the dashboard) and refuses further attempts until the back-off has passed.
type certGate struct {
	get     func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	domains []string
	now     func() time.Time
	log     *slog.Logger
	record  func(jobs.CertState)

	mu       sync.Mutex
	failures int
	state    jobs.CertState
}

func newCertGate(m *autocert.Manager, domains []string, j *jobs.Jobs, log *slog.Logger) *certGate {
	return &certGate{get: m.GetCertificate, domains: domains, now: j.Now, log: log, record: j.SetCertState}
}

func (g *certGate) ours(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	return slices.ContainsFunc(g.domains, func(d string) bool { return strings.EqualFold(d, name) || strings.EqualFold("www."+d, name) })
}

// GetCertificate is the TLS configuration's certificate source.
func (g *certGate) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if slices.Contains(hello.SupportedProtos, acme.ALPNProto) || !g.ours(hello.ServerName) {
		return g.get(hello)
	}
	now := g.now()
	g.mu.Lock()
	if g.state.Failing() && now.Before(g.state.RetryAt) {
		st := g.state
		g.mu.Unlock()
		return nil, fmt.Errorf("certificate for %s: not retried before %s after: %s", hello.ServerName, st.RetryAt.UTC().Format(time.RFC3339), st.Error)
	}
	g.mu.Unlock()

	cert, err := g.get(hello)

	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil {
		if g.state.Failing() {
			g.log.Info("certificate obtained after failures", "domain", hello.ServerName, "failures", g.failures)
		}
		g.failures, g.state = 0, jobs.CertState{}
		g.record(g.state)
		return cert, nil
	}
	g.failures++
	wait := min(acmeFirstWait<<min(g.failures-1, 20), acmeMaxWait)
	if g.state.Since.IsZero() {
		g.state.Since = now
	}
	g.state.Error, g.state.RetryAt = err.Error(), now.Add(wait)
	g.record(g.state)
	g.log.Warn("certificate: ACME failed; not retried before the back-off ends",
		"domain", hello.ServerName, "error", err.Error(), "failures", g.failures, "retry_at", g.state.RetryAt.UTC().Format(time.RFC3339))
	return nil, err
}
