package jobs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/osutils"

	"reserva/internal/backup"
	"reserva/internal/store"
)

// Restore restores the backup at path into target: directly when target is missing or
// empty (a new server; missing parent directories are made); otherwise into a sibling
// directory first, then the current data is set aside (never deleted) and the restored data
// takes its place, with the server stopped. A backup file without its manifest (copied alone)
// restores too: age's authentication and SQLite's integrity check vouch for it then, as the
// manifest's checksums and row counts cannot. The closing message says which
// RESERVA_ENCRYPTION_KEY the restored data needs when it is not the one set here.
func Restore(out io.Writer, path string, ids []ageIdentity, target string) error {
	m, err := ReadManifest(path)
	var manifest *backup.Manifest
	switch {
	case err == nil:
		manifest = &m
	case errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Stat(path); serr != nil {
			return fmt.Errorf("backup restore: %w", serr)
		}
		fmt.Fprintf(out, "No manifest beside %s: restoring without its checksums and row counts (age's authentication and the integrity check still apply).\n",
			filepath.Base(path))
	default:
		return err
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(target)), 0o700); err != nil {
		return fmt.Errorf("backup restore: %w", err)
	}
	if empty, err := isEmptyDir(target); err != nil {
		return fmt.Errorf("backup restore: %w", err)
	} else if empty {
		_ = os.Remove(target) // Unzip creates it
		rows, err := RestoreInto(path, manifest, ids, target)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Restored %s into %s: integrity ok, %d bookings.\n", filepath.Base(path), target, rows["bookings"])
		keyNote(out, target)
		fmt.Fprintf(out, "Start it with: reserva serve --dir %s\n", target)
		return nil
	}
	unlock, err := LockDataDir(target)
	if err != nil {
		return err
	}
	defer unlock()
	staging := target + ".restoring-" + time.Now().UTC().Format("20060102T150405Z")
	rows, err := RestoreInto(path, manifest, ids, staging)
	if err != nil {
		os.RemoveAll(staging)
		return err
	}
	aside := target + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
	if err := os.Rename(target, aside); err != nil {
		os.RemoveAll(staging)
		return fmt.Errorf("backup restore: set the current data aside: %w", err)
	}
	if err := os.Rename(staging, target); err != nil {
		_ = os.Rename(aside, target)
		return fmt.Errorf("backup restore: %w", err)
	}
	fmt.Fprintf(out, "Restored %s into %s: integrity ok, %d bookings.\nThe previous data is kept in %s.\n",
		filepath.Base(path), target, rows["bookings"], aside)
	keyNote(out, target)
	fmt.Fprintf(out, `Start Reserva and check it. Then either keep it:  reserva backup confirm --dir %s
                              or undo it:     reserva backup rollback --dir %s
`, target, target)
	return nil
}

// keyNote tells, after a restore into dir, whether RESERVA_ENCRYPTION_KEY as set here reads
// the restored data; when it does not, that the old server's key is needed.
func keyNote(out io.Writer, dir string) {
	err := store.CheckKeyOf(filepath.Join(dir, "data.db"), os.Getenv(store.EncryptionKeyEnv))
	switch {
	case err == nil:
	case errors.Is(err, store.ErrOtherKey):
		fmt.Fprintf(out, `
NB! %s.
Reserva will not start on this data with the key set here. Set %s in the server's
environment (e.g. /etc/reserva/env) to the value it had on the old server.

`, err, store.EncryptionKeyEnv)
	default:
		fmt.Fprintf(out, "Could not check which %s the data needs: %v\n", store.EncryptionKeyEnv, err)
	}
}

// LockDataDir takes the data directory's lock file, held by a running server: a restore or
// rollback with the server running is refused. The returned func releases it.
func LockDataDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".reserva.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by a running Reserva: stop it first", dir)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// LastAside is the newest directory a restore set aside next to dir.
func LastAside(dir string) (string, error) {
	matches, _ := filepath.Glob(filepath.Clean(dir) + ".before-restore-*")
	if len(matches) == 0 {
		return "", fmt.Errorf("no data set aside by a restore next to %s", dir)
	}
	sort.Strings(matches)
	return matches[len(matches)-1], nil
}

// LocalBackups lists the backup files in dir, oldest first.
func LocalBackups(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	var out []string
	for _, e := range entries {
		if _, ok := backup.ParseFileName(e.Name()); ok && !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

// PickBackup is args[0] (a path, or a name in dir), or the newest backup in dir.
func PickBackup(dir string, args []string) (string, error) {
	if len(args) == 1 {
		if strings.ContainsRune(args[0], os.PathSeparator) {
			return args[0], nil
		}
		return filepath.Join(dir, args[0]), nil
	}
	files, err := LocalBackups(dir)
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no backups in %s", dir)
	}
	return filepath.Join(dir, files[len(files)-1]), nil
}

func isEmptyDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return len(entries) == 0, nil
}

// DefaultDataDir is PocketBase's default data directory: pb_data beside the binary, or in the
// working directory under `go run`.
func DefaultDataDir() string {
	if osutils.IsProbablyGoRun() {
		return "pb_data"
	}
	return filepath.Join(filepath.Dir(os.Args[0]), "pb_data")
}

// PreMigrationBackup takes a backup before new migrations are applied to a database that has
// data (an upgrade), when backups are on: a migration that goes wrong can then be undone with
// `reserva backup restore`.
func (j *Jobs) PreMigrationBackup(app core.App) error {
	if !j.cfg.Backup.On() {
		return nil
	}
	pending, err := store.PendingMigrations(app)
	if err != nil || pending == 0 {
		return err
	}
	if n, err := store.CountAllBookings(app); err != nil || n == 0 {
		return nil // a fresh install (or one without bookings): nothing to protect
	}
	m, err := j.WriteSnapshot(app, time.Now(), "pre-migration")
	if err != nil {
		return fmt.Errorf("serve: the backup before %d new migrations failed (fix it, or turn backups off to skip it): %w", pending, err)
	}
	app.Logger().Info("backup: taken before migrating", "file", m.File, "migrations", pending)
	fmt.Fprintf(os.Stderr, "Backed up to %s before applying %d new migrations.\n", m.File, pending)
	return nil
}

// Migrate brings the schema up to date for a command run before the first `serve` (the first
// owner is created on a fresh install), with the same backup first as serve takes.
func (j *Jobs) Migrate(app core.App) error {
	if err := j.PreMigrationBackup(app); err != nil {
		return err
	}
	if err := app.RunAllMigrations(); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}
