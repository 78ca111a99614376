package backup

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

func TestKeygen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backup.key")
	now := time.Date(2026, time.November, 24, 3, 5, 0, 0, time.FixedZone("CET", 3600))
	recipient, err := keygen(path, now)
	if err != nil {
		t.Fatalf("keygen(%s) = %v", path, err)
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode(); got != 0o600 {
		t.Errorf("keygen wrote mode %v, want -rw-------", got)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 3 || lines[0] != "# created: 2026-11-24T02:05:00Z" || lines[1] != "# public key: "+recipient ||
		!strings.HasPrefix(lines[2], "AGE-SECRET-KEY-1") {
		t.Errorf("keygen wrote\n%s\nwant the created and public key comments, then the secret key", b)
	}
	if !strings.HasPrefix(recipient, "age1") {
		t.Errorf("keygen returned recipient %q, want age1...", recipient)
	}

	// The recipient belongs to the identity: a backup to it decrypts with the file.
	ids, err := LoadIdentities(path)
	if err != nil {
		t.Fatalf("LoadIdentities(keygen's file) = %v", err)
	}
	if len(ids) != 1 || ids[0].(*age.X25519Identity).Recipient().String() != recipient {
		t.Errorf("LoadIdentities(keygen's file) = %v, want the one identity of %s", ids, recipient)
	}
	rs, err := ParseRecipients([]string{recipient})
	if err != nil {
		t.Fatalf("ParseRecipients(keygen's recipient) = %v", err)
	}
	var out bytes.Buffer
	if _, err := Decrypt(&out, bytes.NewReader(encrypt(t, []byte(marker), rs...)), ids...); err != nil || out.String() != marker {
		t.Errorf("Decrypt(to keygen's recipient, with its file) = %q, %v; want %q, nil", out.String(), err, marker)
	}
}

func TestKeygenNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backup.key")
	if _, err := Keygen(path); err != nil {
		t.Fatalf("Keygen(%s) = %v", path, err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Keygen(path); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Keygen(existing file) = %v, want an error wrapping fs.ErrExist", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("Keygen(existing file) changed the file")
	}

	if err := os.Symlink(filepath.Join(t.TempDir(), "target"), path+".link"); err != nil {
		t.Fatal(err)
	}
	if _, err := Keygen(path + ".link"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Keygen(dangling symlink) = %v, want an error wrapping fs.ErrExist", err)
	}

	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "backup.key")
	if _, err := Keygen(missing); err == nil || errors.Is(err, fs.ErrExist) {
		t.Errorf("Keygen(in a missing directory) = %v, want an error, not fs.ErrExist", err)
	}
}

func TestLoadIdentitiesPermissions(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.key")
	if _, err := keygen(src, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode    fs.FileMode
		refused bool
	}{
		{0o600, false},
		{0o400, false},
		{0o700, false},
		{0o644, true},
		{0o640, true},
		{0o604, true},
		{0o660, true},
		{0o610, true},
		{0o601, true},
		{0o666, true},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			path := filepath.Join(dir, "key-"+tt.mode.String())
			if err := os.WriteFile(path, key, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			ids, err := LoadIdentities(path)
			if tt.refused {
				if !errors.Is(err, ErrIdentityPermissions) || ids != nil {
					t.Errorf("LoadIdentities(mode %v) = %v, %v; want nil, an error wrapping ErrIdentityPermissions", tt.mode, ids, err)
				}
				if err != nil && strings.Contains(err.Error(), "AGE-SECRET-KEY") {
					t.Errorf("LoadIdentities(mode %v) error %q shows the key", tt.mode, err)
				}
				return
			}
			if err != nil || len(ids) != 1 {
				t.Errorf("LoadIdentities(mode %v) = %v, %v; want one identity", tt.mode, ids, err)
			}
		})
	}
}

func TestLoadIdentitiesRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	recipient := newIdentity(t).Recipient().String()
	tests := []struct {
		name string
		path string
	}{
		{"missing", filepath.Join(dir, "missing.key")},
		{"a directory", t.TempDir()},
		{"empty", write("empty.key", "")},
		{"comments only", write("comments.key", "# created: now\n\n")},
		{"a recipient, not an identity", write("recipient.key", recipient+"\n")},
		{"garbage", write("garbage.key", "AGE-SECRET-KEY-1NOTAKEY\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := LoadIdentities(tt.path)
			if err == nil || ids != nil {
				t.Errorf("LoadIdentities(%s) = %v, %v; want nil and an error", tt.name, ids, err)
			}
			if errors.Is(err, ErrIdentityPermissions) {
				t.Errorf("LoadIdentities(%s) = %v, not a permissions problem", tt.name, err)
			}
		})
	}
	if _, err := LoadIdentities(filepath.Join(dir, "missing.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadIdentities(missing) = %v, want an error wrapping fs.ErrNotExist", err)
	}
}

func TestParseRecipients(t *testing.T) {
	alice, bob := newIdentity(t), newIdentity(t)
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	a, b, p := alice.Recipient().String(), bob.Recipient().String(), pq.Recipient().String()
	tests := []struct {
		name  string
		lines []string
		want  []string // recipients, in order; nil: an error
	}{
		{"one", []string{a}, []string{a}},
		{"two, with comments, blanks and spaces", []string{"# office", "", "  " + a + "\t", "# home", b, "   "}, []string{a, b}},
		{"post-quantum", []string{p}, []string{p}},
		{"none", nil, nil},
		{"only comments and blanks", []string{"# nobody", "", " "}, nil},
		{"a secret key", []string{a, alice.String()}, nil},
		{"a secret key in lowercase", []string{strings.ToLower(alice.String())}, nil},
		{"malformed", []string{a, a[:len(a)-1]}, nil},
		{"not age", []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO"}, nil},
		{"two on one line", []string{a + "\n" + b}, nil},
		{"post-quantum and classic mixed", []string{a, p}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := ParseRecipients(tt.lines)
			if tt.want == nil {
				if err == nil || rs != nil {
					t.Fatalf("ParseRecipients(%s) = %v, %v; want nil and an error", tt.name, rs, err)
				}
				if strings.Contains(strings.ToUpper(err.Error()), "AGE-SECRET-KEY-1") {
					t.Errorf("ParseRecipients(%s) error %q shows a secret key", tt.name, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRecipients(%s) = %v", tt.name, err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.(interface{ String() string }).String())
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("ParseRecipients(%s) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}

	// A post-quantum recipient works end to end.
	rs, err := ParseRecipients([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := Decrypt(&out, bytes.NewReader(encrypt(t, []byte(marker), rs...)), pq); err != nil || out.String() != marker {
		t.Errorf("Decrypt(post-quantum) = %q, %v; want %q, nil", out.String(), err, marker)
	}
	if _, err := Decrypt(io.Discard, bytes.NewReader(encrypt(t, []byte(marker), rs...)), alice); !errors.Is(err, ErrWrongIdentity) {
		t.Errorf("Decrypt(post-quantum file, X25519 identity) = %v, want ErrWrongIdentity", err)
	}
}
