package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
)

// marker stands for personal data in a snapshot; it must never show in a
// ciphertext.
const marker = "anna.schmidt@example.org"

func newIdentity(tb testing.TB) *age.X25519Identity {
	tb.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		tb.Fatalf("GenerateX25519Identity: %v", err)
	}
	return id
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// plaintext returns n bytes of a fake snapshot: the marker among bytes
// that do not repeat with the 64 KiB chunks of age.
func plaintext(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	for i := 0; i+len(marker) <= n; i += 10007 {
		copy(b[i:], marker)
	}
	return b
}

// encrypt encrypts plain to recipients and checks the returned sums against
// sums computed independently.
func encrypt(tb testing.TB, plain []byte, recipients ...age.Recipient) []byte {
	tb.Helper()
	var buf bytes.Buffer
	got, err := Encrypt(&buf, bytes.NewReader(plain), recipients...)
	if err != nil {
		tb.Fatalf("Encrypt(%d bytes) = %v", len(plain), err)
	}
	want := Sums{PlainSize: int64(len(plain)), PlainSHA256: sha(plain), CipherSize: int64(buf.Len()), CipherSHA256: sha(buf.Bytes())}
	if got != want {
		tb.Fatalf("Encrypt(%d bytes) = %+v, want %+v", len(plain), got, want)
	}
	return buf.Bytes()
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	alice, bob := newIdentity(t), newIdentity(t)
	const chunk = 64 << 10 // age's plaintext chunk size
	tests := []struct {
		name       string
		size       int
		recipients []age.Recipient
		identities []*age.X25519Identity
	}{
		{"empty, one recipient", 0, []age.Recipient{alice.Recipient()}, []*age.X25519Identity{alice}},
		{"one byte", 1, []age.Recipient{alice.Recipient()}, []*age.X25519Identity{alice}},
		{"a chunk less one", chunk - 1, []age.Recipient{alice.Recipient()}, []*age.X25519Identity{alice}},
		{"exactly one chunk", chunk, []age.Recipient{alice.Recipient()}, []*age.X25519Identity{alice}},
		{"a chunk and one", chunk + 1, []age.Recipient{alice.Recipient()}, []*age.X25519Identity{alice}},
		{"exactly three chunks", 3 * chunk, []age.Recipient{alice.Recipient()}, []*age.X25519Identity{alice}},
		{"two recipients, each decrypts", 200_000, []age.Recipient{alice.Recipient(), bob.Recipient()}, []*age.X25519Identity{alice, bob}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := plaintext(tt.size)
			cipher := encrypt(t, plain, tt.recipients...)
			for _, id := range tt.identities {
				var out bytes.Buffer
				got, err := Decrypt(&out, bytes.NewReader(cipher), id)
				if err != nil {
					t.Fatalf("Decrypt with %s = %v", id.Recipient(), err)
				}
				want := Sums{PlainSize: int64(len(plain)), PlainSHA256: sha(plain), CipherSize: int64(len(cipher)), CipherSHA256: sha(cipher)}
				if got != want {
					t.Errorf("Decrypt with %s = %+v, want %+v", id.Recipient(), got, want)
				}
				if !bytes.Equal(out.Bytes(), plain) {
					t.Errorf("Decrypt with %s wrote %d bytes that differ from the %d bytes encrypted", id.Recipient(), out.Len(), len(plain))
				}
			}
		})
	}
}

func TestDecryptTriesEveryIdentity(t *testing.T) {
	alice, bob := newIdentity(t), newIdentity(t)
	plain := plaintext(1000)
	cipher := encrypt(t, plain, bob.Recipient())
	var out bytes.Buffer
	if _, err := Decrypt(&out, bytes.NewReader(cipher), alice, bob); err != nil {
		t.Fatalf("Decrypt(alice, bob) of a file for bob = %v", err)
	}
	if !bytes.Equal(out.Bytes(), plain) {
		t.Errorf("Decrypt(alice, bob) wrote other bytes than encrypted")
	}
}

func TestEncryptHidesPlaintext(t *testing.T) {
	plain := plaintext(300_000)
	if n := bytes.Count(plain, []byte(marker)); n < 20 {
		t.Fatalf("plaintext holds the marker %d times, want at least 20", n)
	}
	cipher := encrypt(t, plain, newIdentity(t).Recipient())
	for _, needle := range []string{marker, "example.org", "anna"} {
		if bytes.Contains(cipher, []byte(needle)) {
			t.Errorf("ciphertext contains %q", needle)
		}
	}
}

func TestEncryptNoRecipients(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Encrypt(&buf, strings.NewReader("x")); err == nil {
		t.Errorf("Encrypt without recipients = nil error, want an error")
	}
	if buf.Len() != 0 {
		t.Errorf("Encrypt without recipients wrote %d bytes, want 0", buf.Len())
	}
	if _, err := Decrypt(io.Discard, bytes.NewReader(encrypt(t, []byte("x"), newIdentity(t).Recipient()))); err == nil {
		t.Errorf("Decrypt without identities = nil error, want an error")
	}
}

