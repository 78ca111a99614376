package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"reserva/internal/store"
)

// TestCheckpointTruncatesTheLogAfterTheWritersCheckpoint erases the way the account page does:
// a write through the booking writer (whose own passive checkpoint starts right after the
// commit), then store.Checkpoint at once. The log must end empty every time, the marker gone
// from it; a checkpoint that gives up on the first busy answer (the other checkpoint holds the
// lock) leaves the old frames behind.
func TestCheckpointTruncatesTheLogAfterTheWritersCheckpoint(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	app := st.App()
	const marker = "checkpoint-marker-7d1f"
	for i := range 40 {
		time.Sleep(60 * time.Millisecond) // the writer's checkpoints wait 50 ms between two
		if err := st.Writer().Do(context.Background(), func(tx *store.Tx) error {
			return noteRow(tx.App, marker)
		}); err != nil {
			t.Fatal(err)
		}
		if err := store.Checkpoint(app); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(app.DataDir(), "data.db-wal"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if len(b) != 0 || bytes.Contains(b, []byte(marker)) {
			t.Fatalf("round %d: the log holds %d bytes after the checkpoint", i, len(b))
		}
	}
}
