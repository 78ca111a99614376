package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pocketbase/dbx"
)

// A snapshot is one view: bookings written while its pages are read are not in it, its
// counts are its file's, the file passes SQLite's integrity check and opens read-only alone
// (no write-ahead log beside it).
func TestSnapshotIsOneView(t *testing.T) {
	app := newTestApp(t)
	insert := func(from, n int) {
		t.Helper()
		for i := from; i < from+n; i++ {
			_, err := app.DB().NewQuery(`INSERT INTO bookings (id, reference, name, start, "end", party, status)
				VALUES ({:id}, {:id}, 'Guest', '2026-12-04 18:00:00.000Z', '2026-12-04 20:00:00.000Z', 2, 'confirmed')`).
				Bind(dbx.Params{"id": fmt.Sprintf("snap%010d", i)}).Execute()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	insert(0, 300)
	ctx := context.Background()
	data, logs, err := OpenSnapshots(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	atStart, err := Fingerprint(app)
	if err != nil {
		t.Fatal(err)
	}
	insert(300, 200) // after the snapshot began: in the write-ahead log, not in the view
	facts, err := data.Facts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := facts.Rows
	if now, err := Fingerprint(app); err != nil || facts.Fingerprint() != atStart || now == atStart {
		t.Errorf("the snapshot's fingerprint %s, the data's at its start %s and now %s (%v); want the first two equal, the last other",
			facts.Fingerprint(), atStart, now, err)
	}
	path := filepath.Join(t.TempDir(), "data.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := data.WriteTo(f)
	if err != nil {
		t.Fatal(err)
	}
	insert(500, 100)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := data.Close(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Size() != n || n%4096 != 0 {
		t.Errorf("wrote %d bytes, the file has %d", n, st.Size())
	}
	if err := IntegrityCheck(path); err != nil {
		t.Fatal(err)
	}
	got, err := CountRows(path)
	if err != nil {
		t.Fatal(err)
	}
	if got["bookings"] != 300 || rows["bookings"] != 300 {
		t.Errorf("the snapshot holds %d bookings and counted %d; want the 300 written before it", got["bookings"], rows["bookings"])
	}
	for name, c := range rows {
		if got[name] != c {
			t.Errorf("%s: the snapshot counted %d rows, its file holds %d", name, c, got[name])
		}
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("opening the snapshot read-only left a write-ahead log: %v", err)
	}
}
