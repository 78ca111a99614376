package jobs

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"reserva/internal/backup"
	"reserva/internal/store"
)

// ErrBackupsOff means no recipients are configured.
var ErrBackupsOff = errors.New("backup: off (set RESERVA_BACKUP_RECIPIENTS; `reserva backup keygen` makes a key)")

// backups is the state of Reserva's backups inside the running process.
type backups struct {
	// writeFile writes a backup file atomically; tests replace it to inject a full disk.
	writeFile func(dir, name string, mode os.FileMode, write func(io.Writer) error) error
	mu        sync.Mutex // one snapshot at a time
	uploadMu  sync.Mutex // one off-site upload run at a time
	stateMu   sync.Mutex
	failing   bool // the last snapshot, drill or upload failed (alert once per streak)
	// offsiteFailures counts upload runs in a row with a failure.
	offsiteFailures int
}

// BindBackupExclusions keeps the backup directory (when inside pb_data) out of the snapshots:
// backups inside backups would grow without end.
func (j *Jobs) BindBackupExclusions(app core.App) {
	app.OnBackupCreate().Bind(&hook.Handler[*core.BackupEvent]{
		Id: "reservaBackupExclude",
		Func: func(e *core.BackupEvent) error {
			dir := j.cfg.Backup.Directory(e.App.DataDir())
			if rel, err := filepath.Rel(e.App.DataDir(), dir); err == nil && !strings.HasPrefix(rel, "..") {
				e.Exclude = append(e.Exclude, rel)
			}
			return e.Next()
		},
	})
}

// Snapshot is the outcome of one backup run.
type Snapshot struct {
	Manifest backup.Manifest
	Skipped  bool
	// Offsite is, for a backup taken on demand with an off-site store configured, why its
	// copy there failed (nil: it is there).
	Offsite error
}

// TakeBackup makes one encrypted backup now: PocketBase's CreateBackup (VACUUM INTO, writers go
// on) writes a zip inside pb_data, its rows are counted from the zip's own copy of the database,
// it is streamed through age into reserva-<time>.age (temp file, fsync, rename) with its
// manifest, and the plaintext zip is deleted at once. A snapshot is skipped when the data has
// not changed since the last good one. Every outcome but a skip is recorded in `backups`; a
// failure raises the alert.
func (j *Jobs) TakeBackup(now time.Time) (Snapshot, error) {
	return j.takeBackup(now, false)
}

// TakeBackupFresh takes a backup now even when nothing changed since the last one (`reserva
// backup create`, the dashboard's "Back up now") and, with an off-site store configured, copies
// it (and any earlier backup still waiting) there at once rather than at the next scheduled
// run, which a command that exits never sees. Snapshot.Offsite tells how the copy went; a
// failed copy stays pending and is retried by the scheduled runs.
func (j *Jobs) TakeBackupFresh() (Snapshot, error) {
	now := time.Now()
	snap, err := j.takeBackup(now, true)
	if err != nil || j.cfg.Backup.S3 == nil {
		return snap, err
	}
	_, _, lastFailure, err := j.uploadPending(now)
	snap.Offsite = errors.Join(err, lastFailure)
	return snap, nil
}

