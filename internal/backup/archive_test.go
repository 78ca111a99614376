package backup

import (
	"archive/zip"
	"bytes"
	"errors"
	"hash/crc32"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one member of a test archive; mode 0 means a regular file.
type entry struct {
	name, body string
	mode       fs.FileMode
}

func zipOf(tb testing.TB, entries ...entry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			tb.Fatalf("zip entry %q: %v", e.name, err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// tree returns every path under dir with its mode and, for files, content.
func tree(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		got[filepath.ToSlash(rel)] = info.Mode().String()
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			got[filepath.ToSlash(rel)] += " " + string(b)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func TestUnzip(t *testing.T) {
	archive := zipOf(t,
		entry{name: "data.db", body: "SQLite format 3 " + marker},
		entry{name: "auxiliary.db", body: "SQLite format 3"},
		entry{name: "storage/", mode: fs.ModeDir | 0o755},
		entry{name: "storage/pbc_1/rec_1/photo.png", body: "png", mode: 0o755},
		entry{name: "storage/pbc_1/rec_2/empty.txt"},
		entry{name: "storage/pbc_1/", mode: fs.ModeDir | 0o777},
	)
	want := map[string]string{
		"data.db":                       "-rw------- SQLite format 3 " + marker,
		"auxiliary.db":                  "-rw------- SQLite format 3",
		"storage":                       "drwx------",
		"storage/pbc_1":                 "drwx------",
		"storage/pbc_1/rec_1":           "drwx------",
		"storage/pbc_1/rec_1/photo.png": "-rw------- png",
		"storage/pbc_1/rec_2":           "drwx------",
		"storage/pbc_1/rec_2/empty.txt": "-rw------- ",
	}
	for _, tt := range []struct {
		name    string
		prepare func(dir string)
	}{
		{"missing directory", func(string) {}},
		{"empty directory", func(dir string) { os.Mkdir(dir, 0o755) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "restore")
			tt.prepare(dir)
			if err := Unzip(bytes.NewReader(archive), int64(len(archive)), dir); err != nil {
				t.Fatalf("Unzip = %v", err)
			}
			got := tree(t, dir)
			for k, w := range want {
				if got[k] != w {
					t.Errorf("after Unzip %s is %q, want %q", k, got[k], w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("after Unzip the directory holds %v, want %v", got, want)
			}
		})
	}
	t.Run("new directory mode", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "restore")
		if err := Unzip(bytes.NewReader(archive), int64(len(archive)), dir); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(dir); err != nil || fi.Mode() != fs.ModeDir|0o700 {
			t.Errorf("Unzip created %s with %v, %v; want drwx------", dir, fi.Mode(), err)
		}
	})
}

func TestUnzipUnsafe(t *testing.T) {
	ok := entry{name: "data.db", body: "db"}
	tests := []struct {
		name    string
		entries []entry
	}{
		{"parent", []entry{ok, {name: "../x", body: "evil"}}},
		{"absolute", []entry{ok, {name: "/abs", body: "evil"}}},
		{"absolute under tmp", []entry{ok, {name: "/tmp/reserva-unzip-evil", body: "evil"}}},
		{"dot dot inside", []entry{ok, {name: "a/../../x", body: "evil"}}},
		{"dot dot at the end", []entry{ok, {name: "a/..", mode: fs.ModeDir | 0o700}}},
		{"dot dot directory", []entry{ok, {name: "../", mode: fs.ModeDir | 0o700}}},
		{"backslashes", []entry{ok, {name: `..\..\x`, body: "evil"}}},
		{"dot", []entry{ok, {name: "./data2.db", body: "db"}}},
		{"empty element", []entry{ok, {name: "a//b", body: "db"}}},
		{"empty name", []entry{ok, {name: "", body: "db"}}},
		{"NUL", []entry{ok, {name: "a\x00b", body: "db"}}},
		{"symlink out", []entry{ok, {name: "link", body: "../../../../etc/passwd", mode: fs.ModeSymlink | 0o777}}},
		{"symlink inside", []entry{ok, {name: "link", body: "data.db", mode: fs.ModeSymlink | 0o777}}},
		{"symlink then through it", []entry{{name: "d", body: "/tmp", mode: fs.ModeSymlink | 0o777}, {name: "d/x", body: "evil"}}},
		{"device", []entry{ok, {name: "dev", mode: fs.ModeDevice | 0o600}}},
		{"named pipe", []entry{ok, {name: "fifo", mode: fs.ModeNamedPipe | 0o600}}},
		{"duplicate file", []entry{ok, {name: "data.db", body: "other"}}},
		{"file and directory", []entry{ok, {name: "data.db/", mode: fs.ModeDir | 0o700}}},
		{"under a file", []entry{ok, {name: "data.db/x", body: "evil"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "restore")
			archive := zipOf(t, tt.entries...)
			err := Unzip(bytes.NewReader(archive), int64(len(archive)), dir)
			if !errors.Is(err, ErrUnsafeArchive) {
				t.Fatalf("Unzip(%s) = %v, want an error wrapping ErrUnsafeArchive", tt.name, err)
			}
			if got := tree(t, parent); len(got) != 0 {
				t.Errorf("after Unzip(%s) the parent holds %v, want nothing", tt.name, got)
			}
		})
	}
	if _, err := os.Stat("/tmp/reserva-unzip-evil"); err == nil {
		t.Errorf("Unzip wrote /tmp/reserva-unzip-evil")
	}
}

func TestUnzipSizeCap(t *testing.T) {
	archive := zipOf(t, entry{name: "a", body: strings.Repeat("x", 600)}, entry{name: "b", body: strings.Repeat("y", 600)})
	for _, tt := range []struct {
		limit uint64
		ok    bool
	}{{1200, true}, {1199, false}, {100, false}, {0, false}} {
		dir := filepath.Join(t.TempDir(), "restore")
		err := unzip(bytes.NewReader(archive), int64(len(archive)), dir, tt.limit)
		if tt.ok && err != nil || !tt.ok && !errors.Is(err, ErrUnsafeArchive) {
			t.Errorf("unzip(1200 bytes, limit %d) = %v, want ok %v", tt.limit, err, tt.ok)
		}
		if _, err := os.Stat(dir); !tt.ok && err == nil {
			t.Errorf("unzip(1200 bytes, limit %d) created the directory", tt.limit)
		}
	}
}

// TestUnzipLyingSize checks an entry that inflates past its declared size.
func TestUnzipLyingSize(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	body := []byte(strings.Repeat("bomb", 1000))
	h := &zip.FileHeader{Name: "a", Method: zip.Store, CRC32: crc32.ChecksumIEEE(body), UncompressedSize64: 10, CompressedSize64: uint64(len(body))}
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	zw.Close()
	archive := buf.Bytes()
	dir := filepath.Join(t.TempDir(), "restore")
	if err := Unzip(bytes.NewReader(archive), int64(len(archive)), dir); err == nil {
		t.Errorf("Unzip(entry larger than declared) = nil, want an error")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("Unzip(entry larger than declared) left %s", dir)
	}
}

func TestUnzipTarget(t *testing.T) {
	archive := zipOf(t, entry{name: "data.db", body: "db"})
	t.Run("not empty", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "keep"), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := Unzip(bytes.NewReader(archive), int64(len(archive)), dir)
		if !errors.Is(err, fs.ErrExist) {
			t.Errorf("Unzip(into a non-empty directory) = %v, want an error wrapping fs.ErrExist", err)
		}
		if got := tree(t, dir); len(got) != 1 || got["keep"] != "-rw------- mine" {
			t.Errorf("after Unzip(into a non-empty directory) it holds %v, want only keep", got)
		}
	})
	t.Run("a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Unzip(bytes.NewReader(archive), int64(len(archive)), path); err == nil {
			t.Errorf("Unzip(into a file) = nil, want an error")
		}
		if b, _ := os.ReadFile(path); string(b) != "mine" {
			t.Errorf("Unzip(into a file) changed it to %q", b)
		}
	})
	t.Run("missing parent", func(t *testing.T) {
		if err := Unzip(bytes.NewReader(archive), int64(len(archive)), filepath.Join(t.TempDir(), "a", "b")); err == nil {
			t.Errorf("Unzip(with a missing parent) = nil, want an error")
		}
	})
	t.Run("not a zip", func(t *testing.T) {
		parent := t.TempDir()
		junk := []byte("age-encryption.org/v1\n" + marker)
		err := Unzip(bytes.NewReader(junk), int64(len(junk)), filepath.Join(parent, "restore"))
		if err == nil || errors.Is(err, ErrUnsafeArchive) {
			t.Errorf("Unzip(not a zip) = %v, want a format error", err)
		}
		if got := tree(t, parent); len(got) != 0 {
			t.Errorf("after Unzip(not a zip) the parent holds %v", got)
		}
	})
}

// TestUnzipDamaged checks that a failure half-way removes what was written.
func TestUnzipDamaged(t *testing.T) {
	first := strings.Repeat("first entry ", 100)
	body := strings.Repeat("damaged entry ", 100)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct{ name, body string }{{"a/first.db", first}, {"b/second.db", body}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	zw.Close()
	archive := buf.Bytes()
	i := bytes.Index(archive, []byte(body))
	archive[i+len(body)/2] ^= 1 // the CRC of the second entry no longer matches

	for _, existing := range []bool{false, true} {
		parent := t.TempDir()
		dir := filepath.Join(parent, "restore")
		if existing {
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		err := Unzip(bytes.NewReader(archive), int64(len(archive)), dir)
		if err == nil || errors.Is(err, ErrUnsafeArchive) {
			t.Errorf("Unzip(damaged entry, existing dir %v) = %v, want a checksum error", existing, err)
		}
		want := map[string]string{}
		if existing {
			want["restore"] = "drwx------"
		}
		if got := tree(t, parent); !maps.Equal(got, want) {
			t.Errorf("after Unzip(damaged entry, existing dir %v) the parent holds %v, want %v", existing, got, want)
		}
	}
}
