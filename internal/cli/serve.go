package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"reserva/internal/jobs"
	"reserva/internal/store"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/osutils"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ACME challenge choices for --acme-challenge.
const (
	challengeAuto    = "auto"        // TLS-ALPN-01 on the HTTPS port, HTTP-01 on the HTTP port
	challengeTLSALPN = "tls-alpn-01" // only TLS-ALPN-01 (port 80 only redirects)
	challengeHTTP    = "http-01"     // only HTTP-01 (the HTTPS port refuses acme-tls/1)
)

// serveConfig is what `reserva serve` was asked for; read in OnServe.
type serveConfig struct {
	domains       []string
	httpAddr      string
	httpsAddr     string
	acmeDirectory string
	acmeEmail     string
	acmeRoots     *x509.CertPool
	challenge     string
	tls13Only     bool
}

func (c *serveConfig) tls() bool { return c != nil && c.httpsAddr != "" }

// newServeCommand is Reserva's `serve`: PocketBase's server with Reserva's own certificate
// management (any ACME directory, a contact e-mail, private CA roots), a strict TLS
// configuration, timeouts everywhere, and a port-80 listener that answers ACME HTTP-01
// challenges and redirects everything else to HTTPS with 301. Under serve the jobs run.
func newServeCommand(app core.App, d Deps) *cobra.Command {
	var (
		httpAddr, httpsAddr         string
		acmeDir, acmeEmail, acmeCAs string
		challenge                   string
		tls13Only                   bool
		trustedProxies              []string
		proxyHeader                 string
		demo, demoGuests            bool
	)
	c := &cobra.Command{
		Use:   "serve [domain ...]",
		Short: "Start the booking site (with a domain: HTTPS with certificates of its own)",
		Long: "Start the booking site. Without a domain it listens on --http (default 127.0.0.1:8090), " +
			"for local use or behind a reverse proxy. With one or more domains it obtains and renews " +
			"certificates by ACME (Let's Encrypt unless --acme-directory), serves HTTPS on --https " +
			"(default :443) and redirects --http (default :80) to it.",
		Args:         cobra.ArbitraryArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, domains []string) error {
			cfg := &serveConfig{domains: domains, challenge: challenge, tls13Only: tls13Only,
				acmeDirectory: acmeDir, acmeEmail: acmeEmail, httpAddr: httpAddr, httpsAddr: httpsAddr}
			if err := cfg.check(acmeCAs); err != nil {
				return err
			}
			unlock, err := jobs.LockDataDir(app.DataDir())
			if err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			defer unlock()
			if err := d.Jobs.PreMigrationBackup(app); err != nil {
				return err
			}
			if d.TrustProxy != nil {
				if err := d.TrustProxy(strings.Join(trustedProxies, ","), proxyHeader); err != nil {
					return fmt.Errorf("serve: %w", err)
				}
			}
			// The proxy follows the command line on every start: a header PocketBase stored in
			// its settings (as earlier versions did for --trusted-proxy-header) would be believed
			// from any peer, and stay on after the flag is gone.
			if dropped, err := store.ClearTrustedProxyHeaders(app); err != nil {
				return fmt.Errorf("serve: clear stored trusted proxy headers: %w", err)
			} else if len(dropped) > 0 {
				app.Logger().Warn("serve: the stored trusted proxy headers are no longer used; the proxy is set by --trusted-proxy on every start",
					"dropped", strings.Join(dropped, ","))
			}
			d.Jobs.SetBaseURL(cfg.publicURL())
			app.OnServe().BindFunc(func(se *core.ServeEvent) error {
				if _, err := store.EnsureBookingUsage(se.App); err != nil {
					return err
				}
				if _, err := store.EnsureBookingSearch(se.App); err != nil {
					return err
				}
				if _, err := store.EnsureBookingChanges(se.App); err != nil {
					return err
				}
				if demo {
					if err := SeedDemo(se.App, d.Jobs.Now(), demoGuests); err != nil {
						return err
					}
				}
				if err := store.NameApp(se.App); err != nil {
					return err
				}
				if se.InstallerFunc != nil {
					se.InstallerFunc = firstRunHint
				}
				cfg.configureServer(se, d.Jobs)
				if err := cfg.writeProbe(se.App.DataDir()); err != nil {
					se.App.Logger().Warn("serve: reserva healthcheck will probe its defaults", "error", err.Error())
				}
				if err := se.Next(); err != nil {
					return err
				}
				if cfg.tls() {
					if err := cfg.startRedirect(se.App, se.CertManager); err != nil {
						return err
					}
				}
				// Jobs run only under serve: the outbox, reminders, the waitlist, clean-ups, backups.
				if err := d.Jobs.Start(); err != nil {
					return err
				}
				settle()
				settleWhenQuiet(se.App)
				return nil
			})
			sc := apis.ServeConfig{
				HttpAddr:           cfg.httpAddr,
				HttpsAddr:          cfg.httpsAddr,
				ShowStartBanner:    true,
				CertificateDomains: domains,
			}
			if cfg.tls() {
				// Reserva runs the port-80 listener itself, with timeouts (see startRedirect).
				sc.HttpAddr = ""
			}
			err = apis.Serve(app, sc)
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		},
	}
	c.Flags().BoolVar(&demo, "demo", false, "create a demo venue when the database has none")
	c.Flags().BoolVar(&demoGuests, "demo-guests", true, "with --demo: book made-up guests (@demo.invalid) for the coming week")
	c.Flags().StringVar(&httpAddr, "http", "", "HTTP address (default 127.0.0.1:8090; with a domain 0.0.0.0:80, which only redirects)")
	c.Flags().StringVar(&httpsAddr, "https", "", "HTTPS address (default with a domain: 0.0.0.0:443)")
	c.Flags().StringVar(&acmeDir, "acme-directory", "", "ACME directory URL (default Let's Encrypt; e.g. its staging, or a private CA)")
	c.Flags().StringVar(&acmeEmail, "acme-email", "", "contact e-mail for the ACME account (expiry notices)")
	c.Flags().StringVar(&acmeCAs, "acme-ca-roots", "", "PEM file of CA roots to trust for a private ACME server")
	c.Flags().StringVar(&challenge, "acme-challenge", challengeAuto, "ACME challenges to answer: auto, tls-alpn-01 or http-01")
	c.Flags().BoolVar(&tls13Only, "tls13-only", false, "accept TLS 1.3 only (default: TLS 1.2 and 1.3, AEAD suites only)")
	c.Flags().StringSliceVar(&trustedProxies, "trusted-proxy", nil,
		"addresses or networks of the reverse proxy in front of Reserva (e.g. 127.0.0.1); only they may tell the client's address and scheme")
	c.Flags().StringVar(&proxyHeader, "trusted-proxy-header", "",
		"with --trusted-proxy: the header carrying the client's address (default X-Forwarded-For)")
	return c
}

