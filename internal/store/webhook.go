package store

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const (
	colWebhookEndpoints  = "webhook_endpoints"
	colWebhookDeliveries = "webhook_deliveries"
)

// EventType names what a webhook tells of.
type EventType string

// The events a webhook endpoint may take.
const (
	EventBookingCreated   EventType = "booking.created"
	EventBookingChanged   EventType = "booking.changed"
	EventBookingCancelled EventType = "booking.cancelled"
	EventWaitlistOffered  EventType = "waitlist.offered"
)

// EventTypes are the events, in the order the dashboard lists them.
var EventTypes = []EventType{EventBookingCreated, EventBookingChanged, EventBookingCancelled, EventWaitlistOffered}

// DeliveryStatus is where a webhook delivery stands.
type DeliveryStatus string

// The statuses of a delivery.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Endpoint is an address Reserva posts events to.
type Endpoint struct {
	ID             string         `db:"id"`
	URL            string         `db:"url"`
	Events         string         `db:"events"` // space-separated EventTypes
	Active         bool           `db:"active"`
	IncludeContact bool           `db:"include_contact"`
	Secret         string         `db:"secret"` // NB! sealed (EndpointSecret opens it)
	Created        types.DateTime `db:"created"`
}

// Takes reports whether the endpoint is subscribed to t.
func (e *Endpoint) Takes(t EventType) bool {
	for _, s := range strings.Fields(e.Events) {
		if s == string(t) {
			return true
		}
	}
	return false
}

// webhookKey seals the endpoints' signing secrets.
func webhookKey() ([]byte, error) { return derivedKey("reserva webhook secrets v1") }

// WebhooksEnabled reports whether endpoints can be stored: their secrets are only kept sealed,
// which needs RESERVA_ENCRYPTION_KEY.
func WebhooksEnabled() bool {
	_, err := webhookKey()
	return err == nil
}

// NewWebhookSecret is a fresh signing secret: "whsec_" and 32 random bytes in hex.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// EndpointSecret opens the endpoint's signing secret.
func (e *Endpoint) EndpointSecret() (string, error) {
	k, err := webhookKey()
	if err != nil {
		return "", err
	}
	b, err := unseal(k, e.Secret)
	if err != nil {
		return "", fmt.Errorf("webhooks: secret of %s: %w", e.ID, err)
	}
	return string(b), nil
}

func sealWebhookSecret(secret string) (string, error) {
	k, err := webhookKey()
	if err != nil {
		return "", err
	}
	return seal(k, []byte(secret))
}

// Endpoints lists every endpoint, the oldest first (active only with activeOnly).
func Endpoints(app core.App, activeOnly bool) ([]*Endpoint, error) {
	q := "SELECT id, url, events, active, include_contact, secret, created FROM webhook_endpoints"
	if activeOnly {
		q += " WHERE active = TRUE"
	}
	var out []*Endpoint
	if err := app.DB().NewQuery(q + " ORDER BY created, id").All(&out); err != nil {
		return nil, fmt.Errorf("webhooks: endpoints: %w", err)
	}
	return out, nil
}

// EndpointByID returns one endpoint; sql.ErrNoRows when there is none.
func EndpointByID(app core.App, id string) (*Endpoint, error) {
	var e Endpoint
	err := app.DB().NewQuery("SELECT id, url, events, active, include_contact, secret, created FROM webhook_endpoints WHERE id = {:id}").
		Bind(dbx.Params{"id": id}).One(&e)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &e, nil
}

// eventList is the events as the endpoint row stores them.
func eventList(events []EventType) string {
	s := make([]string, len(events))
	for i, e := range events {
		s[i] = string(e)
	}
	return strings.Join(s, " ")
}

// AddEndpoint stores a new endpoint with a fresh signing secret (sealed) and returns its id;
// ErrNoKey without RESERVA_ENCRYPTION_KEY.
func AddEndpoint(app core.App, url string, events []EventType, active, includeContact bool) (string, error) {
	sealed, err := sealWebhookSecret(NewWebhookSecret())
	if err != nil {
		return "", err
	}
	id := newID()
	_, err = app.DB().Insert(colWebhookEndpoints, dbx.Params{"id": id, "url": url, "events": eventList(events), "active": active,
		"include_contact": includeContact, "secret": sealed, "created": stamp(), "updated": stamp()}).Execute()
	if err != nil {
		return "", fmt.Errorf("webhooks: add endpoint: %w", err)
	}
	return id, nil
}

