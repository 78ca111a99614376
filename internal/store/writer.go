package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// ErrClosed refuses a write after the writer stopped.
var ErrClosed = errors.New("store: the booking writer is stopped")

// maxBatch bounds how many writes share one transaction: a batch holds the write connection
// for its whole length, and a page that waits for a slow one should not wait long.
const maxBatch = 64

// Writer runs every write of a booking (book, change, cancel, waitlist holds and acceptances,
// staff bookings and moves) on one goroutine that commits in groups. It takes the writes queued
// meanwhile, runs each in order inside one transaction, commits once, and then answers each.
// SQLite has one writer: doing the waiting here, instead of in SQLite's busy handler, turns
// many small commits into few, which is where a booking's time went.
//
// One refusal undoes that write only. Most refusals (a full time, a closed day) come before
// the write has written anything, and then there is nothing to undo: the writer counts the
// rows the connection has changed (SQLite's total_changes()) around each write. Only a write
// refused after writing makes the batch start again with a savepoint per write (a savepoint
// on every write costs a copy of each page it touches).
//
// Capacity stays exact: the writes of a batch run one after the other on the one write
// connection, each seeing those before it.
type Writer struct {
	app       core.App
	committed func(Changes)
	queue     chan *writeJob
	mu        sync.Mutex
	closed    bool
	done      chan struct{}
	once      sync.Once
	stmts     *stmtCache    // the statements of the writes, prepared once (batchdb.go)
	kick      chan struct{} // a commit since the last checkpoint
	ckptDone  chan struct{}
}

// Tx is one write inside a batch: App is the transaction (use it for every query), and the
// methods say what the write changed, for what happens after the commit.
type Tx struct {
	App       core.App
	freed     bool
	offerings []string
}

// Changes are the effects of a batch's committed writes beyond their rows.
type Changes struct {
	freed     bool
	all       bool     // a write did not say what it changed: everything bookable may have
	offerings []string // otherwise the offerings whose bookings changed, by slug
}

// Freed says the write may have freed a place: the waitlist is woken after the commit.
func (t *Tx) Freed() { t.freed = true }

// Only says the write changed the bookings of the offering with slug and nothing else
// bookable, so the kept pages of other offerings stay current. A write that does not call it
// makes every page stale (the safe default).
func (t *Tx) Only(slug string) { t.offerings = append(t.offerings, slug) }

type writeJob struct {
	ctx  context.Context
	fn   func(*Tx) error
	err  error
	done chan struct{}
}

func newWriter(app core.App, committed func(Changes)) *Writer {
	return &Writer{app: app, committed: committed, queue: make(chan *writeJob, 1024), done: make(chan struct{}), stmts: &stmtCache{},
		kick: make(chan struct{}, 1), ckptDone: make(chan struct{})}
}

// Do runs fn in the writer's next batch and returns its error, or the commit's. Everything fn
// does must go through tx.App and be plain SQL (no record saves: their hooks cannot be taken
// back by a savepoint); it must not wait for anything but the database. When fn returns an
// error, nothing it wrote is kept. A write whose ctx ends before its turn is not run.
//
// fn may run twice: when another write of its batch is refused after writing, the batch is
// undone and runs again (see Writer). So fn must have no effect but through tx and on its own
// results, which it sets afresh each time.
//
// NB! Never call Do inside a transaction: the writer needs the write connection.
func (w *Writer) Do(ctx context.Context, fn func(*Tx) error) error {
	w.start()
	j := &writeJob{ctx: ctx, fn: fn, done: make(chan struct{})}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.queue <- j
	w.mu.Unlock()
	<-j.done
	return j.err
}

// close stops the loop once the writes already queued are done.
func (w *Writer) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	close(w.queue)
	w.mu.Unlock()
	w.start()
	<-w.done
	<-w.ckptDone
}

func (w *Writer) start() {
	w.once.Do(func() {
		go w.loop()
		go w.checkpoints()
	})
}

