package backup

import (
	"encoding/json/jsontext"
	"encoding/json/v2"
	"fmt"
	"io"
	"strings"
	"time"

	"filippo.io/age"
)

// fileTimeLayout is the UTC timestamp in backup file names.
const fileTimeLayout = "20060102T150405Z"

// Manifest is the plain-JSON sidecar of one backup file (ManifestName). It
// holds sizes, sums, row counts and versions only, never personal data, so it
// can be listed, checked (Verify) and compared without any key.
type Manifest struct {
	File         string           `json:"file"`          // the backup's base name, "reserva-20261124T020500Z.age"
	Created      time.Time        `json:"created"`       // when the snapshot was taken, UTC
	PlainSize    int64            `json:"plain_size"`    // bytes of the PocketBase zip
	CipherSize   int64            `json:"cipher_size"`   // bytes of the age file
	PlainSHA256  string           `json:"plain_sha256"`  // of the zip, lowercase hex
	CipherSHA256 string           `json:"cipher_sha256"` // of the age file, lowercase hex
	Rows         map[string]int64 `json:"rows"`          // row count per collection
	AppVersion   string           `json:"app_version"`   // the Reserva version that took it
	DataHash     string           `json:"data_hash"`     // opaque fingerprint of the data, to skip unchanged snapshots
}

// FileName returns the backup file name for the instant t, in UTC to the
// second: "reserva-20261124T020500Z.age". Names sort like their times.
func FileName(t time.Time) string {
	return "reserva-" + t.UTC().Format(fileTimeLayout) + ".age"
}

// ParseFileName returns the UTC instant a backup file name encodes, and
// whether name is exactly such a name (as FileName writes it). A path, a
// manifest name, a temporary file or any other name gives false.
func ParseFileName(name string) (time.Time, bool) {
	stamp, ok := strings.CutPrefix(name, "reserva-")
	if !ok {
		return time.Time{}, false
	}
	stamp, ok = strings.CutSuffix(stamp, ".age")
	if !ok || len(stamp) != len(fileTimeLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(fileTimeLayout, stamp)
	if err != nil || FileName(t) != name {
		return time.Time{}, false
	}
	return t, true
}

// ManifestName returns the name of the manifest that sits beside the backup
// file: file + ".json".
func ManifestName(file string) string { return file + ".json" }

// Encode returns the manifest as indented JSON with a final newline, Created
// in UTC and rows sorted by name. It refuses a manifest that DecodeManifest
// would refuse, so what it writes can always be read back.
func (m Manifest) Encode() ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("backup: encode manifest: %w", err)
	}
	m.Created = m.Created.UTC()
	b, err := json.Marshal(m, json.Deterministic(true), jsontext.WithIndent("  "))
	if err != nil {
		return nil, fmt.Errorf("backup: encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// DecodeManifest parses a manifest strictly: one JSON object with exactly the
// field names of Manifest (an unknown, duplicate or differently cased name is
// an error), nothing after it, File a backup file name (ParseFileName),
// Created present, sizes and row counts not negative, and both sums 64
// lowercase hex digits. Created is returned in UTC.
func DecodeManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m, json.RejectUnknownMembers(true)); err != nil {
		return Manifest{}, fmt.Errorf("backup: decode manifest: %w", err)
	}
	if err := m.validate(); err != nil {
		return Manifest{}, fmt.Errorf("backup: decode manifest: %w", err)
	}
	m.Created = m.Created.UTC()
	return m, nil
}

func (m Manifest) validate() error {
	if _, ok := ParseFileName(m.File); !ok {
		return fmt.Errorf("file %q is not a backup file name", m.File)
	}
	if m.Created.IsZero() {
		return fmt.Errorf("created is missing")
	}
	if m.PlainSize < 0 || m.CipherSize < 0 {
		return fmt.Errorf("negative size (plain %d, cipher %d)", m.PlainSize, m.CipherSize)
	}
	if !isSHA256Hex(m.PlainSHA256) {
		return fmt.Errorf("plain_sha256 %q is not 64 lowercase hex digits", m.PlainSHA256)
	}
	if !isSHA256Hex(m.CipherSHA256) {
		return fmt.Errorf("cipher_sha256 %q is not 64 lowercase hex digits", m.CipherSHA256)
	}
	for name, n := range m.Rows {
		if n < 0 {
			return fmt.Errorf("rows[%q] is negative: %d", name, n)
		}
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Verify reads the backup file cipher to its end and checks its size and
// SHA-256 against m. It needs no identity, so the server can run it after
// every backup. A difference gives an error wrapping ErrMismatch that lists
// each difference; a read error is returned as such.
//
// NB! Verify proves the file is the one the manifest describes, not that it
// decrypts: use VerifyDecrypt, off the server or in a restore drill, for that.
func Verify(cipher io.Reader, m Manifest) error {
	h := newHashReader(cipher)
	if _, err := io.Copy(io.Discard, h); err != nil {
		return fmt.Errorf("backup: verify %s: %w", m.File, err)
	}
	return compare(m, Sums{CipherSize: h.n, CipherSHA256: h.sum()}, false)
}

// VerifyDecrypt does what Verify does and also decrypts cipher (to
// io.Discard, streaming) and checks the plaintext's size and SHA-256 against
// m. Errors from decryption are Decrypt's (wrapping ErrWrongIdentity or
// ErrCorrupt); a file that decrypts but differs from m gives ErrMismatch.
func VerifyDecrypt(cipher io.Reader, m Manifest, ids ...age.Identity) error {
	got, err := Decrypt(io.Discard, cipher, ids...)
	if err != nil {
		return err
	}
	return compare(m, got, true)
}

// compare returns an error wrapping ErrMismatch that lists every sum in got
// that differs from m (the plaintext ones only if plain), or nil.
func compare(m Manifest, got Sums, plain bool) error {
	var diffs []string
	diff := func(what string, got, want any) {
		if got != want {
			diffs = append(diffs, fmt.Sprintf("%s is %v, manifest says %v", what, got, want))
		}
	}
	diff("cipher size", got.CipherSize, m.CipherSize)
	diff("cipher sha256", got.CipherSHA256, m.CipherSHA256)
	if plain {
		diff("plain size", got.PlainSize, m.PlainSize)
		diff("plain sha256", got.PlainSHA256, m.PlainSHA256)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrMismatch, m.File, strings.Join(diffs, "; "))
	}
	return nil
}
