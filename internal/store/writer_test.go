package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"reserva/internal/store"
	_ "reserva/migrations"
)

// newStore is a store on a temporary database built by the migrations.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	st := store.New(app)
	t.Cleanup(st.Close)
	return st
}

// noteRow writes a row the test can look for (the audit log takes any text).
func noteRow(tx core.App, action string) error {
	return store.Audit(tx, store.Entry{Actor: store.ActorSystem, Action: action})
}

func countNotes(t *testing.T, app core.App, action string) int {
	t.Helper()
	var n int
	if err := app.DB().NewQuery("SELECT count(*) FROM audit_log WHERE action = {:a}").Bind(dbx.Params{"a": action}).Row(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWriterCommitsInGroups holds the writer inside one write while 40 more are queued: they
// then run in one batch (one commit: the version moves once for them); the ones that fail
// after writing leave nothing and the others are all kept.
func TestWriterCommitsInGroups(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	app := st.App()
	w := st.Writer()
	hold, held := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- w.Do(context.Background(), func(tx *store.Tx) error {
			close(held)
			<-hold
			return noteRow(tx.App, "first")
		})
	}()
	<-held
	before := st.Version("any")
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = w.Do(context.Background(), func(tx *store.Tx) error {
				if err := noteRow(tx.App, fmt.Sprintf("write %d", i)); err != nil {
					return err
				}
				if i%3 == 0 {
					return fmt.Errorf("refused %d", i) // after writing: the savepoint must undo it
				}
				return nil
			})
		})
	}
	// Every write is queued behind the held one before it lets go.
	deadline := time.Now().Add(10 * time.Second)
	for st.Queued() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if q := st.Queued(); q != n {
		t.Fatalf("%d writes queued, want %d", q, n)
	}
	close(hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		kept := countNotes(t, app, fmt.Sprintf("write %d", i))
		switch {
		case i%3 == 0 && (err == nil || kept != 0):
			t.Errorf("write %d: error %v, %d rows kept; want its refusal and nothing kept", i, err, kept)
		case i%3 != 0 && (err != nil || kept != 1):
			t.Errorf("write %d: error %v, %d rows kept; want it committed", i, err, kept)
		}
	}
	if got := st.Version("any") - before; got != 2 {
		t.Errorf("the version moved %d times for two batches (the held write, then the 40), want 2", got)
	}
}

// TestWriterUndoesOnlyWhatItMust: in a batch whose refusals wrote nothing, every write runs
// once (no savepoints needed); in a batch where a write is refused after writing, the batch
// runs again from its start under a savepoint per write, and still keeps exactly the others.
func TestWriterUndoesOnlyWhatItMust(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	app, w := st.App(), st.Writer()
	batch := func(prefix string, refuseAfterWriting bool) map[string]int {
		runs := map[string]int{}
		var mu sync.Mutex
		ran := func(name string) {
			mu.Lock()
			runs[name]++
			mu.Unlock()
		}
		hold, held := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- w.Do(context.Background(), func(*store.Tx) error { close(held); <-hold; return nil })
		}()
		<-held
		errs := make([]error, 3)
		var wg sync.WaitGroup
		for i, name := range []string{"a", "b", "c"} {
			wg.Go(func() {
				// Queued one after the other, so the batch runs them in this order.
				errs[i] = w.Do(context.Background(), func(tx *store.Tx) error {
					ran(name)
					if name == "b" {
						if refuseAfterWriting {
							if err := noteRow(tx.App, prefix+name); err != nil {
								return err
							}
						}
						return errors.New("refused")
					}
					return noteRow(tx.App, prefix+name)
				})
			})
			for st.Queued() < i+1 {
				time.Sleep(time.Millisecond)
			}
		}
		close(hold)
		wg.Wait()
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if errs[0] != nil || errs[1] == nil || errs[2] != nil {
			t.Errorf("%s: errors %v, want only b refused", prefix, errs)
		}
		for name, want := range map[string]int{"a": 1, "b": 0, "c": 1} {
			if got := countNotes(t, app, prefix+name); got != want {
				t.Errorf("%s: %d rows of %s kept, want %d", prefix, got, name, want)
			}
		}
		return runs
	}
	if runs := batch("clean-", false); runs["a"] != 1 || runs["b"] != 1 || runs["c"] != 1 {
		t.Errorf("a refusal that wrote nothing: runs %v, want each once", runs)
	}
	// b wrote before refusing: the first run stops at b, the second runs all three.
	if runs := batch("undo-", true); runs["a"] != 2 || runs["b"] != 2 || runs["c"] != 1 {
		t.Errorf("a refusal after writing: runs %v, want a and b twice, c once", runs)
	}
}

// TestWriterSurvivesPanicsAndGoneClients: a write that panics is refused and undone, the others
// of its batch are kept; a write whose request ended before its turn is not run.
func TestWriterSurvivesPanicsAndGoneClients(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	w := st.Writer()
	err := w.Do(context.Background(), func(tx *store.Tx) error {
		_ = noteRow(tx.App, "panicked")
		panic("boom")
	})
	if err == nil || countNotes(t, st.App(), "panicked") != 0 {
		t.Errorf("a panicking write: %v, %d rows", err, countNotes(t, st.App(), "panicked"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := w.Do(ctx, func(*store.Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("a write of a gone request: %v, ran %v", err, ran)
	}
	if err := w.Do(context.Background(), func(tx *store.Tx) error { return noteRow(tx.App, "after") }); err != nil {
		t.Fatalf("a write after: %v", err)
	}
	if countNotes(t, st.App(), "after") != 1 {
		t.Error("the writer stopped working after a panic")
	}
}

// TestWriterWakesTheWaitlistOnlyWhenAPlaceMayFree: the waitlist's wake-up follows a commit of a
// write that said it freed a place, and not one that did not (the waitlist's own runs are
// writes too: waking on them would loop).
func TestWriterWakesTheWaitlistOnlyWhenAPlaceMayFree(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	drain := func() bool {
		select {
		case <-st.Freed():
			return true
		default:
			return false
		}
	}
	drain()
	if err := st.Writer().Do(context.Background(), func(tx *store.Tx) error { return noteRow(tx.App, "plain") }); err != nil {
		t.Fatal(err)
	}
	if drain() {
		t.Error("a write that freed nothing woke the waitlist")
	}
	if err := st.Writer().Do(context.Background(), func(tx *store.Tx) error { tx.Freed(); return noteRow(tx.App, "freeing") }); err != nil {
		t.Fatal(err)
	}
	if !drain() {
		t.Error("a write that freed a place did not wake the waitlist")
	}
	// A refused write frees nothing, whatever it said before failing.
	_ = st.Writer().Do(context.Background(), func(tx *store.Tx) error { tx.Freed(); return errors.New("refused") })
	if drain() {
		t.Error("a refused write woke the waitlist")
	}
}

// TestWriterStops: Close lets the queued writes finish, later ones are refused.
func TestWriterStops(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	if err := st.Writer().Do(context.Background(), func(tx *store.Tx) error { return noteRow(tx.App, "before") }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := st.Writer().Do(context.Background(), func(*store.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("a write after Close: %v, want ErrClosed", err)
	}
}
