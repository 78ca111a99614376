package hooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
	"reserva/internal/store"
)

const webhookTestKey = "0123456789abcdef0123456789abcdef"

// addWebhook adds an endpoint through the owner's form and returns it.
func (s *testServer) addWebhook(t *testing.T, owner, target string, contact bool, events ...string) *store.Endpoint {
	t.Helper()
	form := url.Values{"url": {target}, "events": events, "active": {"yes"}}
	if contact {
		form.Set("include_contact", "yes")
	}
	if res := s.as(t, owner, http.MethodPost, "/admin/webhooks", form); res.status != http.StatusSeeOther {
		t.Fatalf("POST /admin/webhooks = %d, want 303\n%s", res.status, snippet(res.body))
	}
	eps, err := store.Endpoints(s.app, false)
	if err != nil {
		t.Fatalf("endpoints: %v", err)
	}
	// By its address: endpoints made in the same millisecond list in the order of their ids,
	// which is random within it.
	for _, ep := range eps {
		if ep.URL == target {
			return ep
		}
	}
	t.Fatalf("no endpoint %s among %v", target, eps)
	return nil
}

// deliveries are the webhook rows of event t, oldest first.
func (s *testServer) deliveries(t *testing.T, ev store.EventType) []*store.Delivery {
	t.Helper()
	rows, err := store.DeliveriesOf(s.app, ev)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// allEvents are the four event types as form values.
var allEvents = []string{"booking.created", "booking.changed", "booking.cancelled", "waitlist.offered"}

// TestWebhookEventsAreWrittenWithTheChange: booking, changing, cancelling and a waitlist offer
// each write one delivery in the change's own write, with the booking's fields; a refused
// booking (a full time) writes none.
func TestWebhookEventsAreWrittenWithTheChange(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	s.addWebhook(t, owner, "https://hooks.example/reserva", false, allEvents...)

	token := s.book(t, "2026-11-27T19:00", "2")
	created := s.deliveries(t, store.EventBookingCreated)
	if len(created) != 1 {
		t.Fatalf("booking.created rows = %d, want 1", len(created))
	}
	var ev jobs.WebhookEvent
	if err := json.Unmarshal([]byte(created[0].Payload), &ev); err != nil {
		t.Fatal(err)
	}
	rec := s.bookingByToken(t, token)
	b := ev.Data.Booking
	if ev.Type != "booking.created" || ev.ID != created[0].EventID || !strings.HasPrefix(ev.ID, "evt_") || b.Reference != rec.Reference ||
		b.Offering != "dinner" || b.Start != "2026-11-27T18:00:00Z" || b.StartLocal != "2026-11-27T19:00:00+01:00" ||
		b.TimeZone != "Europe/Berlin" || b.Party != 2 || b.Status != "confirmed" || b.Source != "web" || b.Guest != nil {
		t.Errorf("payload = %s", created[0].Payload)
	}
	if _, err := time.Parse(time.RFC3339, ev.Created); err != nil || !strings.HasSuffix(ev.Created, "Z") {
		t.Errorf("created %q is not UTC RFC 3339", ev.Created)
	}
	for _, leak := range []string{"ada@example.com", "Ada Lovelace", "Window seat", "sensitive"} {
		if strings.Contains(created[0].Payload, leak) {
			t.Errorf("payload without contact opt-in holds %q: %s", leak, created[0].Payload)
		}
	}

	if res := s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-27T20:00"}, "party": {"6"}}); res.status != http.StatusSeeOther {
		t.Fatalf("change = %d", res.status)
	}
	if rows := s.deliveries(t, store.EventBookingChanged); len(rows) != 1 || !strings.Contains(rows[0].Payload, `"party":6`) {
		t.Errorf("booking.changed rows = %v", rows)
	}

	// A full time: five parties of 8 fill 19:00 (the changed booking sits at 20:00), the sixth is refused.
	for range 4 {
		s.book(t, "2026-11-28T19:00", "8")
	}
	s.book(t, "2026-11-28T19:00", "8")
	before := len(s.deliveries(t, store.EventBookingCreated))
	if res := s.post(t, "/book/dinner", bookingForm("2026-11-28T19:00", "2")); res.status != http.StatusConflict {
		t.Fatalf("a full time = %d, want 409", res.status)
	}
	if after := len(s.deliveries(t, store.EventBookingCreated)); after != before {
		t.Errorf("a refused booking wrote an event: %d rows, want %d", after, before)
	}

	if res := s.post(t, "/b/"+token+"/cancel", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d", res.status)
	}
	if rows := s.deliveries(t, store.EventBookingCancelled); len(rows) != 1 || !strings.Contains(rows[0].Payload, `"status":"cancelled"`) {
		t.Errorf("booking.cancelled rows = %v", rows)
	}

	// A waitlist offer: a full 19:00 on the 28th, one party waiting, a place freed by staff.
	s.joinWaitlist(t, "2026-11-28T19:00", "2", "wanda@example.com")
	var id string
	if err := s.app.DB().Select("id").From("bookings").Where(dbx.HashExp{"status": "confirmed"}).
		AndWhere(dbx.NewExp("start LIKE '2026-11-28%'")).Limit(1).Row(&id); err != nil {
		t.Fatal(err)
	}
	if res := s.as(t, owner, http.MethodPost, "/admin/bookings/"+id+"/cancel", url.Values{"reason": {"Closed"}}); res.status != http.StatusSeeOther {
		t.Fatalf("staff cancel = %d", res.status)
	}
	if res, err := s.jobs.ProcessWaitlist(s.now); err != nil || res.Offered != 1 {
		t.Fatalf("offers = %d (%v)", res.Offered, err)
	}
	offers := s.deliveries(t, store.EventWaitlistOffered)
	if len(offers) != 1 || !strings.Contains(offers[0].Payload, `"status":"held"`) || strings.Contains(offers[0].Payload, "wanda@") {
		t.Errorf("waitlist.offered rows = %v", offers)
	}
	if n := len(s.deliveries(t, store.EventBookingCancelled)); n != 2 {
		t.Errorf("booking.cancelled rows after the staff cancel = %d, want 2", n)
	}
}

