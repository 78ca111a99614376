// Command peer is reserva-load's PocketBase peer: a plain PocketBase app with one bookings
// collection (name, email, start, party) whose records anyone may create, what a venue might
// run instead of Reserva. It keeps PocketBase's defaults (its request log included) and adds
// nothing to them but the collection, made at the first start.
//
//	peer serve --http 127.0.0.1:8091 --dir DIR
//
// The load posts JSON records to /api/collections/bookings/records.
package main

import (
	"log"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

func main() {
	// Not dev mode, which a binary built into the temporary directory would otherwise get (it
	// prints every SQL statement).
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDev: false})
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.InstallerFunc = nil // no browser to open for a first superuser
		if err := ensureBookings(e.App); err != nil {
			return err
		}
		return e.Next()
	})
	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}

// ensureBookings creates the bookings collection unless it exists: what an owner would make in
// PocketBase's dashboard, with a public create rule and an index on start.
func ensureBookings(app core.App) error {
	if _, err := app.FindCollectionByNameOrId("bookings"); err == nil {
		return nil
	}
	c := core.NewBaseCollection("bookings")
	c.CreateRule = types.Pointer("")
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 200},
		&core.EmailField{Name: "email", Required: true},
		&core.DateField{Name: "start", Required: true},
		&core.NumberField{Name: "party", Required: true, OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(10000.0)},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	c.AddIndex("idx_bookings_start", false, "start", "")
	return app.Save(c)
}
