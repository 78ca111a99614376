package migrations_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	_ "reserva/migrations"
)

// TestStaffOIDCUpAndDown: 1795800000 gives the staff collection its hidden link fields and
// their unique index; reverting it (with the migrations after it) takes them away again, and
// applying it once more brings them back.
func TestStaffOIDCUpAndDown(t *testing.T) {
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	has := func() (fields []string, index bool) {
		t.Helper()
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"oidc_issuer", "oidc_subject", "oidc_linked"} {
			if f := staff.Fields.GetByName(name); f != nil {
				fields = append(fields, name)
				if name != "oidc_linked" && !f.GetHidden() {
					t.Errorf("%s is not hidden", name)
				}
			}
		}
		return fields, slices.ContainsFunc(staff.Indexes, func(ix string) bool { return strings.Contains(ix, "idx_staff_oidc") })
	}
	if fields, index := has(); len(fields) != 3 || !index {
		t.Fatalf("after the migrations: fields %v, index %v", fields, index)
	}
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	n := 0
	for _, m := range core.AppMigrations.Items() {
		if m.File >= "1795800000_staff_oidc.go" {
			n++
		}
	}
	reverted, err := runner.Down(n)
	if err != nil || !slices.Contains(reverted, "1795800000_staff_oidc.go") {
		t.Fatalf("down %d: %v %v", n, reverted, err)
	}
	if fields, index := has(); len(fields) != 0 || index {
		t.Fatalf("after down: fields %v, index %v", fields, index)
	}
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}
	if fields, index := has(); len(fields) != 3 || !index {
		t.Fatalf("up again: fields %v, index %v", fields, index)
	}
}