// TestWebhookGuestContactOnlyWhenOptedIn: only the endpoint that asks for the guest's contact
// details gets them; the event id is the same for both.
func TestWebhookGuestContactOnlyWhenOptedIn(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	plain := s.addWebhook(t, owner, "https://a.example/h", false, "booking.created")
	with := s.addWebhook(t, owner, "https://b.example/h", true, "booking.created")
	s.addWebhook(t, owner, "https://c.example/h", true, "booking.cancelled")
	s.book(t, "2026-11-27T19:00", "2")
	rows := s.deliveries(t, store.EventBookingCreated)
	if len(rows) != 2 || rows[0].EventID != rows[1].EventID {
		t.Fatalf("rows = %v, want one event for the two endpoints that take it", rows)
	}
	for _, r := range rows {
		switch r.Endpoint {
		case plain.ID:
			mustNotContain(t, "without contact", r.Payload, "ada@example.com", "Ada Lovelace", `"guest"`)
		case with.ID:
			mustContain(t, "with contact", r.Payload, `"guest":{"name":"Ada Lovelace","email":"ada@example.com"`)
		default:
			t.Errorf("a row for endpoint %s", r.Endpoint)
		}
		mustNotContain(t, "payload", r.Payload, "Window seat")
	}
}

// receiver is a real HTTP server on a port of 127.0.0.1 that checks each post's signature and
// answers the statuses it is given in turn (then 200).
type receiver struct {
	srv      *httptest.Server
	secret   string
	mu       sync.Mutex
	statuses []int
	got      []received
}

