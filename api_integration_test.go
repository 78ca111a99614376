//go:build integration

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reserva/internal/realtest"
)

var apiKeyPattern = regexp.MustCompile(`^rsv_[a-z0-9]{12}_[0-9a-f]{64}$`)

// apiCall is one request of a program to the running reserva's booking API: its status,
// headers and body.
func apiCall(t *testing.T, method, target, key, body string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	must(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	must(t, err)
	return res.StatusCode, res.Header, string(b)
}

// TestAPIKeysEndToEnd: the owner makes an API key on the dashboard in chromium and copies it
// from the page; a program then books through the API of the running binary with it (a retry
// with the same Idempotency-Key books once), reads the booking back, and the guest's
// confirmation arrives at a real relay (Mailpit); the owner sees the key's last use and
// revokes it, after which the program is refused.
func TestAPIKeysEndToEnd(t *testing.T) {
	mp := realtest.StartMailpit(t)
	inst := startReserva(t, mailEnv(mp, "1s"), "--demo", "--demo-guests=false")
	const ownerPW = "saffron-harbour-kite"
	createStaff(t, inst.Dir, "owner@example.com", "owner", ownerPW)

	ctx := realtest.NewBrowser(t, 3*time.Minute)
	b := tab{t, ctx}
	step, text, click := b.step, b.text, b.click
	step("open sign-in", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/")))
	step("fill sign-in", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), ownerPW)))
	click(`[data-testid="login-submit"]`)
	step("open settings", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/settings")))
	click(`a[href="/admin/api-keys"]`)
	step("name the key", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("apikey_name"), "Website widget")))
	step("allow bookings", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name="scopes"][value="bookings:write"]`))))
	click(`[data-testid="apikey-form"] button[type="submit"]`)
	key := strings.TrimSpace(text(`[data-testid="apikey-value"]`))
	if !apiKeyPattern.MatchString(key) {
		t.Fatalf("the page shows %q, not a key", key)
	}

	// A program with the key, over plain HTTP like any client.
	if st, h, _ := apiCall(t, http.MethodGet, inst.URL+"/api/v1/bookings?from=2026-01-01&to=2026-01-02", "", ""); st != http.StatusUnauthorized ||
		!strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("without a key = %d", st)
	}
	times := freeTimes(t, inst.URL, "dinner", 10)
	if len(times) == 0 {
		t.Fatal("no free dinner time")
	}
	body := `{"offering":"dinner","start":"` + times[0] + `","party":2,"name":"Grace Hopper","email":"grace@example.com","language":"en"}`
	st, h, res := apiCall(t, http.MethodPost, inst.URL+"/api/v1/bookings", key, body, "Idempotency-Key", "widget-order-1")
	if st != http.StatusCreated {
		t.Fatalf("booking through the API = %d %s", st, res)
	}
	var made struct {
		Reference, Offering, Start, Status, Source string
		Party                                      int
		Guest                                      struct{ Email string }
	}
	must(t, json.Unmarshal([]byte(res), &made))
	if made.Source != "api" || made.Status != "confirmed" || made.Party != 2 || made.Guest.Email != "grace@example.com" ||
		!strings.HasPrefix(made.Start, times[0]+":00+0") || h.Get("Location") != "/api/v1/bookings/"+made.Reference ||
		h.Get("Cache-Control") != "no-store" {
		t.Fatalf("booked %+v, Location %q", made, h.Get("Location"))
	}
	if st, h, again := apiCall(t, http.MethodPost, inst.URL+"/api/v1/bookings", key, body, "Idempotency-Key", "widget-order-1"); st != http.StatusCreated ||
		again != res || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the retry = %d %s", st, again)
	}
	st, _, one := apiCall(t, http.MethodGet, inst.URL+h.Get("Location"), key, "")
	if st != http.StatusOK || one != res {
		t.Errorf("reading the booking back = %d %s", st, one)
	}
	day := times[0][:10]
	st, _, list := apiCall(t, http.MethodGet, inst.URL+"/api/v1/bookings?from="+day+"&to="+day+"&offering=dinner", key, "")
	if st != http.StatusOK || strings.Count(list, `"reference"`) != 1 || !strings.Contains(list, made.Reference) {
		t.Errorf("the day's list = %d %s", st, list)
	}
	if st, _, doc := apiCall(t, http.MethodGet, inst.URL+"/api/v1/openapi.yaml", "", ""); st != http.StatusOK || !strings.HasPrefix(doc, "openapi: 3.") {
		t.Errorf("GET /api/v1/openapi.yaml = %d", st)
	}

	// The guest's confirmation, once, through the relay.
	mp.WaitFor(t, 1, 60*time.Second)
	conf := findMail(t, mp, "Booking confirmed: Dinner")
	if len(conf.To) != 1 || conf.To[0].Address != "grace@example.com" || !strings.Contains(conf.Text, made.Reference) {
		t.Errorf("the confirmation went to %v:\n%.400s", conf.To, conf.Text)
	}

	// The owner's page: the key is never shown again; its last use is; then it is revoked.
	step("open the keys", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/api-keys")))
	row := text(`[data-testid="apikey-row"]`)
	if strings.Contains(row, key[17:]) || !strings.Contains(row, "Website widget") || strings.Contains(row, "never") {
		t.Errorf("the key's row reads %q", row)
	}
	if st := b.submit(`[data-testid="apikey-revoke"]`); st != http.StatusOK {
		t.Fatalf("revoking: %d", st)
	}
	if got := text(`[data-testid="apikey-revoked"]`); !strings.Contains(got, "Revoked") {
		t.Errorf("the revoked key reads %q", got)
	}
	if st, _, _ := apiCall(t, http.MethodGet, inst.URL+"/api/v1/bookings/"+made.Reference, key, ""); st != http.StatusUnauthorized {
		t.Errorf("the revoked key = %d, want 401", st)
	}
	step("open the audit log", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/audit")))
	audit := text("main")
	for _, want := range []string{"API key created", "API key revoked", "Booking read through the API", "Bookings read through the API"} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log has no %q", want)
		}
	}
}
