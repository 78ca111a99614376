package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"reserva/internal/backup"
	"reserva/internal/jobs"
)

// StandaloneBackupCommands are the `reserva backup` subcommands that must run without
// PocketBase opening the data directory first (a restore writes into it; keygen, list and
// verify read files only). main runs them outside PocketBase's command tree.
var StandaloneBackupCommands = []string{"keygen", "list", "verify", "restore", "confirm", "rollback"}

// NewBackupCommand is `reserva backup`: keygen, create, list, verify, drill, restore, confirm,
// rollback. d.Jobs is nil when a standalone subcommand runs (PocketBase has not opened the data
// directory): cfg is the backup configuration then.
func NewBackupCommand(d Deps, cfg jobs.BackupConfig) *cobra.Command {
	var app core.App
	if d.Jobs != nil {
		app = d.Store.App()
		cfg = d.Jobs.BackupConfig()
	}
	var dataDir string
	root := &cobra.Command{
		Use:   "backup",
		Short: "Encrypted backups: keygen, create, list, verify, drill, restore",
	}
	root.PersistentFlags().StringVar(&dataDir, "dir", jobs.DefaultDataDir(), "the data directory (pb_data)")
	dir := func() string {
		if app != nil {
			return app.DataDir()
		}
		return dataDir
	}
	backupDir := func() string { return cfg.Directory(dir()) }

	var keyOut string
	keygen := &cobra.Command{
		Use:   "keygen",
		Short: "Write a new age identity (secret key) and print its recipient (public key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			recipient, err := backup.Keygen(keyOut)
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
`, keyOut, recipient)
			return nil
		},
	}
	keygen.Flags().StringVar(&keyOut, "out", "reserva-backup.key", "where to write the identity")

	create := &cobra.Command{
		Use:   "create",
		Short: "Take an encrypted backup now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// No bookings wait on this process: the backup may compress on every core.
			d.Jobs.SetBackupProcs(runtime.GOMAXPROCS(0))
			snap, err := d.Jobs.TakeBackupFresh()
			if err != nil {
				return err
			}
			m := snap.Manifest
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s (%d bytes, %d bookings)\n", filepath.Join(backupDir(), m.File),
				m.CipherSize, m.Rows["bookings"])
			if cfg.S3 == nil {
				return nil
			}
			if snap.Offsite != nil {
				return fmt.Errorf("backup create: the backup is kept here, but its off-site copy failed (the scheduled backups try again): %w", snap.Offsite)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Copied off-site to %s\n", jobs.OffsiteLocation(cfg, m.File))
			return nil
		},
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List the backups (local, and off-site when configured)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := jobs.LocalBackups(backupDir())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "FILE\tTAKEN (UTC)\tSIZE\tBOOKINGS\tWHERE")
			for _, f := range files {
				m, err := jobs.ReadManifest(filepath.Join(backupDir(), f))
				if err != nil {
					fmt.Fprintf(w, "%s\t\t\t\tlocal (manifest unreadable: %v)\n", f, err)
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\tlocal\n", f, m.Created.Format("2006-01-02 15:04:05"), m.CipherSize, m.Rows["bookings"])
			}
			if cfg.S3 != nil {
				remote, err := jobs.ListOffsite(cfg)
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
			path, err := jobs.PickBackup(backupDir(), args)
			if err != nil {
				return err
			}
			check := cfg
			if identity != "" {
				check.IdentityFile = identity
			}
			result, err := jobs.DrillFile(check, os.TempDir(), path)
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
			result, err := d.Jobs.Drill(time.Now())
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
				if err := jobs.DownloadOffsite(cfg, filepath.Base(path), tmp); err != nil {
					return err
				}
				path = filepath.Join(tmp, filepath.Base(path))
			}
			return jobs.Restore(cmd.OutOrStdout(), path, ids, dir())
		},
	}
	restore.Flags().StringVar(&identity, "identity", "", "the age identity file that decrypts the backup")
	restore.Flags().BoolVar(&fromS3, "from-s3", false, "fetch FILE from the off-site store (RESERVA_BACKUP_S3_*) first")

	confirm := &cobra.Command{
		Use:   "confirm",
		Short: "Keep the restored data: delete the data set aside by the last restore",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			aside, err := jobs.LastAside(dir())
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
			aside, err := jobs.LastAside(target)
			if err != nil {
				return err
			}
			unlock, err := jobs.LockDataDir(target)
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
	root.AddCommand(keygen, workOnExistingData(create), list, verify, workOnExistingData(drill), restore, confirm, rollback)
	for _, c := range root.Commands() {
		c.SilenceUsage = true // a failed backup, drill or restore prints its error, not the usage text
	}
	return root
}
