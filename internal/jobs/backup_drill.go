package jobs

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/backup"
	"reserva/internal/store"
)

// Drill is the daily restore drill on the newest good backup. With an identity configured it
// restores for real: decrypt into a temporary directory, unzip, open the database, run
// PRAGMA integrity_check, compare every collection's row count with the manifest, delete the
// copy. Without one it can only check the file's size and checksum against its manifest, and
// its result says so. The result is recorded on the backup; a failure raises the alert.
func (j *Jobs) Drill(now time.Time) (string, error) {
	app := j.app
	cfg := j.cfg.Backup
	if !cfg.On() {
		return "", ErrBackupsOff
	}
	rec, err := store.LastGoodBackup(app)
	if err != nil {
		return "", fmt.Errorf("drill: no backup to check: %w", err)
	}
	tempBase := ensureDir(filepath.Join(app.DataDir(), core.LocalTempDirName))
	result, err := DrillFile(cfg, tempBase, filepath.Join(cfg.Directory(app.DataDir()), rec.File))
	if err != nil {
		result = "failed: " + err.Error()
	}
	if serr := store.SetDrill(app, rec, result, now); serr != nil {
		return result, fmt.Errorf("drill: record: %w", serr)
	}
	if err != nil {
		j.recordFailure(now, "drill", err)
		return result, err
	}
	j.recordSuccess()
	return result, nil
}

// DrillFile checks one backup file, restoring it under tempBase (with cfg's identity; without
// one, its checksum only); see Drill.
func DrillFile(cfg BackupConfig, tempBase, path string) (string, error) {
	m, err := ReadManifest(path)
	if err != nil {
		return "", err
	}
	if cfg.IdentityFile == "" {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("drill: %w", err)
		}
		defer f.Close()
		if err := backup.Verify(f, m); err != nil {
			return "", err
		}
		return "checksum only (no identity configured: RESERVA_BACKUP_IDENTITY_FILE)", nil
	}
	ids, err := backup.LoadIdentities(cfg.IdentityFile)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(tempBase, "reserva-drill-")
	if err != nil {
		return "", fmt.Errorf("drill: %w", err)
	}
	// NB! The restored copy is plaintext: it goes on every path out.
	defer os.RemoveAll(tmp)
	rows, err := RestoreInto(path, &m, ids, filepath.Join(tmp, "pb_data"))
	if err != nil {
		return "", err
	}
	if !maps.Equal(rows, m.Rows) {
		return "", fmt.Errorf("drill: row counts differ from the manifest: %s", rowDiff(m.Rows, rows))
	}
	return fmt.Sprintf("restored: integrity ok, %d collections, row counts match", len(rows)), nil
}

// RestoreInto decrypts the backup at path into dir (which must not exist or be empty),
// checks it against its manifest m (nil: none, the checks of age and SQLite only) and its
// integrity, and returns its row counts.
func RestoreInto(path string, m *backup.Manifest, ids []ageIdentity, dir string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	zipFile, err := os.CreateTemp(filepath.Dir(dir), ".restore-*.zip")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(zipFile.Name())
	defer zipFile.Close()
	sums, err := backup.Decrypt(zipFile, f, ids...)
	if err != nil {
		return nil, err
	}
	if m != nil && (sums.PlainSHA256 != m.PlainSHA256 || sums.PlainSize != m.PlainSize) {
		return nil, fmt.Errorf("restore: %w: the decrypted snapshot does not match its manifest", backup.ErrMismatch)
	}
	if err := backup.Unzip(zipFile, sums.PlainSize, dir); err != nil {
		return nil, err
	}
	if err := store.IntegrityCheck(filepath.Join(dir, "data.db")); err != nil {
		return nil, err
	}
	return store.CountRows(filepath.Join(dir, "data.db"))
}

// ReadManifest reads the manifest beside a backup file.
func ReadManifest(path string) (backup.Manifest, error) {
	b, err := os.ReadFile(backup.ManifestName(path))
	if err != nil {
		return backup.Manifest{}, fmt.Errorf("backup: manifest of %s: %w", filepath.Base(path), err)
	}
	m, err := backup.DecodeManifest(b)
	if err != nil {
		return m, err
	}
	if m.File != filepath.Base(path) {
		return m, errors.New("backup: the manifest names another file")
	}
	return m, nil
}

func rowDiff(want, got map[string]int64) string {
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			diffs = append(diffs, fmt.Sprintf("%s %d≠%d", k, got[k], want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, k+" unexpected")
		}
	}
	return strings.Join(diffs, ", ")
}
