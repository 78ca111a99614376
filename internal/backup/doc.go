// Package backup is the pure core of Reserva's encrypted backups: streaming
// age encryption and decryption, atomic file writes, manifests, key files,
// retention and safe extraction for restores.
//
// It imports the standard library, filippo.io/age and klauspost/compress's zstd
// only. It never reads the
// environment, never touches PocketBase or SQLite, and takes the current
// instant (now) as an argument where time matters; Keygen alone reads the
// clock, for the comment it writes into a new key file.
//
// # Files
//
// A backup is two files side by side in the backup directory:
//
//   - reserva-20261124T020500Z.age (FileName): a consistent snapshot (a zip
//     holding data.db, auxiliary.db and the other files of pb_data, its
//     entries compressed with zstd by WriteArchive; earlier versions wrote
//     PocketBase's Deflate zips, which Unzip reads too) as one standard age v1
//     file (age-encryption.org/v1),
//     encrypted to one or more X25519 (or post-quantum hybrid) recipients.
//     The age CLI can decrypt it:
//     age -d -i key.txt reserva-....age > snapshot.zip.
//   - reserva-20261124T020500Z.age.json (ManifestName): a plain-JSON Manifest
//     with the sizes and SHA-256 sums of the zip and of the age file, the row
//     count of each collection, the app version and an opaque fingerprint of
//     the data. It holds no personal data, so it stays unencrypted: a backup
//     can be listed and checked (Verify) without any key.
//
// Both are written with WriteAtomic: a reader sees a complete file or none.
// The time in the name is the snapshot's, in UTC, so names sort by age.
//
// # Keys
//
// The server that takes backups needs only recipients (public "age1..."
// keys, ParseRecipients): it can write backups but not read them. The
// identities (secret "AGE-SECRET-KEY-1..." keys, Keygen, LoadIdentities)
// should live off the server, with whoever restores and on the machine that
// runs restore drills. A server that holds the identity of its own backups
// gives an attacker who takes the server its whole history too.
//
// # Restores
//
// Decrypt the age file into a temporary file (Decrypt, VerifyDecrypt), use it
// only if decryption succeeded, extract it with Unzip into an empty
// directory, and swap that directory in for pb_data while the server is
// stopped.
//
// # Retention
//
// Policy.Expired lists the backups to delete at an instant: by default all
// of the last hour, the newest of each hour for 48 hours, the newest of each
// day for 7 days, and never the newest backup of all.
package backup
