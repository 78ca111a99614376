package cli

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"reserva/views"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// settle readies, at the start, what the first request would otherwise build (the message
// catalogs) and hands the garbage of the start back to the OS. With the collector at four
// times the live heap (main.go) the start's garbage (the migrations' checks, the collections,
// the catalogs: about 16 MB allocated for 5 MB kept) stayed resident until the first
// collection under load: a server that had answered one request sat at 50 MB instead of 38.
func settle() {
	views.Preload()
	debug.FreeOSMemory()
}

// A quiet server's heap grows with what its jobs allocate (the mail, webhook and text ticks,
// the writer's looks for segments to merge) until the collector runs at four times the live
// heap: an idle server's resident memory crept from 43 to 63 MB within four minutes of its
// start and stayed there. Every quietEvery, a server that allocated less than quietAlloc since
// the last look collects and hands the free memory back (a few milliseconds for a heap of a
// few megabytes); a busy one is left to the collector, which runs often enough under load.
const (
	quietEvery = time.Minute
	quietAlloc = 16 << 20
)

// settleWhenQuiet looks every quietEvery until app terminates (quietWatch).
func settleWhenQuiet(app core.App) {
	ctx, stop := context.WithCancel(context.Background())
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Func: func(te *core.TerminateEvent) error {
			stop()
			return te.Next()
		},
	})
	q := newQuietWatch(quietAlloc, heapAllocated, debug.FreeOSMemory)
	go func() {
		t := time.NewTicker(quietEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				q.look()
			}
		}
	}()
}

// quietWatch hands memory back (release) at a look when less than quiet bytes were allocated
// since the last (allocated: the bytes allocated so far).
type quietWatch struct {
	quiet, last uint64
	allocated   func() uint64
	release     func()
}

func newQuietWatch(quiet uint64, allocated func() uint64, release func()) *quietWatch {
	return &quietWatch{quiet: quiet, last: allocated(), allocated: allocated, release: release}
}

// look releases when the server was quiet since the last look, and says whether it did.
func (q *quietWatch) look() bool {
	now := q.allocated()
	quiet := now-q.last < q.quiet
	if quiet {
		q.release()
		now = q.allocated()
	}
	q.last = now
	return quiet
}

// heapAllocated is the bytes the Go heap has allocated since the start.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
