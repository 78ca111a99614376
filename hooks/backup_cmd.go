package hooks

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/osutils"
	"github.com/spf13/cobra"

	"reserva/internal/backup"
)

// StandaloneBackupCommands are the `reserva backup` subcommands that must run without
// PocketBase opening the data directory first (a restore writes into it; keygen, list and
// verify read files only). main runs them outside PocketBase's command tree.
var StandaloneBackupCommands = []string{"keygen", "list", "verify", "restore", "confirm", "rollback"}

// NewBackupCommand is `reserva backup`: keygen, create, list, verify, drill, restore, confirm,
// rollback. app is nil when a standalone subcommand runs.
func NewBackupCommand(app core.App, opts *Options) *cobra.Command {
	var dataDir string
	root := &cobra.Command{
		Use:   "backup",
		Short: "Encrypted backups: keygen, create, list, verify, drill, restore",
	}
	root.PersistentFlags().StringVar(&dataDir, "dir", defaultDataDir(), "the data directory (pb_data)")
	dir := func() string {
		if app != nil {
			return app.DataDir()
		}
		return dataDir
	}
	h := &handlers{now: time.Now, version: opts.Version}
	h.backup.cfg = opts.Backup
	backupDir := func() string { return h.backup.cfg.dir(dir()) }

	keygen := &cobra.Command{
		Use:   "keygen",
		Short: "Write a new age identity (secret key) and print its recipient (public key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, _ := cmd.Flags().GetString("out")
			recipient, err := backup.Keygen(out)
			if err != nil {
				return fmt.Errorf("backup keygen: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), `Wrote the identity (secret key) to %s (mode 0600).

Recipient (public key) for the server:
  RESERVA_BACKUP_RECIPIENTS=%s

Keep the identity OFF the server: the server only needs the recipient to write backups, and
anyone holding the identity can read every backup. Store it in a password manager and on
paper or a USB key in a safe place. To let the server run full restore drills, also copy it to
the server and set RESERVA_BACKUP_IDENTITY_FILE (that trades some safety for automatic proof
that the backups restore).
`, out, recipient)
			return nil
		},
	}
	keygen.Flags().String("out", "reserva-backup.key", "where to write the identity")

	create := &cobra.Command{
		Use:   "create",
		Short: "Take an encrypted backup now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			snap, err := h.takeBackupFresh(app)
			if err != nil {
				return err
			}
			m := snap.Manifest
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s (%d bytes, %d bookings)\n", filepath.Join(backupDir(), m.File),
				m.CipherSize, m.Rows["bookings"])
			return nil
		},
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List the backups (local, and off-site when configured)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := localBackups(backupDir())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "FILE\tTAKEN (UTC)\tSIZE\tBOOKINGS\tWHERE")
			for _, f := range files {
				m, err := readManifest(filepath.Join(backupDir(), f))
				if err != nil {
					fmt.Fprintf(w, "%s\t\t\t\tlocal (manifest unreadable: %v)\n", f, err)
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\tlocal\n", f, m.Created.Format("2006-01-02 15:04:05"), m.CipherSize, m.Rows["bookings"])
			}
			if h.backup.cfg.S3 != nil {
				remote, err := h.listOffsite()
				if err != nil {
					return err
				}
				for _, f := range remote {
					t, _ := backup.ParseFileName(f)
					fmt.Fprintf(w, "%s\t%s\t\t\toff-site\n", f, t.Format("2006-01-02 15:04:05"))
				}
			}
			return w.Flush()
		},
	}

	var identity string
	verify := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Check a backup (default: the newest): its checksum, and with --identity a full restore test",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := pickBackup(backupDir(), args)
			if err != nil {
				return err
			}
			if identity != "" {
				h.backup.cfg.IdentityFile = identity
			}
			result, err := h.drillFile(os.TempDir(), path)
			if err != nil {
				return fmt.Errorf("verify %s: %w", filepath.Base(path), err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", filepath.Base(path), result)
			return nil
		},
	}
	verify.Flags().StringVar(&identity, "identity", "", "an age identity file: decrypt and test-restore the backup")

	drill := &cobra.Command{
		Use:   "drill",
		Short: "Run the restore drill now on the newest backup and record the result",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			result, err := h.drill(app, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), result)
			return nil
		},
	}

	var fromS3 bool
	restore := &cobra.Command{
		Use:   "restore FILE --identity KEYFILE [--dir DIR] [--from-s3]",
		Short: "Restore a backup into an empty data directory, or over the current one with the server stopped",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if identity == "" {
				return errors.New("backup restore: --identity KEYFILE is required (the age identity of the backups)")
			}
			ids, err := backup.LoadIdentities(identity)
			if err != nil {
				return fmt.Errorf("backup restore: --identity: %w", err)
			}
			path := args[0]
			if fromS3 {
				tmp, err := os.MkdirTemp("", "reserva-restore-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				if err := h.downloadOffsite(filepath.Base(path), tmp); err != nil {
					return err
				}
				path = filepath.Join(tmp, filepath.Base(path))
			}
			return restoreCommand(cmd.OutOrStdout(), path, ids, dir())
		},
	}
	restore.Flags().StringVar(&identity, "identity", "", "the age identity file that decrypts the backup")
	restore.Flags().BoolVar(&fromS3, "from-s3", false, "fetch FILE from the off-site store (RESERVA_BACKUP_S3_*) first")

	confirm := &cobra.Command{
		Use:   "confirm",
		Short: "Keep the restored data: delete the data set aside by the last restore",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			aside, err := lastAside(dir())
			if err != nil {
				return err
			}
			if err := os.RemoveAll(aside); err != nil {
				return fmt.Errorf("backup confirm: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted the previous data (%s).\n", aside)
			return nil
		},
	}
	rollback := &cobra.Command{
		Use:   "rollback",
		Short: "Undo the last restore: put the data set aside back (the server must be stopped)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			target := dir()
			aside, err := lastAside(target)
			if err != nil {
				return err
			}
			unlock, err := lockDataDir(target)
			if err != nil {
				return err
			}
			unlock()
			failed := target + ".rolled-back-" + time.Now().UTC().Format("20060102T150405Z")
			if err := os.Rename(target, failed); err != nil {
				return fmt.Errorf("backup rollback: %w", err)
			}
			if err := os.Rename(aside, target); err != nil {
				return fmt.Errorf("backup rollback: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Put the previous data back in %s; the restored data is in %s.\n", target, failed)
			return nil
		},
	}
	root.AddCommand(keygen, create, list, verify, drill, restore, confirm, rollback)
	return root
}

// takeBackupFresh takes a backup now even when nothing changed since the last one.
func (h *handlers) takeBackupFresh(app core.App) (snapshot, error) {
	if !h.backup.cfg.On() {
		return snapshot{}, errBackupsOff
	}
	now := time.Now()
	started := time.Now()
	fp, err := fingerprint(app)
	if err != nil {
		return snapshot{}, err
	}
	m, err := h.writeSnapshot(app, now, fp)
	if err != nil {
		h.recordFailure(app, now, "backup", err)
		return snapshot{}, err
	}
	if _, err := recordBackup(app, m, time.Since(started)); err != nil {
		return snapshot{}, err
	}
	return snapshot{Manifest: m}, nil
}

// restoreCommand restores the backup at path into target: directly when target is missing or
// empty (a new server); otherwise into a sibling directory first, then the current data is set
// aside (never deleted) and the restored data takes its place, with the server stopped.
func restoreCommand(out io.Writer, path string, ids []ageIdentity, target string) error {
	m, err := readManifest(path)
	if err != nil {
		return err
	}
	if empty, err := isEmptyDir(target); err != nil {
		return fmt.Errorf("backup restore: %w", err)
	} else if empty {
		_ = os.Remove(target) // Unzip creates it
		rows, err := restoreInto(path, m, ids, target)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Restored %s into %s: integrity ok, %d bookings. Start it with: reserva serve --dir %s\n",
			filepath.Base(path), target, rows["bookings"], target)
		return nil
	}
	unlock, err := lockDataDir(target)
	if err != nil {
		return err
	}
	defer unlock()
	staging := target + ".restoring-" + time.Now().UTC().Format("20060102T150405Z")
	rows, err := restoreInto(path, m, ids, staging)
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
	fmt.Fprintf(out, `Restored %s into %s: integrity ok, %d bookings.
The previous data is kept in %s.
Start Reserva and check it. Then either keep it:  reserva backup confirm --dir %s
                              or undo it:     reserva backup rollback --dir %s
`, filepath.Base(path), target, rows["bookings"], aside, target, target)
	return nil
}

// lockDataDir takes the data directory's lock file, held by a running server: a restore or
// rollback with the server running is refused. The returned func releases it.
func lockDataDir(dir string) (func(), error) {
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

// lastAside is the newest directory a restore set aside next to dir.
func lastAside(dir string) (string, error) {
	matches, _ := filepath.Glob(filepath.Clean(dir) + ".before-restore-*")
	if len(matches) == 0 {
		return "", fmt.Errorf("no data set aside by a restore next to %s", dir)
	}
	sort.Strings(matches)
	return matches[len(matches)-1], nil
}

// localBackups lists the backup files in dir, oldest first.
func localBackups(dir string) ([]string, error) {
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

// pickBackup is args[0] (a path, or a name in dir), or the newest backup in dir.
func pickBackup(dir string, args []string) (string, error) {
	if len(args) == 1 {
		if strings.ContainsRune(args[0], os.PathSeparator) {
			return args[0], nil
		}
		return filepath.Join(dir, args[0]), nil
	}
	files, err := localBackups(dir)
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

// defaultDataDir is PocketBase's default data directory: pb_data beside the binary, or in the
// working directory under `go run`.
func defaultDataDir() string {
	if osutils.IsProbablyGoRun() {
		return "pb_data"
	}
	return filepath.Join(filepath.Dir(os.Args[0]), "pb_data")
}

// preMigrationBackup takes a backup before `serve` applies new migrations to a database that
// has data (an upgrade), when backups are on: a migration that goes wrong can then be undone
// with `reserva backup restore`.
func (o *Options) preMigrationBackup(app core.App) error {
	if !o.Backup.On() {
		return nil
	}
	pending, err := pendingMigrations(app)
	if err != nil || pending == 0 {
		return err
	}
	if n, err := app.CountRecords("bookings"); err != nil || n == 0 {
		return nil // a fresh install (or one without bookings): nothing to protect
	}
	h := &handlers{now: time.Now, version: o.Version}
	h.backup.cfg = o.Backup
	m, err := h.writeSnapshot(app, time.Now(), "pre-migration")
	if err != nil {
		return fmt.Errorf("serve: the backup before %d new migrations failed (fix it, or turn backups off to skip it): %w", pending, err)
	}
	app.Logger().Info("backup: taken before migrating", "file", m.File, "migrations", pending)
	fmt.Fprintf(os.Stderr, "Backed up to %s before applying %d new migrations.\n", m.File, pending)
	return nil
}

// migrate brings the schema up to date for a command run before the first `serve` (the first
// owner is created on a fresh install), with the same backup first as serve takes.
func (o *Options) migrate(app core.App) error {
	if err := o.preMigrationBackup(app); err != nil {
		return err
	}
	if err := app.RunAllMigrations(); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// pendingMigrations counts Reserva's migrations not applied yet.
func pendingMigrations(app core.App) (int, error) {
	var applied []string
	if err := app.DB().NewQuery("SELECT file FROM _migrations").Column(&applied); err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	n := 0
	for _, m := range core.AppMigrations.Items() {
		if !slices.Contains(applied, m.File) {
			n++
		}
	}
	return n, nil
}
