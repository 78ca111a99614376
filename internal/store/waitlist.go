package store

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// WaitEntry is one visitor waiting for a full time (or a session) to free up.
type WaitEntry struct {
	ID            string         `db:"id"`
	Offering      string         `db:"offering"`
	Session       string         `db:"session"`
	StartValue    string         `db:"start_value"` // what the booking form posts for the time
	Start         types.DateTime `db:"start"`
	Party         int            `db:"party"`
	Name          string         `db:"name"`
	Email         string         `db:"email"`
	Phone         string         `db:"phone"`
	ConsentAt     types.DateTime `db:"consent_at"`
	NoticeVersion int            `db:"notice_version"`
	Status        WaitStatus     `db:"status"`
	Booking       string         `db:"booking"` // the place held while an offer is out
	OfferedAt     types.DateTime `db:"offered_at"`
	OfferExpires  types.DateTime `db:"offer_expires"`
	ClosedAt      types.DateTime `db:"closed_at"`
	Locale        string         `db:"locale"` // the guest's language ("": the venue's)
	Created       types.DateTime `db:"created"`
}

const waitColumns = `id, offering, session, start_value, start, party, name, email, phone, consent_at, notice_version, status,
	booking, offered_at, offer_expires, closed_at, locale, created`

// NewWaitEntry is a visitor joining a waitlist.
type NewWaitEntry struct {
	Offering, Session, StartValue string
	Start                         time.Time
	Party                         int
	Name, Email, Phone            string
	ConsentAt                     time.Time
	NoticeVersion                 int
	Locale                        string // the guest's language
}

// JoinWaitlist writes the entry and returns its id and the token of its private page.
func JoinWaitlist(tx core.App, w NewWaitEntry) (id, token string, err error) {
	token, hash := NewToken()
	id = newID()
	_, err = tx.DB().NewQuery(`INSERT INTO waitlist (id, offering, session, start_value, start, party, name, email, phone, consent_at,
		notice_version, status, token_hash, locale, created)
		VALUES ({:id}, {:o}, {:s}, {:sv}, {:start}, {:party}, {:name}, {:email}, {:phone}, {:consent}, {:v}, {:waiting}, {:h}, {:locale}, {:now})`).
		Bind(dbx.Params{"id": id, "o": w.Offering, "s": w.Session, "sv": w.StartValue, "start": DBTime(w.Start), "party": w.Party,
			"name": w.Name, "email": w.Email, "phone": w.Phone, "consent": DBTime(w.ConsentAt), "v": w.NoticeVersion,
			"waiting": string(WaitWaiting), "h": hash, "locale": w.Locale, "now": stamp()}).Execute()
	if err != nil {
		return "", "", fmt.Errorf("waitlist: join: %w", err)
	}
	return id, token, nil
}

// EntryByToken finds the entry of a link token (the join link or the offer link);
// sql.ErrNoRows when none.
func EntryByToken(app core.App, token string) (*WaitEntry, error) {
	var w WaitEntry
	err := app.DB().NewQuery("SELECT " + waitColumns + " FROM waitlist WHERE token_hash = {:h} OR (offer_token_hash != '' AND offer_token_hash = {:h}) LIMIT 1").
		Bind(dbx.Params{"h": HashToken(token)}).One(&w)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &w, nil
}

// ExpiringEntries are the entries whose offer ran out, or whose time passed, at now.
func ExpiringEntries(tx core.App, now time.Time) ([]WaitEntry, error) {
	var out []WaitEntry
	err := tx.DB().NewQuery(`SELECT ` + waitColumns + ` FROM waitlist
		WHERE (status = {:offered} AND offer_expires <= {:now}) OR (status IN ({:waiting}, {:offered}) AND start <= {:now})`).
		Bind(dbx.Params{"now": DBTime(now), "offered": string(WaitOffered), "waiting": string(WaitWaiting)}).All(&out)
	return out, err
}