// UpdateEndpoint changes an endpoint's address, events and flags (its secret stays).
func UpdateEndpoint(app core.App, id, url string, events []EventType, active, includeContact bool) error {
	res, err := app.DB().Update(colWebhookEndpoints, dbx.Params{"url": url, "events": eventList(events), "active": active,
		"include_contact": includeContact, "updated": stamp()}, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("webhooks: update endpoint: %w", err)
	}
	if rowsAffected(res) == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// RotateEndpointSecret gives the endpoint a new signing secret; deliveries not yet made are
// signed with it.
func RotateEndpointSecret(app core.App, id string) error {
	sealed, err := sealWebhookSecret(NewWebhookSecret())
	if err != nil {
		return err
	}
	res, err := app.DB().Update(colWebhookEndpoints, dbx.Params{"secret": sealed, "updated": stamp()}, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("webhooks: rotate: %w", err)
	}
	if rowsAffected(res) == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// DeleteEndpoint deletes an endpoint and its deliveries.
func DeleteEndpoint(app core.App, id string) error {
	if _, err := app.DB().Delete(colWebhookDeliveries, hashExp("endpoint", id)).Execute(); err != nil {
		return fmt.Errorf("webhooks: delete deliveries: %w", err)
	}
	res, err := app.DB().Delete(colWebhookEndpoints, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("webhooks: delete endpoint: %w", err)
	}
	if rowsAffected(res) == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// Delivery is one event for one endpoint: the webhooks' outbox row.
type Delivery struct {
	ID          string         `db:"id"`
	Endpoint    string         `db:"endpoint"`
	EventID     string         `db:"event_id"`
	Event       EventType      `db:"event"`
	Booking     string         `db:"booking"`
	Payload     string         `db:"payload"`
	Status      DeliveryStatus `db:"status"`
	Attempts    int            `db:"attempts"`
	NextAttempt types.DateTime `db:"next_attempt"`
	LastStatus  int            `db:"last_status"`
	LastError   string         `db:"last_error"`
	DoneAt      types.DateTime `db:"done_at"`
	Created     types.DateTime `db:"created"`
}

// InsertDelivery queues payload (the event eventID of type t) for endpoint, due now. Call it
// inside the transaction of the change the event tells of: both are stored, or neither.
func InsertDelivery(tx core.App, endpoint, eventID string, t EventType, bookingID string, payload []byte, now time.Time) error {
	_, err := tx.DB().NewQuery(`INSERT INTO webhook_deliveries (id, endpoint, event_id, event, booking, payload, status, attempts,
		next_attempt, last_status, last_error, done_at, created, updated)
		VALUES ({:id}, {:endpoint}, {:event_id}, {:event}, {:booking}, {:payload}, {:pending}, 0, {:due}, 0, '', '', {:now}, {:now})`).
		Bind(dbx.Params{"id": newID(), "endpoint": endpoint, "event_id": eventID, "event": string(t), "booking": bookingID,
			"payload": string(payload), "pending": string(DeliveryPending), "due": DBTime(now), "now": stamp()}).Execute()
	if err != nil {
		return fmt.Errorf("webhooks: queue %s: %w", t, err)
	}
	return nil
}

// ClaimDueDeliveries takes up to limit pending deliveries due at now for one run, each moved to
// lease (claimDue): two runs that meet never post the same row.
func ClaimDueDeliveries(app core.App, now, lease time.Time, limit int) ([]*Delivery, error) {
	return claimDue[*Delivery](app, colWebhookDeliveries, string(DeliveryPending), now, lease, limit)
}

func (d *Delivery) claimKey() (string, types.DateTime) { return d.ID, d.NextAttempt }

// RecordDelivery records attempt number d.Attempts+1 of d at now: status is the HTTP status
// (0: none), cause the error ("" when delivered); next is when to try again, zero to give up.
func RecordDelivery(app core.App, d *Delivery, delivered bool, status int, cause string, next, now time.Time) error {
	cols := dbx.Params{"attempts": d.Attempts + 1, "last_status": status, "last_error": truncate(cause, 500), "updated": stamp()}
	switch {
	case delivered:
		cols["status"], cols["done_at"] = string(DeliveryDelivered), DBTime(now)
	case next.IsZero():
		cols["status"], cols["done_at"] = string(DeliveryFailed), DBTime(now)
	default:
		cols["next_attempt"] = DBTime(next)
	}
	if _, err := app.DB().Update(colWebhookDeliveries, cols, hashExp("id", d.ID)).Execute(); err != nil {
		return fmt.Errorf("webhooks: record %s: %w", d.ID, err)
	}
	return nil
}

// RetryDeliveryNow makes a pending or failed delivery due at now with a new round of tries
// (the dashboard's "Retry now"); ErrAlreadySent for a delivered one, sql.ErrNoRows when none.
func RetryDeliveryNow(app core.App, id string, now time.Time) error {
	var d Delivery
	if err := app.DB().NewQuery("SELECT * FROM webhook_deliveries WHERE id = {:id}").Bind(dbx.Params{"id": id}).One(&d); err != nil {
		return errNotFound(err)
	}
	if d.Status == DeliveryDelivered {
		return ErrAlreadySent
	}
	_, err := app.DB().Update(colWebhookDeliveries, dbx.Params{"status": string(DeliveryPending), "attempts": 0, "done_at": "",
		"next_attempt": DBTime(now), "updated": stamp()}, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("webhooks: retry %s: %w", id, err)
	}
	return nil
}

// RecentDeliveries lists the newest limit deliveries (without payloads).
func RecentDeliveries(app core.App, limit int) ([]*Delivery, error) {
	var out []*Delivery
	err := app.DB().NewQuery(`SELECT id, endpoint, event_id, event, booking, '' AS payload, status, attempts, next_attempt,
		last_status, last_error, done_at, created FROM webhook_deliveries ORDER BY created DESC, id DESC LIMIT {:n}`).
		Bind(dbx.Params{"n": limit}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("webhooks: recent: %w", err)
	}
	return out, nil
}

// DeliveriesOf lists every delivery of the event type t, the oldest first (tests, the dashboard).
func DeliveriesOf(app core.App, t EventType) ([]*Delivery, error) {
	var out []*Delivery
	err := app.DB().NewQuery("SELECT * FROM webhook_deliveries WHERE event = {:t} ORDER BY created, id").
		Bind(dbx.Params{"t": string(t)}).All(&out)
	return out, err
}

// PurgeDeliveries deletes the delivered and failed deliveries finished before cut (their
// payloads may hold a guest's contact details); returns the count.
func PurgeDeliveries(app core.App, cut time.Time) (int64, error) {
	res, err := app.DB().Delete(colWebhookDeliveries, dbx.NewExp("status IN ({:d}, {:f}) AND done_at != '' AND done_at < {:cut}",
		dbx.Params{"d": string(DeliveryDelivered), "f": string(DeliveryFailed), "cut": DBTime(cut)})).Execute()
	if err != nil {
		return 0, fmt.Errorf("webhooks: purge: %w", err)
	}
	return rowsAffected(res), nil
}

// HoldContact is the name, e-mail and phone of the waitlist entry offered the held booking id
// (the hold itself carries none); all "" when no entry holds it.
func HoldContact(app core.App, bookingID string) (name, email, phone string, err error) {
	var rows []struct {
		Name  string `db:"name"`
		Email string `db:"email"`
		Phone string `db:"phone"`
	}
	err = app.DB().NewQuery("SELECT name, email, phone FROM waitlist WHERE booking = {:b} LIMIT 1").Bind(dbx.Params{"b": bookingID}).All(&rows)
	if err != nil || len(rows) == 0 {
		return "", "", "", err
	}
	return rows[0].Name, rows[0].Email, rows[0].Phone, nil
}
