package hooks

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"reserva/internal/backup"
)

// offsiteStore opens the S3-compatible store of the off-site copies (PocketBase's S3 client).
func (h *handlers) offsiteStore() (*filesystem.System, error) {
	s := h.backup.cfg.S3
	if s == nil {
		return nil, fmt.Errorf("offsite: no store configured (RESERVA_BACKUP_S3_*)")
	}
	fs, err := filesystem.NewS3(s.Bucket, s.Region, s.Endpoint, s.AccessKey, s.SecretKey, s.PathStyle)
	if err != nil {
		return nil, fmt.Errorf("offsite: %w", err)
	}
	return fs, nil
}

// offsiteKey is a file's key in the store.
func (h *handlers) offsiteKey(file string) string {
	if p := h.backup.cfg.S3.Prefix; p != "" {
		return path.Join(p, file)
	}
	return file
}

// uploadPending copies every backup not yet off-site (or whose upload failed) to the store:
// the .age file and its manifest, streamed. A failed upload is retried at the next run; three
// runs in a row with failures raise the alert.
func (h *handlers) uploadPending(app core.App, now time.Time) (uploaded, failed int, err error) {
	if h.backup.cfg.S3 == nil {
		return 0, 0, nil
	}
	recs, err := app.FindRecordsByFilter("backups", "status = 'ok' && (offsite = 'pending' || offsite = 'failed')", "taken", 20, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("offsite: %w", err)
	}
	if len(recs) == 0 {
		return 0, 0, nil
	}
	store, err := h.offsiteStore()
	if err != nil {
		return 0, 0, err
	}
	defer store.Close()
	dir := h.backup.cfg.dir(app.DataDir())
	var lastErr error
	for _, rec := range recs {
		file := rec.GetString("file")
		err := h.upload(store, filepath.Join(dir, file), h.offsiteKey(file))
		if err == nil {
			err = h.upload(store, filepath.Join(dir, backup.ManifestName(file)), h.offsiteKey(backup.ManifestName(file)))
		}
		rec.Set("offsite_attempts", rec.GetInt("offsite_attempts")+1)
		if err != nil {
			rec.Set("offsite", "failed")
			rec.Set("offsite_error", truncate(err.Error(), 1000))
			failed++
			lastErr = err
		} else {
			rec.Set("offsite", "uploaded")
			rec.Set("offsite_error", "")
			uploaded++
		}
		if serr := app.Save(rec); serr != nil {
			return uploaded, failed, fmt.Errorf("offsite: record: %w", serr)
		}
	}
	h.backup.stateMu.Lock()
	if failed > 0 {
		h.backup.offsiteFailures++
	} else {
		h.backup.offsiteFailures = 0
	}
	streak := h.backup.offsiteFailures
	h.backup.stateMu.Unlock()
	if streak == 3 {
		h.recordFailure(app, now, "offsite", lastErr)
	}
	return uploaded, failed, nil
}

// upload streams the local file to key.
func (h *handlers) upload(store *filesystem.System, local, key string) error {
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("offsite: %w", err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	store.SetContext(ctx)
	w, err := store.NewWriter(key, nil)
	if err != nil {
		return fmt.Errorf("offsite: upload %s: %w", key, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		w.Close()
		return fmt.Errorf("offsite: upload %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("offsite: upload %s: %w", key, err)
	}
	return nil
}

// deleteOffsite removes a file and its manifest from the store (retention).
func (h *handlers) deleteOffsite(file string) error {
	store, err := h.offsiteStore()
	if err != nil {
		return err
	}
	defer store.Close()
	for _, k := range []string{h.offsiteKey(file), h.offsiteKey(backup.ManifestName(file))} {
		if err := store.Delete(k); err != nil && !strings.Contains(err.Error(), "not found") {
			return fmt.Errorf("offsite: delete %s: %w", k, err)
		}
	}
	return nil
}

// listOffsite lists the backup files in the store, oldest first.
func (h *handlers) listOffsite() ([]string, error) {
	store, err := h.offsiteStore()
	if err != nil {
		return nil, err
	}
	defer store.Close()
	prefix := ""
	if p := h.backup.cfg.S3.Prefix; p != "" {
		prefix = p + "/"
	}
	objs, err := store.List(prefix)
	if err != nil {
		return nil, fmt.Errorf("offsite: list: %w", err)
	}
	var out []string
	for _, o := range objs {
		name := path.Base(o.Key)
		if _, ok := backup.ParseFileName(name); ok {
			out = append(out, name)
		}
	}
	return out, nil
}

// downloadOffsite fetches a backup file and its manifest from the store into dir.
func (h *handlers) downloadOffsite(name, dir string) error {
	store, err := h.offsiteStore()
	if err != nil {
		return err
	}
	defer store.Close()
	for _, n := range []string{name, backup.ManifestName(name)} {
		r, err := store.GetReader(h.offsiteKey(n))
		if err != nil {
			return fmt.Errorf("offsite: fetch %s: %w", n, err)
		}
		err = backup.WriteAtomic(dir, n, 0o600, func(w io.Writer) error {
			_, err := io.Copy(w, r)
			return err
		})
		r.Close()
		if err != nil {
			return fmt.Errorf("offsite: fetch %s: %w", n, err)
		}
	}
	return nil
}