// headerEnd returns the offset of the first byte after an age header.
func headerEnd(tb testing.TB, cipher []byte) int {
	tb.Helper()
	i := bytes.Index(cipher, []byte("\n--- "))
	if i < 0 {
		tb.Fatalf("no age header footer in ciphertext")
	}
	return i + 1 + bytes.IndexByte(cipher[i+1:], '\n') + 1
}

func TestDecryptDamaged(t *testing.T) {
	alice, mallory := newIdentity(t), newIdentity(t)
	plain := plaintext(200_000) // four chunks: the last one short
	cipher := encrypt(t, plain, alice.Recipient())
	hdr := headerEnd(t, cipher)
	payload := hdr + 16 // the 16-byte stream nonce follows the header
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte { b[i] ^= 0x01; return b }
	}
	cut := func(n int) func([]byte) []byte {
		return func(b []byte) []byte { return b[:n] }
	}
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		ids    []age.Identity
		want   error
	}{
		{"one byte flipped in the middle", flip(len(cipher) / 2), nil, ErrCorrupt},
		{"last byte flipped", flip(len(cipher) - 1), nil, ErrCorrupt},
		{"first payload byte flipped", flip(payload), nil, ErrCorrupt},
		{"nonce byte flipped", flip(hdr), nil, ErrCorrupt},
		{"header MAC flipped", flip(hdr - 3), nil, ErrCorrupt},
		{"intro flipped", flip(2), nil, ErrCorrupt},
		{"truncated by one byte", cut(len(cipher) - 1), nil, ErrCorrupt},
		{"truncated to half", cut(len(cipher) / 2), nil, ErrCorrupt},
		{"truncated at a chunk boundary", cut(payload + 2*(64<<10+16)), nil, ErrCorrupt},
		{"truncated after the header", cut(hdr), nil, ErrCorrupt},
		{"truncated inside the header", cut(hdr / 2), nil, ErrCorrupt},
		{"empty", cut(0), nil, ErrCorrupt},
		{"trailing byte", func(b []byte) []byte { return append(b, 0) }, nil, ErrCorrupt},
		{"a zip, not an age file", func([]byte) []byte { return []byte("PK\x03\x04" + marker) }, nil, ErrCorrupt},
		{"wrong identity", func(b []byte) []byte { return b }, []age.Identity{mallory}, ErrWrongIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := tt.ids
			if ids == nil {
				ids = []age.Identity{alice}
			}
			damaged := tt.mutate(bytes.Clone(cipher))
			got, err := Decrypt(io.Discard, bytes.NewReader(damaged), ids...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decrypt(%s) = %v, want an error wrapping %v", tt.name, err, tt.want)
			}
			for _, other := range []error{ErrCorrupt, ErrWrongIdentity} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("Decrypt(%s) = %v, also wraps %v", tt.name, err, other)
				}
			}
			if got != (Sums{}) {
				t.Errorf("Decrypt(%s) returned sums %+v with its error, want zero Sums", tt.name, got)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tt.want.Error()+": ") || strings.Contains(msg, marker) {
				t.Errorf("Decrypt(%s) error %q, want %q and a detail, without plaintext", tt.name, msg, tt.want.Error())
			}
		})
	}
}

// failAfter writes or reads through until n bytes have passed, then fails.
type failAfter struct {
	w   io.Writer
	r   io.Reader
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n, _ := f.w.Write(p[:f.n])
		f.n -= n
		return n, f.err
	}
	n, err := f.w.Write(p)
	f.n -= n
	return n, err
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	n, err := f.r.Read(p[:min(len(p), f.n)])
	f.n -= n
	return n, err
}

func TestStreamIOErrors(t *testing.T) {
	id := newIdentity(t)
	plain := plaintext(300_000)
	cipher := encrypt(t, plain, id.Recipient())
	errDisk := syscall.ENOSPC
	errNet := errors.New("connection reset")
	tests := []struct {
		name string
		run  func() (Sums, error)
		want error
	}{
		{"encrypt, writing fails", func() (Sums, error) {
			return Encrypt(&failAfter{w: io.Discard, n: 100_000, err: errDisk}, bytes.NewReader(plain), id.Recipient())
		}, errDisk},
		{"encrypt, writing the header fails", func() (Sums, error) {
			return Encrypt(&failAfter{w: io.Discard, n: 10, err: errDisk}, bytes.NewReader(plain), id.Recipient())
		}, errDisk},
		{"encrypt, reading fails", func() (Sums, error) {
			return Encrypt(io.Discard, &failAfter{r: bytes.NewReader(plain), n: 100_000, err: errNet}, id.Recipient())
		}, errNet},
		{"decrypt, writing fails", func() (Sums, error) {
			return Decrypt(&failAfter{w: io.Discard, n: 100_000, err: errDisk}, bytes.NewReader(cipher), id)
		}, errDisk},
		{"decrypt, reading the payload fails", func() (Sums, error) {
			return Decrypt(io.Discard, &failAfter{r: bytes.NewReader(cipher), n: 100_000, err: errNet}, id)
		}, errNet},
		{"decrypt, reading the header fails", func() (Sums, error) {
			return Decrypt(io.Discard, &failAfter{r: bytes.NewReader(cipher), n: 20, err: errNet}, id)
		}, errNet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.run()
			if !errors.Is(err, tt.want) {
				t.Fatalf("%s: err = %v, want an error wrapping %v", tt.name, err, tt.want)
			}
			if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrWrongIdentity) {
				t.Errorf("%s: err = %v, an I/O failure must not read as damage or a wrong key", tt.name, err)
			}
			if got != (Sums{}) {
				t.Errorf("%s: sums = %+v with an error, want zero", tt.name, got)
			}
		})
	}
}

