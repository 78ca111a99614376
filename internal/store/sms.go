package store

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const colSMSOutbox = "sms_outbox"

// TextStatus is where a text message in the outbox stands.
type TextStatus string

// The statuses of a text.
const (
	TextPending TextStatus = "pending"
	TextSent    TextStatus = "sent"
	TextFailed  TextStatus = "failed"
)

// TextKinds are the booking mails a guest who asked for texts also gets as a text message.
var TextKinds = []MailKind{MailConfirmation, MailChange, MailCancellation, MailReminder}

// Text is one text message about a booking in the outbox. It holds no number and no wording:
// both are read from the booking when it is sent.
type Text struct {
	ID          string         `db:"id"`
	Booking     string         `db:"booking"`
	Kind        MailKind       `db:"kind"`
	Status      TextStatus     `db:"status"`
	Attempts    int            `db:"attempts"`
	NextAttempt types.DateTime `db:"next_attempt"`
	LastError   string         `db:"last_error"`
	ProviderID  string         `db:"provider_id"`
	DoneAt      types.DateTime `db:"done_at"`
	Created     types.DateTime `db:"created"`
}

// QueueText queues the text of kind about bookingID, due now. Call it inside the transaction of
// the change it tells of.
func QueueText(tx core.App, bookingID string, kind MailKind, now time.Time) error {
	_, err := tx.DB().NewQuery(`INSERT INTO sms_outbox (id, booking, kind, status, attempts, next_attempt, last_error,
		provider_id, done_at, created, updated)
		VALUES ({:id}, {:booking}, {:kind}, {:pending}, 0, {:due}, '', '', '', {:now}, {:now})`).
		Bind(dbx.Params{"id": newID(), "booking": bookingID, "kind": string(kind), "pending": string(TextPending),
			"due": DBTime(now), "now": stamp()}).Execute()
	if err != nil {
		return fmt.Errorf("sms: queue %s: %w", kind, err)
	}
	return nil
}

// ClaimDueTexts takes up to limit pending texts due at now for one run, each moved to lease
// (claimDue): two runs that meet never send the same text.
func ClaimDueTexts(app core.App, now, lease time.Time, limit int) ([]*Text, error) {
	return claimDue[*Text](app, colSMSOutbox, string(TextPending), now, lease, limit)
}

func (t *Text) claimKey() (string, types.DateTime) { return t.ID, t.NextAttempt }

// RecordText records attempt number t.Attempts+1 of t at now: cause is why it failed ("" when
// sent, with the gateway's id of the message); next is when to try again, zero to give up.
func RecordText(app core.App, t *Text, providerID, cause string, next, now time.Time) error {
	cols := dbx.Params{"attempts": t.Attempts + 1, "last_error": truncate(cause, 500), "updated": stamp()}
	switch {
	case cause == "":
		cols["status"], cols["done_at"], cols["provider_id"] = string(TextSent), DBTime(now), truncate(providerID, 100)
	case next.IsZero():
		cols["status"], cols["done_at"] = string(TextFailed), DBTime(now)
	default:
		cols["next_attempt"] = DBTime(next)
	}
	if _, err := app.DB().Update(colSMSOutbox, cols, hashExp("id", t.ID)).Execute(); err != nil {
		return fmt.Errorf("sms: record %s: %w", t.ID, err)
	}
	return nil
}

// TextsOf lists the texts about bookingID, the oldest first (the booking's history, tests).
func TextsOf(app core.App, bookingID string) ([]*Text, error) {
	var out []*Text
	err := app.DB().NewQuery("SELECT * FROM sms_outbox WHERE booking = {:b} AND booking != '' ORDER BY created, id").
		Bind(dbx.Params{"b": bookingID}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("sms: texts of %s: %w", bookingID, err)
	}
	return out, nil
}

// PurgeTexts deletes the sent and failed texts finished before cut; returns the count.
func PurgeTexts(app core.App, cut time.Time) (int64, error) {
	res, err := app.DB().Delete(colSMSOutbox, dbx.NewExp("done_at != '' AND done_at < {:cut} AND status IN ({:s}, {:f})",
		dbx.Params{"s": string(TextSent), "f": string(TextFailed), "cut": DBTime(cut)})).Execute()
	if err != nil {
		return 0, fmt.Errorf("sms: purge: %w", err)
	}
	return rowsAffected(res), nil
}

// StopTexts turns texts off for the booking: none is queued any more and those waiting are
// dropped. It reports whether texts were on.
func StopTexts(tx core.App, bookingID string) (bool, error) {
	res, err := tx.DB().Update(colBookings, dbx.Params{"sms": false}, dbx.NewExp("id = {:id} AND sms = TRUE", dbx.Params{"id": bookingID})).Execute()
	if err != nil {
		return false, fmt.Errorf("sms: stop %s: %w", bookingID, err)
	}
	if _, err := tx.DB().Delete(colSMSOutbox, dbx.NewExp("booking = {:b} AND booking != '' AND status = {:p}",
		dbx.Params{"b": bookingID, "p": string(TextPending)})).Execute(); err != nil {
		return false, fmt.Errorf("sms: stop %s: %w", bookingID, err)
	}
	return rowsAffected(res) == 1, nil
}
