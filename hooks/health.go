package hooks

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// healthz reports whether the process can read its database, for uptime monitors:
// 200 {"status":"ok","database":"ok"} or 503 with "error".
func (h *handlers) healthz(e *core.RequestEvent) error {
	ctx, cancel := context.WithTimeout(e.Request.Context(), 2*time.Second)
	defer cancel()
	var one int
	dbErr := e.App.DB().NewQuery("SELECT 1").WithContext(ctx).Row(&one)
	e.Response.Header().Set("Cache-Control", "no-store")
	if dbErr != nil || one != 1 {
		e.App.Logger().Error("healthz: database check failed", "error", fmt.Sprint(dbErr))
		return e.JSON(http.StatusServiceUnavailable, map[string]any{"status": "error", "database": "error"})
	}
	return e.JSON(http.StatusOK, map[string]any{"status": "ok", "database": "ok", "backup": h.backupHealth(e.App)})
}

// backupHealth says how the backups stand: "off", or the age of the last good backup and
// whether the latest attempt (backup, drill or upload) failed.
func (h *handlers) backupHealth(app core.App) map[string]any {
	if !h.backup.cfg.On() {
		return map[string]any{"state": "off"}
	}
	h.backup.stateMu.Lock()
	failing := h.backup.failing
	h.backup.stateMu.Unlock()
	state := "ok"
	if failing {
		state = "failing"
	}
	out := map[string]any{"state": state}
	if rec, err := lastGoodBackup(app); err == nil {
		out["last_good"] = rec.GetDateTime("taken").Time().UTC().Format(time.RFC3339)
		out["age_seconds"] = int64(h.now().Sub(rec.GetDateTime("taken").Time()).Seconds())
		out["drill"] = rec.GetString("verify_result")
	} else {
		out["state"] = "none yet"
	}
	return out
}

// securityTxt publishes where to report security problems (RFC 9116): the venue's contact
// address, valid for a year from each request.
func (h *handlers) securityTxt(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	contact := v.rec.GetString("email")
	if contact == "" {
		return notFound(nil)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Contact: mailto:%s\n", contact)
	fmt.Fprintf(&b, "Expires: %s\n", h.now().UTC().AddDate(1, 0, 0).Truncate(time.Second).Format(time.RFC3339))
	fmt.Fprintf(&b, "Preferred-Languages: %s\n", v.locale.Lang())
	e.Response.Header().Set("Cache-Control", "max-age=86400")
	return e.String(http.StatusOK, b.String())
}

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