// WaitingEntries are up to limit waiting entries, in the order they joined.
func WaitingEntries(tx core.App, limit int) ([]WaitEntry, error) {
	var out []WaitEntry
	err := tx.DB().NewQuery("SELECT " + waitColumns + " FROM waitlist WHERE status = {:waiting} ORDER BY created, rowid LIMIT {:n}").
		Bind(dbx.Params{"waiting": string(WaitWaiting), "n": limit}).All(&out)
	return out, err
}

// CloseEntry ends an entry with status at now, releasing its held place if it has one.
func CloseEntry(tx core.App, w *WaitEntry, status WaitStatus, now time.Time) error {
	if w.Status == WaitOffered && w.Booking != "" {
		if err := ReleaseHold(tx, w.Booking); err != nil {
			return err
		}
	}
	_, err := tx.DB().Update(colWaitlist, dbx.Params{"status": string(status), "closed_at": DBTime(now)}, hashExp("id", w.ID)).Execute()
	if err != nil {
		return fmt.Errorf("waitlist: close: %w", err)
	}
	w.Status = status
	return nil
}

// OfferEntry records the offer of the place held as booking hold to entry w, until expires;
// it returns the token of the offer's link.
func OfferEntry(tx core.App, w *WaitEntry, hold string, now, expires time.Time) (string, error) {
	token, hash := NewToken()
	_, err := tx.DB().Update(colWaitlist, dbx.Params{"status": string(WaitOffered), "booking": hold, "offered_at": DBTime(now),
		"offer_expires": DBTime(expires), "offer_token_hash": hash}, hashExp("id", w.ID)).Execute()
	if err != nil {
		return "", fmt.Errorf("waitlist: offer: %w", err)
	}
	return token, nil
}

// DeleteClosedEntries deletes the entries closed before before; it returns how many.
func DeleteClosedEntries(tx core.App, before time.Time) (int64, error) {
	res, err := tx.DB().Delete(colWaitlist, dbx.NewExp("status IN ({:b}, {:e}, {:d}, {:l}, {:c}) AND closed_at < {:before}",
		dbx.Params{"b": string(WaitBooked), "e": string(WaitExpired), "d": string(WaitDeclined), "l": string(WaitLeft),
			"c": string(WaitCancelled), "before": DBTime(before)})).Execute()
	if err != nil {
		return 0, err
	}
	return rowsAffected(res), nil
}

// WaitPosition is the entry's place in its time's queue (1: next).
func WaitPosition(app core.App, w *WaitEntry) (int, error) {
	var n int
	err := app.DB().NewQuery(`SELECT count(*) FROM waitlist WHERE status = {:waiting} AND offering = {:o} AND start = {:start}
		AND (created < {:c} OR (created = {:c} AND rowid <= (SELECT rowid FROM waitlist WHERE id = {:id})))`).
		Bind(dbx.Params{"waiting": string(WaitWaiting), "o": w.Offering, "start": w.Start.String(), "c": w.Created.String(), "id": w.ID}).Row(&n)
	return n, err
}

// WaitRow is an entry as the staff's list shows it.
type WaitRow struct {
	WaitEntry
	OfferingName string `db:"offering_name"`
}

// WaitlistBetween lists the entries for times in [from, to), by offering, time and joining order.
func WaitlistBetween(app core.App, from, to time.Time) ([]WaitRow, error) {
	var out []WaitRow
	err := app.DB().NewQuery(`SELECT w.id, w.offering, w.session, w.start_value, w.start, w.party, w.name, w.email, w.phone, w.consent_at,
		w.notice_version, w.status, w.booking, w.offered_at, w.offer_expires, w.closed_at, w.created, o.name AS offering_name
		FROM waitlist w JOIN offerings o ON o.id = w.offering WHERE w.start >= {:from} AND w.start < {:to}
		ORDER BY o.sort, o.name, w.start, w.created, w.rowid`).Bind(dbx.Params{"from": DBTime(from), "to": DBTime(to)}).All(&out)
	return out, err
}