func (j *Jobs) takeBackup(now time.Time, fresh bool) (Snapshot, error) {
	app := j.app
	b := &j.bk
	if !j.cfg.Backup.On() {
		return Snapshot{}, ErrBackupsOff
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fp, err := store.Fingerprint(app)
	if err != nil {
		return Snapshot{}, err
	}
	if last, err := store.LastGoodBackup(app); !fresh && err == nil && last.DataHash == fp {
		return Snapshot{Skipped: true}, nil
	}
	started := time.Now()
	m, err := j.WriteSnapshot(app, now, fp)
	if err != nil {
		j.recordFailure(now, "backup", err)
		return Snapshot{}, err
	}
	rec := store.NewBackup{File: m.File, Taken: m.Created, Size: m.CipherSize, PlainSize: m.PlainSize,
		CipherSHA256: m.CipherSHA256, PlainSHA256: m.PlainSHA256, Rows: m.Rows, DataHash: m.DataHash, Took: time.Since(started)}
	if j.cfg.Backup.S3 != nil {
		rec.Offsite = store.OffsitePending
	}
	if err := store.RecordBackup(app, rec); err != nil {
		return Snapshot{}, err
	}
	if !fresh {
		j.recordSuccess()
	}
	return Snapshot{Manifest: m}, nil
}

// WriteSnapshot makes the files of one backup of app's data and returns its manifest.
func (j *Jobs) WriteSnapshot(app core.App, now time.Time, fp string) (backup.Manifest, error) {
	b := &j.bk
	dir := j.cfg.Backup.Directory(app.DataDir())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return backup.Manifest{}, fmt.Errorf("backup: directory: %w", err)
	}
	name := "reserva-snapshot-" + randomHex(6) + ".zip"
	zipPath := filepath.Join(app.DataDir(), core.LocalBackupsDirName, name)
	// NB! The zip is plaintext: it is removed on every path out of here (and any left by a
	// crash is removed at start, see removeStrayZips), with the attributes file PocketBase's
	// local storage keeps beside it.
	defer os.Remove(zipPath)
	defer os.Remove(zipPath + ".attrs")
	if err := app.CreateBackup(context.Background(), name); err != nil {
		return backup.Manifest{}, fmt.Errorf("backup: snapshot: %w", err)
	}
	rows, err := countZipRows(app, zipPath)
	if err != nil {
		return backup.Manifest{}, err
	}
	m := backup.Manifest{File: backup.FileName(now), Created: now.UTC(), Rows: rows, AppVersion: j.cfg.Version, DataHash: fp}
	if m.AppVersion == "" {
		m.AppVersion = "devel"
	}
	zf, err := os.Open(zipPath)
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	defer zf.Close()
	write := b.writeFile
	if write == nil {
		write = backup.WriteAtomic
	}
	var sums backup.Sums
	err = write(dir, m.File, 0o600, func(w io.Writer) error {
		var err error
		sums, err = backup.Encrypt(w, zf, j.cfg.Backup.Recipients...)
		return err
	})
	if err != nil {
		return m, fmt.Errorf("backup: write %s: %w", m.File, err)
	}
	m.PlainSize, m.PlainSHA256, m.CipherSize, m.CipherSHA256 = sums.PlainSize, sums.PlainSHA256, sums.CipherSize, sums.CipherSHA256
	data, err := m.Encode()
	if err != nil {
		return m, err
	}
	if err := write(dir, backup.ManifestName(m.File), 0o600, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		// A backup without its manifest is not a backup: remove the file.
		os.Remove(filepath.Join(dir, m.File))
		return m, fmt.Errorf("backup: write manifest: %w", err)
	}
	return m, nil
}

// RemoveStrayZips deletes plaintext snapshot zips a crash may have left in pb_data/backups.
func RemoveStrayZips(app core.App) {
	matches, _ := filepath.Glob(filepath.Join(app.DataDir(), core.LocalBackupsDirName, "reserva-snapshot-*.zip*"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// countZipRows counts the rows of every collection in the database inside a snapshot zip, so
// the manifest matches the snapshot exactly (the live database moves on meanwhile). The copy
// is extracted into pb_data's temp directory and removed.
func countZipRows(app core.App, zipPath string) (map[string]int64, error) {
	tmp, err := os.MkdirTemp(ensureDir(filepath.Join(app.DataDir(), core.LocalTempDirName)), "count-")
	if err != nil {
		return nil, fmt.Errorf("backup: count rows: %w", err)
	}
	defer os.RemoveAll(tmp)
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("backup: count rows: %w", err)
	}
	defer zr.Close()
	f, err := zr.Open("data.db")
	if err != nil {
		return nil, fmt.Errorf("backup: count rows: the snapshot has no data.db: %w", err)
	}
	dbPath := filepath.Join(tmp, "data.db")
	out, err := os.OpenFile(dbPath, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("backup: count rows: %w", err)
	}
	_, err = io.Copy(out, f)
	f.Close()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("backup: count rows: %w", err)
	}
	return store.CountRows(dbPath)
}

// ApplyRetention deletes the backups the policy lets go (files, manifests, off-site copies)
// and marks their records deleted. It returns how many went.
func (j *Jobs) ApplyRetention(now time.Time) (int, error) {
	app := j.app
	recs, err := store.GoodBackups(app)
	if err != nil {
		return 0, fmt.Errorf("backup: retention: %w", err)
	}
	times := make([]time.Time, len(recs))
	for i, r := range recs {
		times[i] = r.Taken.Time()
	}
	expired := j.cfg.Backup.Policy.Expired(now, times)
	dir := j.cfg.Backup.Directory(app.DataDir())
	n := 0
	for _, r := range recs {
		if !slices.ContainsFunc(expired, r.Taken.Time().Equal) {
			continue
		}
		for _, p := range []string{filepath.Join(dir, r.File), filepath.Join(dir, backup.ManifestName(r.File))} {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				return n, fmt.Errorf("backup: retention: %w", err)
			}
		}
		if r.Offsite == store.OffsiteUploaded {
			if err := j.deleteOffsite(r.File); err != nil {
				app.Logger().Warn("backup: off-site delete failed; retried at the next run", "file", r.File, "error", err.Error())
				continue
			}
		}
		if err := store.MarkBackupDeleted(app, r); err != nil {
			return n, fmt.Errorf("backup: retention: %w", err)
		}
		n++
	}
	return n, nil
}

