package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// BackupRecord is the record of one backup (or of a failed attempt).
type BackupRecord struct {
	ID              string         `db:"id"`
	File            string         `db:"file"`
	Taken           types.DateTime `db:"taken"`
	Status          BackupStatus   `db:"status"`
	Size            int64          `db:"size"`
	PlainSize       int64          `db:"plain_size"`
	CipherSHA256    string         `db:"cipher_sha256"`
	PlainSHA256     string         `db:"plain_sha256"`
	RowsJSON        types.JSONRaw  `db:"rows"`
	DataHash        string         `db:"data_hash"`
	TookMs          int64          `db:"took_ms"`
	Error           string         `db:"error"`
	VerifiedAt      types.DateTime `db:"verified_at"`
	VerifyResult    string         `db:"verify_result"`
	Offsite         Offsite        `db:"offsite"`
	OffsiteAttempts int            `db:"offsite_attempts"`
	OffsiteError    string         `db:"offsite_error"`
}

// Rows are the row counts of the backup's collections.
func (b *BackupRecord) Rows() map[string]int64 {
	var rows map[string]int64
	_ = json.Unmarshal(b.RowsJSON, &rows)
	return rows
}

// NewBackup is a good backup to record.
type NewBackup struct {
	File                      string
	Taken                     time.Time
	Size, PlainSize           int64
	CipherSHA256, PlainSHA256 string
	Rows                      map[string]int64
	DataHash                  string
	Took                      time.Duration
	Offsite                   Offsite // pending when an off-site store is set up
}

// RecordBackup stores a good backup's record.
func RecordBackup(app core.App, b NewBackup) error {
	rows, err := json.Marshal(b.Rows)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	_, err = app.DB().NewQuery(`INSERT INTO backups (id, file, taken, status, size, plain_size, cipher_sha256, plain_sha256, rows,
		data_hash, took_ms, offsite, created, updated)
		VALUES ({:id}, {:file}, {:taken}, {:ok}, {:size}, {:plain}, {:csum}, {:psum}, {:rows}, {:hash}, {:took}, {:offsite}, {:now}, {:now})`).
		Bind(dbx.Params{"id": newID(), "file": b.File, "taken": DBTime(b.Taken), "ok": string(BackupOK), "size": b.Size,
			"plain": b.PlainSize, "csum": b.CipherSHA256, "psum": b.PlainSHA256, "rows": string(rows), "hash": b.DataHash,
			"took": b.Took.Milliseconds(), "offsite": string(b.Offsite), "now": stamp()}).Execute()
	if err != nil {
		return fmt.Errorf("backup: record %s: %w", b.File, err)
	}
	return nil
}

// RecordBackupFailure stores a failed attempt at now.
func RecordBackupFailure(app core.App, now time.Time, cause string) error {
	_, err := app.DB().NewQuery(`INSERT INTO backups (id, taken, status, error, created, updated)
		VALUES ({:id}, {:taken}, {:failed}, {:err}, {:now}, {:now})`).
		Bind(dbx.Params{"id": newID(), "taken": DBTime(now), "failed": string(BackupFailed), "err": truncate(cause, 1000),
			"now": stamp()}).Execute()
	return err
}

const backupColumns = `id, file, taken, status, size, plain_size, cipher_sha256, plain_sha256, rows, data_hash, took_ms, error,
	verified_at, verify_result, offsite, offsite_attempts, offsite_error`

// LastGoodBackup is the newest good backup; sql.ErrNoRows when none.
func LastGoodBackup(app core.App) (*BackupRecord, error) {
	var out []*BackupRecord
	err := app.DB().NewQuery("SELECT " + backupColumns + " FROM backups WHERE status = {:ok} ORDER BY taken DESC LIMIT 1").
		Bind(dbx.Params{"ok": string(BackupOK)}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("backup: last: %w", err)
	}
	if len(out) == 0 {
		return nil, sql.ErrNoRows
	}
	return out[0], nil
}

