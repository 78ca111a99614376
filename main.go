// Command reserva is a self-hosted booking site for one small venue: one binary, one SQLite
// database, its own pages, mail, backups and certificates.
package main

import (
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"slices"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/spf13/cobra"

	"reserva/hooks"
	_ "reserva/migrations"

	// The binary carries its own time-zone database: venues must not depend on the host's.
	_ "time/tzdata"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	// Not PocketBase's dev mode, even under `go run`: it prints every SQL statement
	// (`--dev` turns it on). Stored settings are encrypted when RESERVA_ENCRYPTION_KEY is set
	// (and `serve DOMAIN` requires it).
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDev: false, DefaultEncryptionEnv: hooks.EncryptionKeyEnv})
	app.RootCmd.Version = appVersion()

	// Schema changes are written by hand as Go migrations; nothing is generated from the UI.
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{Automigrate: false})

	limits, err := hooks.LimitsFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	baseURL, mailEvery, err := hooks.MailFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	backups, err := hooks.BackupFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	opts := hooks.Options{Limits: limits, Version: appVersion(), BaseURL: baseURL, MailInterval: mailEvery, Backup: backups}

	// Backup subcommands that must not have PocketBase open (or create) the data directory
	// first run on their own: a restore writes into it.
	if len(os.Args) > 2 && os.Args[1] == "backup" && slices.Contains(hooks.StandaloneBackupCommands, os.Args[2]) {
		c := hooks.NewBackupCommand(nil, &opts)
		c.SetArgs(os.Args[2:])
		c.SilenceUsage = true
		if err := c.Execute(); err != nil {
			os.Exit(1)
		}
		return
	}

	app.RootCmd.AddCommand(
		hooks.NewServeCommand(app, &opts),
		hooks.NewBackupCommand(app, &opts),
		hooks.NewStaffCommand(app, &opts),
		hooks.NewPurgeCommand(app, &opts),
		hooks.NewDemoCommand(app, &opts),
		hooks.NewHealthcheckCommand(),
		cmd.NewSuperuserCommand(app),
		&cobra.Command{
			Use:   "version",
			Short: "Print the versions of Reserva, PocketBase and Go",
			Run: func(*cobra.Command, []string) {
				fmt.Printf("reserva %s (PocketBase %s, %s)\n", appVersion(), pbVersion(), runtime.Version())
			},
		},
	)

	hooks.Register(app, &opts)

	if err := app.Execute(); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// appVersion is the build's version: the -X flag, else the VCS revision Go stamped in.
func appVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

func pbVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/pocketbase/pocketbase" {
				return d.Version
			}
		}
	}
	return "unknown"
}
