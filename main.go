// Command reserva is a self-hosted booking site for one small venue: one binary, one SQLite
// database, its own pages, mail, backups and certificates.
package main

import (
	"log"
	"os"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"

	"reserva/hooks"
	_ "reserva/migrations"

	// The binary carries its own time-zone database: venues must not depend on the host's.
	_ "time/tzdata"
)

func main() {
	// Not PocketBase's dev mode, even under `go run`: it prints every SQL statement
	// (`--dev` turns it on).
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDev: false})

	// Schema changes are written by hand as Go migrations; nothing is generated from the UI.
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{Automigrate: false})

	var opts hooks.Options
	serve := cmd.NewServeCommand(app, true)
	serve.Flags().BoolVar(&opts.Demo, "demo", false, "create a demo venue when the database has none")
	app.RootCmd.AddCommand(serve, cmd.NewSuperuserCommand(app))

	hooks.Register(app, &opts)

	if err := app.Execute(); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}