// GoodBackups lists the good backups, oldest first.
func GoodBackups(app core.App) ([]*BackupRecord, error) {
	var out []*BackupRecord
	err := app.DB().NewQuery("SELECT " + backupColumns + " FROM backups WHERE status = {:ok} ORDER BY taken").
		Bind(dbx.Params{"ok": string(BackupOK)}).All(&out)
	return out, err
}

// RecentBackups lists the newest 100 records that are not deleted, for the dashboard.
func RecentBackups(app core.App) ([]*BackupRecord, error) {
	var out []*BackupRecord
	err := app.DB().NewQuery("SELECT " + backupColumns + " FROM backups WHERE status != {:del} ORDER BY taken DESC LIMIT 100").
		Bind(dbx.Params{"del": string(BackupDeleted)}).All(&out)
	return out, err
}

// PendingOffsite lists up to 20 good backups not yet copied off-site (or whose copy failed).
func PendingOffsite(app core.App) ([]*BackupRecord, error) {
	var out []*BackupRecord
	err := app.DB().NewQuery("SELECT " + backupColumns + " FROM backups WHERE status = {:ok} AND offsite IN ({:p}, {:f}) ORDER BY taken LIMIT 20").
		Bind(dbx.Params{"ok": string(BackupOK), "p": string(OffsitePending), "f": string(OffsiteFailed)}).All(&out)
	return out, err
}

// SetOffsite records the outcome of an off-site copy of b (cause "" when it worked).
func SetOffsite(app core.App, b *BackupRecord, state Offsite, cause string) error {
	_, err := app.DB().Update(colBackups, dbx.Params{"offsite": string(state), "offsite_error": truncate(cause, 1000),
		"offsite_attempts": b.OffsiteAttempts + 1, "updated": stamp()}, hashExp("id", b.ID)).Execute()
	return err
}

// SetDrill records the restore drill of b at now.
func SetDrill(app core.App, b *BackupRecord, result string, now time.Time) error {
	_, err := app.DB().Update(colBackups, dbx.Params{"verified_at": DBTime(now), "verify_result": truncate(result, 1000),
		"updated": stamp()}, hashExp("id", b.ID)).Execute()
	return err
}

// MarkBackupDeleted records that b was let go.
func MarkBackupDeleted(app core.App, b *BackupRecord) error {
	_, err := app.DB().Update(colBackups, dbx.Params{"status": string(BackupDeleted), "updated": stamp()}, hashExp("id", b.ID)).Execute()
	return err
}

// Fingerprint summarises the state of the data: each collection's row count and latest
// `updated` (for the bookings, the count of writes booking_changes keeps), and the schema's
// and settings' latest change. The backups bookkeeping itself is left out, so recording a
// backup does not make the next one necessary. A snapshot computes the same of its own view
// (Snapshot.Facts).
func Fingerprint(app core.App) (string, error) {
	f, err := dataFacts(dbReader(app.DB()))
	return f.fingerprint, err
}

// Facts are what a backup records of its data: the rows of each collection (the manifest's
// counts) and the data's fingerprint (Fingerprint).
type Facts struct {
	Rows        map[string]int64
	fingerprint string
}

// Fingerprint is the data's fingerprint, as Fingerprint computes it.
func (f Facts) Fingerprint() string { return f.fingerprint }

// reader runs read queries for dataFacts: one row into dst, or one column.
type reader struct {
	row    func(q string, dst ...any) error
	column func(q string) ([]string, error)
}

func dbReader(db dbx.Builder) reader {
	return reader{
		row: func(q string, dst ...any) error { return db.NewQuery(q).Row(dst...) },
		column: func(q string) ([]string, error) {
			var out []string
			err := db.NewQuery(q).Column(&out)
			return out, err
		},
	}
}

