package cli

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
)

// HealthcheckURLEnv names the variable overriding the URL `reserva healthcheck` probes.
const HealthcheckURLEnv = "RESERVA_HEALTHCHECK_URL"

// probeFile, in the data directory, is where serve writes how it can be probed: the URL of
// /healthz on a loopback address and, under a domain, the TLS server name to send.
const probeFile = "healthcheck.json"

// defaultProbeURL is probed when neither a flag, the variable nor a probe file says otherwise.
const defaultProbeURL = "http://127.0.0.1:8090/healthz"

// probe is the content of probeFile.
type probe struct {
	URL        string `json:"url"`
	ServerName string `json:"server_name,omitempty"`
	// Site is the site's address as visitors reach it (what commands print links with).
	Site string `json:"site,omitempty"`
}

// recordedSite is the site's address the last serve on dir recorded ("" when none).
func recordedSite(dir string) string {
	p, err := readProbe(dir)
	if err != nil {
		return ""
	}
	return p.Site
}

// writeProbe records in dir how `reserva healthcheck` reaches this server.
func (c *serveConfig) writeProbe(dir string) error {
	p := probe{URL: c.publicURL() + "/healthz", Site: c.publicURL()}
	if c.tls() {
		host, port, err := net.SplitHostPort(c.httpsAddr)
		if err != nil {
			return fmt.Errorf("serve: --https %q: %w", c.httpsAddr, err)
		}
		if ip := net.ParseIP(host); host == "" || ip == nil || ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		p = probe{URL: "https://" + net.JoinHostPort(host, port) + "/healthz", ServerName: c.domains[0], Site: c.publicURL()}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, probeFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("serve: write %s: %w", probeFile, err)
	}
	return os.Rename(tmp, filepath.Join(dir, probeFile))
}

// NewHealthcheckCommand is `reserva healthcheck`: exit 0 when the local server's /healthz
// answers 200, else 1. For container HEALTHCHECKs (the image has no curl). It probes --url, else
// RESERVA_HEALTHCHECK_URL, else what the running serve wrote into the data directory (--dir,
// default defaultDir), else http://127.0.0.1:8090/healthz. Over HTTPS it sends the server name
// serve recorded (its first domain; --server-name overrides it): without one, a server with
// certificates by ACME refuses the handshake. An HTTPS URL on a loopback address is probed
// without certificate verification: the probe only asks whether this process is alive.
//
// main runs it before PocketBase opens (or creates) the data directory.
func NewHealthcheckCommand(defaultDir string) *cobra.Command {
	var target, serverName, dir string
	c := &cobra.Command{
		Use:          "healthcheck",
		Short:        "Probe the local server's /healthz (exit 0 when healthy)",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := readProbe(dir)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			switch {
			case cmd.Flags().Changed("url"):
			case os.Getenv(HealthcheckURLEnv) != "":
				target = os.Getenv(HealthcheckURLEnv)
			case p.URL != "":
				target = p.URL
			}
			u, err := url.Parse(target)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				return fmt.Errorf("healthcheck: %q is not an http(s) URL", target)
			}
			tr := &http.Transport{}
			if u.Scheme == "https" {
				tr.TLSClientConfig = &tls.Config{ServerName: serverName}
				if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || ip != nil && ip.IsLoopback() {
					if serverName == "" {
						tr.TLSClientConfig.ServerName = p.ServerName
					}
					tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // loopback liveness probe, see above
				}
			}
			client := &http.Client{Timeout: 5 * time.Second, Transport: tr,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := client.Get(u.String())
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("healthcheck: %s answered %d", u, res.StatusCode)
			}
			return nil
		},
	}
	c.Flags().StringVar(&target, "url", defaultProbeURL, "the URL to probe (or "+HealthcheckURLEnv+"; default: where serve listens, from --dir)")
	c.Flags().StringVar(&serverName, "server-name", "", "the TLS server name to send (default: serve's domain)")
	c.Flags().StringVar(&dir, "dir", defaultDir, "the data directory of the running serve")
	return c
}

// readProbe reads the probe file of dir; an empty probe when there is none.
func readProbe(dir string) (probe, error) {
	var p probe
	b, err := os.ReadFile(filepath.Join(dir, probeFile))
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("%s: %w", filepath.Join(dir, probeFile), err)
	}
	return p, nil
}
