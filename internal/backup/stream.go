package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"filippo.io/age"
)

// Sums describes one pass of a backup through Encrypt or Decrypt: the size and
// SHA-256 (lowercase hex) of the plaintext (the PocketBase zip) and of the
// ciphertext (the age file).
type Sums struct {
	PlainSize    int64
	CipherSize   int64
	PlainSHA256  string
	CipherSHA256 string
}

// Encrypt reads src to its end, encrypts it to every recipient as one age
// file written to dst, and returns the sums of both sides. It streams: memory
// stays constant (a few 64 KiB chunks) whatever the size of src.
//
// At least one recipient is needed. On error dst holds a partial, useless age
// file that the caller discards (WriteAtomic does so by itself); the returned
// Sums are then zero. Encrypt does not close dst.
func Encrypt(dst io.Writer, src io.Reader, recipients ...age.Recipient) (Sums, error) {
	if len(recipients) == 0 {
		return Sums{}, errors.New("backup: encrypt: no recipients")
	}
	cipher := newHashWriter(dst)
	w, err := age.Encrypt(cipher, recipients...)
	if err != nil {
		return Sums{}, fmt.Errorf("backup: encrypt: %w", err)
	}
	plain := newHashReader(src)
	if _, err := io.Copy(w, plain); err != nil {
		if plain.err != nil {
			return Sums{}, fmt.Errorf("backup: encrypt: read plaintext: %w", plain.err)
		}
		return Sums{}, fmt.Errorf("backup: encrypt: write ciphertext: %w", err)
	}
	// Close encrypts and writes the last chunk; without it the file is truncated.
	if err := w.Close(); err != nil {
		return Sums{}, fmt.Errorf("backup: encrypt: write ciphertext: %w", err)
	}
	return Sums{
		PlainSize: plain.n, PlainSHA256: plain.sum(),
		CipherSize: cipher.n, CipherSHA256: cipher.sum(),
	}, nil
}

// Decrypt reads the age file src to its end with one of identities, writes
// the plaintext to dst, and returns the sums of both sides. It streams like
// Encrypt, and checks that src ends exactly where the age file does.
//
// Errors wrap ErrWrongIdentity when no identity opens the file, and
// ErrCorrupt when the file is not a complete, authentic age file (truncated,
// trailing data, any byte changed); a failure to read src or to write dst is
// reported as such and wraps neither.
//
// NB! age authenticates chunk by chunk, so by the time a damaged or truncated
// chunk is detected the plaintext before it has already been written to dst.
// On any error the caller must discard everything written to dst: it is never
// a partial success. Decrypt into a temporary file (WriteAtomic) and use it
// only when Decrypt returns nil.
func Decrypt(dst io.Writer, src io.Reader, identities ...age.Identity) (Sums, error) {
	if len(identities) == 0 {
		return Sums{}, errors.New("backup: decrypt: no identities")
	}
	cipher := newHashReader(src)
	r, err := age.Decrypt(cipher, identities...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		switch {
		case cipher.err != nil:
			return Sums{}, fmt.Errorf("backup: decrypt: read ciphertext: %w", cipher.err)
		case errors.As(err, &noMatch):
			return Sums{}, fmt.Errorf("%w: %v", ErrWrongIdentity, err)
		default:
			return Sums{}, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
		}
	}
	plain := newHashWriter(dst)
	if _, err := io.Copy(plain, r); err != nil {
		switch {
		case plain.err != nil:
			return Sums{}, fmt.Errorf("backup: decrypt: write plaintext: %w", plain.err)
		case cipher.err != nil:
			return Sums{}, fmt.Errorf("backup: decrypt: read ciphertext: %w", cipher.err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return Sums{}, fmt.Errorf("%w: truncated after %d bytes", ErrCorrupt, cipher.n)
		default:
			return Sums{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	return Sums{
		PlainSize: plain.n, PlainSHA256: plain.sum(),
		CipherSize: cipher.n, CipherSHA256: cipher.sum(),
	}, nil
}

// Checksum reads r to its end and returns the number of bytes read and their
// SHA-256 in lowercase hex. On a read error it returns the error alone.
func Checksum(r io.Reader) (size int64, sha string, err error) {
	h := newHashReader(r)
	if _, err := io.Copy(io.Discard, h); err != nil {
		return 0, "", fmt.Errorf("backup: checksum: %w", err)
	}
	return h.n, h.sum(), nil
}

// hashReader passes reads through, hashing and counting what it returns, and
// keeps the first error of the underlying reader other than io.EOF, so that a
// caller can tell a failing source from a failing consumer.
type hashReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func newHashReader(r io.Reader) *hashReader { return &hashReader{r: r, h: sha256.New()} }

func (hr *hashReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	hr.n += int64(n)
	if err != nil && err != io.EOF && hr.err == nil {
		hr.err = err
	}
	return n, err
}

func (hr *hashReader) sum() string { return hex.EncodeToString(hr.h.Sum(nil)) }

// hashWriter passes writes through, hashing and counting what was written, and
// keeps the first error of the underlying writer.
type hashWriter struct {
	w   io.Writer
	h   hash.Hash
	n   int64
	err error
}

func newHashWriter(w io.Writer) *hashWriter { return &hashWriter{w: w, h: sha256.New()} }

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	if n < 0 || n > len(p) {
		n, err = 0, fmt.Errorf("invalid write count %d", n)
	}
	hw.h.Write(p[:n])
	hw.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil && hw.err == nil {
		hw.err = err
	}
	return n, err
}

func (hw *hashWriter) sum() string { return hex.EncodeToString(hw.h.Sum(nil)) }
