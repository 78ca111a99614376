package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Snapshot is a consistent view of one of the app's databases while writers go on: a read
// transaction held on a connection of its pool (WAL readers block no writer). Its rows are
// counted and its pages read from that one view, so a backup's manifest counts exactly the
// rows of the file it describes. Close it soon: while it is open, checkpoints cannot pass it.
type Snapshot struct {
	conn *sql.Conn
	tx   *sql.Tx
}

// OpenSnapshots begins a snapshot of each of app's databases: the data and the logs.
func OpenSnapshots(ctx context.Context, app core.App) (data, logs *Snapshot, err error) {
	if data, err = openSnapshot(ctx, app.ConcurrentDB()); err != nil {
		return nil, nil, err
	}
	if logs, err = openSnapshot(ctx, app.AuxConcurrentDB()); err != nil {
		data.Close()
		return nil, nil, fmt.Errorf("logs: %w", err)
	}
	return data, logs, nil
}

// openSnapshot begins a snapshot of db's database.
func openSnapshot(ctx context.Context, db dbx.Builder) (*Snapshot, error) {
	pool, ok := db.(*dbx.DB)
	if !ok {
		return nil, errors.New("snapshot: not a database pool")
	}
	conn, err := pool.DB().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	// A deferred transaction takes its view at its first read.
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		_ = tx.Rollback()
		conn.Close()
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return &Snapshot{conn: conn, tx: tx}, nil
}

// Close ends the snapshot.
func (s *Snapshot) Close() error {
	err := s.tx.Rollback()
	return errors.Join(err, s.conn.Close())
}

// Facts counts the rows of each collection in the snapshot and makes its fingerprint.
func (s *Snapshot) Facts(ctx context.Context) (Facts, error) {
	return dataFacts(reader{
		row: func(q string, dst ...any) error { return s.tx.QueryRowContext(ctx, q).Scan(dst...) },
		column: func(q string) ([]string, error) {
			rows, err := s.tx.QueryContext(ctx, q)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var v string
				if err := rows.Scan(&v); err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, rows.Err()
		},
	})
}

// WriteTo writes the snapshot as a database file to w: its pages in order as SQLite's
// sqlite_dbpage table reads them through the transaction's view (the pages still in the
// write-ahead log included). It reads the database once and copies no file, where VACUUM INTO
// (PocketBase's backups) rebuilds every table and index into a new one. The file is marked
// for the rollback journal (header bytes 18 and 19), so that it opens alone, read-only too;
// PocketBase sets WAL again when it opens a restored one.
//
// The kernel is asked to read the file ahead of the pages (readAhead): SQLite reads one page
// at a time.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	var file string
	if err := s.tx.QueryRow("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return 0, fmt.Errorf("snapshot: database file: %w", err)
	}
	ahead := newReadAhead(file)
	defer ahead.close()
	rows, err := s.tx.Query("SELECT pgno, data FROM sqlite_dbpage")
	if err != nil {
		return 0, fmt.Errorf("snapshot: read pages: %w", err)
	}
	defer rows.Close()
	var written int64
	want := int64(1)
	for rows.Next() {
		ahead.at(written)
		var pgno int64
		var page sql.RawBytes
		if err := rows.Scan(&pgno, &page); err != nil {
			return written, fmt.Errorf("snapshot: read pages: %w", err)
		}
		if pgno != want {
			return written, fmt.Errorf("snapshot: page %d came where page %d was due", pgno, want)
		}
		want++
		if pgno == 1 && len(page) >= 20 {
			page = append(sql.RawBytes(nil), page...)
			page[18], page[19] = 1, 1
		}
		n, err := w.Write(page)
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
	if err := rows.Err(); err != nil {
		return written, fmt.Errorf("snapshot: read pages: %w", err)
	}
	return written, nil
}
