// Package cli holds Reserva's commands (serve, backup, staff, purge, demo, healthcheck) and
// the demo generator. The commands are built on the store and the jobs; none of them builds
// HTTP handlers.
package cli

import (
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
		NewHealthcheckCommand(),
	}
}
