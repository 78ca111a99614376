package migrations_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	_ "reserva/migrations"
)

// TestStaffFeedsDownAndUp: the calendar feeds' migration reverts cleanly (with any later ones:
// its collection and the bookings index gone) and applies again; its collection has no REST API
// rules.
func TestStaffFeedsDownAndUp(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	index := func() bool {
		var n int
		if err := app.DB().NewQuery("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'idx_bookings_resources_start'").Row(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	c, err := app.FindCollectionByNameOrId("staff_feeds")
	if err != nil || !index() {
		t.Fatalf("after the migrations: staff_feeds %v, index %v", err, index())
	}
	for name, rule := range map[string]*string{"list": c.ListRule, "view": c.ViewRule, "create": c.CreateRule, "update": c.UpdateRule, "delete": c.DeleteRule} {
		if rule != nil {
			t.Errorf("staff_feeds %s rule %q, want none (superusers only)", name, *rule)
		}
	}
	const file = "1795780000_staff_feeds.go"
	n := 0
	for _, m := range core.AppMigrations.Items() {
		if m.File >= file {
			n++
		}
	}
	r := core.NewMigrationsRunner(app, core.AppMigrations)
	reverted, err := r.Down(n)
	if err != nil || len(reverted) != n || !strings.HasSuffix(reverted[n-1], file) {
		t.Fatalf("down %d: %v %v", n, reverted, err)
	}
	if app.HasTable("staff_feeds") || index() {
		t.Fatalf("after down: table %v, index %v", app.HasTable("staff_feeds"), index())
	}
	if _, err := r.Up(); err != nil {
		t.Fatal(err)
	}
	if !app.HasTable("staff_feeds") || !index() {
		t.Fatal("up again: staff_feeds or its index missing")
	}
}
