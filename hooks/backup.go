package hooks

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
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

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"reserva/internal/backup"
)

// errBackupsOff means no recipients are configured.
var errBackupsOff = errors.New("backup: off (set RESERVA_BACKUP_RECIPIENTS; `reserva backup keygen` makes a key)")

// backups is the state of Reserva's backups inside the running process.
type backups struct {
	cfg BackupConfig
	// writeFile writes a backup file atomically; tests replace it to inject a full disk.
	writeFile func(dir, name string, mode os.FileMode, write func(io.Writer) error) error
	mu        sync.Mutex // one snapshot at a time
	stateMu   sync.Mutex
	failing   bool // the last snapshot, drill or upload failed (alert once per streak)
	// offsiteFailures counts upload runs in a row with a failure.
	offsiteFailures int
}

// bindBackupExclusions keeps the backup directory (when inside pb_data) out of the snapshots:
// backups inside backups would grow without end.
func (h *handlers) bindBackupExclusions(app core.App) {
	app.OnBackupCreate().Bind(&hook.Handler[*core.BackupEvent]{
		Id: "reservaBackupExclude",
		Func: func(e *core.BackupEvent) error {
			dir := h.backup.cfg.dir(e.App.DataDir())
			if rel, err := filepath.Rel(e.App.DataDir(), dir); err == nil && !strings.HasPrefix(rel, "..") {
				e.Exclude = append(e.Exclude, rel)
			}
			return e.Next()
		},
	})
}

// snapshot is the outcome of one backup run.
type snapshot struct {
	Manifest backup.Manifest
	Skipped  bool
}

