package backup

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// An archive of zstd entries (empty, small, several frames, written by a function) unzips to
// the same bytes, on one goroutine or several.
func TestWriteArchiveRoundTrip(t *testing.T) {
	src := t.TempDir()
	rnd := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 7*frameChunk+12345) // eight frames, compressible in part: more than are ever in flight, so buffers go round
	for i := range big {
		if i%3 == 0 {
			big[i] = byte(rnd.IntN(256))
		} else {
			big[i] = byte(i / 1000)
		}
	}
	want := map[string][]byte{"empty": nil, "small.json": []byte(`{"a":1}`), "storage/x/big.bin": big}
	var files []ArchiveFile
	for name, b := range want {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, ArchiveFile{Name: name, Path: p})
	}
	want["data.db"] = bytes.Repeat([]byte("page"), frameChunk/2+7)
	files = append(files, ArchiveFile{Name: "data.db", Write: func(w io.Writer) error {
		for b := want["data.db"]; len(b) > 0; b = b[min(len(b), 4096):] { // in pages
			if _, err := w.Write(b[:min(len(b), 4096)]); err != nil {
				return err
			}
		}
		return nil
	}})
	for _, procs := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(procs), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteArchive(&buf, files, procs); err != nil {
				t.Fatal(err)
			}
			if buf.Len() >= len(big)+len(want["data.db"]) {
				t.Errorf("the archive (%d bytes) is not compressed", buf.Len())
			}
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range zr.File {
				if f.Method != ZstdMethod {
					t.Errorf("%s is compressed with method %d, want zstd (%d)", f.Name, f.Method, ZstdMethod)
				}
			}
			dir := filepath.Join(t.TempDir(), "out")
			if err := Unzip(bytes.NewReader(buf.Bytes()), int64(buf.Len()), dir); err != nil {
				t.Fatal(err)
			}
			for name, b := range want {
				got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
				if err != nil || !bytes.Equal(got, b) {
					t.Errorf("%s: %d bytes back (%v), want %d", name, len(got), err, len(b))
				}
			}
		})
	}
}

// A failing destination fails the archive: no error is lost between the frames.
func TestWriteArchiveReportsAFailedWrite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	noise := make([]byte, 3*frameChunk) // incompressible: three frames of a megabyte each to write
	rand.NewChaCha8([32]byte{3}).Read(noise)
	if err := os.WriteFile(p, noise, 0o600); err != nil {
		t.Fatal(err)
	}
	w := &failingWriter{n: frameChunk}
	err := WriteArchive(w, []ArchiveFile{{Name: "f", Path: p}}, 2)
	if !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("WriteArchive to a writer failing once after %d bytes: %v, want its error", w.n, err)
	}
}

// failingWriter takes n bytes, fails the write that would go past them, and takes the rest
// again: only WriteArchive's own bookkeeping can report the one lost write.
type failingWriter struct {
	n, written int
	failed     bool
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if !f.failed && f.written+len(p) > f.n {
		f.failed = true
		return 0, io.ErrShortWrite
	}
	f.written += len(p)
	return len(p), nil
}
