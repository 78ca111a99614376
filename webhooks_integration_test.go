//go:build integration

package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var webhookSecret = regexp.MustCompile(`whsec_[0-9a-f]{64}`)

// TestWebhooksToARealReceiver: the owner of a running reserva adds an endpoint on Settings →
// Webhooks pointing at a receiver on a port of its own; a guest books; the receiver checks each
// post's signature with the secret the page shows, answers 500 to the first post and 200 after,
// and gets booking.created twice with the same event id (once failed, once delivered), and
// then no more; the page lists the delivery as delivered.
func TestWebhooksToARealReceiver(t *testing.T) {
	type post struct {
		event, delivery string
		body            []byte
		signed          bool
	}
	var (
		mu     sync.Mutex
		secret string
		posts  []post
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		var ts, sig string
		for _, part := range strings.Split(r.Header.Get("Reserva-Signature"), ",") {
			k, v, _ := strings.Cut(part, "=")
			if k == "t" {
				ts = v
			} else if k == "v1" {
				sig = v
			}
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(ts + "." + string(body)))
		posts = append(posts, post{r.Header.Get("Reserva-Event"), r.Header.Get("Reserva-Delivery"), body,
			ts != "" && hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil))))})
		if len(posts) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	t.Setenv("RESERVA_ENCRYPTION_KEY", testKey) // for `reserva staff create` too
	inst := startReserva(t, []string{"RESERVA_MAIL_INTERVAL=1s",
		"RESERVA_RATE_BOOKING=off", "RESERVA_RATE_PAGES=off", "RESERVA_BOOKINGS_PER_EMAIL=0", "RESERVA_FORM_MIN_SECONDS=0"},
		"--demo", "--demo-guests=false")
	const ownerPW = "cobalt-orchard-lantern"
	createStaff(t, inst.Dir, "owner@example.com", "owner", ownerPW)
	owner := signInStaff(t, inst.URL, "owner@example.com", ownerPW)

	hook := "http://" + ln.Addr().String() + "/reserva"
	if res := owner.post(t, "/admin/webhooks", url.Values{"url": {"ftp://x"}, "events": {"booking.created"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a bad address = %d, want 422", res.StatusCode)
	}
	if res := owner.post(t, "/admin/webhooks", url.Values{"url": {hook}, "events": {"booking.created"}, "active": {"yes"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding the endpoint = %d, want 303", res.StatusCode)
	}
	page := func() string {
		res, err := owner.client.Get(inst.URL + "/admin/webhooks")
		must(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	mu.Lock()
	secret = webhookSecret.FindString(page())
	mu.Unlock()
	if secret == "" {
		t.Fatal("the webhooks page shows no secret")
	}

	times := freeTimes(t, inst.URL, "dinner", 10)
	if len(times) == 0 {
		t.Fatal("no free dinner time")
	}
	bookHTTP(t, inst.URL, "dinner", times[0], "grace@example.com")

	// The first post at the next run (1 s), the retry a minute later.
	deadline := time.Now().Add(100 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(posts)
		mu.Unlock()
		if n >= 2 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // a third post would come within a few runs
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 2 {
		t.Fatalf("the receiver got %d posts, want 2 (a 500, then the retry)", len(posts))
	}
	var ev struct {
		ID, Type, Created string
		Data              struct {
			Booking struct {
				Reference, Offering, Status string
				Party                       int
			}
		}
	}
	must(t, json.Unmarshal(posts[1].body, &ev))
	for i, p := range posts {
		if !p.signed || p.event != "booking.created" || p.delivery != ev.ID || string(p.body) != string(posts[0].body) {
			t.Errorf("post %d: signed %v event %q delivery %q", i, p.signed, p.event, p.delivery)
		}
	}
	if ev.Type != "booking.created" || !strings.HasPrefix(ev.ID, "evt_") || ev.Data.Booking.Offering != "dinner" ||
		ev.Data.Booking.Status != "confirmed" || ev.Data.Booking.Party != 1 || ev.Data.Booking.Reference == "" {
		t.Errorf("event = %+v", ev)
	}
	if strings.Contains(string(posts[1].body), "grace@example.com") {
		t.Error("the guest's address went out without the opt-in")
	}
	if p := page(); !strings.Contains(p, "delivered") || !strings.Contains(p, hook) {
		t.Errorf("the webhooks page does not list the delivery as delivered")
	}
}
