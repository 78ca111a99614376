package backup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteAtomic creates or replaces the file name in dir with what write writes,
// so that readers of dir/name see either the old content or the complete new
// one, never a part.
//
// write gets a writer into a hidden temporary file in dir (".name.tmp-*", on
// the same filesystem, so the final rename is atomic). WriteAtomic then sets
// the permission bits of mode exactly (not narrowed by the umask; other mode
// bits are ignored), fsyncs the file, renames it to name and fsyncs dir.
//
// On any error before the rename (write returns an error; a write fails, such
// as ENOSPC, even if write swallowed that error; sync, close or rename fails)
// or a panic in write, the temporary file is removed, no file called name
// appears, and an existing name keeps its old content. The writer is sticky:
// after one failed write every later write fails too. write must not keep the
// writer after it returns.
//
// name is a plain file name, not a path; it must not be "." or "..".
//
// NB! If only the final fsync of dir fails, the rename has happened: name
// already holds the complete, fsynced new content, but the directory entry
// may not survive a power loss. WriteAtomic returns the error and leaves the
// file, since the old content, if any, is gone either way.
func WriteAtomic(dir, name string, mode fs.FileMode, write func(w io.Writer) error) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') ||
		strings.ContainsRune(name, filepath.Separator) {
		return fmt.Errorf("backup: write %q: not a plain file name", name)
	}
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("backup: write %q: %w", name, err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close() // may be closed already; the error is of no use here
			os.Remove(tmp)
		}
	}()

	if err := f.Chmod(mode.Perm()); err != nil {
		return fmt.Errorf("backup: write %q: %w", name, err)
	}
	w := &stickyWriter{w: f}
	if err := write(w); err != nil {
		return fmt.Errorf("backup: write %q: %w", name, err)
	}
	if w.err != nil {
		return fmt.Errorf("backup: write %q: %w", name, w.err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: write %q: sync: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: write %q: close: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("backup: write %q: %w", name, err)
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("backup: write %q: sync directory: %w", name, err)
	}
	return nil
}

// syncDir fsyncs a directory, making the renames and removals in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// stickyWriter remembers the first write error and returns it for every
// later write, so that a failure cannot be skipped over. It hides the
// *os.File, so that write cannot close, seek or truncate it.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (sw *stickyWriter) Write(p []byte) (int, error) {
	if sw.err != nil {
		return 0, sw.err
	}
	n, err := sw.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	sw.err = err
	return n, err
}
