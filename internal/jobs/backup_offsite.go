package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/tools/filesystem"

	"reserva/internal/backup"
	"reserva/internal/store"
)

// offsiteStore opens the S3-compatible store of the off-site copies (PocketBase's S3 client).
func offsiteStore(cfg BackupConfig) (*filesystem.System, error) {
	s := cfg.S3
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
func offsiteKey(cfg BackupConfig, file string) string {
	if p := cfg.S3.Prefix; p != "" {
		return path.Join(p, file)
	}
	return file
}

// OffsiteLocation names a backup file's place in the off-site store, for people.
func OffsiteLocation(cfg BackupConfig, file string) string {
	return cfg.S3.Endpoint + " bucket " + cfg.S3.Bucket + ", " + offsiteKey(cfg, file)
}

// UploadPending copies every backup not yet off-site (or whose upload failed) to the store:
// the .age file and its manifest, streamed. A failed upload is retried at the next run; three
// runs in a row with failures raise the alert.
func (j *Jobs) UploadPending(now time.Time) (uploaded, failed int, err error) {
	uploaded, failed, _, err = j.uploadPending(now)
	return uploaded, failed, err
}

// uploadPending is UploadPending, also returning the cause of the last failed copy.
func (j *Jobs) uploadPending(now time.Time) (uploaded, failed int, lastErr, err error) {
	app := j.app
	if j.cfg.Backup.S3 == nil {
		return 0, 0, nil, nil
	}
	j.bk.uploadMu.Lock()
	defer j.bk.uploadMu.Unlock()
	recs, err := store.PendingOffsite(app)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("offsite: %w", err)
	}
	if len(recs) == 0 {
		return 0, 0, nil, nil
	}
	fs, err := offsiteStore(j.cfg.Backup)
	if err != nil {
		return 0, 0, nil, err
	}
	defer fs.Close()
	dir := j.cfg.Backup.Directory(app.DataDir())
	for _, rec := range recs {
		file := rec.File
		err := upload(fs, filepath.Join(dir, file), offsiteKey(j.cfg.Backup, file))
		if err == nil {
			err = upload(fs, filepath.Join(dir, backup.ManifestName(file)), offsiteKey(j.cfg.Backup, backup.ManifestName(file)))
		}
		state, cause := store.OffsiteUploaded, ""
		if err != nil {
			state, cause = store.OffsiteFailed, err.Error()
			failed++
			lastErr = err
		} else {
			uploaded++
		}
		if serr := store.SetOffsite(app, rec, state, cause); serr != nil {
			return uploaded, failed, lastErr, fmt.Errorf("offsite: record: %w", serr)
		}
	}
	j.bk.stateMu.Lock()
	if failed > 0 {
		j.bk.offsiteFailures++
	} else {
		j.bk.offsiteFailures = 0
	}
	streak := j.bk.offsiteFailures
	j.bk.stateMu.Unlock()
	if streak == 3 {
		j.recordFailure(now, "offsite", lastErr)
	}
	return uploaded, failed, lastErr, nil
}

// upload streams the local file to key.
func upload(fs *filesystem.System, local, key string) error {
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("offsite: %w", err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	fs.SetContext(ctx)
	w, err := fs.NewWriter(key, nil)
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
func (j *Jobs) deleteOffsite(file string) error {
	cfg := j.cfg.Backup
	fs, err := offsiteStore(cfg)
	if err != nil {
		return err
	}
	defer fs.Close()
	for _, k := range []string{offsiteKey(j.cfg.Backup, file), offsiteKey(j.cfg.Backup, backup.ManifestName(file))} {
		if err := fs.Delete(k); err != nil && !strings.Contains(err.Error(), "not found") {
			return fmt.Errorf("offsite: delete %s: %w", k, err)
		}
	}
	return nil
}

// ListOffsite lists the backup files in the store, oldest first.
func ListOffsite(cfg BackupConfig) ([]string, error) {
	fs, err := offsiteStore(cfg)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	prefix := ""
	if p := cfg.S3.Prefix; p != "" {
		prefix = p + "/"
	}
	objs, err := fs.List(prefix)
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

// DownloadOffsite fetches a backup file and its manifest from the store into dir (a backup
// whose manifest is missing there comes alone; Restore restores it without).
func DownloadOffsite(cfg BackupConfig, name, dir string) error {
	fs, err := offsiteStore(cfg)
	if err != nil {
		return err
	}
	defer fs.Close()
	for _, n := range []string{name, backup.ManifestName(name)} {
		r, err := fs.GetReader(offsiteKey(cfg, n))
		if n != name && errors.Is(err, filesystem.ErrNotFound) {
			break
		}
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
