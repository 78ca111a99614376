package store

import (
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// TestConnectionCaches: every read connection of PocketBase's pools keeps readCacheKiB of pages
// and each database's one write connection writeCacheKiB, also after the app opens its
// databases again (as a restore does). It fails if PocketBase stops opening a database's read
// pool before its writer.
func TestConnectionCaches(t *testing.T) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir(), DBConnect: DBConnect(),
		DataMaxOpenConns: ReadConns, DataMaxIdleConns: ReadConns})
	cache := func(db dbx.Builder) int {
		t.Helper()
		var n int
		if err := db.NewQuery("PRAGMA cache_size").Row(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for round := range 2 {
		if err := app.Bootstrap(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			db   dbx.Builder
			want int
		}{
			{"data, read", app.ConcurrentDB(), -readCacheKiB},
			{"data, write", app.NonconcurrentDB(), -writeCacheKiB},
			{"auxiliary, read", app.AuxConcurrentDB(), -readCacheKiB},
			{"auxiliary, write", app.AuxNonconcurrentDB(), -writeCacheKiB},
		} {
			if got := cache(c.db); got != c.want {
				t.Errorf("round %d, %s connection: cache_size %d, want %d", round, c.name, got, c.want)
			}
		}
		var mode string
		if err := app.DB().NewQuery("PRAGMA journal_mode").Row(&mode); err != nil || mode != "wal" {
			t.Errorf("round %d: journal_mode %q (%v), want wal", round, mode, err)
		}
		if err := app.ClearBootstrap(); err != nil {
			t.Fatal(err)
		}
	}
}