func (w *Writer) loop() {
	defer close(w.done)
	defer close(w.kick) // the checkpoints stop with the writer
	defer w.stmts.close()
	batch := make([]*writeJob, 0, maxBatch)
	wait := mergeIdle
	merge := time.NewTimer(wait)
	defer merge.Stop()
	for {
		var j *writeJob
		var ok bool
		select {
		case j, ok = <-w.queue:
		case <-merge.C:
			wait = w.mergeSearch(wait)
			merge.Reset(wait)
			continue
		}
		if !ok {
			break
		}
		batch = append(batch[:0], j)
	more:
		for len(batch) < maxBatch {
			select {
			case j, ok := <-w.queue:
				if !ok {
					break more
				}
				batch = append(batch, j)
			default:
				break more
			}
		}
		// The kept statements belong to the write pool the app has now (it opens its databases
		// on bootstrap, and again after a restore).
		var pool *sql.DB
		if db, ok := w.app.NonconcurrentDB().(*dbx.DB); ok {
			pool = db.DB()
		}
		w.stmts.use(pool)
		w.run(batch)
		w.stmts.prepareSeen(context.Background()) // the write connection is free again
		wait = mergeSoon                          // the batch may have left the index a segment to merge
		merge.Reset(wait)
	}
}

// The search index's segments are merged while the writer is idle, a little at a time, instead
// of inside the writes. FTS5 merged them itself (automerge) in the transaction that crossed a
// threshold: at 100 bookings a transaction, a retention purge's batches took 12 ms at the
// median and 115 ms at the 99th percentile, and the bookings waiting behind them 275 ms.
// Migration 1795660000 turned automerge off; the writer does the work when no write waits.
//
// Writes outside the writer (a retention purge, staff edits) leave segments too, so an idle
// writer keeps looking, less often the longer it finds nothing: a step every second was most of
// what an idle server allocated (125 KB a step: its resident memory grew by 20 MB within two
// minutes of the start, until the collector ran).
const (
	mergeSoon    = 20 * time.Millisecond // after a batch, or a merge step that did work
	mergeIdle    = time.Second           // after the first step that found nothing to merge,
	mergeIdleMax = 32 * time.Second      // doubling up to this while the index stays merged
	mergePages   = 64                    // the pages one step may write (a few milliseconds)
)

// nextIdleMerge is when the step after one that found nothing is due, the last wait given.
func nextIdleMerge(last time.Duration) time.Duration {
	return min(max(2*last, mergeIdle), mergeIdleMax)
}

// mergeSearch runs one merge step of the search index in its own transaction and returns when
// the next is due, the last wait given. It merges the levels that hold at least FTS5's
// usermerge (4) segments.
func (w *Writer) mergeSearch(last time.Duration) time.Duration {
	var did bool
	err := w.app.RunInTransaction(func(tx core.App) error {
		var before, after int64
		if err := tx.DB().NewQuery("SELECT total_changes()").Row(&before); err != nil {
			return err
		}
		if _, err := tx.DB().NewQuery(fmt.Sprintf("INSERT INTO bookings_search (bookings_search, rank) VALUES ('merge', %d)", mergePages)).Execute(); err != nil {
			return err
		}
		err := tx.DB().NewQuery("SELECT total_changes()").Row(&after)
		// The command counts as one change itself: FTS5 merged something when the count rose
		// by two or more (its documentation of 'merge'). With after != before, every step
		// "did work": an idle writer ran a transaction every 20 ms, forever.
		did = after-before >= 2
		return err
	})
	if err != nil {
		w.app.Logger().Warn("writer: merging the search index failed; next try in a minute", "error", err.Error())
		return time.Minute
	}
	if did {
		return mergeSoon
	}
	return nextIdleMerge(last)
}

// errUndo stops a batch run without savepoints: a write was refused after writing.
var errUndo = errors.New("writer: a refused write had written rows")