// recordFailure stores a failed attempt of what ("backup", "drill", "offsite"), writes a
// security event and, at the start of a streak of failures, alerts the venue by mail.
func (j *Jobs) recordFailure(now time.Time, what string, cause error) {
	app := j.app
	app.Logger().Error("backup: "+what+" failed", "error", cause.Error())
	if what == "backup" {
		if err := store.RecordBackupFailure(app, now, cause.Error()); err != nil {
			app.Logger().Error("backup: record the failure", "error", err.Error())
		}
	}
	if err := store.Audit(app, store.Entry{Actor: store.ActorSystem, Action: "security.backup_failed", Target: "backups",
		Detail: what + ": " + cause.Error()}); err != nil {
		app.Logger().Error("backup: security event", "error", err.Error())
	}
	j.bk.stateMu.Lock()
	first := !j.bk.failing
	j.bk.failing = true
	j.bk.stateMu.Unlock()
	if first {
		j.alertVenue(what, cause)
	}
}

// recordSuccess ends a streak of failures.
func (j *Jobs) recordSuccess() {
	j.bk.stateMu.Lock()
	j.bk.failing = false
	j.bk.stateMu.Unlock()
}

// BackupFailing reports whether the last snapshot, drill or upload failed.
func (j *Jobs) BackupFailing() bool {
	j.bk.stateMu.Lock()
	defer j.bk.stateMu.Unlock()
	return j.bk.failing
}

// alertTask is the catalog key that names a task of recordFailure to people.
func alertTask(what string) string {
	switch what {
	case "drill":
		return "alert.task.drill"
	case "offsite":
		return "alert.task.offsite"
	}
	return "alert.task.backup"
}

// alertVenue queues a mail to the venue's contact address about a failed backup, drill or
// off-site copy.
func (j *Jobs) alertVenue(what string, cause error) {
	app := j.app
	v, err := j.st.Venue(app)
	if err != nil || v.Email == "" {
		return
	}
	l := Locale(v)
	now := j.now()
	err = app.RunInTransaction(func(tx core.App) error {
		return store.QueueMail(tx, store.NewMail{
			Kind: store.MailAlert, To: v.Email, ToName: v.Name,
			Subject: l.T("alert.backup_subject", v.Name),
			Text:    l.T("alert.backup_body", l.T(alertTask(what)), cause.Error(), l.Date(now.In(v.Loc))+" "+l.TimeZone(now.In(v.Loc))),
		}, now)
	})
	if err != nil {
		app.Logger().Error("backup: queue the alert", "error", err.Error())
	}
}

// SetBackupWriter replaces how backup files are written (tests inject a full disk).
func (j *Jobs) SetBackupWriter(write func(dir, name string, mode os.FileMode, write func(io.Writer) error) error) {
	j.bk.writeFile = write
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ensureDir(dir string) string {
	_ = os.MkdirAll(dir, 0o700)
	return dir
}
