package backup

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// maxUnzipSize caps the total uncompressed size Unzip accepts: far above any
// venue's data, far below a zip bomb that fills the disk.
const maxUnzipSize = 64 << 30 // 64 GiB

// Unzip extracts the zip archive r (of size bytes, the decrypted PocketBase
// snapshot) into dir, which must be missing (it is then created, mode 0700;
// its parent must exist) or an empty directory (else the error wraps
// fs.ErrExist). Files are created 0600 exactly and directories 0700 (which
// only an odd umask could narrow), whatever the archive says; files are
// fsynced.
//
// Every entry is checked before anything is written. Unzip refuses with an
// error wrapping ErrUnsafeArchive, and writes nothing, an archive holding:
//   - a name that is not a canonical relative slash path (io/fs.ValidPath):
//     absolute ("/abs"), with ".." ("../x", "a/../../x"), "." or empty
//     elements; or holding a backslash or NUL;
//   - a symlink, device, pipe, socket or other non-regular entry;
//   - the same file twice, or a file where a directory must be ("a" and "a/b");
//   - more than 64 GiB uncompressed in total (declared sizes; archive/zip
//     fails an entry that inflates past its declared size).
//
// Writes go through an os.Root, so even a symlink planted in dir by someone
// else cannot lead outside it. If extraction fails half-way (a damaged entry,
// a full disk), Unzip removes what it wrote, and dir if it created it.
//
// NB! dir must be reserved to this call: the clean-up after a failure removes
// everything in dir, which was empty when Unzip started.
func Unzip(r io.ReaderAt, size int64, dir string) error {
	return unzip(r, size, dir, maxUnzipSize)
}

// unzip is Unzip with the size cap as an argument, for tests.
func unzip(r io.ReaderAt, size int64, dir string, limit uint64) (err error) {
	zr, err := zip.NewReader(r, size)
	if zr != nil {
		zr.RegisterDecompressor(ZstdMethod, zstdReader)
	}
	if errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("%w: %v", ErrUnsafeArchive, err)
	}
	if err != nil {
		return fmt.Errorf("backup: unzip: %w", err)
	}
	if err := checkEntries(zr.File, limit); err != nil {
		return err
	}

	created, err := prepareDir(dir)
	if err != nil {
		return fmt.Errorf("backup: unzip into %q: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		if created {
			os.Remove(dir)
		}
		return fmt.Errorf("backup: unzip: %w", err)
	}
	defer func() {
		if err != nil {
			clean(root)
			if created {
				os.Remove(dir)
			}
		}
		root.Close()
	}()
	for _, f := range zr.File {
		if err := extract(root, f); err != nil {
			return fmt.Errorf("backup: unzip %q: %w", f.Name, err)
		}
	}
	return nil
}

// checkEntries returns an error wrapping ErrUnsafeArchive for the first
// entry that Unzip refuses, or nil.
func checkEntries(files []*zip.File, limit uint64) error {
	isDir := make(map[string]bool, len(files))
	var total uint64
	for _, f := range files {
		name, dir := entryName(f)
		mode := f.Mode()
		switch {
		case !fs.ValidPath(name) || name == "." || strings.ContainsAny(name, "\\\x00"):
			return fmt.Errorf("%w: entry %q escapes the target directory or is not a clean relative path", ErrUnsafeArchive, f.Name)
		case mode&fs.ModeSymlink != 0:
			return fmt.Errorf("%w: entry %q is a symlink", ErrUnsafeArchive, f.Name)
		case !dir && !mode.IsRegular():
			return fmt.Errorf("%w: entry %q is not a regular file (%v)", ErrUnsafeArchive, f.Name, mode.Type())
		}
		if wasDir, ok := isDir[name]; ok && !(dir && wasDir) {
			return fmt.Errorf("%w: entry %q appears twice", ErrUnsafeArchive, f.Name)
		}
		isDir[name] = dir
		if f.UncompressedSize64 > limit-total {
			return fmt.Errorf("%w: more than %d bytes uncompressed", ErrUnsafeArchive, limit)
		}
		total += f.UncompressedSize64
	}
	for name := range isDir {
		for p := path.Dir(name); p != "."; p = path.Dir(p) {
			if d, ok := isDir[p]; ok && !d {
				return fmt.Errorf("%w: entry %q lies under the file %q", ErrUnsafeArchive, name, p)
			}
		}
	}
	return nil
}

// entryName returns the entry's path without the trailing slash of a
// directory, and whether it is a directory.
func entryName(f *zip.File) (name string, dir bool) {
	if strings.HasSuffix(f.Name, "/") || f.Mode().IsDir() {
		return strings.TrimSuffix(f.Name, "/"), true
	}
	return f.Name, false
}

// prepareDir creates dir (reporting created) or checks that it is an empty
// directory.
func prepareDir(dir string) (created bool, err error) {
	err = os.Mkdir(dir, 0o700)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	d, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer d.Close()
	names, err := d.Readdirnames(1)
	switch {
	case len(names) > 0:
		return false, fmt.Errorf("directory is not empty: %w", fs.ErrExist)
	case err != io.EOF:
		return false, err
	}
	return false, nil
}

// extract writes one checked entry under root.
func extract(root *os.Root, f *zip.File) error {
	name, dir := entryName(f)
	if dir {
		return root.MkdirAll(name, 0o700)
	}
	if parent := path.Dir(name); parent != "." {
		if err := root.MkdirAll(parent, 0o700); err != nil {
			return err
		}
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	if err := out.Chmod(0o600); err != nil { // exact, whatever the umask
		return err
	}
	// archive/zip already fails an entry that inflates past its declared
	// size; the limit makes that independent of its implementation.
	n, err := io.Copy(out, io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return err
	}
	if uint64(n) > f.UncompressedSize64 {
		return fmt.Errorf("%w: entry inflates past its declared size", ErrUnsafeArchive)
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return out.Close()
}

// clean removes everything under root, best effort.
func clean(root *os.Root) {
	d, err := root.Open(".")
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		root.RemoveAll(n)
	}
}
