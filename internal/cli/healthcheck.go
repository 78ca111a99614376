package cli

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// HealthcheckURLEnv names the variable overriding the URL `reserva healthcheck` probes.
const HealthcheckURLEnv = "RESERVA_HEALTHCHECK_URL"

// NewHealthcheckCommand is `reserva healthcheck`: exit 0 when the local server's /healthz
// answers 200, else 1. For container HEALTHCHECKs (the image has no curl). An HTTPS URL on a
// loopback address is probed without certificate verification: the certificate is for the
// public name, and the probe only asks whether this process is alive.
func NewHealthcheckCommand() *cobra.Command {
	var target string
	c := &cobra.Command{
		Use:          "healthcheck",
		Short:        "Probe the local server's /healthz (exit 0 when healthy)",
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if v := os.Getenv(HealthcheckURLEnv); v != "" && !cmd.Flags().Changed("url") {
				target = v
			}
			u, err := url.Parse(target)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				return fmt.Errorf("healthcheck: %q is not an http(s) URL", target)
			}
			tr := &http.Transport{}
			if ip := net.ParseIP(u.Hostname()); u.Scheme == "https" && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
				tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // loopback liveness probe, see above
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
	c.Flags().StringVar(&target, "url", "http://127.0.0.1:8090/healthz", "the URL to probe (or "+HealthcheckURLEnv+")")
	return c
}
