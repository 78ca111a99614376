//go:build !linux

package store

// readAhead is Linux's read-ahead advice (readahead_linux.go); elsewhere it does nothing.
type readAhead struct{}

func newReadAhead(string) *readAhead { return nil }

func (r *readAhead) at(int64) {}

func (r *readAhead) close() {}
