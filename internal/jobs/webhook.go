package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/store"
)

// WebhookTimeout bounds one post to an endpoint.
const WebhookTimeout = 10 * time.Second

// webhookBackoff are the waits after the first, second, … failed attempt; after the last the
// delivery is given up (about 20 hours after the first try).
var webhookBackoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour}

// WebhookRetryAt is when to try a delivery again after its attempt number attempt (1 for the
// first) failed at now; the zero time when it is to be given up.
func WebhookRetryAt(attempt int, now time.Time) time.Time {
	return retryAt(webhookBackoff, attempt, now)
}

// retryAt is when to try again after attempt number attempt (1 for the first) failed at now,
// waiting steps[attempt-1]; the zero time once the steps are used up.
func retryAt(steps []time.Duration, attempt int, now time.Time) time.Time {
	if attempt < 1 || attempt > len(steps) {
		return time.Time{}
	}
	return now.Add(steps[attempt-1])
}

// webhookLease is how long a run holds the rows it claimed: longer than a post may take.
const webhookLease = 2 * time.Minute

// WebhookBooking is a booking as a webhook tells of it. Guest is set only for endpoints that
// take the guest's contact details; notes (and the sealed sensitive note) never go out.
type WebhookBooking struct {
	Reference  string        `json:"reference"`
	Offering   string        `json:"offering"`
	Start      string        `json:"start"`
	End        string        `json:"end"`
	StartLocal string        `json:"start_local"`
	EndLocal   string        `json:"end_local"`
	TimeZone   string        `json:"time_zone"`
	Party      int           `json:"party"`
	Status     string        `json:"status"`
	Source     string        `json:"source"`
	Guest      *WebhookGuest `json:"guest,omitempty"`
}

// WebhookGuest is the guest's contact, for the endpoints that opted in.
type WebhookGuest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// WebhookEvent is the JSON body of a webhook post.
type WebhookEvent struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Created string    `json:"created"`
	Data    EventData `json:"data"`
}

// EventData is what the event is about.
type EventData struct {
	Booking WebhookBooking `json:"booking"`
}

// QueueEvent queues the event t about booking id for every active endpoint that takes it, as
// the booking stands in tx. Call it inside the transaction of the change (the booking
// writer's tx.App): the event exists if and only if the change commits. With no endpoint it
// costs one query.
func QueueEvent(tx core.App, v *store.Venue, t store.EventType, bookingID string, now time.Time) error {
	eps, err := store.Endpoints(tx, true)
	if err != nil {
		return err
	}
	var takers []*store.Endpoint
	for _, e := range eps {
		if e.Takes(t) {
			takers = append(takers, e)
		}
	}
	if len(takers) == 0 {
		return nil
	}
	b, err := store.BookingByID(tx, bookingID)
	if err != nil {
		return fmt.Errorf("webhooks: %s: %w", t, err)
	}
	o, err := store.OfferingByID(tx, b.Offering)
	if err != nil {
		return fmt.Errorf("webhooks: %s: %w", t, err)
	}
	guest := &WebhookGuest{Name: b.Name, Email: b.Email, Phone: b.Phone}
	if t == store.EventWaitlistOffered {
		if guest.Name, guest.Email, guest.Phone, err = store.HoldContact(tx, b.ID); err != nil {
			return fmt.Errorf("webhooks: %s: %w", t, err)
		}
	}
	start, end := b.Start.Time(), b.End.Time()
	ev := WebhookEvent{ID: newEventID(), Type: string(t), Created: now.UTC().Format(time.RFC3339),
		Data: EventData{Booking: WebhookBooking{Reference: b.Reference, Offering: o.Slug,
			Start: start.UTC().Format(time.RFC3339), End: end.UTC().Format(time.RFC3339),
			StartLocal: start.In(v.Loc).Format(time.RFC3339), EndLocal: end.In(v.Loc).Format(time.RFC3339),
			TimeZone: v.Loc.String(), Party: b.Party, Status: string(b.Status), Source: string(b.Source)}}}
	for _, e := range takers {
		ev.Data.Booking.Guest = nil
		if e.IncludeContact {
			ev.Data.Booking.Guest = guest
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("webhooks: %w", err)
		}
		if err := store.InsertDelivery(tx, e.ID, ev.ID, t, b.ID, body, now); err != nil {
			return err
		}
	}
	return nil
}

