package store

import (
	"fmt"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// The page cache of each SQLite connection, in KiB. PocketBase gives every connection 32 MB;
// with ReadConns read connections kept open, a venue with a large database held up to half a
// gigabyte of copies of the same pages (a load of 60 s on a database of 112,500 bookings took
// the server to 208 MB resident). The operating system caches the file once for all of them,
// so a read connection keeps a little of its own (1 MB: at 2 MB, sixteen of them were a third
// of the server's peak under load) and the one write connection, which walks the bookings'
// indexes on every booking, more.
const (
	readCacheKiB  = 1_000
	writeCacheKiB = 16_000
)

// connectPragmas are PocketBase's own connection settings (core.DefaultDBConnect) with the
// page cache given in KiB: busy_timeout first, so that a connection waits for another's lock
// before it switches the file to WAL.
func connectPragmas(cacheKiB int) string {
	return "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=journal_size_limit(200000000)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)" +
		fmt.Sprintf("&_pragma=cache_size(-%d)", cacheKiB) + "&_defensive=1"
}

// DBConnect is the database opener main gives PocketBase (pocketbase.Config.DBConnect): its
// connections, with the page caches above. PocketBase opens each database twice, its pool of
// read connections first and then its one write connection (core.BaseApp's initDataDB and
// initAuxDB, on every bootstrap, a restore's included): the second opening of each path is
// its writer. TestConnectionCaches holds PocketBase to that order.
func DBConnect() core.DBConnectFunc {
	var mu sync.Mutex
	opened := map[string]int{}
	return func(path string) (*dbx.DB, error) {
		mu.Lock()
		opened[path]++
		writer := opened[path]%2 == 0
		mu.Unlock()
		cache := readCacheKiB
		if writer {
			cache = writeCacheKiB
		}
		return dbx.Open("sqlite", path+connectPragmas(cache))
	}
}
