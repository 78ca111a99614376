package store

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// RequestDays is how long the venue has to answer a request (GDPR art. 12(3): one month).
const RequestDays = 30

// Request is one request of a data subject in the queue.
type Request struct {
	ID        string         `db:"id"`
	Kind      RequestKind    `db:"kind"`
	Subject   string         `db:"subject"` // the address (lower case), or a pseudonym once erased
	Channel   Channel        `db:"channel"`
	Received  string         `db:"received"`
	Due       string         `db:"due"`
	Status    RequestStatus  `db:"status"`
	Notes     string         `db:"notes"`
	HandledBy string         `db:"handled_by"`
	HandledAt types.DateTime `db:"handled_at"`
}

// NewRequest is a request to log.
type NewRequest struct {
	Kind      RequestKind
	Subject   string
	Channel   Channel
	Status    RequestStatus // open, or done for what self-service already did
	Notes     string
	Received  booking.Date
	HandledBy string // staff id, for one done at once
}

// LogRequest writes a request to the queue, due RequestDays after it was received; it returns
// the request's id.
func LogRequest(tx core.App, r NewRequest, now time.Time) (string, error) {
	id := newID()
	handledAt := ""
	if r.Status != RequestOpen {
		handledAt = DBTime(now)
	}
	_, err := tx.DB().NewQuery(`INSERT INTO gdpr_requests (id, kind, subject, channel, status, notes, received, due, handled_at, handled_by, created, updated)
		VALUES ({:id}, {:kind}, {:subject}, {:channel}, {:status}, {:notes}, {:received}, {:due}, {:at}, {:by}, {:now}, {:now})`).
		Bind(dbx.Params{"id": id, "kind": string(r.Kind), "subject": r.Subject, "channel": string(r.Channel), "status": string(r.Status),
			"notes": r.Notes, "received": r.Received.String(), "due": r.Received.AddDays(RequestDays).String(), "at": handledAt,
			"by": r.HandledBy, "now": stamp()}).Execute()
	if err != nil {
		return "", fmt.Errorf("privacy request: %w", err)
	}
	return id, nil
}

// RequestByID returns a request; sql.ErrNoRows when there is none.
func RequestByID(app core.App, id string) (*Request, error) {
	var r Request
	err := app.DB().NewQuery("SELECT id, kind, subject, channel, received, due, status, notes, handled_by, handled_at FROM gdpr_requests WHERE id = {:id}").
		Bind(dbx.Params{"id": id}).One(&r)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &r, nil
}

// CloseRequest ends a request with status at now by staff, adding note to its notes.
func CloseRequest(tx core.App, r *Request, status RequestStatus, note, by string, now time.Time) error {
	notes := r.Notes
	if note != "" {
		if notes != "" {
			notes += "\n"
		}
		notes += note
	}
	_, err := tx.DB().Update(colGDPRRequests, dbx.Params{"status": string(status), "handled_at": DBTime(now), "handled_by": by,
		"notes": notes, "updated": stamp()}, hashExp("id", r.ID)).Execute()
	return err
}

// Requests lists up to 300 requests: the open ones first by due date, then the handled ones,
// the latest first.
func Requests(app core.App) ([]Request, error) {
	var out []Request
	err := app.DB().NewQuery(`SELECT id, kind, subject, channel, received, due, status, notes, handled_by, handled_at FROM gdpr_requests
		ORDER BY status != {:open}, CASE WHEN status = {:open} THEN due END, handled_at DESC LIMIT 300`).
		Bind(dbx.Params{"open": string(RequestOpen)}).All(&out)
	return out, err
}

// OverdueRequests counts the open requests past their due date on today.
func OverdueRequests(app core.App, today booking.Date) (int, error) {
	var n int
	err := app.DB().NewQuery("SELECT count(*) FROM gdpr_requests WHERE status = {:open} AND due < {:today}").
		Bind(dbx.Params{"open": string(RequestOpen), "today": today.String()}).Row(&n)
	return n, err
}
