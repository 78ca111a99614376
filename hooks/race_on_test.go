//go:build race

package hooks

// raceDetector reports whether the tests run under the race detector, where SQLite (pure Go,
// instrumented) runs about ten times slower: tests that build big databases build smaller ones.
const raceDetector = true
