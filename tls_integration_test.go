//go:build integration

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The ports Pebble validates challenges on: Reserva's HTTPS (TLS-ALPN-01) and HTTP (HTTP-01)
// listeners must be there. Fixed by Pebble's config, so the TLS tests run one at a time.
const (
	pebbleTLSPort  = 5001
	pebbleHTTPPort = 5002
	testDomain     = "booking.test"
	testKey        = "0123456789abcdef0123456789abcdef" // RESERVA_ENCRYPTION_KEY for the tests
)

// acmeServer is a running Pebble with pebble-challtestsrv as its DNS (every name is 127.0.0.1).
type acmeServer struct {
	Directory string // ACME directory URL
	CAFile    string // PEM of the certificate Pebble's own HTTPS listener uses
	mgmt      string // management address (issued roots)
	client    *http.Client
}

// startPebble runs Debian's pebble and pebble-challtestsrv on loopback (installed by .ci/run).
func startPebble(t *testing.T) *acmeServer {
	t.Helper()
	for _, bin := range []string{"pebble", "pebble-challtestsrv"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is required for the TLS tests (.ci/run installs Debian's pebble package): %v", bin, err)
		}
	}
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t, "localhost", "127.0.0.1")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(certFile, certPEM, 0o600))
	must(t, os.WriteFile(keyFile, keyPEM, 0o600))
	listen, mgmt, dns := freeAddr(t), freeAddr(t), freeAddr(t)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": pebbleHTTPPort, "tlsPort": pebbleTLSPort,
		"ocspResponderURL": "", "externalAccountBindingRequired": false,
	}}
	raw, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "pebble.json")
	must(t, os.WriteFile(cfgFile, raw, 0o600))

	// challtestsrv only as DNS: every other listener off, bound to loopback.
	dnsCmd := exec.Command("pebble-challtestsrv", "-dns01", dns, "-http01", "", "-https01", "", "-tlsalpn01", "",
		"-management", freeAddr(t), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "")
	startBackground(t, dnsCmd, "pebble-challtestsrv")
	pebbleCmd := exec.Command("pebble", "-config", cfgFile, "-dnsserver", dns)
	pebbleCmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	startBackground(t, pebbleCmd, "pebble")

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	a := &acmeServer{Directory: "https://" + listen + "/dir", CAFile: certFile, mgmt: mgmt, client: client}
	waitFor(t, nil, func() error {
		res, err := client.Get(a.Directory)
		if err != nil {
			return err
		}
		res.Body.Close()
		return nil
	})
	return a
}

// issuedRoots returns the root Pebble signs certificates with (new at each start).
func (a *acmeServer) issuedRoots(t *testing.T) *x509.CertPool {
	t.Helper()
	res, err := a.client.Get("https://" + a.mgmt + "/roots/0")
	must(t, err)
	defer res.Body.Close()
	pemBytes, err := io.ReadAll(res.Body)
	must(t, err)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("pebble root: no PEM in %q", pemBytes)
	}
	return pool
}

// startTLSReserva runs `reserva serve booking.test` against Pebble on the validation ports.
func startTLSReserva(t *testing.T, a *acmeServer, extra ...string) *instance {
	t.Helper()
	args := append([]string{"serve", testDomain, "--demo",
		"--http", fmt.Sprintf("127.0.0.1:%d", pebbleHTTPPort),
		"--https", fmt.Sprintf("127.0.0.1:%d", pebbleTLSPort),
		"--acme-directory", a.Directory, "--acme-ca-roots", a.CAFile, "--acme-email", "owner@example.com"}, extra...)
	inst := runReserva(t, []string{"RESERVA_ENCRYPTION_KEY=" + testKey}, args...)
	waitFor(t, inst, func() error {
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
	a := startPebble(t)
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
			defer inst.stop()
			roots := a.issuedRoots(t)
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

// selfSigned makes a self-signed ECDSA certificate for names, as PEM cert and key.
func selfSigned(t *testing.T, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// startBackground starts cmd, logs its output if the test fails, and kills it at the end.
func startBackground(t *testing.T, cmd *exec.Cmd, name string) {
	t.Helper()
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{b: out}, &lockedWriter{b: out}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