// check validates the flags and fills in the defaults; errors name the flag or variable.
func (c *serveConfig) check(caFile string) error {
	for _, d := range c.domains {
		if !validDomain(d) {
			return fmt.Errorf("serve: %q is not a domain name (want e.g. booking.example.com: no scheme, no port, at least one dot)", d)
		}
	}
	switch c.challenge {
	case challengeAuto, challengeTLSALPN, challengeHTTP:
	default:
		return fmt.Errorf("serve: --acme-challenge %q: want auto, tls-alpn-01 or http-01", c.challenge)
	}
	if len(c.domains) == 0 {
		if c.httpsAddr != "" {
			return errors.New("serve: --https needs a domain to obtain a certificate for (reserva serve booking.example.com)")
		}
		if c.httpAddr == "" {
			c.httpAddr = "127.0.0.1:8090"
		}
		return nil
	}
	key := os.Getenv(store.EncryptionKeyEnv)
	if key == "" {
		return fmt.Errorf("serve: %s is not set: on a public server the stored SMTP and storage secrets are encrypted with it; "+
			"create one with `openssl rand -hex 16` (32 characters) and keep it with your backups' key", store.EncryptionKeyEnv)
	}
	if len(key) != 32 {
		return fmt.Errorf("serve: %s must be exactly 32 characters (got %d)", store.EncryptionKeyEnv, len(key))
	}
	if c.httpAddr == "" {
		c.httpAddr = "0.0.0.0:80"
	}
	if c.httpsAddr == "" {
		c.httpsAddr = "0.0.0.0:443"
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return fmt.Errorf("serve: --acme-ca-roots: %w", err)
		}
		c.acmeRoots = x509.NewCertPool()
		if !c.acmeRoots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("serve: --acme-ca-roots %s: no PEM certificate found", caFile)
		}
	}
	return nil
}