// run writes one batch in one transaction and answers its writes.
func (w *Writer) run(batch []*writeJob) {
	changes, ran, err := w.runBatch(batch, false)
	if errors.Is(err, errUndo) {
		changes, ran, err = w.runBatch(batch, true)
	}
	if err != nil {
		// Nothing of the batch is kept: every write that had succeeded learns it did not.
		for _, j := range batch {
			if j.err == nil {
				j.err = err
			}
		}
	} else if ran > 0 {
		w.committed(changes)
		select {
		case w.kick <- struct{}{}:
		default: // a checkpoint is already due
		}
	}
	for _, j := range batch {
		close(j.done)
	}
}

// runBatch runs the writes of batch in one transaction, each under a savepoint of its own when
// savepoints is set; without, a write refused after it wrote anything ends the run with errUndo
// (nothing of it is kept).
func (w *Writer) runBatch(batch []*writeJob, savepoints bool) (changes Changes, ran int, err error) {
	err = w.app.RunInTransaction(func(txApp core.App) error {
		changes, ran = Changes{}, 0
		tx := newBatchApp(txApp, w.stmts)
		exec := func(sql string) error {
			_, err := tx.DB().NewQuery(sql).Execute()
			return err
		}
		var written int64 // the rows the connection has changed, before each write
		if !savepoints {
			if err := tx.DB().NewQuery("SELECT total_changes()").Row(&written); err != nil {
				return fmt.Errorf("writer: %w", err)
			}
		}
		for _, j := range batch {
			j.err = nil
			if err := j.ctx.Err(); err != nil {
				j.err = err
				continue
			}
			if savepoints {
				if err := exec("SAVEPOINT booking_write"); err != nil {
					return fmt.Errorf("writer: savepoint: %w", err)
				}
			}
			t := &Tx{App: tx}
			j.err = call(j.fn, t)
			switch {
			case savepoints && j.err != nil:
				if err := exec("ROLLBACK TO booking_write"); err != nil {
					return fmt.Errorf("writer: roll back a write: %w", err)
				}
			case !savepoints:
				before := written
				if err := tx.DB().NewQuery("SELECT total_changes()").Row(&written); err != nil {
					return fmt.Errorf("writer: %w", err)
				}
				if j.err != nil && written != before {
					return errUndo
				}
			}
			if savepoints {
				if err := exec("RELEASE booking_write"); err != nil {
					return fmt.Errorf("writer: release: %w", err)
				}
			}
			if j.err == nil {
				ran++
				changes.freed = changes.freed || t.freed
				changes.all = changes.all || len(t.offerings) == 0
				changes.offerings = append(changes.offerings, t.offerings...)
			}
		}
		return nil
	})
	return changes, ran, err
}

// checkpointEvery is the least time between two checkpoints of the checkpoints goroutine.
const checkpointEvery = 50 * time.Millisecond

// checkpoints copies the write-ahead log into the database beside the writer: after commits, at
// most every checkpointEvery, a passive checkpoint on a read connection (it waits for no one
// and blocks no one). SQLite's own checkpoint, run inside the commit that takes the log past
// 1,000 pages, then has little left to copy: it was a thousand page reads and writes and an
// fsync inside one batch, which every booking of that batch waited for.
func (w *Writer) checkpoints() {
	defer close(w.ckptDone)
	for range w.kick {
		var busy, logged, copied int
		err := w.app.ConcurrentDB().NewQuery("PRAGMA wal_checkpoint(PASSIVE)").Row(&busy, &logged, &copied)
		if err != nil {
			w.app.Logger().Warn("writer: checkpoint failed", "error", err.Error())
		}
		time.Sleep(checkpointEvery)
	}
}

// call runs fn, turning a panic into an error (the batch's other writes go on).
func call(fn func(*Tx) error, t *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writer: a write panicked: %v", r)
		}
	}()
	return fn(t)
}
