package backup

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
)

func TestFileName(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, time.November, 24, 2, 5, 0, 0, time.UTC), "reserva-20261124T020500Z.age"},
		{time.Date(2026, time.November, 24, 3, 5, 0, 999_999_999, berlin), "reserva-20261124T020500Z.age"},
		{time.Date(2026, time.January, 1, 0, 30, 0, 0, berlin), "reserva-20251231T233000Z.age"},
	}
	for _, tt := range tests {
		got := FileName(tt.t)
		if got != tt.want {
			t.Errorf("FileName(%v) = %q, want %q", tt.t, got, tt.want)
		}
		back, ok := ParseFileName(got)
		if !ok || !back.Equal(tt.t.Truncate(time.Second)) || back.Location() != time.UTC {
			t.Errorf("ParseFileName(%q) = %v, %v; want %v in UTC, true", got, back, ok, tt.t.Truncate(time.Second).UTC())
		}
	}
	if got, want := ManifestName("reserva-20261124T020500Z.age"), "reserva-20261124T020500Z.age.json"; got != want {
		t.Errorf("ManifestName = %q, want %q", got, want)
	}
}

func TestParseFileNameRefuses(t *testing.T) {
	for _, name := range []string{
		"",
		"reserva-20261124T020500Z.age.json",
		".reserva-20261124T020500Z.age.tmp-123",
		"reserva-20261124T020500Z.age.tmp",
		"dir/reserva-20261124T020500Z.age",
		"reserva-20261124T020500Z.AGE",
		"Reserva-20261124T020500Z.age",
		"reserva-20261124t020500z.age",
		"reserva-20261124T020500.age",
		"reserva-20261124T0205Z.age",
		"reserva-20261124T020500Z0.age",
		"reserva-2026-11-24T02:05:00Z.age",
		"reserva-20261324T020500Z.age",
		"reserva-20260230T000000Z.age",
		"reserva-20261124T250000Z.age",
		"reserva-+0261124T020500Z.age",
		"reserva-.age",
		"backup-20261124T020500Z.age",
	} {
		if got, ok := ParseFileName(name); ok {
			t.Errorf("ParseFileName(%q) = %v, true; want false", name, got)
		}
	}
}

func validManifest() Manifest {
	return Manifest{
		File:         "reserva-20261124T020500Z.age",
		Created:      time.Date(2026, time.November, 24, 2, 5, 0, 123_000_000, time.UTC),
		PlainSize:    1234,
		CipherSize:   1500,
		PlainSHA256:  strings.Repeat("ab", 32),
		CipherSHA256: strings.Repeat("0f", 32),
		Rows:         map[string]int64{"venue": 1, "bookings": 240, "customers": 180, "audit_log": 0},
		AppVersion:   "v1.2.3",
		DataHash:     "9c1e-opaque",
	}
}

func TestManifestEncode(t *testing.T) {
	m := validManifest()
	m.Created = m.Created.In(time.FixedZone("CET", 3600))
	got, err := m.Encode()
	if err != nil {
		t.Fatalf("Encode = %v", err)
	}
	want := `{
  "file": "reserva-20261124T020500Z.age",
  "created": "2026-11-24T02:05:00.123Z",
  "plain_size": 1234,
  "cipher_size": 1500,
  "plain_sha256": "abababababababababababababababababababababababababababababababab",
  "cipher_sha256": "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
  "rows": {
    "audit_log": 0,
    "bookings": 240,
    "customers": 180,
    "venue": 1
  },
  "app_version": "v1.2.3",
  "data_hash": "9c1e-opaque"
}
`
	if string(got) != want {
		t.Errorf("Encode =\n%s\nwant\n%s", got, want)
	}

	back, err := DecodeManifest(got)
	if err != nil {
		t.Fatalf("DecodeManifest(Encode) = %v", err)
	}
	if want := validManifest(); !reflect.DeepEqual(back, want) {
		t.Errorf("DecodeManifest(Encode) = %+v, want %+v", back, want)
	}

	m.Rows = nil
	got, err = m.Encode()
	if err != nil || !bytes.Contains(got, []byte(`"rows": {}`)) {
		t.Errorf("Encode(no rows) = %s, %v; want \"rows\": {}", got, err)
	}
}

func TestManifestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Manifest)
	}{
		{"no file", func(m *Manifest) { m.File = "" }},
		{"a path as file", func(m *Manifest) { m.File = "/var/backups/" + m.File }},
		{"no created", func(m *Manifest) { m.Created = time.Time{} }},
		{"negative size", func(m *Manifest) { m.CipherSize = -1 }},
		{"short sum", func(m *Manifest) { m.PlainSHA256 = m.PlainSHA256[:63] }},
		{"uppercase sum", func(m *Manifest) { m.CipherSHA256 = strings.ToUpper(m.CipherSHA256) }},
		{"negative rows", func(m *Manifest) { m.Rows["bookings"] = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validManifest()
			tt.mutate(&m)
			if b, err := m.Encode(); err == nil {
				t.Errorf("Encode(%s) = %s, want an error", tt.name, b)
			}
		})
	}
}

func TestDecodeManifestRefuses(t *testing.T) {
	good, err := validManifest().Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeManifest(good); err != nil {
		t.Fatalf("DecodeManifest(good) = %v", err)
	}
	sub := func(old, new string) []byte {
		t.Helper()
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("manifest has no %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	sum := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"null", []byte("null")},
		{"an array", []byte("[]")},
		{"unknown field", sub(`"data_hash"`, `"guest_email": "anna@example.org", "data_hash"`)},
		{"duplicate field", sub(`"data_hash"`, `"file": "reserva-20261124T030500Z.age", "data_hash"`)},
		{"field in other case", sub(`"file"`, `"File"`)},
		{"trailing data", append(bytes.Clone(good), []byte(`{}`)...)},
		{"a second object", append(bytes.Clone(good), good...)},
		{"missing file", sub(`"file": "reserva-20261124T020500Z.age",`, ``)},
		{"bad file name", sub(`reserva-20261124T020500Z.age`, `reserva-latest.age`)},
		{"file with a path", sub(`"reserva-20261124T020500Z.age"`, `"../reserva-20261124T020500Z.age"`)},
		{"missing created", sub(`"created": "2026-11-24T02:05:00.123Z",`, ``)},
		{"created not a time", sub(`"2026-11-24T02:05:00.123Z"`, `"yesterday"`)},
		{"negative plain size", sub(`"plain_size": 1234`, `"plain_size": -1`)},
		{"negative cipher size", sub(`"cipher_size": 1500`, `"cipher_size": -1500`)},
		{"size as string", sub(`"plain_size": 1234`, `"plain_size": "1234"`)},
		{"fractional size", sub(`"plain_size": 1234`, `"plain_size": 12.5`)},
		{"short plain sum", sub(sum, sum[:62])},
		{"long plain sum", sub(sum, sum+"ab")},
		{"uppercase plain sum", sub(sum, strings.ToUpper(sum))},
		{"non-hex cipher sum", sub(strings.Repeat("0f", 32), strings.Repeat("0g", 32))},
		{"missing cipher sum", sub(`"cipher_sha256": "`+strings.Repeat("0f", 32)+`",`, ``)},
		{"negative rows", sub(`"bookings": 240`, `"bookings": -240`)},
		{"rows not counts", sub(`"bookings": 240`, `"bookings": "many"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, err := DecodeManifest(tt.in); err == nil {
				t.Errorf("DecodeManifest(%s) = %+v, want an error", tt.name, m)
			}
		})
	}
}

func TestDecodeManifestCreatedInUTC(t *testing.T) {
	b, err := validManifest().Encode()
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"2026-11-24T02:05:00.123Z"`), []byte(`"2026-11-24T03:05:00.123+01:00"`), 1)
	m, err := DecodeManifest(b)
	if err != nil {
		t.Fatalf("DecodeManifest(created with an offset) = %v", err)
	}
	if want := validManifest().Created; m.Created != want {
		t.Errorf("DecodeManifest(created with an offset).Created = %v, want %v", m.Created, want)
	}
}

// backupOf encrypts plain to id and returns the ciphertext and its manifest.
func backupOf(tb testing.TB, plain []byte, id *age.X25519Identity) ([]byte, Manifest) {
	tb.Helper()
	var buf bytes.Buffer
	s, err := Encrypt(&buf, bytes.NewReader(plain), id.Recipient())
	if err != nil {
		tb.Fatal(err)
	}
	m := Manifest{
		File: FileName(time.Date(2026, time.November, 24, 2, 5, 0, 0, time.UTC)), Created: time.Date(2026, time.November, 24, 2, 5, 0, 0, time.UTC),
		PlainSize: s.PlainSize, CipherSize: s.CipherSize, PlainSHA256: s.PlainSHA256, CipherSHA256: s.CipherSHA256,
	}
	return buf.Bytes(), m
}

func TestVerify(t *testing.T) {
	id := newIdentity(t)
	cipher, m := backupOf(t, plaintext(150_000), id)
	other, _ := backupOf(t, plaintext(150_000), id) // same plaintext, another file key
	flipped := bytes.Clone(cipher)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name   string
		cipher io.Reader
		m      func(Manifest) Manifest
		want   error
	}{
		{"matches", bytes.NewReader(cipher), nil, nil},
		{"truncated", bytes.NewReader(cipher[:len(cipher)-1]), nil, ErrMismatch},
		{"longer", io.MultiReader(bytes.NewReader(cipher), strings.NewReader("x")), nil, ErrMismatch},
		{"one byte changed", bytes.NewReader(flipped), nil, ErrMismatch},
		{"another encryption of the same data", bytes.NewReader(other), nil, ErrMismatch},
		{"manifest size differs", bytes.NewReader(cipher), func(m Manifest) Manifest { m.CipherSize++; return m }, ErrMismatch},
		{"manifest sum differs", bytes.NewReader(cipher), func(m Manifest) Manifest { m.CipherSHA256 = m.PlainSHA256; return m }, ErrMismatch},
		{"plain sums are not checked", bytes.NewReader(cipher), func(m Manifest) Manifest { m.PlainSize = 1; return m }, nil},
		{"read fails", &failAfter{r: bytes.NewReader(cipher), n: 1000, err: syscall.EIO}, nil, syscall.EIO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mm := m
			if tt.m != nil {
				mm = tt.m(m)
			}
			err := Verify(tt.cipher, mm)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v, want %v", tt.name, err, tt.want)
			}
			if tt.want == syscall.EIO && errors.Is(err, ErrMismatch) {
				t.Errorf("Verify(%s) = %v, a read error is not a mismatch", tt.name, err)
			}
		})
	}
}

