package cli

import (
	"slices"
	"testing"
)

// Memory goes back at a look after a quiet spell only: not while the server allocates, and
// what the release itself allocates does not count against the next spell.
func TestQuietWatchReleasesOnlyWhenQuiet(t *testing.T) {
	var allocated uint64 = 1000
	var released int
	q := newQuietWatch(100, func() uint64 { return allocated }, func() { released++; allocated += 50 })
	var got []bool
	for _, spell := range []uint64{10, 500, 99, 100, 0} {
		allocated += spell
		got = append(got, q.look())
	}
	if want := []bool{true, false, true, false, true}; !slices.Equal(got, want) {
		t.Errorf("released after spells of 10, 500, 99, 100 and 0 bytes: %v, want %v", got, want)
	}
	if released != 3 {
		t.Errorf("released %d times, want 3", released)
	}
}

// The heap's allocation counter moves with allocations.
func TestHeapAllocatedCounts(t *testing.T) {
	before := heapAllocated()
	sink = make([]byte, 1<<20)
	if after := heapAllocated(); after < before+1<<20 {
		t.Errorf("allocated %d bytes before and %d after a megabyte", before, after)
	}
}

var sink []byte
