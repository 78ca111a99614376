//go:build integration

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"reserva/internal/realtest"
)

// The ports Pebble validates challenges on: Reserva's HTTPS (TLS-ALPN-01) and HTTP (HTTP-01)
// listeners must be there. Fixed by Pebble's config, so the TLS tests run one at a time.
const (
	pebbleTLSPort  = 5001
	pebbleHTTPPort = 5002
	testDomain     = "booking.test"
	testKey        = "0123456789abcdef0123456789abcdef" // RESERVA_ENCRYPTION_KEY for the tests
)

// startTLSReserva runs `reserva serve booking.test` against Pebble on the validation ports.
func startTLSReserva(t *testing.T, a *realtest.Pebble, extra ...string) *instance {
	t.Helper()
	args := append([]string{"serve", testDomain, "--demo",
		"--http", fmt.Sprintf("127.0.0.1:%d", pebbleHTTPPort),
		"--https", fmt.Sprintf("127.0.0.1:%d", pebbleTLSPort),
		"--acme-directory", a.Directory, "--acme-ca-roots", a.CAFile, "--acme-email", "owner@example.com"}, extra...)
	inst := runReserva(t, "", []string{"RESERVA_ENCRYPTION_KEY=" + testKey}, args...)
	inst.WaitReady(t, func() error {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", pebbleTLSPort))
		if err != nil {
			return err
		}
		return c.Close()
	})
	return inst
}

// httpsClient trusts Pebble's issuing root and sends every request for booking.test to the
// local HTTPS port.
func httpsClient(roots *x509.CertPool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: time.Minute, // the first handshake waits for the certificate to be issued
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: testDomain},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, port, _ := net.SplitHostPort(addr)
				if host == testDomain {
					addr = net.JoinHostPort("127.0.0.1", port)
				}
				return dialer.DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func TestCertificatesFromPebble(t *testing.T) {
	a := realtest.StartPebble(t, pebbleHTTPPort, pebbleTLSPort)
	for _, tc := range []struct {
		name      string
		challenge string
		// the port Pebble would use for the other challenge is refused, so only this one can pass
	}{
		{"TLS-ALPN-01", "tls-alpn-01"},
		{"HTTP-01", "http-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst := startTLSReserva(t, a, "--acme-challenge", tc.challenge)
			defer inst.Stop()
			roots := a.IssuedRoots(t)
			client := httpsClient(roots)
			httpsBase := fmt.Sprintf("https://%s:%d", testDomain, pebbleTLSPort)

			res, err := client.Get(httpsBase + "/")
			if err != nil {
				t.Fatalf("GET / over HTTPS (certificate by %s): %v", tc.challenge, err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Demo Bistro") {
				t.Fatalf("GET / = %d", res.StatusCode)
			}
			if got := res.TLS.PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != testDomain {
				t.Errorf("certificate names = %v", got)
			}
			if hsts := res.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
				t.Errorf("Strict-Transport-Security = %q", hsts)
			}
			res, err = client.Get(httpsBase + "/book/dinner")
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("booking page over HTTPS: %v %v", err, res)
			}
			res.Body.Close()

			// Plain HTTP only redirects, permanently, to the same path on HTTPS.
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/book/dinner?date=2026-12-04", pebbleHTTPPort), nil)
			req.Host = testDomain
			res, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != httpsBase+"/book/dinner?date=2026-12-04" {
				t.Errorf("plain HTTP = %d to %q, want 301 to %s", res.StatusCode, res.Header.Get("Location"), httpsBase+"/book/dinner?date=2026-12-04")
			}

			// The container's health check: the probe serve recorded (HTTPS on the loopback
			// address, the domain as the server name), and the documented URL override.
			for _, env := range []string{"", "RESERVA_HEALTHCHECK_URL=" + fmt.Sprintf("https://127.0.0.1:%d/healthz", pebbleTLSPort)} {
				hc := exec.Command(reservaBinary(t), "healthcheck", "--dir", inst.Dir)
				hc.Env = append(os.Environ(), env)
				if out, err := hc.CombinedOutput(); err != nil {
					t.Errorf("reserva healthcheck (%s): %v\n%s", env, err, out)
				}
			}

			if tc.challenge == "tls-alpn-01" {
				scanTLS(t, fmt.Sprintf("127.0.0.1:%d", pebbleTLSPort))
			}
		})
	}
}

// sslscanReport is the part of sslscan's XML output the test reads.
type sslscanReport struct {
	Tests []struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"protocol"`
		Ciphers []struct {
			Status  string `xml:"status,attr"`
			Version string `xml:"sslversion,attr"`
			Cipher  string `xml:"cipher,attr"`
		} `xml:"cipher"`
	} `xml:"ssltest"`
}

// scanTLS runs sslscan (installed by .ci/run) against addr and asserts: no SSL 2/3, TLS 1.0
// or 1.1; TLS 1.2 and 1.3 on; every accepted suite AEAD with forward secrecy.
func scanTLS(t *testing.T, addr string) {
	t.Helper()
	if _, err := exec.LookPath("sslscan"); err != nil {
		t.Fatalf("sslscan is required (.ci/run installs it): %v", err)
	}
	out, err := exec.Command("sslscan", "--no-colour", "--sni-name="+testDomain, "--xml=-", addr).Output()
	if err != nil {
		t.Fatalf("sslscan: %v\n%s", err, out)
	}
	start := strings.Index(string(out), "<?xml")
	if start < 0 {
		t.Fatalf("sslscan printed no XML:\n%s", out)
	}
	var rep sslscanReport
	if err := xml.Unmarshal(out[start:], &rep); err != nil || len(rep.Tests) != 1 {
		t.Fatalf("sslscan XML: %v\n%s", err, out)
	}
	enabled := map[string]bool{}
	for _, p := range rep.Tests[0].Protocols {
		enabled[p.Type+p.Version] = p.Enabled == "1"
	}
	for proto, want := range map[string]bool{"ssl2": false, "ssl3": false, "tls1.0": false, "tls1.1": false, "tls1.2": true, "tls1.3": true} {
		if got, ok := enabled[proto]; !ok || got != want {
			t.Errorf("sslscan: %s enabled=%v (reported %v), want %v", proto, got, ok, want)
		}
	}
	accepted := 0
	for _, c := range rep.Tests[0].Ciphers {
		if c.Status != "accepted" && c.Status != "preferred" {
			continue
		}
		accepted++
		aead := strings.Contains(c.Cipher, "GCM") || strings.Contains(c.Cipher, "CHACHA20")
		fs := strings.HasPrefix(c.Cipher, "ECDHE") || strings.HasPrefix(c.Cipher, "TLS_")
		if !aead || !fs {
			t.Errorf("sslscan: accepted %s %s is not an AEAD suite with forward secrecy", c.Version, c.Cipher)
		}
	}
	if accepted == 0 {
		t.Errorf("sslscan found no accepted cipher suite:\n%s", out)
	}
	t.Logf("sslscan: %d accepted suites, protocols %v", accepted, enabled)
}
