package backup

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackupRestore runs the whole cycle as the server and a restore drill
// would: snapshot zip → encrypted file and manifest, written atomically →
// listed, verified without a key → decrypted and checked with the key →
// extracted.
func TestBackupRestore(t *testing.T) {
	keyPath := filepath.Join(t.TempDir(), "backup.key") // off the server
	recipient, err := Keygen(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := zipOf(t,
		entry{name: "data.db", body: "SQLite format 3\x00 bookings: " + marker},
		entry{name: "auxiliary.db", body: "SQLite format 3\x00 logs"},
		entry{name: "storage/pbc_1/rec_1/menu.pdf", body: "%PDF"},
	)

	// The server: recipients only.
	recipients, err := ParseRecipients([]string{"# owner's laptop", recipient})
	if err != nil {
		t.Fatal(err)
	}
	backups := t.TempDir()
	created := time.Date(2026, time.November, 24, 3, 5, 0, 0, time.FixedZone("CET", 3600))
	name := FileName(created)
	var sums Sums
	err = WriteAtomic(backups, name, 0o600, func(w io.Writer) error {
		sums, err = Encrypt(w, bytes.NewReader(snapshot), recipients...)
		return err
	})
	if err != nil {
		t.Fatalf("WriteAtomic(Encrypt) = %v", err)
	}
	m := Manifest{File: name, Created: created, PlainSize: sums.PlainSize, CipherSize: sums.CipherSize,
		PlainSHA256: sums.PlainSHA256, CipherSHA256: sums.CipherSHA256,
		Rows: map[string]int64{"bookings": 1}, AppVersion: "test", DataHash: "h1"}
	manifest, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(backups, ManifestName(name), 0o600, func(w io.Writer) error {
		_, err := w.Write(manifest)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Nothing on disk shows the guest.
	for _, f := range names(t, backups) {
		b, err := os.ReadFile(filepath.Join(backups, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s contains %q", f, marker)
		}
	}

	// Listing and verifying, still without a key.
	var found []time.Time
	for _, f := range names(t, backups) {
		if at, ok := ParseFileName(f); ok {
			found = append(found, at)
		}
	}
	if len(found) != 1 || !found[0].Equal(created.Truncate(time.Second)) {
		t.Fatalf("ParseFileName over %v = %v, want [%v]", names(t, backups), found, created)
	}
	b, err := os.ReadFile(filepath.Join(backups, ManifestName(name)))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := DecodeManifest(b)
	if err != nil {
		t.Fatalf("DecodeManifest = %v", err)
	}
	open := func() *os.File { return openFile(t, filepath.Join(backups, m2.File)) }
	if err := Verify(open(), m2); err != nil {
		t.Errorf("Verify = %v", err)
	}

	// The restore drill, with the identity.
	ids, err := LoadIdentities(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyDecrypt(open(), m2, ids...); err != nil {
		t.Errorf("VerifyDecrypt = %v", err)
	}
	work := t.TempDir()
	if err := WriteAtomic(work, "snapshot.zip", 0o600, func(w io.Writer) error {
		_, err := Decrypt(w, open(), ids...)
		return err
	}); err != nil {
		t.Fatalf("WriteAtomic(Decrypt) = %v", err)
	}
	zf := openFile(t, filepath.Join(work, "snapshot.zip"))
	fi, err := zf.Stat()
	if err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(work, "pb_data")
	if err := Unzip(zf, fi.Size(), restored); err != nil {
		t.Fatalf("Unzip = %v", err)
	}
	got := tree(t, restored)
	if !strings.HasSuffix(got["data.db"], marker) || got["storage/pbc_1/rec_1/menu.pdf"] != "-rw------- %PDF" {
		t.Errorf("restored %v", got)
	}
}

func openFile(tb testing.TB, path string) *os.File {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}
