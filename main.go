// Command reserva is a self-hosted booking site for one small venue: one binary, one SQLite
// database, its own pages, mail, backups and certificates.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/spf13/cobra"

	"reserva/hooks"
	"reserva/internal/cli"
	"reserva/internal/jobs"
	"reserva/internal/store"
	_ "reserva/migrations"
	"reserva/views"

	// The binary carries its own time-zone database: venues must not depend on the host's.
	_ "time/tzdata"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	// The Go heap of a busy venue is a few megabytes, so the default collector (GOGC=100) ran
	// many times a second under load, each time taking CPU from the booking writer. It runs
	// at four times the live heap instead, and harder when Go's memory nears 48 MiB (SQLite's
	// page caches, bounded by store.DBConnect, are outside it). At 128 MiB the server reached
	// 190 MB resident after a minute of load, at 72 MiB 153–177 MB once pages were sent at
	// 55,000 a second, at 48 MiB (with the read connections' caches halved) 125 MB, with the
	// same throughput within the machine's noise (docs/performance.md). GOGC and GOMEMLIMIT
	// still override both.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}

	// Not PocketBase's dev mode, even under `go run`: it prints every SQL statement
	// (`--dev` turns it on). Stored settings are encrypted when RESERVA_ENCRYPTION_KEY is set
	// (and `serve DOMAIN` requires it).
	//
	// The read pool keeps every connection it opens: PocketBase's default keeps 15 of up to 120,
	// so a burst of requests opened and closed connections, each parsing the whole schema again
	// (a quarter of a booking's time at 64 connections). Sixteen are plenty on a small VPS and
	// bound the memory of their page caches, which store.DBConnect keeps small.
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDev: false, DefaultEncryptionEnv: store.EncryptionKeyEnv,
		DataMaxOpenConns: store.ReadConns, DataMaxIdleConns: store.ReadConns, DBConnect: store.DBConnect()})
	app.RootCmd.Version = appVersion()

	// Schema changes are written by hand as Go migrations; nothing is generated from the UI.
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{Automigrate: false})

	limits, err := hooks.LimitsFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	baseURL, mailEvery, err := jobs.MailFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	backups, err := jobs.BackupFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	texts, err := jobs.TextsFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	stripeAPI, err := jobs.StripeAPIFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}

	// The health check probes the running server; it opens no database.
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		c := cli.NewHealthcheckCommand(app.DataDir())
		c.SetArgs(os.Args[2:])
		if err := c.Execute(); err != nil {
			os.Exit(1)
		}
		return
	}

	// Backup subcommands that must not have PocketBase open (or create) the data directory
	// first run on their own: a restore writes into it.
	if len(os.Args) > 2 && os.Args[1] == "backup" && slices.Contains(cli.StandaloneBackupCommands, os.Args[2]) {
		c := cli.NewBackupCommand(cli.Deps{}, backups)
		c.SetArgs(os.Args[2:])
		c.SilenceUsage = true
		if err := c.Execute(); err != nil {
			os.Exit(1)
		}
		return
	}

	// The venue's own wording (pb_data/locales/de.json, …), checked against the built-in catalogs:
	// a bad file stops the start with the file and the key named.
	if files, err := views.LoadOverrides(filepath.Join(app.DataDir(), "locales")); err != nil {
		log.Fatal(err)
	} else if len(files) > 0 {
		log.Printf("wording: the venue's own from %s", strings.Join(files, ", "))
	}

	// The pieces: the data with its booking writer, the work beside the requests, the routes,
	// the commands.
	st := store.New(app)
	jb := jobs.New(st, jobs.Config{BaseURL: baseURL, MailInterval: mailEvery, Backup: backups, Texts: texts, StripeAPI: stripeAPI, Version: appVersion()})
	jb.BindPocketBaseMail(app)
	jb.BindBackupExclusions(app)
	proxy := &hooks.Proxy{}
	hooks.Register(app, hooks.Deps{Store: st, Jobs: jb, Limits: limits, Proxy: proxy})
	app.RootCmd.AddCommand(cli.Commands(app, cli.Deps{Store: st, Jobs: jb, TrustProxy: proxy.Set})...)
	app.RootCmd.AddCommand(
		cmd.NewSuperuserCommand(app),
		&cobra.Command{
			Use:   "version",
			Short: "Print the versions of Reserva, PocketBase and Go",
			Run: func(*cobra.Command, []string) {
				fmt.Printf("reserva %s (PocketBase %s, %s)\n", appVersion(), pbVersion(), runtime.Version())
			},
		},
	)

	// PocketBase creates the data directory before any command runs: the commands that work on
	// the venue's data refuse a directory without a database instead of making an empty one.
	if err := cli.RefuseNewDatabase(app.RootCmd, os.Args[1:], app.DataDir()); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	if err := app.Execute(); err != nil {
		log.Print(store.ExplainKeyError(err))
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
