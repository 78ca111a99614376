package store

import (
	"os"
	"path/filepath"
	"testing"
)

// The advice keeps window bytes ahead of the reader, a step at a time, and stops at the end.
func TestReadAheadKeepsItsWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	if err := os.WriteFile(path, make([]byte, 10_000), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r := &readAhead{f: f, size: 10_000, window: 4096, step: 1024}
	defer r.close()
	for _, c := range []struct{ at, next int64 }{{0, 4096}, {100, 5120}, {5000, 9216}, {9999, 10240}, {10_000, 10240}} {
		r.at(c.at)
		if r.next != c.next {
			t.Errorf("at %d: advised up to %d, want %d", c.at, r.next, c.next)
		}
	}
	if newReadAhead(filepath.Join(t.TempDir(), "missing.db")) != nil {
		t.Errorf("a missing file got a read-ahead")
	}
	var none *readAhead
	none.at(1) // a nil read-ahead (the file could not be opened) does nothing
	none.close()
}
