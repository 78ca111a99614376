package backup

import (
	"archive/zip"
	"bytes"
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
	if err := os.WriteFile(p, bytes.Repeat([]byte{7}, 3*frameChunk), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteArchive(failingWriter{n: 1000}, []ArchiveFile{{Name: "f", Path: p}}, 2)
	if err == nil {
		t.Fatal("WriteArchive to a failing writer succeeded")
	}
}

type failingWriter struct{ n int }

func (f failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}