func TestChecksum(t *testing.T) {
	for _, n := range []int{0, 1, 1 << 20} {
		b := plaintext(n)
		size, sum, err := Checksum(bytes.NewReader(b))
		if err != nil || size != int64(n) || sum != sha(b) {
			t.Errorf("Checksum(%d bytes) = %d, %s, %v; want %d, %s, nil", n, size, sum, err, n, sha(b))
		}
	}
	if _, _, err := Checksum(&failAfter{r: strings.NewReader("abc"), n: 2, err: syscall.EIO}); !errors.Is(err, syscall.EIO) {
		t.Errorf("Checksum(failing reader) = %v, want an error wrapping EIO", err)
	}
}

// pattern is an io.Reader of n generated bytes, so that a large stream needs
// no memory; read counts what it has handed out.
type pattern struct {
	n, off int64
	read   atomic.Int64
}

var patternBlock = plaintext(4093) // a prime length: never aligned with age's chunks

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := 0; i < len(b); {
		i += copy(b[i:], patternBlock[(p.off+int64(i))%int64(len(patternBlock)):])
	}
	p.off += int64(len(b))
	p.read.Add(int64(len(b)))
	return len(b), nil
}

// lagWriter hashes what it gets and records the largest distance between
// what the source had handed out and what arrived here: a bound on what the
// pipeline holds in between.
type lagWriter struct {
	src     *pattern
	n       int64
	maxLag  int64
	written *hashWriter
}

func (w *lagWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	w.maxLag = max(w.maxLag, w.src.read.Load()-w.n)
	return w.written.Write(p)
}

// TestStreamLarge pipes 64 MiB through Encrypt into Decrypt and checks that
// neither holds the stream: the plaintext arrives while the source is still
// being read, and the heap stays far below the stream's size.
func TestStreamLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB stream")
	}
	const size = 64 << 20
	wantSum := newHashWriter(io.Discard)
	if _, err := io.Copy(wantSum, &pattern{n: size}); err != nil {
		t.Fatal(err)
	}
	id := newIdentity(t)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	})

	src := &pattern{n: size}
	pr, pw := io.Pipe()
	encDone := make(chan Sums, 1)
	go func() {
		s, err := Encrypt(pw, src, id.Recipient())
		pw.CloseWithError(err)
		encDone <- s
	}()
	dst := &lagWriter{src: src, written: newHashWriter(io.Discard)}
	dec, err := Decrypt(dst, pr, id)
	pr.CloseWithError(err)
	enc := <-encDone
	close(stop)
	sampler.Wait()
	if err != nil {
		t.Fatalf("Decrypt(64 MiB) = %v", err)
	}

	want := wantSum.sum()
	if enc.PlainSize != size || enc.PlainSHA256 != want || dec.PlainSize != size || dec.PlainSHA256 != want || dst.written.sum() != want {
		t.Errorf("64 MiB stream: Encrypt %+v, Decrypt %+v, written %s; want plain %d bytes %s", enc, dec, dst.written.sum(), size, want)
	}
	if enc.CipherSize != dec.CipherSize || enc.CipherSHA256 != dec.CipherSHA256 || enc.CipherSize <= size {
		t.Errorf("64 MiB stream: Encrypt cipher %d %s, Decrypt cipher %d %s; want equal and larger than the plaintext",
			enc.CipherSize, enc.CipherSHA256, dec.CipherSize, dec.CipherSHA256)
	}
	if dst.maxLag > 1<<20 {
		t.Errorf("64 MiB stream: up to %d bytes read but not yet decrypted, want under 1 MiB", dst.maxLag)
	}
	if growth := int64(peak) - int64(base); growth > 16<<20 {
		t.Errorf("64 MiB stream: heap grew by %d MiB, want under 16 MiB", growth>>20)
	}
	t.Logf("64 MiB stream: lag %d KiB, heap growth %d KiB", dst.maxLag>>10, (int64(peak)-int64(base))>>10)
}
