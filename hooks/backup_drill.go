package hooks

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/backup"
)

// drill is the daily restore drill on the newest good backup. With an identity configured it
// restores for real: decrypt into a temporary directory, unzip, open the database, run
// PRAGMA integrity_check, compare every collection's row count with the manifest, delete the
// copy. Without one it can only check the file's size and checksum against its manifest, and
// its result says so. The result is recorded on the backup; a failure raises the alert.
func (h *handlers) drill(app core.App, now time.Time) (string, error) {
	cfg := h.backup.cfg
	if !cfg.On() {
		return "", errBackupsOff
	}
	rec, err := lastGoodBackup(app)
	if err != nil {
		return "", fmt.Errorf("drill: no backup to check: %w", err)
	}
	tempBase := ensureDir(filepath.Join(app.DataDir(), core.LocalTempDirName))
	result, err := h.drillFile(tempBase, filepath.Join(cfg.dir(app.DataDir()), rec.GetString("file")))
	if err != nil {
		result = "failed: " + err.Error()
	}
	rec.Set("verified_at", now.UTC())
	rec.Set("verify_result", truncate(result, 1000))
	if serr := app.Save(rec); serr != nil {
		return result, fmt.Errorf("drill: record: %w", serr)
	}
	if err != nil {
		h.recordFailure(app, now, "drill", err)
		return result, err
	}
	h.recordSuccess()
	return result, nil
}

// drillFile checks one backup file, restoring it under tempBase; see drill.
func (h *handlers) drillFile(tempBase, path string) (string, error) {
	m, err := readManifest(path)
	if err != nil {
		return "", err
	}
	if h.backup.cfg.IdentityFile == "" {
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
	ids, err := backup.LoadIdentities(h.backup.cfg.IdentityFile)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(tempBase, "reserva-drill-")
	if err != nil {
		return "", fmt.Errorf("drill: %w", err)
	}
	// NB! The restored copy is plaintext: it goes on every path out.
	defer os.RemoveAll(tmp)
	rows, err := restoreInto(path, m, ids, filepath.Join(tmp, "pb_data"))
	if err != nil {
		return "", err
	}
	if !maps.Equal(rows, m.Rows) {
		return "", fmt.Errorf("drill: row counts differ from the manifest: %s", rowDiff(m.Rows, rows))
	}
	return fmt.Sprintf("restored: integrity ok, %d collections, row counts match", len(rows)), nil
}

// restoreInto decrypts the backup at path into dir (which must not exist or be empty),
// checks its integrity and returns its row counts.
func restoreInto(path string, m backup.Manifest, ids []ageIdentity, dir string) (map[string]int64, error) {
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
	if sums.PlainSHA256 != m.PlainSHA256 || sums.PlainSize != m.PlainSize {
		return nil, fmt.Errorf("restore: %w: the decrypted snapshot does not match its manifest", backup.ErrMismatch)
	}
	if err := backup.Unzip(zipFile, sums.PlainSize, dir); err != nil {
		return nil, err
	}
	if err := integrityCheck(filepath.Join(dir, "data.db")); err != nil {
		return nil, err
	}
	return countRows(filepath.Join(dir, "data.db"))
}

// integrityCheck runs PRAGMA integrity_check on the database at path.
func integrityCheck(path string) error {
	db, err := dbx.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("integrity: open: %w", err)
	}
	defer db.Close()
	var lines []string
	if err := db.NewQuery("PRAGMA integrity_check").Column(&lines); err != nil {
		return fmt.Errorf("integrity: %w", err)
	}
	if len(lines) != 1 || lines[0] != "ok" {
		return fmt.Errorf("integrity check failed: %s", strings.Join(lines, "; "))
	}
	return nil
}

// readManifest reads the manifest beside a backup file.
func readManifest(path string) (backup.Manifest, error) {
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
