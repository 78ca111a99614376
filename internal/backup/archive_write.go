package backup

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"
)

// ZstdMethod is the zip compression method of zstd (APPNOTE 6.3.7, method 93): the entries of
// the archives WriteArchive writes. Unzip reads it and PocketBase's own Deflate alike.
const ZstdMethod = 93

// ArchiveFile is one file of a snapshot: its name in the archive (a slash path) and either
// where it is on disk (Path) or what writes its content (Write).
type ArchiveFile struct {
	Name, Path string
	Write      func(io.Writer) error
}

// WriteArchive streams files as one zip archive to w, each entry compressed with zstd at its
// fastest level on procs goroutines (1 in the server, whose bookings share the CPU). It reads
// each file once, writes nothing else, and does not close w.
func WriteArchive(w io.Writer, files []ArchiveFile, procs int) error {
	zw := zip.NewWriter(w)
	procs = max(procs, 1)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(procs), zstd.WithWindowSize(frameChunk))
	if err != nil {
		return fmt.Errorf("backup: archive: %w", err)
	}
	defer enc.Close()
	zw.RegisterCompressor(ZstdMethod, func(out io.Writer) (io.WriteCloser, error) {
		return newFrameWriter(out, enc, procs), nil
	})
	for _, f := range files {
		if err := addFile(zw, f); err != nil {
			return fmt.Errorf("backup: archive %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("backup: archive: %w", err)
	}
	return nil
}

func addFile(zw *zip.Writer, f ArchiveFile) error {
	if f.Write != nil {
		out, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: ZstdMethod, Modified: time.Now()})
		if err != nil {
			return err
		}
		return f.Write(out)
	}
	in, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: ZstdMethod, Modified: st.ModTime()})
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return err
}

// frameChunk is how much of an entry one zstd frame holds, and the encoder's window (a frame
// has no history before it: a larger window only holds memory). At 4 MB, frames and window
// were 34–42 MB of Go heap on one goroutine (62 MB on two) for 10 MB at 1 MB, with the same
// speed and a backup 1% larger (a database of 200,000 bookings: ratio 0.2463 against 0.2436).
// In the server that heap counts against the Go memory limit (main.go) while the bookings run:
// at 4 MB the collector ran so often that a backup under the mixed load took twice as long.
const frameChunk = 1 << 20

// frameWriter compresses what is written to it as a sequence of independent zstd frames of
// frameChunk each (a valid zstd stream: decoders read concatenated frames as one), up to procs
// of them at once, and writes them to out in order. One zstd stream, even with the encoder's
// own concurrency, kept one core busy: a million bookings (1.2 GB) took 5 s to compress. The
// frames' buffers go round (free): a new pair for each of 300 chunks was 1.8 GB of allocations
// to clear and collect.
type frameWriter struct {
	out     io.Writer
	enc     *zstd.Encoder
	cur     *frame      // the chunk being filled
	pending chan *frame // the frames being compressed, in order
	free    chan *frame // frames written out, their buffers to use again
	done    chan error  // the writer goroutine's first error, at its end
	err     error
}

// frame is one chunk and, once done is closed, its compressed frame.
type frame struct {
	chunk, out []byte
	done       chan struct{}
}

func newFrameWriter(out io.Writer, enc *zstd.Encoder, procs int) *frameWriter {
	f := &frameWriter{out: out, enc: enc, pending: make(chan *frame, procs), free: make(chan *frame, procs+2), done: make(chan error, 1)}
	go func() {
		var err error
		for fr := range f.pending {
			<-fr.done
			if err == nil {
				_, err = out.Write(fr.out)
			}
			select {
			case f.free <- fr:
			default:
			}
		}
		f.done <- err
	}()
	return f
}

func (f *frameWriter) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n := len(p)
	for len(p) > 0 {
		if f.cur == nil {
			select {
			case f.cur = <-f.free:
				f.cur.chunk = f.cur.chunk[:0]
			default:
				f.cur = &frame{chunk: make([]byte, 0, frameChunk)}
			}
		}
		take := min(len(p), frameChunk-len(f.cur.chunk))
		f.cur.chunk = append(f.cur.chunk, p[:take]...)
		p = p[take:]
		if len(f.cur.chunk) == frameChunk {
			f.flush()
		}
	}
	return n, nil
}

// flush sends the chunk being filled to be compressed (waiting while procs frames are).
func (f *frameWriter) flush() {
	fr := f.cur
	f.cur = nil
	fr.done = make(chan struct{})
	f.pending <- fr
	go func() {
		fr.out = f.enc.EncodeAll(fr.chunk, fr.out[:0])
		close(fr.done)
	}()
}

// Close compresses what is left and waits until every frame is written.
func (f *frameWriter) Close() error {
	if f.cur != nil && len(f.cur.chunk) > 0 {
		f.flush()
	}
	close(f.pending)
	err := <-f.done
	f.err = err
	if f.err == nil {
		f.err = errors.New("backup: archive entry closed") // for a write after Close
	}
	return err
}

// zstdReader is the zip decompressor of ZstdMethod.
func zstdReader(r io.Reader) io.ReadCloser {
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return errReader{err}
	}
	return d.IOReadCloser()
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
func (e errReader) Close() error             { return nil }
