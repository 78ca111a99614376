package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// batchApp is the app the writes of one batch see: its transaction (PocketBase's txApp), with
// every statement run from a prepared form kept by the writer. Preparing (SQLite's parser) and
// dbx's placeholder rewriting were a third of a booking's time on the writer; its writes run
// the same two dozen statements again and again.
type batchApp struct {
	core.App
	db dbx.Builder
}

func (a *batchApp) DB() dbx.Builder              { return a.db }
func (a *batchApp) NonconcurrentDB() dbx.Builder { return a.db }
func (a *batchApp) ConcurrentDB() dbx.Builder    { return a.db }

// newBatchApp wraps txApp, a transaction of PocketBase's write connection. When its builder
// is not the expected dbx transaction, the writes run on it unprepared.
func newBatchApp(txApp core.App, stmts *stmtCache) *batchApp {
	a := &batchApp{App: txApp, db: txApp.DB()}
	tx, ok := txApp.DB().(*dbx.Tx)
	if !ok {
		return a
	}
	b, ok := tx.Builder.(interface {
		DB() *dbx.DB
		Executor() dbx.Executor
	})
	if !ok {
		return a
	}
	sqlTx, ok := b.Executor().(*sql.Tx)
	if !ok {
		return a
	}
	x := &stmtExecutor{tx: sqlTx, stmts: stmts, bound: map[string]*sql.Stmt{}}
	a.db = &batchDB{Builder: dbx.NewSqliteBuilder(b.DB(), x), queries: map[string]*dbx.Query{}}
	return a
}

// batchDB answers NewQuery with the batch's query for the same SQL, its placeholders rewritten
// once (dbx does it with regular expressions, on every NewQuery). A query is shared by every
// write of the batch, each binding all its parameters anew, each use finished before the next
// begins (dbx's Execute, One, All, Row and Column do; nothing on the writer holds Rows open).
type batchDB struct {
	dbx.Builder
	queries map[string]*dbx.Query
}

func (b *batchDB) NewQuery(sql string) *dbx.Query {
	if q := b.queries[sql]; q != nil {
		return q
	}
	q := b.Builder.NewQuery(sql)
	b.queries[sql] = q
	return q
}

// stmtCache keeps the statements the writer has run, prepared on the write connection's pool:
// a statement prepared there stays prepared on its connection for every later transaction.
// It can only be prepared while no transaction holds the (single) write connection, so a
// statement seen for the first time runs prepared within its transaction only, and is kept
// after the commit (prepareSeen).
type stmtCache struct {
	db   *sql.DB // the write pool the kept statements are prepared on
	mu   sync.Mutex
	kept map[string]*sql.Stmt
	seen []string // run in the current batch, not kept yet
}

// maxKept bounds the statements kept: builder-made SQL with lists (IN (…)) varies.
const maxKept = 256

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.kept[query]
	if s == nil && len(c.kept)+len(c.seen) < maxKept {
		c.seen = append(c.seen, query)
	}
	return s
}

// use makes pool the write pool: statements kept on another one (the app's databases were
// opened again) are dropped.
func (c *stmtCache) use(pool *sql.DB) {
	if pool != c.db {
		c.close()
		c.db = pool
	}
}

// prepareSeen keeps the statements the last batch ran for the first time, prepared on the
// pool (call it with no transaction open on it).
func (c *stmtCache) prepareSeen(ctx context.Context) {
	c.mu.Lock()
	seen := c.seen
	c.seen = nil
	c.mu.Unlock()
	if c.db == nil {
		return
	}
	for _, q := range seen {
		c.mu.Lock()
		_, have := c.kept[q]
		c.mu.Unlock()
		if have {
			continue
		}
		s, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // it runs unkept, prepared in each transaction
		}
		c.mu.Lock()
		if c.kept == nil {
			c.kept = map[string]*sql.Stmt{}
		}
		c.kept[q] = s
		c.mu.Unlock()
	}
}

// close closes the kept statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.kept {
		_ = s.Close()
	}
	c.kept, c.seen = nil, nil
}

// stmtExecutor runs dbx's queries within one transaction from prepared statements: the kept
// ones (bound to the transaction, which reuses their preparation on its connection), else one
// prepared within the transaction, once per batch.
type stmtExecutor struct {
	tx    *sql.Tx
	stmts *stmtCache
	bound map[string]*sql.Stmt // this transaction's
}

func (x *stmtExecutor) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s := x.bound[query]; s != nil {
		return s, nil
	}
	var s *sql.Stmt
	if kept := x.stmts.get(query); kept != nil {
		s = x.tx.StmtContext(ctx, kept)
	} else {
		var err error
		if s, err = x.tx.PrepareContext(ctx, query); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	x.bound[query] = s
	return s, nil
}

func (x *stmtExecutor) Exec(query string, args ...any) (sql.Result, error) {
	return x.ExecContext(context.Background(), query, args...)
}

func (x *stmtExecutor) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := x.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (x *stmtExecutor) Query(query string, args ...any) (*sql.Rows, error) {
	return x.QueryContext(context.Background(), query, args...)
}

// QueryContext runs a query whose rows the caller reads and closes before the next statement
// of the batch (dbx's One, All, Row and Column do): a prepared statement has one cursor.
func (x *stmtExecutor) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := x.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (x *stmtExecutor) Prepare(query string) (*sql.Stmt, error) { return x.tx.Prepare(query) }
