package backup

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// names returns the sorted names in dir.
func names(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var ns []string
	for _, e := range entries {
		ns = append(ns, e.Name())
	}
	return ns
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	name := "reserva-20261124T020500Z.age"
	for _, content := range []string{"first", "second, longer than the first"} {
		err := WriteAtomic(dir, name, 0o640, func(w io.Writer) error {
			_, err := io.WriteString(w, content)
			return err
		})
		if err != nil {
			t.Fatalf("WriteAtomic(%q) = %v", content, err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != content {
			t.Errorf("after WriteAtomic(%q) the file holds %q, %v", content, got, err)
		}
		if got := names(t, dir); !slices.Equal(got, []string{name}) {
			t.Errorf("after WriteAtomic(%q) the directory holds %q, want only %q", content, got, name)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o640 {
		t.Errorf("WriteAtomic(mode 0640) wrote mode %v", fi.Mode())
	}
}

func TestWriteAtomicFailure(t *testing.T) {
	const name = "manifest.json"
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	tests := []struct {
		name  string
		write func(w io.Writer) error
		want  error // wrapped by the result; nil: any error
	}{
		{"write returns ENOSPC", func(w io.Writer) error {
			w.Write(big[:1000])
			return syscall.ENOSPC
		}, syscall.ENOSPC},
		{"writer fails half-way with ENOSPC", func(w io.Writer) error {
			_, err := io.Copy(&failAfter{w: w, n: len(big) / 2, err: syscall.ENOSPC}, bytes.NewReader(big))
			return err
		}, syscall.ENOSPC},
		{"encrypting a failing source", func(w io.Writer) error {
			_, err := Encrypt(w, &failAfter{r: bytes.NewReader(big), n: len(big) / 2, err: syscall.EIO}, newIdentity(t).Recipient())
			return err
		}, syscall.EIO},
		{"write fails without writing", func(io.Writer) error { return errors.New("snapshot failed") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, existing := range []bool{false, true} {
				dir := t.TempDir()
				path := filepath.Join(dir, name)
				var want []string
				if existing {
					if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
						t.Fatal(err)
					}
					want = []string{name}
				}
				err := WriteAtomic(dir, name, 0o600, tt.write)
				if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("WriteAtomic(%s) = %v, want an error wrapping %v", tt.name, err, tt.want)
				}
				if got := names(t, dir); !slices.Equal(got, want) {
					t.Errorf("after WriteAtomic(%s) the directory holds %q, want %q", tt.name, got, want)
				}
				if existing {
					if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
						t.Errorf("after WriteAtomic(%s) the old file holds %q, %v; want %q", tt.name, b, err, "old")
					}
				}
			}
		})
	}
}

func TestWriteAtomicPanic(t *testing.T) {
	dir := t.TempDir()
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("WriteAtomic swallowed the panic of write")
			}
		}()
		WriteAtomic(dir, "x", 0o600, func(w io.Writer) error {
			io.WriteString(w, "partial")
			panic("boom")
		})
	}()
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("after a panic in write the directory holds %q, want nothing", got)
	}
}

func TestWriteAtomicRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "taken"), 0o700); err != nil {
		t.Fatal(err)
	}
	ok := func(w io.Writer) error { _, err := io.WriteString(w, "data"); return err }
	tests := []struct {
		name string
		dir  string
		file string
	}{
		{"empty name", dir, ""},
		{"dot", dir, "."},
		{"dot dot", dir, ".."},
		{"a path", dir, "sub/x"},
		{"escaping", dir, "../x"},
		{"missing directory", filepath.Join(dir, "missing"), "x"},
		{"name is a directory", dir, "taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := WriteAtomic(tt.dir, tt.file, 0o600, ok); err == nil {
				t.Errorf("WriteAtomic(%q, %q) = nil, want an error", tt.dir, tt.file)
			}
			if got := names(t, dir); !slices.Equal(got, []string{"taken"}) {
				t.Errorf("after WriteAtomic(%q, %q) the directory holds %q, want only %q", tt.dir, tt.file, got, "taken")
			}
			if got := names(t, filepath.Dir(dir)); !slices.Equal(got, []string{filepath.Base(dir)}) {
				t.Errorf("after WriteAtomic(%q, %q) the parent holds %q", tt.dir, tt.file, got)
			}
		})
	}
}

func TestStickyWriter(t *testing.T) {
	var buf bytes.Buffer
	w := &stickyWriter{w: &failAfter{w: &buf, n: 5, err: syscall.ENOSPC}}
	if n, err := w.Write([]byte("0123456789")); n != 5 || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Write past the failure = %d, %v; want 5, ENOSPC", n, err)
	}
	// The underlying writer would accept more; the sticky writer must not.
	w.w = &buf
	if n, err := w.Write([]byte("abc")); n != 0 || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Write after a failure = %d, %v; want 0, ENOSPC", n, err)
	}
	if buf.String() != "01234" {
		t.Errorf("sticky writer passed %q, want %q", buf.String(), "01234")
	}
}

// TestWriteAtomicSwallowedError: a write func that ignores a failed write
// still fails WriteAtomic.
func TestWriteAtomicSwallowedError(t *testing.T) {
	dir := t.TempDir()
	err := WriteAtomic(dir, "x", 0o600, func(w io.Writer) error {
		// Fail the sticky writer the way a full disk would, then ignore it.
		sw := w.(*stickyWriter)
		sw.w = &failAfter{w: sw.w, n: 3, err: syscall.ENOSPC}
		io.WriteString(w, "hello")
		return nil
	})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteAtomic(write swallowing ENOSPC) = %v, want an error wrapping ENOSPC", err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("after a swallowed error the directory holds %q, want nothing", got)
	}
	if err != nil && !strings.HasPrefix(err.Error(), `backup: write "x": `) {
		t.Errorf("WriteAtomic error %q, want it to name the operation and file", err)
	}
}