// validDomain accepts a DNS name with at least one dot (autocert refuses dotless names).
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// aeadSuites are the TLS 1.2 cipher suites Reserva accepts: forward secrecy and AEAD only
// (TLS 1.3 suites are all AEAD and not configurable).
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// configureServer applies Reserva's server settings inside OnServe: timeouts against slow
// clients, and under TLS the certificate manager (behind the ACME back-off, see certGate) and a
// strict TLS configuration.
func (c *serveConfig) configureServer(se *core.ServeEvent, j *jobs.Jobs) {
	srv := se.Server
	srv.ReadHeaderTimeout = 10 * time.Second
	srv.ReadTimeout = 30 * time.Second
	// Long enough for a streamed export; slow readers of pages are cut off.
	srv.WriteTimeout = 2 * time.Minute
	srv.IdleTimeout = 2 * time.Minute
	srv.MaxHeaderBytes = 64 << 10
	if !c.tls() {
		return
	}
	m := se.CertManager
	m.Email = c.acmeEmail
	if c.acmeDirectory != "" || c.acmeRoots != nil {
		client := &acme.Client{DirectoryURL: c.acmeDirectory}
		if client.DirectoryURL == "" {
			client.DirectoryURL = autocert.DefaultACMEDirectory
		}
		if c.acmeRoots != nil {
			client.HTTPClient = &http.Client{
				Timeout:   time.Minute,
				Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.acmeRoots, MinVersion: tls.VersionTLS12}},
			}
		}
		m.Client = client
	}
	tc := srv.TLSConfig
	tc.GetCertificate = newCertGate(m, c.domains, j, se.App.Logger()).GetCertificate
	tc.MinVersion = tls.VersionTLS12
	tc.CipherSuites = aeadSuites
	if c.tls13Only {
		tc.MinVersion = tls.VersionTLS13
	}
	tc.NextProtos = []string{"h2", "http/1.1"}
	if c.challenge != challengeHTTP {
		tc.NextProtos = append(tc.NextProtos, acme.ALPNProto)
	}
}

// startRedirect runs the plain-HTTP listener of a TLS server: ACME HTTP-01 challenges (unless
// only TLS-ALPN-01 is wanted) and a 301 to HTTPS for everything else, with short timeouts.
// It binds before returning, so a taken port is a start-up error.
func (c *serveConfig) startRedirect(app core.App, m *autocert.Manager) error {
	var h http.Handler = http.HandlerFunc(c.redirect)
	if c.challenge != challengeTLSALPN {
		acmeHandler := m.HTTPHandler(h)
		// autocert checks its host policy against Host, which a validator may send with a port
		// (booking.test:5002); the policy lists bare names.
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if host, _, err := net.SplitHostPort(r.Host); err == nil {
				r.Host = host
			}
			acmeHandler.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		return fmt.Errorf("serve: http listener: %w", err)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			app.Logger().Error("serve: http listener stopped", "error", err.Error())
		}
	}()
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Func: func(te *core.TerminateEvent) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
			return te.Next()
		},
	})
	return nil
}

// redirect sends a plain-HTTP request to the same path on HTTPS (301). Only names the
// server has certificates for are redirected; anything else is refused.
func (c *serveConfig) redirect(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	known := false
	for _, d := range c.domains {
		if strings.EqualFold(host, d) || strings.EqualFold(host, "www."+d) {
			known = true
		}
	}
	if !known {
		http.Error(w, "Unknown host. Use the booking site's address.", http.StatusBadRequest)
		return
	}
	target := "https://" + host
	if _, port, err := net.SplitHostPort(c.httpsAddr); err == nil && port != "443" {
		target += ":" + port
	}
	w.Header().Set("Connection", "close")
	http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusMovedPermanently)
}

// publicURL is the site's address as visitors reach it: https://DOMAIN (with the port when not
// 443), else http://ADDR of the plain listener (127.0.0.1 for a wildcard address).
func (c *serveConfig) publicURL() string {
	if c.tls() {
		u := "https://" + c.domains[0]
		if _, port, err := net.SplitHostPort(c.httpsAddr); err == nil && port != "443" {
			u += ":" + port
		}
		return u
	}
	host, port, err := net.SplitHostPort(c.httpAddr)
	if err != nil {
		return "http://" + c.httpAddr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// firstRunHint replaces PocketBase's installer, which opens a browser on its dashboard: on a
// fresh database Reserva says where the booking site is and how the owner gets into /_/, with
// a one-time link valid for 30 minutes. It prints to the console only.
func firstRunHint(app core.App, installer *core.Record, baseURL string) error {
	token, err := installer.NewStaticAuthToken(30 * time.Minute)
	if err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	base := strings.TrimRight(baseURL, "/")
	fmt.Fprintf(os.Stderr, "\nReserva is running. The booking site: %s/\n"+
		"No superuser exists yet. Within 30 minutes, create one at this one-time link:\n  %s/_/#/pbinstall/%s\n"+
		"or run: %s superuser upsert EMAIL PASSWORD\n\n", base, base, token, thisCommand())
	return nil
}

// thisCommand is how the person at the console runs this program again: "go run ." under go
// run (os.Args[0] is then a temporary build), else the executable's path.
func thisCommand() string {
	if osutils.IsProbablyGoRun() {
		return "go run ."
	}
	if exe, err := os.Executable(); err == nil {
		return exe
	}
	return os.Args[0]
}
