package hooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
	"reserva/internal/store"
)

// healthz reports whether the process can read its database and write its data directory,
// for uptime monitors: 200 {"status":"ok","database":"ok","disk":"ok"} or 503 with "error" and
// the failing part ("disk": "full" when the disk has no room left, so bookings cannot be
// written).
func (h *handlers) healthz(e *core.RequestEvent) error {
	ctx, cancel := context.WithTimeout(e.Request.Context(), 2*time.Second)
	defer cancel()
	dbErr := store.Ping(ctx, e.App)
	e.Response.Header().Set("Cache-Control", "no-store")
	if dbErr != nil {
		e.App.Logger().Error("healthz: database check failed", "error", fmt.Sprint(dbErr))
		return e.JSON(http.StatusServiceUnavailable, map[string]any{"status": "error", "database": "error"})
	}
	if diskErr := writeProbe(e.App.DataDir()); diskErr != nil {
		disk := "error"
		if errors.Is(diskErr, syscall.ENOSPC) || errors.Is(diskErr, syscall.EDQUOT) {
			disk = "full"
		}
		e.App.Logger().Error("healthz: the data directory cannot be written", "error", diskErr.Error())
		return e.JSON(http.StatusServiceUnavailable, map[string]any{"status": "error", "database": "ok", "disk": disk})
	}
	out := map[string]any{"status": "ok", "database": "ok", "disk": "ok", "backup": h.backupHealth(e.App)}
	if c := h.jobs.Cert(); c.Failing() {
		out["certificate"] = map[string]any{"state": "failing", "error": c.Error,
			"since": c.Since.UTC().Format(time.RFC3339), "retry_at": c.RetryAt.UTC().Format(time.RFC3339)}
	}
	return e.JSON(http.StatusOK, out)
}

// writeProbe writes, syncs and removes a small file in dir: it fails as SQLite's next write
// would when the disk is full or read-only.
func writeProbe(dir string) error {
	f, err := os.CreateTemp(dir, ".healthz-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, 4096))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// backupHealth says how the backups stand: "off", or the age of the last good backup and
// whether the latest attempt (backup, drill or upload) failed.
func (h *handlers) backupHealth(app core.App) map[string]any {
	if !h.jobs.BackupConfig().On() {
		return map[string]any{"state": "off"}
	}
	state := "ok"
	if h.jobs.BackupFailing() {
		state = "failing"
	}
	out := map[string]any{"state": state}
	if b, err := store.LastGoodBackup(app); err == nil {
		out["last_good"] = b.Taken.Time().UTC().Format(time.RFC3339)
		out["age_seconds"] = int64(h.now().Sub(b.Taken.Time()).Seconds())
		out["drill"] = b.VerifyResult
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
	if v.Email == "" {
		return notFound(nil)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Contact: mailto:%s\n", v.Email)
	fmt.Fprintf(&b, "Expires: %s\n", h.now().UTC().AddDate(1, 0, 0).Truncate(time.Second).Format(time.RFC3339))
	fmt.Fprintf(&b, "Preferred-Languages: %s\n", jobs.Locale(v).Lang())
	e.Response.Header().Set("Cache-Control", "max-age=86400")
	return e.String(http.StatusOK, b.String())
}