// dataFacts counts the rows of every collection (views aside) and makes the fingerprint, one
// query a collection: its count with its latest change. It reads the schema it finds, so it
// works on a database its migrations have not reached yet (a backup before migrating, a
// restored file): without booking_changes, the bookings' latest `updated` stands in.
func dataFacts(r reader) (Facts, error) {
	names, err := r.column("SELECT name FROM _collections WHERE type != 'view' ORDER BY name")
	if err != nil {
		return Facts{}, fmt.Errorf("backup: list collections: %w", err)
	}
	var changes int
	if err := r.row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'booking_changes'", &changes); err != nil {
		return Facts{}, fmt.Errorf("backup: facts: %w", err)
	}
	f := Facts{Rows: make(map[string]int64, len(names))}
	h := sha256.New()
	for _, name := range names {
		var updated int
		if err := r.row("SELECT count(*) FROM pragma_table_info("+quoteString(name)+") WHERE name = 'updated'", &updated); err != nil {
			return Facts{}, fmt.Errorf("backup: facts %s: %w", name, err)
		}
		q := "SELECT count(*), '' FROM " + quoteIdent(name)
		switch {
		case name == colBookings && changes > 0:
			// Every write to the bookings counts in booking_changes (changes.go): no scan of a
			// million bookings for their latest update.
			q = "SELECT count(*), coalesce((SELECT CAST(n AS TEXT) FROM booking_changes WHERE id = 1), '') FROM " + quoteIdent(name)
		case updated > 0:
			q = "SELECT count(*), coalesce(max(`updated`), '') FROM " + quoteIdent(name)
		}
		var n int64
		var latest string
		if err := r.row(q, &n, &latest); err != nil {
			return Facts{}, fmt.Errorf("backup: facts %s: %w", name, err)
		}
		f.Rows[name] = n
		if name != colBackups {
			fmt.Fprintf(h, "%s|%d|%s\n", name, n, latest)
		}
	}
	var schema, settings string
	if err := r.row("SELECT coalesce(max(updated), '') FROM _collections", &schema); err != nil {
		return Facts{}, fmt.Errorf("backup: facts: %w", err)
	}
	if err := r.row("SELECT coalesce(max(updated), '') FROM _params", &settings); err != nil {
		return Facts{}, fmt.Errorf("backup: facts: %w", err)
	}
	fmt.Fprintf(h, "%s|%s", schema, settings)
	f.fingerprint = hex.EncodeToString(h.Sum(nil))
	return f, nil
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// CountRows opens the SQLite database at path read-only and counts the rows of each collection.
func CountRows(path string) (map[string]int64, error) {
	db, err := dbx.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("backup: open %s: %w", filepath.Base(path), err)
	}
	defer db.Close()
	f, err := dataFacts(dbReader(db))
	return f.Rows, err
}

// IntegrityCheck runs PRAGMA integrity_check on the database at path.
func IntegrityCheck(path string) error {
	db, err := dbx.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("integrity: open: %w", err)
	}
	defer db.Close()
	var lines []string
	if err := db.NewQuery("PRAGMA integrity_check").Column(&lines); err != nil {
		return fmt.Errorf("integrity: %w", err)
	}
	if len(lines) != 1 || lines[0] != "ok" {
		return fmt.Errorf("integrity check failed: %s", strings.Join(lines, "; "))
	}
	return nil
}

// CountAllBookings counts every booking (a fresh install has none).
func CountAllBookings(app core.App) (int64, error) {
	var n int64
	err := app.DB().NewQuery("SELECT count(*) FROM bookings").Row(&n)
	return n, err
}

// PendingMigrations counts the registered migrations not applied yet.
func PendingMigrations(app core.App) (int, error) {
	var applied []string
	if err := app.DB().NewQuery("SELECT file FROM _migrations").Column(&applied); err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	n := 0
	for _, m := range core.AppMigrations.Items() {
		if !slices.Contains(applied, m.File) {
			n++
		}
	}
	return n, nil
}
