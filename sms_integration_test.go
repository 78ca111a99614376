//go:build integration

package main

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reserva/internal/realtest"
)

// TestTextMessagesInChromium: a reserva started with an SMS webhook gateway (a real HTTP
// endpoint on a port of its own) offers texts on the booking page. In chromium a guest ticks
// the box with a landline (refused beside the phone field, the box kept ticked), then with a
// German mobile written without its country code; the gateway gets the confirmation, in E.164
// and with its bearer token, from the running outbox worker; the guest stops texts on the
// booking's page and cancels, and no further text comes.
func TestTextMessagesInChromium(t *testing.T) {
	type text struct{ to, body, auth string }
	var (
		mu    sync.Mutex
		texts []text
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		texts = append(texts, text{m["to"], m["text"], r.Header.Get("Authorization")})
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	received := func() []text {
		mu.Lock()
		defer mu.Unlock()
		return append([]text(nil), texts...)
	}

	inst := startReserva(t, []string{"RESERVA_MAIL_INTERVAL=1s", "RESERVA_FORM_MIN_SECONDS=0",
		"RESERVA_SMS_WEBHOOK_URL=http://" + ln.Addr().String() + "/sms", "RESERVA_SMS_WEBHOOK_TOKEN=gateway-token"},
		"--demo", "--demo-guests=false")
	ctx := realtest.NewBrowser(t, 2*time.Minute)
	b := tab{t, ctx}
	date := nextOpenDate(t)

	b.step("open the booking page", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/book/dinner?date="+date+"&party=2")))
	b.click(`button[data-testid="time"][value="` + date + `T19:00"]`)
	b.step("fill the form with a landline", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("name"), "Grace Hopper"),
		chromedp.SendKeys(chromedp.ID("email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.ID("phone"), "030 1234567"),
		chromedp.Click(chromedp.ID("sms")),
		chromedp.Click(chromedp.ID("consent")),
	))
	if st := b.submit(`[data-testid="book-submit"]`); st != http.StatusUnprocessableEntity {
		t.Fatalf("texts to a landline: the page answered %d, want 422", st)
	}
	if got := b.text("#phone-error"); !strings.Contains(got, "give a mobile number") {
		t.Fatalf("the phone field's message = %q", got)
	}
	if !isChecked(t, b, "sms") {
		t.Error("the refused form lost the guest's wish for texts")
	}
	b.step("a mobile number", chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("phone"), "0151 23456789"),
	))
	if !isChecked(t, b, "consent") {
		b.step("consent", chromedp.Do(ctx, chromedp.Click(chromedp.ID("consent"))))
	}
	b.click(`[data-testid="book-submit"]`)
	ref := b.text(`[data-testid="reference"]`)
	if got := b.text(`[data-testid="texts"]`); !strings.Contains(got, "+49 1512 3456789") {
		t.Fatalf("the booking's page says %q about texts", got)
	}

	deadline := time.Now().Add(30 * time.Second)
	for len(received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	got := received()
	if len(got) != 1 || got[0].to != "+4915123456789" || got[0].auth != "Bearer gateway-token" ||
		!strings.Contains(got[0].body, ref) || !strings.Contains(got[0].body, "Demo Bistro") {
		t.Fatalf("the gateway got %+v, want the confirmation of %s", got, ref)
	}

	b.click(`[data-testid="stop-texts"]`)
	if got := b.text(`[data-testid="notice"]`); !strings.Contains(got, "No more text messages") {
		t.Fatalf("after stopping texts the notice reads %q", got)
	}
	b.step("open cancel", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details.cancel summary"))))
	b.click(`[data-testid="cancel"]`)
	time.Sleep(4 * time.Second) // the worker runs every second
	if n := len(received()); n != 1 {
		t.Errorf("the gateway got %d texts, want only the confirmation (texts were stopped)", n)
	}
}

// isChecked reports whether the checkbox with id is ticked.
func isChecked(t *testing.T, b tab, id string) bool {
	t.Helper()
	on, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("`+id+`").checked`))
	b.step("read "+id, err)
	return on
}