// newEventID is a fresh event id: "evt_" and 16 random bytes in hex.
func newEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "evt_" + hex.EncodeToString(b)
}

// SignWebhook is the Reserva-Signature header of body signed with secret at t:
// "t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>".
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// errRedirect refuses to follow a redirect: the owner configured the address, not the answer.
var errRedirect = errors.New("redirect refused")

// webhookClient posts webhooks: 10 s a post, no redirects, no cookies.
var webhookClient = &http.Client{
	Timeout:       WebhookTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// WebhookResult counts what one run of the webhook worker did.
type WebhookResult struct {
	Delivered, Retried, Failed int
}

// DeliverWebhooks posts the deliveries due at now (at most 100 a run), each signed with its
// endpoint's current secret: a 2xx answer is delivered; anything else, a timeout or a refused
// redirect is tried again later (WebhookRetryAt), then given up. Runs that overlap share the
// rows (each is claimed by one). It writes outside the booking writer and never blocks it.
func (j *Jobs) DeliverWebhooks(now time.Time) (WebhookResult, error) {
	var r WebhookResult
	due, err := store.ClaimDueDeliveries(j.app, now, now.Add(webhookLease), 100)
	if err != nil {
		return r, err
	}
	for _, d := range due {
		status, cause := j.postWebhook(d, now)
		attempt := d.Attempts + 1
		var next time.Time
		delivered := cause == ""
		if !delivered {
			next = WebhookRetryAt(attempt, now)
		}
		if err := store.RecordDelivery(j.app, d, delivered, status, cause, next, now); err != nil {
			return r, err
		}
		switch {
		case delivered:
			r.Delivered++
		case next.IsZero():
			r.Failed++
			j.app.Logger().Warn("webhooks: delivery given up", "delivery", d.ID, "event", string(d.Event), "attempts", attempt, "status", status)
		default:
			r.Retried++
		}
	}
	return r, nil
}

// postWebhook posts d once; it returns the answer's status (0: none) and why it failed ("" when
// delivered).
func (j *Jobs) postWebhook(d *store.Delivery, now time.Time) (int, string) {
	e, err := store.EndpointByID(j.app, d.Endpoint)
	if err != nil {
		return 0, "endpoint: " + err.Error()
	}
	secret, err := e.EndpointSecret()
	if err != nil {
		return 0, "secret: " + err.Error()
	}
	body := []byte(d.Payload)
	ctx, cancel := context.WithTimeout(context.Background(), WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Reserva-Webhooks/1")
	req.Header.Set("Reserva-Event", string(d.Event))
	req.Header.Set("Reserva-Delivery", d.EventID)
	req.Header.Set("Reserva-Signature", SignWebhook(secret, now, body))
	res, err := webhookClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return res.StatusCode, ""
	case res.StatusCode >= 300 && res.StatusCode < 400:
		return res.StatusCode, fmt.Sprintf("HTTP %d: %v", res.StatusCode, errRedirect)
	default:
		return res.StatusCode, fmt.Sprintf("HTTP %d", res.StatusCode)
	}
}

// RunWebhooks is the webhook worker's run: it logs its counts.
func (j *Jobs) RunWebhooks() {
	r, err := j.DeliverWebhooks(j.now())
	if err != nil {
		j.app.Logger().Error("webhooks: run failed", "error", err.Error())
		return
	}
	if r.Delivered+r.Retried+r.Failed > 0 {
		j.app.Logger().Info("webhooks: run", "delivered", r.Delivered, "retried", r.Retried, "failed", r.Failed)
	}
}
