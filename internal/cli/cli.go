// Package cli holds Reserva's commands (serve, backup, staff, purge, demo, healthcheck) and
// the demo generator. The commands are built on the store and the jobs; none of them builds
// HTTP handlers.
package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"reserva/internal/jobs"
	"reserva/internal/store"
)

// Deps are what the commands work with.
type Deps struct {
	Store *store.Store
	Jobs  *jobs.Jobs
	// TrustProxy tells the HTTP layer serve's --trusted-proxy and --trusted-proxy-header (the
	// proxy's addresses, comma-separated, and the header of the client's address); it refuses
	// a header without addresses.
	TrustProxy func(nets, header string) error
}

// Commands are Reserva's commands on app, to add to PocketBase's root command (its own, such
// as superuser and migrate, stay).
func Commands(app core.App, d Deps) []*cobra.Command {
	return []*cobra.Command{
		newServeCommand(app, d),
		NewBackupCommand(d, d.Jobs.BackupConfig()),
		NewStaffCommand(app, d),
		NewPurgeCommand(d),
		newDemoCommand(app, d),
		NewHealthcheckCommand(app.DataDir()),
	}
}

// needsDatabase is the annotation of the commands that work on an existing database (staff,
// purge, backup create and drill): PocketBase creates an empty data directory wherever --dir
// points before any command runs, so a forgotten --dir would make a new, empty database and
// work on that, as if it were the venue's.
const needsDatabase = "reserva.needs-database"

// RefuseNewDatabase returns an error, naming dir and --dir, when args (the command line after
// the program's name) run a command that needs an existing database and dir holds none.
// main calls it before PocketBase opens dir. Help is always given.
func RefuseNewDatabase(root *cobra.Command, args []string, dir string) error {
	cmd, _, err := root.Find(args)
	if err != nil || slices.Contains(args, "-h") || slices.Contains(args, "--help") {
		return nil
	}
	for c := cmd; c != nil; c = c.Parent() {
		if _, ok := c.Annotations[needsDatabase]; !ok {
			continue
		}
		_, err := os.Stat(filepath.Join(dir, "data.db"))
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", cmd.CommandPath(), err)
		}
		abs, aerr := filepath.Abs(dir)
		if aerr != nil {
			abs = dir
		}
		return fmt.Errorf("%s: there is no Reserva database in %s (no data.db there); name the data directory "+
			"of the server with --dir, e.g. --dir /var/lib/reserva (only `reserva serve` creates a database)", cmd.CommandPath(), abs)
	}
	return nil
}

// workOnExistingData marks c as needing an existing database (see RefuseNewDatabase).
func workOnExistingData(c *cobra.Command) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[needsDatabase] = "yes"
	return c
}