type received struct {
	event, delivery string
	body            []byte
	signed          bool
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, received{event: req.Header.Get("Reserva-Event"), delivery: req.Header.Get("Reserva-Delivery"), body: body,
			signed: verifySignature(r.secret, req.Header.Get("Reserva-Signature"), body)})
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// verifySignature checks header as the README tells a receiver to.
func verifySignature(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(m.Sum(nil))
	return ts != "" && hmac.Equal([]byte(sig), []byte(want))
}

// TestWebhookRetriedAfterA500ThenDelivered: a real receiver answers 500, then 200; the retry
// waits the first back-off, carries the same event id, is signed, and the row ends delivered
// after two attempts.
func TestWebhookRetriedAfterA500ThenDelivered(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	rc := newReceiver(t, http.StatusInternalServerError)
	ep := s.addWebhook(t, owner, rc.srv.URL+"/hook", false, "booking.created")
	secret, err := ep.EndpointSecret()
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q: %v", secret, err)
	}
	if strings.Contains(ep.Secret, secret) {
		t.Error("the secret is stored in clear")
	}
	rc.secret = secret
	s.book(t, "2026-11-27T19:00", "2")

	now := s.now
	if r, err := s.jobs.DeliverWebhooks(now); err != nil || r.Retried != 1 {
		t.Fatalf("first run: %+v %v, want one retried", r, err)
	}
	d := s.deliveries(t, store.EventBookingCreated)[0]
	if d.Status != store.DeliveryPending || d.Attempts != 1 || d.LastStatus != 500 || d.LastError != "HTTP 500" ||
		!d.NextAttempt.Time().Equal(now.Add(time.Minute).Truncate(time.Millisecond)) {
		t.Errorf("after a 500: %+v", d)
	}
	if r, _ := s.jobs.DeliverWebhooks(now.Add(30 * time.Second)); r.Delivered+r.Retried != 0 {
		t.Errorf("a run before the back-off posted: %+v", r)
	}
	if r, err := s.jobs.DeliverWebhooks(now.Add(time.Minute)); err != nil || r.Delivered != 1 {
		t.Fatalf("second run: %+v %v, want one delivered", r, err)
	}
	d = s.deliveries(t, store.EventBookingCreated)[0]
	if d.Status != store.DeliveryDelivered || d.Attempts != 2 || d.LastStatus != 200 {
		t.Errorf("after a 200: %+v", d)
	}
	if r, _ := s.jobs.DeliverWebhooks(now.Add(time.Hour)); r.Delivered != 0 {
		t.Errorf("a delivered row was posted again: %+v", r)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 2 {
		t.Fatalf("the receiver got %d posts, want 2", len(rc.got))
	}
	for _, g := range rc.got {
		if !g.signed || g.event != "booking.created" || g.delivery != d.EventID || !strings.Contains(string(g.body), `"id":"`+d.EventID+`"`) {
			t.Errorf("post: signed %v event %q delivery %q body %s", g.signed, g.event, g.delivery, g.body)
		}
	}
}

// TestWebhookRedirectIsRefused: a 302 is not followed; the delivery waits for a retry.
func TestWebhookRedirectIsRefused(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	target := newReceiver(t)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL+"/elsewhere", http.StatusFound)
	}))
	defer redirect.Close()
	s.addWebhook(t, owner, redirect.URL, false, "booking.created")
	s.book(t, "2026-11-27T19:00", "2")
	if r, err := s.jobs.DeliverWebhooks(s.now); err != nil || r.Retried != 1 {
		t.Fatalf("run: %+v %v", r, err)
	}
	d := s.deliveries(t, store.EventBookingCreated)[0]
	if d.Status != store.DeliveryPending || d.LastStatus != 302 || !strings.Contains(d.LastError, "redirect refused") {
		t.Errorf("after a redirect: %+v", d)
	}
	target.mu.Lock()
	defer target.mu.Unlock()
	if len(target.got) != 0 {
		t.Errorf("the redirect was followed")
	}
}

