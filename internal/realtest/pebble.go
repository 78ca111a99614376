//go:build integration

package realtest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Pebble is a running Pebble ACME server with pebble-challtestsrv as its DNS (every name
// resolves to 127.0.0.1).
type Pebble struct {
	Directory string // ACME directory URL
	CAFile    string // PEM of the certificate Pebble's own HTTPS listener uses
	mgmt      string
	client    *http.Client
}

// StartPebble runs Debian's pebble and pebble-challtestsrv on loopback; Pebble validates
// HTTP-01 on httpPort and TLS-ALPN-01 on tlsPort of 127.0.0.1.
func StartPebble(t testing.TB, httpPort, tlsPort int) *Pebble {
	t.Helper()
	const hint = "apt-get install pebble (Debian), as .ci/run does"
	pebbleBin, dnsBin := Binary(t, "pebble", hint), Binary(t, "pebble-challtestsrv", hint)
	cert := NewCert(t, "localhost", "127.0.0.1")
	listen, mgmt, dns := FreeAddr(t), FreeAddr(t), FreeAddr(t)
	cfg, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": cert.CertFile, "privateKey": cert.KeyFile,
		"httpPort": httpPort, "tlsPort": tlsPort,
		"ocspResponderURL": "", "externalAccountBindingRequired": false,
	}})
	cfgFile := filepath.Join(t.TempDir(), "pebble.json")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	// challtestsrv only as DNS: its other listeners off (they would bind every interface).
	Start(t, "pebble-challtestsrv", exec.Command(dnsBin, "-dns01", dns, "-http01", "", "-https01", "", "-tlsalpn01", "",
		"-management", FreeAddr(t), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""))
	cmd := exec.Command(pebbleBin, "-config", cfgFile, "-dnsserver", dns)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	p := Start(t, "pebble", cmd)
	pb := &Pebble{Directory: "https://" + listen + "/dir", CAFile: cert.CertFile, mgmt: mgmt,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}}}}
	p.WaitReady(t, func() error {
		res, err := pb.client.Get(pb.Directory)
		if err != nil {
			return err
		}
		return res.Body.Close()
	})
	return pb
}

// IssuedRoots is the root Pebble signs certificates with (new at each start).
func (p *Pebble) IssuedRoots(t testing.TB) *x509.CertPool {
	t.Helper()
	res, err := p.client.Get("https://" + p.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	pemBytes, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("pebble root: no PEM in %q", pemBytes)
	}
	return pool
}
