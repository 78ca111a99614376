package migrations_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"reserva/internal/store"
	_ "reserva/migrations"
)

// The upgrade tests start from databases made by earlier commits (testdata, made by
// make-upgrade-fixtures.sh), run today's migrations on them as `serve` does at start, and
// compare the result with a database made fresh: the same collections with the same fields and
// indexes, the same triggers, and every row of the old database still there.

// openFixture copies testdata/name (gzipped data.db) into a data directory and opens it with
// today's migrations applied.
func openFixture(t *testing.T, name string) (*tests.TestApp, dbx.Builder) {
	t.Helper()
	dir := t.TempDir()
	in, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	// The rows as the old version left them, read before anything runs on them.
	old, err := dbx.Open("sqlite", "file:"+filepath.Join(dir, "data.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { old.Close() })
	before := copyDB(t, old, filepath.Join(t.TempDir(), "before.db"))
	app, err := tests.NewTestApp(dir) // applies the missing migrations
	if err != nil {
		t.Fatalf("upgrade %s: %v", name, err)
	}
	t.Cleanup(app.Cleanup)
	return app, before
}

// copyDB keeps a copy of db (the old rows) for after the upgrade.
func copyDB(t *testing.T, db *dbx.DB, path string) dbx.Builder {
	t.Helper()
	if _, err := db.NewQuery("VACUUM INTO {:p}").Bind(dbx.Params{"p": path}).Execute(); err != nil {
		t.Fatal(err)
	}
	c, err := dbx.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// schema is what a database's structure is made of: each collection's type, fields and
// indexes, and the SQL of every table, index and trigger, whitespace normalised.
func schema(t *testing.T, app core.App) map[string]string {
	t.Helper()
	out := map[string]string{}
	cols, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		var fields []string
		for _, f := range c.Fields {
			// Field ids differ between databases; what a field is does not.
			fields = append(fields, fmt.Sprintf("%s:%s:hidden=%v", f.GetName(), f.Type(), f.GetHidden()))
		}
		sort.Strings(fields)
		idx := slices.Clone(c.Indexes)
		sort.Strings(idx)
		rules := fmt.Sprint(c.ListRule, c.ViewRule, c.CreateRule, c.UpdateRule, c.DeleteRule)
		out["collection "+c.Name] = c.Type + " " + strings.Join(fields, ",") + " " + strings.Join(idx, ";") + " rules " + rules
	}
	var objs []struct {
		Type string `db:"type"`
		Name string `db:"name"`
		SQL  string `db:"sql"`
	}
	if err := app.DB().NewQuery("SELECT type, name, coalesce(sql, '') AS sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").All(&objs); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		sql := strings.Join(strings.Fields(o.SQL), " ")
		if o.Type == "table" {
			sql = normalizeTable(sql)
		}
		out[o.Type+" "+o.Name] = sql
	}
	return out
}

// normalizeTable is a CREATE TABLE statement with its columns sorted: PocketBase adds the
// columns of later migrations at the end with ALTER TABLE, and a fresh database has them in
// the order of its collection's fields. The columns, their types and defaults must agree.
func normalizeTable(sql string) string {
	open, closing := strings.Index(sql, "("), strings.LastIndex(sql, ")")
	if open < 0 || closing < open {
		return sql
	}
	cols := strings.Split(sql[open+1:closing], ",")
	for i := range cols {
		cols[i] = strings.NewReplacer("`", "", `"`, "").Replace(strings.TrimSpace(cols[i]))
	}
	sort.Strings(cols)
	return sql[:open] + "(" + strings.Join(cols, ", ") + ")" + sql[closing+1:]
}

// tableRows reads every row of every table of old as text, by table, and the same columns of
// the same tables of now (later migrations add columns; the old ones must keep their values).
// Only PocketBase's schema and migration bookkeeping, which the migrations change, is left out
// (the schema is compared on its own).
func tableRows(t *testing.T, old, now dbx.Builder) (before, after map[string][]string) {
	t.Helper()
	var tables []string
	if err := old.NewQuery("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('_collections', '_migrations', '_params')").Column(&tables); err != nil {
		t.Fatal(err)
	}
	before, after = map[string][]string{}, map[string][]string{}
	for _, tb := range tables {
		var cols []string
		if err := old.NewQuery("SELECT name FROM pragma_table_info({:t}) ORDER BY name").Bind(dbx.Params{"t": tb}).Column(&cols); err != nil {
			t.Fatal(err)
		}
		exprs := make([]string, len(cols))
		for i, c := range cols {
			exprs[i] = "'" + c + "=' || coalesce(CAST(`" + c + "` AS TEXT), 'NULL')"
		}
		q := "SELECT " + strings.Join(exprs, " || ' ' || ") + " FROM `" + tb + "`"
		var b, a []string
		if err := old.NewQuery(q).Column(&b); err != nil {
			t.Fatal(err)
		}
		before[tb] = b
		target := tb
		if tb == "privacy_requests" {
			target = "gdpr_requests" // where its rows are now
		}
		q = "SELECT " + strings.Join(exprs, " || ' ' || ") + " FROM `" + target + "`"
		if err := now.NewQuery(q).Column(&a); err != nil {
			t.Errorf("%s after the upgrade: %v", target, err)
		}
		after[tb] = a
	}
	return before, after
}

// upgrade opens fixture with today's migrations, checks its schema is a fresh database's, and
// that every row of the old database is still there (the tables in skip aside); it returns
// the upgraded app and the old rows by table.
func upgrade(t *testing.T, fixture string, skip ...string) (*tests.TestApp, map[string][]string) {
	t.Helper()
	app, before := openFixture(t, fixture)
	fresh, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Cleanup()
	compareSchemas(t, schema(t, fresh), schema(t, app))
	old, now := tableRows(t, before, app.DB())
	for table, list := range old {
		if slices.Contains(skip, table) {
			continue
		}
		for _, r := range list {
			if !containsRow(now[table], r) {
				t.Errorf("%s: a row is gone or changed after the upgrade:\n%s", table, r)
			}
		}
	}
	return app, old
}

// TestUpgradeFrom0e7b8bc upgrades a database of commit 0e7b8bc, which made the request queue
// as privacy_requests: its requests move to gdpr_requests, the old collection and its file's
// entry in _migrations go, and everything else is as a fresh database has it.
func TestUpgradeFrom0e7b8bc(t *testing.T) {
	t.Parallel()
	// (The old requests are compared with gdpr_requests, where they moved, field for field.)
	app, old := upgrade(t, "upgrade-0e7b8bc.db.gz")
	if len(old["privacy_requests"]) < 2 {
		t.Fatalf("the fixture has %d old requests: remake it (make-upgrade-fixtures.sh)", len(old["privacy_requests"]))
	}
	for _, table := range []string{"bookings", "outbox", "waitlist", "walkins", "visitor_sessions", "booking_usage"} {
		if len(old[table]) == 0 {
			t.Errorf("the fixture has no %s: remake it", table)
		}
	}
	if app.HasTable("privacy_requests") {
		t.Error("the old privacy_requests table is still there")
	}
	if _, err := app.FindCollectionByNameOrId("privacy_requests"); err == nil {
		t.Error("the old privacy_requests collection is still there")
	}
	var stale int
	_ = app.DB().NewQuery("SELECT count(*) FROM _migrations WHERE file = '1795510002_privacy_requests.go'").Row(&stale)
	if stale != 0 {
		t.Error("_migrations still lists the renamed file")
	}
	if ok, err := store.UsageConsistent(app); !ok || err != nil {
		t.Errorf("booking_usage after the upgrade: %v %v", ok, err)
	}
	var held int
	_ = app.DB().NewQuery("SELECT count(*) FROM bookings WHERE status = 'held'").Row(&held)
	if held == 0 {
		t.Error("the fixture has no place held for the waitlist: remake it")
	}
	// The erasure of an old request's subject reaches them now (the reason for the repair).
	if _, err := store.EraseSubject(app, "caller@upgrade.invalid"); err != nil {
		t.Fatal(err)
	}
	var pseud string
	_ = app.DB().NewQuery("SELECT subject FROM gdpr_requests WHERE id = 'oldrequest00001'").Row(&pseud)
	if pseud != store.Pseudonym("caller@upgrade.invalid") {
		t.Errorf("the old request's subject after an erasure: %q", pseud)
	}
}

// TestUpgradeFromdfc85b6 upgrades a database of commit dfc85b6, whose booking_usage triggers
// left places held for the waitlist out (migration 1795505000 was edited later): the triggers
// are made again on the way (1795510005), so a held place counts.
func TestUpgradeFromdfc85b6(t *testing.T) {
	t.Parallel()
	app, _ := upgrade(t, "upgrade-dfc85b6.db.gz", "booking_usage") // rebuilt; compared with the bookings below
	if rebuilt, err := store.EnsureBookingUsage(app); err != nil || rebuilt {
		t.Errorf("after the upgrade the server would still rebuild booking_usage: %v %v", rebuilt, err)
	}
	var off, start, end string
	if err := app.DB().NewQuery("SELECT offering, start, \"end\" FROM bookings LIMIT 1").Row(&off, &start, &end); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB().NewQuery(`INSERT INTO bookings (id, reference, offering, start, "end", party, status, source)
		VALUES ('heldafterupgrad', 'HLD-UPG', {:o}, {:s}, {:e}, 2, 'held', 'web')`).
		Bind(dbx.Params{"o": off, "s": start, "e": end}).Execute(); err != nil {
		t.Fatal(err)
	}
	if ok, err := store.UsageConsistent(app); !ok || err != nil {
		t.Errorf("a held place after the upgrade is not counted: %v %v", ok, err)
	}
}

func compareSchemas(t *testing.T, want, got map[string]string) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("after the upgrade %s is missing", k)
		} else if g != w {
			t.Errorf("after the upgrade %s differs:\n got %s\nwant %s", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("after the upgrade %s exists, which a fresh database has not", k)
		}
	}
	// The triggers the migrations made are those the store keeps (and remakes at start).
	kept := store.UsageObjects()
	maps.Copy(kept, store.ChangesObjects())
	maps.Copy(kept, store.SearchObjects())
	for name, sql := range kept {
		kind := "trigger "
		if !strings.HasSuffix(name, "_insert") && !strings.HasSuffix(name, "_update") && !strings.HasSuffix(name, "_delete") {
			kind = "table "
		}
		if g := got[kind+name]; strings.Join(strings.Fields(g), " ") != sql && kind == "trigger " {
			t.Errorf("%s is not what the store keeps:\n got %s\nwant %s", name, g, sql)
		}
	}
}

func containsRow(list []string, r string) bool { return slices.Contains(list, r) }
