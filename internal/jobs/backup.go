package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	mu        sync.Mutex   // one snapshot at a time
	procs     atomic.Int32 // goroutines compressing a backup (SetBackupProcs)
	uploadMu  sync.Mutex   // one off-site upload run at a time
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

// TakeBackup makes one encrypted backup now (WriteSnapshot: the databases' pages streamed
// from a read transaction through age into reserva-<time>.age, temp file, fsync, rename, with
// its manifest). It is skipped when the data has not changed since the last good one (the
// fingerprint it recorded). Every outcome but a skip is recorded in `backups`; a failure
// raises the alert.
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
	if !fresh {
		fp, err := store.Fingerprint(app)
		if err != nil {
			return Snapshot{}, err
		}
		if last, err := store.LastGoodBackup(app); err == nil && last.DataHash == fp {
			return Snapshot{Skipped: true}, nil
		}
	}
	started := time.Now()
	m, err := j.WriteSnapshot(app, now, "")
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

// WriteSnapshot makes the files of one backup of app's data and returns its manifest: a
// snapshot of each database (store.Snapshot: one read transaction, writers go on) whose pages
// are streamed, with the rest of pb_data, as a zip of zstd entries (backup.WriteArchive)
// through age into the backup file, and whose rows are then counted (the pages are in the page
// cache by then: counting first, from a cold disk, took longer than the pages at 1M bookings).
// No plaintext copy touches the disk. fp is the fingerprint to record; "" records the
// snapshot's own.
func (j *Jobs) WriteSnapshot(app core.App, now time.Time, fp string) (backup.Manifest, error) {
	b := &j.bk
	dir := j.cfg.Backup.Directory(app.DataDir())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return backup.Manifest{}, fmt.Errorf("backup: directory: %w", err)
	}
	ctx := context.Background()
	data, logs, err := store.OpenSnapshots(ctx, app)
	if err != nil {
		return backup.Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer data.Close()
	defer logs.Close()
	files, err := dataFiles(app.DataDir(), dir)
	if err != nil {
		return backup.Manifest{}, err
	}
	pages := func(s *store.Snapshot) func(io.Writer) error {
		return func(w io.Writer) error { _, err := s.WriteTo(w); return err }
	}
	files = append([]backup.ArchiveFile{{Name: "data.db", Write: pages(data)}, {Name: "auxiliary.db", Write: pages(logs)}}, files...)
	m := backup.Manifest{File: backup.FileName(now), Created: now.UTC(), AppVersion: j.cfg.Version}
	if m.AppVersion == "" {
		m.AppVersion = "devel"
	}
	write := b.writeFile
	if write == nil {
		write = backup.WriteAtomic
	}
	var sums backup.Sums
	err = write(dir, m.File, 0o600, func(w io.Writer) error {
		pr, pw := io.Pipe()
		archived := make(chan struct{})
		go func() {
			defer close(archived)
			pw.CloseWithError(backup.WriteArchive(pw, files, j.backupProcs()))
		}()
		var err error
		sums, err = backup.Encrypt(w, pr, j.cfg.Backup.Recipients...)
		pr.CloseWithError(err) // a failed write stops the archive too
		<-archived
		if err != nil {
			return err
		}
		// Counted before the file is complete: a failed count leaves no backup behind.
		facts, err := data.Facts(ctx)
		if err != nil {
			return err
		}
		m.Rows = facts.Rows
		if m.DataHash = fp; fp == "" {
			m.DataHash = facts.Fingerprint()
		}
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("backup: write %s: %w", m.File, err)
	}
	m.PlainSize, m.PlainSHA256, m.CipherSize, m.CipherSHA256 = sums.PlainSize, sums.PlainSHA256, sums.CipherSize, sums.CipherSHA256
	manifest, err := m.Encode()
	if err != nil {
		return m, err
	}
	if err := write(dir, backup.ManifestName(m.File), 0o600, func(w io.Writer) error {
		_, err := w.Write(manifest)
		return err
	}); err != nil {
		// A backup without its manifest is not a backup: remove the file.
		os.Remove(filepath.Join(dir, m.File))
		return m, fmt.Errorf("backup: write manifest: %w", err)
	}
	return m, nil
}

// SetBackupProcs sets how many goroutines compress a backup: 1 (the default) in the server,
// where bookings need the CPU; `reserva backup create` gives it the machine's.
func (j *Jobs) SetBackupProcs(n int) { j.bk.procs.Store(int32(n)) }

func (j *Jobs) backupProcs() int { return max(int(j.bk.procs.Load()), 1) }

// dataFiles lists every regular file of pb_data (root) that a backup holds besides the two
// databases (the storage files, the language overrides): it leaves out the live databases and
// their logs, the backups (backupDir too, when it is inside pb_data), temporary files,
// PocketBase's notification files and the certificates' cache (autocert fetches them again).
func dataFiles(root, backupDir string) ([]backup.ArchiveFile, error) {
	skip := map[string]bool{core.LocalBackupsDirName: true, core.LocalTempDirName: true, core.LocalNotifyDirName: true,
		core.LocalAutocertCacheDirName: true, "lost+found": true}
	if rel, err := filepath.Rel(root, backupDir); err == nil && !strings.HasPrefix(rel, "..") {
		skip[filepath.ToSlash(rel)] = true
	}
	var files []backup.ArchiveFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		name := filepath.ToSlash(rel)
		if skip[name] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		for _, db := range []string{"data.db", "auxiliary.db"} {
			if name == db || strings.HasPrefix(name, db+"-") {
				return nil
			}
		}
		files = append(files, backup.ArchiveFile{Name: name, Path: p})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backup: list pb_data: %w", err)
	}
	return files, nil
}

// RemoveStrayZips deletes the plaintext snapshot zips a crash may have left in pb_data/backups
// (versions before backups streamed took them through PocketBase's zips).
func RemoveStrayZips(app core.App) {
	matches, _ := filepath.Glob(filepath.Join(app.DataDir(), core.LocalBackupsDirName, "reserva-snapshot-*.zip*"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
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

func ensureDir(dir string) string {
	_ = os.MkdirAll(dir, 0o700)
	return dir
}