func TestVerifyDecrypt(t *testing.T) {
	id, stranger := newIdentity(t), newIdentity(t)
	cipher, m := backupOf(t, plaintext(150_000), id)
	other, om := backupOf(t, plaintext(1000), id)
	flipped := bytes.Clone(cipher)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name   string
		cipher []byte
		m      func(Manifest) Manifest
		id     age.Identity
		want   error
	}{
		{"matches", cipher, nil, id, nil},
		{"plain size differs", cipher, func(m Manifest) Manifest { m.PlainSize--; return m }, id, ErrMismatch},
		{"plain sum differs", cipher, func(m Manifest) Manifest { m.PlainSHA256 = om.PlainSHA256; return m }, id, ErrMismatch},
		{"cipher size differs", cipher, func(m Manifest) Manifest { m.CipherSize = 0; return m }, id, ErrMismatch},
		{"cipher sum differs", cipher, func(m Manifest) Manifest { m.CipherSHA256 = om.CipherSHA256; return m }, id, ErrMismatch},
		{"another valid backup", other, nil, id, ErrMismatch},
		{"one byte changed", flipped, nil, id, ErrCorrupt},
		{"truncated", cipher[:len(cipher)-100], nil, id, ErrCorrupt},
		{"wrong identity", cipher, nil, stranger, ErrWrongIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mm := m
			if tt.m != nil {
				mm = tt.m(m)
			}
			err := VerifyDecrypt(bytes.NewReader(tt.cipher), mm, tt.id)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("VerifyDecrypt(%s) = %v, want %v", tt.name, err, tt.want)
			}
		})
	}

	err := VerifyDecrypt(bytes.NewReader(other), m, id)
	for _, what := range []string{m.File, "cipher size", "cipher sha256", "plain size", "plain sha256"} {
		if err == nil || !strings.Contains(err.Error(), what) {
			t.Errorf("VerifyDecrypt(another backup) = %v, want it to name %q", err, what)
		}
	}
}