// takeBackup makes one encrypted backup now: PocketBase's CreateBackup (VACUUM INTO, writers go
// on) writes a zip inside pb_data, its rows are counted from the zip's own copy of the database,
// it is streamed through age into reserva-<time>.age (temp file, fsync, rename) with its
// manifest, and the plaintext zip is deleted at once. A snapshot is skipped when the data has
// not changed since the last good one. Every outcome but a skip is recorded in `backups`; a
// failure raises the alert.
func (h *handlers) takeBackup(app core.App, now time.Time) (snapshot, error) {
	b := &h.backup
	if !b.cfg.On() {
		return snapshot{}, errBackupsOff
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fp, err := fingerprint(app)
	if err != nil {
		return snapshot{}, err
	}
	if last, err := lastGoodBackup(app); err == nil && last.GetString("data_hash") == fp {
		return snapshot{Skipped: true}, nil
	}
	started := time.Now()
	m, err := h.writeSnapshot(app, now, fp)
	if err != nil {
		h.recordFailure(app, now, "backup", err)
		return snapshot{}, err
	}
	rec, err := recordBackup(app, m, time.Since(started))
	if err != nil {
		return snapshot{}, err
	}
	if b.cfg.S3 != nil {
		rec.Set("offsite", "pending")
		if err := app.Save(rec); err != nil {
			return snapshot{}, fmt.Errorf("backup: %w", err)
		}
	}
	h.recordSuccess()
	return snapshot{Manifest: m}, nil
}

// writeSnapshot makes the files of one backup and returns its manifest.
func (h *handlers) writeSnapshot(app core.App, now time.Time, fp string) (backup.Manifest, error) {
	b := &h.backup
	dir := b.cfg.dir(app.DataDir())
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
	m := backup.Manifest{File: backup.FileName(now), Created: now.UTC(), Rows: rows, AppVersion: h.version, DataHash: fp}
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
		sums, err = backup.Encrypt(w, zf, b.cfg.Recipients...)
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

// removeStrayZips deletes plaintext snapshot zips a crash may have left in pb_data/backups.
func removeStrayZips(app core.App) {
	matches, _ := filepath.Glob(filepath.Join(app.DataDir(), core.LocalBackupsDirName, "reserva-snapshot-*.zip*"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// fingerprint summarises the state of the data: each collection's row count and latest
// `updated`, and the schema's and settings' latest change. The backups bookkeeping itself is
// left out, so recording a backup does not make the next one necessary.
func fingerprint(app core.App) (string, error) {
	cols, err := app.FindAllCollections()
	if err != nil {
		return "", fmt.Errorf("backup: fingerprint: %w", err)
	}
	h := sha256.New()
	for _, c := range cols {
		if c.Name == "backups" || c.IsView() {
			continue
		}
		var n int64
		var latest string
		q := "SELECT count(*), '' FROM " + quoteIdent(c.Name)
		if c.Fields.GetByName("updated") != nil {
			q = "SELECT count(*), coalesce(max([[updated]]), '') FROM " + quoteIdent(c.Name)
		}
		if err := app.DB().NewQuery(q).Row(&n, &latest); err != nil {
			return "", fmt.Errorf("backup: fingerprint %s: %w", c.Name, err)
		}
		fmt.Fprintf(h, "%s|%d|%s\n", c.Name, n, latest)
	}
	var schema, settings string
	_ = app.DB().NewQuery("SELECT coalesce(max(updated), '') FROM _collections").Row(&schema)
	_ = app.DB().NewQuery("SELECT coalesce(max(updated), '') FROM _params").Row(&settings)
	fmt.Fprintf(h, "%s|%s", schema, settings)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

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
	return countRows(dbPath)
}

// countRows opens the SQLite database at path read-only and counts the rows of each collection.
func countRows(path string) (map[string]int64, error) {
	db, err := dbx.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("backup: open %s: %w", filepath.Base(path), err)
	}
	defer db.Close()
	var names []string
	if err := db.NewQuery("SELECT name FROM _collections WHERE type != 'view' ORDER BY name").Column(&names); err != nil {
		return nil, fmt.Errorf("backup: list collections: %w", err)
	}
	rows := make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		if err := db.NewQuery("SELECT count(*) FROM " + quoteIdent(n)).Row(&c); err != nil {
			return nil, fmt.Errorf("backup: count %s: %w", n, err)
		}
		rows[n] = c
	}
	return rows, nil
}

// recordBackup stores a good backup's record.
func recordBackup(app core.App, m backup.Manifest, took time.Duration) (*core.Record, error) {
	col, err := app.FindCachedCollectionByNameOrId("backups")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	rec := core.NewRecord(col)
	rec.Load(map[string]any{
		"file": m.File, "taken": m.Created, "status": "ok", "size": m.CipherSize, "plain_size": m.PlainSize,
		"cipher_sha256": m.CipherSHA256, "plain_sha256": m.PlainSHA256, "rows": m.Rows, "data_hash": m.DataHash,
		"took_ms": took.Milliseconds(),
	})
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("backup: record %s: %w", m.File, err)
	}
	return rec, nil
}

// lastGoodBackup is the newest backup record with status ok; sql.ErrNoRows when none.
func lastGoodBackup(app core.App) (*core.Record, error) {
	recs, err := app.FindRecordsByFilter("backups", "status = 'ok'", "-taken", 1, 0)
	if err != nil {
		return nil, fmt.Errorf("backup: last: %w", err)
	}
	if len(recs) == 0 {
		return nil, sql.ErrNoRows
	}
	return recs[0], nil
}

// applyRetention deletes the backups the policy lets go (files, manifests, off-site copies)
// and marks their records deleted. It returns how many went.
func (h *handlers) applyRetention(app core.App, now time.Time) (int, error) {
	recs, err := app.FindRecordsByFilter("backups", "status = 'ok'", "taken", 0, 0)
	if err != nil {
		return 0, fmt.Errorf("backup: retention: %w", err)
	}
	times := make([]time.Time, len(recs))
	for i, r := range recs {
		times[i] = r.GetDateTime("taken").Time()
	}
	expired := h.backup.cfg.Policy.Expired(now, times)
	dir := h.backup.cfg.dir(app.DataDir())
	n := 0
	for _, r := range recs {
		if !slices.ContainsFunc(expired, r.GetDateTime("taken").Time().Equal) {
			continue
		}
		file := r.GetString("file")
		for _, p := range []string{filepath.Join(dir, file), filepath.Join(dir, backup.ManifestName(file))} {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				return n, fmt.Errorf("backup: retention: %w", err)
			}
		}
		if r.GetString("offsite") == "uploaded" {
			if err := h.deleteOffsite(file); err != nil {
				app.Logger().Warn("backup: off-site delete failed; retried at the next run", "file", file, "error", err.Error())
				continue
			}
		}
		r.Set("status", "deleted")
		if err := app.Save(r); err != nil {
			return n, fmt.Errorf("backup: retention: %w", err)
		}
		n++
	}
	return n, nil
}

// recordFailure stores a failed attempt of what ("backup", "drill", "offsite"), writes a
// security event and, at the start of a streak of failures, alerts the venue by mail.
func (h *handlers) recordFailure(app core.App, now time.Time, what string, cause error) {
	app.Logger().Error("backup: "+what+" failed", "error", cause.Error())
	if what == "backup" {
		if col, err := app.FindCachedCollectionByNameOrId("backups"); err == nil {
			rec := core.NewRecord(col)
			rec.Load(map[string]any{"taken": now.UTC(), "status": "failed", "error": truncate(cause.Error(), 1000)})
			if err := app.Save(rec); err != nil {
				app.Logger().Error("backup: record the failure", "error", err.Error())
			}
		}
	}
	if err := audit(app, "", actorSystem, "security.backup_failed", "backups", truncate(what+": "+cause.Error(), 2000)); err != nil {
		app.Logger().Error("backup: security event", "error", err.Error())
	}
	h.backup.stateMu.Lock()
	first := !h.backup.failing
	h.backup.failing = true
	h.backup.stateMu.Unlock()
	if first {
		h.alertVenue(app, what, cause)
	}
}

// recordSuccess ends a streak of failures.
func (h *handlers) recordSuccess() {
	h.backup.stateMu.Lock()
	h.backup.failing = false
	h.backup.stateMu.Unlock()
}

// alertVenue queues a mail to the venue's contact address about a failed backup, drill or
// off-site copy.
func (h *handlers) alertVenue(app core.App, what string, cause error) {
	v, err := h.venue(app)
	if err != nil || v.rec.GetString("email") == "" {
		return
	}
	l := v.locale
	err = app.RunInTransaction(func(tx core.App) error {
		return h.enqueue(tx, outMail{
			kind: "alert", to: v.rec.GetString("email"), toName: v.rec.GetString("name"),
			subject: l.T("alert.backup_subject", v.rec.GetString("name")),
			text:    l.T("alert.backup_body", what, cause.Error(), h.now().In(v.loc).Format(time.RFC1123)),
		})
	})
	if err != nil {
		app.Logger().Error("backup: queue the alert", "error", err.Error())
	}
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
