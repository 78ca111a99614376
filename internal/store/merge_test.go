package store

import (
	"slices"
	"testing"
	"time"
)

// An idle writer looks for segments to merge less and less often, from a second up to
// mergeIdleMax, and after a batch (mergeSoon) starts again at a second.
func TestIdleMergesBackOff(t *testing.T) {
	var got []time.Duration
	for wait := mergeSoon; len(got) < 8; {
		wait = nextIdleMerge(wait)
		got = append(got, wait)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 32 * time.Second, 32 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("waits after steps that found nothing: %v, want %v", got, want)
	}
	if w := nextIdleMerge(time.Minute); w != mergeIdleMax {
		t.Errorf("after the minute of a failed step: %v, want %v", w, mergeIdleMax)
	}
}

// A merge step says whether it merged: soon again while segments wait, later once none do. (A
// step that counted the merge command itself as work looked again every 20 ms, forever.)
func TestMergeStepSaysWhetherItMerged(t *testing.T) {
	app := newTestApp(t)
	w := newWriter(app, nil)
	if next := w.mergeSearch(mergeIdle); next != nextIdleMerge(mergeIdle) {
		t.Fatalf("a step on an empty index: next in %v, want %v", next, nextIdleMerge(mergeIdle))
	}
	addSearchSegments(t, app, 12)
	steps := 0
	for next := mergeSoon; next == mergeSoon; steps++ {
		if steps == 100 {
			t.Fatalf("100 merge steps and %d segments left: the steps never say they are done", searchSegments(t, app))
		}
		next = w.mergeSearch(mergeIdle)
	}
	if steps < 2 {
		t.Errorf("the first step on 12 segments found nothing to merge")
	}
	if n := searchSegments(t, app); n > 4 {
		t.Errorf("%d segments once the steps found nothing more to merge; want at most FTS5's usermerge, 4", n)
	}
}