// TestWebhookBackoff: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, then given up; a delivery that
// keeps failing ends failed after seven attempts, and the owner's retry gives it a new round.
func TestWebhookBackoff(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	want := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour}
	for i, w := range want {
		if got := jobs.WebhookRetryAt(i+1, now); !got.Equal(now.Add(w)) {
			t.Errorf("WebhookRetryAt(%d) = %v, want %v", i+1, got, now.Add(w))
		}
	}
	if got := jobs.WebhookRetryAt(len(want)+1, now); !got.IsZero() {
		t.Errorf("WebhookRetryAt(%d) = %v, want zero (give up)", len(want)+1, got)
	}

	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	rc := newReceiver(t, 500, 500, 500, 500, 500, 500, 500)
	s.addWebhook(t, owner, rc.srv.URL, false, "booking.created")
	s.book(t, "2026-11-27T19:00", "2")
	at := s.now
	for range 7 {
		if _, err := s.jobs.DeliverWebhooks(at); err != nil {
			t.Fatal(err)
		}
		at = at.Add(13 * time.Hour)
	}
	d := s.deliveries(t, store.EventBookingCreated)[0]
	if d.Status != store.DeliveryFailed || d.Attempts != 7 {
		t.Fatalf("after seven 500s: %+v", d)
	}
	page := s.as(t, owner, http.MethodGet, "/admin/webhooks", nil)
	mustContain(t, "webhooks page", page.body, rc.srv.URL, "booking.created", "/admin/webhooks/deliveries/"+d.ID+"/retry", "whsec_")
	if res := s.as(t, owner, http.MethodPost, "/admin/webhooks/deliveries/"+d.ID+"/retry", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("retry = %d", res.status)
	}
	if r, _ := s.jobs.DeliverWebhooks(at); r.Delivered != 1 {
		t.Errorf("after the owner's retry: %+v", r)
	}
}

