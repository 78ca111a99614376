package backup

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"filippo.io/age"
)

// Keygen writes a new age X25519 identity to path and returns its recipient
// (the "age1..." public key to give to ParseRecipients on the server).
//
// The file is created with O_EXCL and mode 0600 exactly, so Keygen never
// overwrites a key: if path exists the error wraps fs.ErrExist. Its content is
// what age-keygen writes, so the age CLI can decrypt with it:
//
//	# created: 2026-11-24T02:05:00Z
//	# public key: age1...
//	AGE-SECRET-KEY-1...
//
// On any other error the partly written file is removed. Keygen reads the
// clock, for the "# created" comment only.
//
// NB! The file holds the secret key that opens every backup. Keep it off the
// server that takes the backups (which needs the recipient only), and keep a
// second copy: a lost identity makes every backup unreadable.
func Keygen(path string) (recipient string, err error) {
	return keygen(path, time.Now())
}

// keygen is Keygen with the creation time as an argument, for tests.
func keygen(path string, now time.Time) (recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", fmt.Errorf("backup: keygen %q: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("backup: keygen: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path) // O_EXCL above: the file is ours
		}
	}()
	// The umask may have narrowed 0600; the owner must be able to read it.
	if err := f.Chmod(0o600); err != nil {
		return "", fmt.Errorf("backup: keygen %q: %w", path, err)
	}
	recipient = id.Recipient().String()
	content := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n",
		now.UTC().Format(time.RFC3339), recipient, id.String())
	if _, err := f.WriteString(content); err != nil {
		return "", fmt.Errorf("backup: keygen %q: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("backup: keygen %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("backup: keygen %q: %w", path, err)
	}
	return recipient, nil
}

// ParseRecipients parses age public keys, one a line, as they come from a
// configuration value or a recipients file. Surrounding white space is
// trimmed; blank lines and lines starting with "#" are skipped. It accepts
// X25519 recipients ("age1...") and age's post-quantum hybrid recipients
// ("age1pq1..."), but not a mix of the two, which age would refuse to encrypt
// to. No recipient at all is an error, never an empty list.
//
// Errors name the line (1-based) but never echo a line that is not a public
// key: a secret key pasted by mistake ("AGE-SECRET-KEY-...") is refused with
// an error that says so without repeating it.
func ParseRecipients(lines []string) ([]age.Recipient, error) {
	var (
		rs             []age.Recipient
		hybrid, x25519 bool
	)
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var (
			r   age.Recipient
			err error
		)
		switch {
		case strings.HasPrefix(strings.ToUpper(line), "AGE-SECRET-KEY-"):
			return nil, fmt.Errorf("backup: parse recipients: line %d is a secret key, not a recipient; keep identities off the server", i+1)
		case strings.ContainsAny(line, "\r\n"):
			return nil, fmt.Errorf("backup: parse recipients: line %d holds a line break", i+1)
		case strings.HasPrefix(line, "age1pq1"):
			r, err = age.ParseHybridRecipient(line)
			hybrid = true
		case strings.HasPrefix(line, "age1"):
			r, err = age.ParseX25519Recipient(line)
			x25519 = true
		default:
			return nil, fmt.Errorf("backup: parse recipients: line %d is not an age recipient (want age1...)", i+1)
		}
		if err != nil {
			return nil, fmt.Errorf("backup: parse recipients: line %d: %w", i+1, err)
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, errors.New("backup: parse recipients: no recipients")
	}
	if hybrid && x25519 {
		return nil, errors.New("backup: parse recipients: post-quantum (age1pq1...) and X25519 recipients cannot be mixed")
	}
	return rs, nil
}

// LoadIdentities reads an age identity file (as written by Keygen or
// age-keygen; see age.ParseIdentities) and returns its identities, at least
// one.
//
// It refuses a file that is not a regular file, and a file whose mode lets
// its group or others in (mode & 0o077 != 0) with an error wrapping
// ErrIdentityPermissions, before reading a byte of it: a secret key that
// others could read must be replaced, not used. The check is of the opened
// file, so a symlink is judged by its target.
func LoadIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("backup: load identities: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("backup: load identities %q: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("backup: load identities %q: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %q has mode %#o, want 0600 (chmod 600 it, and consider the key leaked)",
			ErrIdentityPermissions, path, perm)
	}
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("backup: load identities %q: %w", path, err)
	}
	return ids, nil
}
