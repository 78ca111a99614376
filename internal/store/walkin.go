package store

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// Walkin is a party at the door waiting for a table (today's queue).
type Walkin struct {
	ID           string         `db:"id"`
	Day          string         `db:"day"`
	Name         string         `db:"name"`
	Party        int            `db:"party"`
	Phone        string         `db:"phone"`
	Email        string         `db:"email"`
	QuotedWait   int            `db:"quoted_wait"` // minutes
	Status       WalkinStatus   `db:"status"`
	AddedAt      types.DateTime `db:"added_at"`
	NotifiedAt   types.DateTime `db:"notified_at"`
	NotifyResult string         `db:"notify_result"`
	ClosedAt     types.DateTime `db:"closed_at"`
}

// Walkins lists a day's queue in the order the parties came.
func Walkins(app core.App, day booking.Date) ([]Walkin, error) {
	var out []Walkin
	err := app.DB().NewQuery("SELECT * FROM walkins WHERE day = {:d} ORDER BY added_at").Bind(dbx.Params{"d": day.String()}).All(&out)
	return out, err
}

// WalkinByID returns a walk-in; sql.ErrNoRows when there is none.
func WalkinByID(app core.App, id string) (*Walkin, error) {
	var w Walkin
	if err := app.DB().NewQuery("SELECT * FROM walkins WHERE id = {:id}").Bind(dbx.Params{"id": id}).One(&w); err != nil {
		return nil, errNotFound(err)
	}
	return &w, nil
}

// AddWalkin adds a party to day's queue at now; it returns its id.
func AddWalkin(tx core.App, day booking.Date, name string, party int, phone, email string, wait int, now time.Time) (string, error) {
	id := newID()
	_, err := tx.DB().NewQuery(`INSERT INTO walkins (id, day, name, party, phone, email, quoted_wait, status, added_at)
		VALUES ({:id}, {:day}, {:name}, {:party}, {:phone}, {:email}, {:wait}, {:waiting}, {:now})`).
		Bind(dbx.Params{"id": id, "day": day.String(), "name": name, "party": party, "phone": phone, "email": email, "wait": wait,
			"waiting": string(WalkinWaiting), "now": DBTime(now)}).Execute()
	if err != nil {
		return "", fmt.Errorf("walk-in: %w", err)
	}
	return id, nil
}

// NotifyWalkin records that the party was told at now, with what came of it.
func NotifyWalkin(tx core.App, id, result string, now time.Time) error {
	return updateWalkin(tx, id, dbx.Params{"status": string(WalkinNotified), "notified_at": DBTime(now), "notify_result": truncate(result, 500)})
}

// CloseWalkin takes the party out of the queue with status (seated, skipped, removed) at now.
func CloseWalkin(tx core.App, id string, status WalkinStatus, now time.Time) error {
	return updateWalkin(tx, id, dbx.Params{"status": string(status), "closed_at": DBTime(now)})
}

func updateWalkin(tx core.App, id string, cols dbx.Params) error {
	res, err := tx.DB().Update(colWalkins, cols, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("walk-in: %w", err)
	}
	if rowsAffected(res) == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// DeleteOldWalkins deletes walk-ins closed before before and those of days before yesterday:
// their names and numbers are kept no longer than the evening needs them.
func DeleteOldWalkins(tx core.App, before time.Time, yesterday booking.Date) (int64, error) {
	res, err := tx.DB().Delete(colWalkins, dbx.Or(
		dbx.NewExp("closed_at != '' AND closed_at < {:before}", dbx.Params{"before": DBTime(before)}),
		dbx.NewExp("day < {:yesterday}", dbx.Params{"yesterday": yesterday.String()}))).Execute()
	if err != nil {
		return 0, err
	}
	return rowsAffected(res), nil
}
