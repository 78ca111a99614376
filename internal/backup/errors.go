package backup

import "errors"

// Domain failures. Functions of this package return errors that wrap one of
// these values (compare with errors.Is), followed by the detail of the case.
var (
	// ErrWrongIdentity means none of the identities given to Decrypt or
	// VerifyDecrypt can open the backup: it was encrypted to other recipients.
	// A recipient stanza damaged on disk looks the same, because age cannot
	// tell a foreign key from a mangled one.
	ErrWrongIdentity = errors.New("backup: no identity matches the backup's recipients")
	// ErrCorrupt means the ciphertext is not a complete, authentic age file:
	// it is truncated, has trailing data, or a byte of it was changed.
	ErrCorrupt = errors.New("backup: ciphertext is truncated, damaged or tampered with")
	// ErrMismatch means a backup file's sizes or SHA-256 sums differ from
	// those its manifest records.
	ErrMismatch = errors.New("backup: file does not match its manifest")
	// ErrIdentityPermissions means an identity file can be read by its group
	// or by others (mode & 0o077 != 0), so the secret key may have leaked.
	ErrIdentityPermissions = errors.New("backup: identity file is accessible by group or others")
	// ErrUnsafeArchive means a zip archive holds an entry that could write
	// outside the target directory (absolute path, "..", a symlink, a device),
	// an ambiguous entry (a duplicate, a file where a directory must be), or
	// more data than the size cap.
	ErrUnsafeArchive = errors.New("backup: unsafe archive")
)