// TestWebhookSettings: bad input is a 422 beside the field with the text kept; without the key
// nothing is stored; changes are audited without the secret; only the owner may.
func TestWebhookSettings(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, "")
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	res := s.as(t, owner, http.MethodPost, "/admin/webhooks", url.Values{"url": {"https://hooks.example/x"}, "events": {"booking.created"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "RESERVA_ENCRYPTION_KEY") {
		t.Errorf("without a key = %d", res.status)
	}
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	for _, c := range []struct{ url, events, want string }{
		{"http://hooks.example/x", "booking.created", "Enter an address starting with https://."},
		{"ftp://hooks.example/x", "booking.created", "Enter an address starting with https://."},
		{"https://user:pw@hooks.example/x", "booking.created", "Enter an address starting with https://."},
		{"hooks.example", "booking.created", "Enter an address starting with https://."},
		{"https://hooks.example/x", "", "Choose at least one event."},
		{"https://hooks.example/x", "booking.deleted", "Choose at least one event."},
	} {
		res := s.as(t, owner, http.MethodPost, "/admin/webhooks", url.Values{"url": {c.url}, "events": {c.events}})
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%q %q = %d, want 422", c.url, c.events, res.status)
			continue
		}
		mustContain(t, c.url, res.body, c.want, `value="`+c.url+`"`)
	}
	ep := s.addWebhook(t, owner, "http://127.0.0.1:9/hook", false, "booking.created")
	secret, _ := ep.EndpointSecret()
	if res := s.as(t, owner, http.MethodPost, "/admin/webhooks/"+ep.ID, url.Values{"url": {"nope"}, "events": {"booking.created"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("a bad change = %d, want 422", res.status)
	}
	if res := s.as(t, owner, http.MethodPost, "/admin/webhooks/"+ep.ID+"/rotate", url.Values{}); res.status != http.StatusSeeOther {
		t.Errorf("rotate = %d", res.status)
	}
	ep2, _ := store.EndpointByID(s.app, ep.ID)
	if s2, _ := ep2.EndpointSecret(); s2 == secret || !strings.HasPrefix(s2, "whsec_") {
		t.Errorf("rotate kept the secret")
	}
	var details []string
	if err := s.app.DB().Select("detail").From("audit_log").Where(dbx.NewExp("action LIKE 'webhook.%'")).Column(&details); err != nil {
		t.Fatal(err)
	}
	if len(details) != 2 {
		t.Errorf("audit entries = %v, want added and rotated", details)
	}
	for _, d := range details {
		if strings.Contains(d, "whsec_") || strings.Contains(d, secret[6:20]) {
			t.Errorf("audit detail holds the secret: %q", d)
		}
	}
	manager, _ := s.signedIn(t, "manager")
	if res := s.as(t, manager, http.MethodGet, "/admin/webhooks", nil); res.status != http.StatusForbidden {
		t.Errorf("a manager's GET = %d, want 403", res.status)
	}
	if res := s.as(t, owner, http.MethodPost, "/admin/webhooks/"+ep.ID+"/delete", url.Values{}); res.status != http.StatusSeeOther {
		t.Errorf("delete = %d", res.status)
	}
}

// TestWebhookDeliveriesArePurged: the retention purge deletes delivered and failed deliveries
// 30 days after they finished, and keeps pending ones and younger ones.
func TestWebhookDeliveriesArePurged(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	rc := newReceiver(t)
	s.addWebhook(t, owner, rc.srv.URL, false, "booking.created")
	s.book(t, "2026-11-27T19:00", "2")
	s.book(t, "2026-11-27T20:00", "2")
	if r, err := s.jobs.DeliverWebhooks(s.now); err != nil || r.Delivered != 2 {
		t.Fatalf("run: %+v %v", r, err)
	}
	s.book(t, "2026-11-27T21:00", "2") // pending
	if r, err := s.jobs.Purge(s.now.Add(29*24*time.Hour), false); err != nil || r.Webhooks != 0 {
		t.Fatalf("purge after 29 days: %+v %v", r, err)
	}
	r, err := s.jobs.Purge(s.now.Add(31*24*time.Hour), false)
	if err != nil || r.Webhooks != 2 {
		t.Fatalf("purge after 31 days: %d deleted (%v), want 2", r.Webhooks, err)
	}
	rows := s.deliveries(t, store.EventBookingCreated)
	if len(rows) != 1 || rows[0].Status != store.DeliveryPending {
		t.Fatalf("left: %v, want the pending one", rows)
	}
	// An erased or anonymised booking takes its deliveries with it (a payload may hold contact).
	if err := s.app.RunInTransaction(func(tx core.App) error {
		_, _, err := store.AnonymiseBookings(tx, []string{rows[0].Booking})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if rows := s.deliveries(t, store.EventBookingCreated); len(rows) != 0 {
		t.Errorf("after anonymising its booking: %d deliveries, want 0", len(rows))
	}
}

// TestWebhookOverlappingRunsPostOnce: two runs at once share the due rows, each posted once.
func TestWebhookOverlappingRunsPostOnce(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, webhookTestKey)
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	rc := newReceiver(t)
	s.addWebhook(t, owner, rc.srv.URL, false, "booking.created")
	for _, at := range []string{"17:00", "17:30", "18:00", "18:30", "19:00", "19:30"} {
		s.book(t, "2026-11-27T"+at, "2")
	}
	var wg sync.WaitGroup
	results := make([]jobs.WebhookResult, 2)
	for i := range results {
		wg.Go(func() {
			r, err := s.jobs.DeliverWebhooks(s.now)
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	if n := results[0].Delivered + results[1].Delivered; n != 6 {
		t.Errorf("delivered %d (%+v), want 6", n, results)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	seen := map[string]int{}
	for _, g := range rc.got {
		seen[g.delivery]++
	}
	if len(rc.got) != 6 || len(seen) != 6 {
		t.Errorf("the receiver got %d posts of %d events, want 6 of 6", len(rc.got), len(seen))
	}
}
