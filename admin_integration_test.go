//go:build integration

package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"reserva/internal/realtest"
)

// createStaff runs `reserva staff create` against a data directory, the password on stdin, as
// an owner does for the first account.
func createStaff(t *testing.T, dir, email, role, password string) {
	t.Helper()
	cmd := exec.Command(reservaBinary(t), "staff", "create", email, "--role", role, "--name", strings.Split(email, "@")[0], "--dir", dir)
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Created "+email) {
		t.Fatalf("staff create %s: %v\n%s", email, err, out)
	}
}

// TestStaffDashboardInChromium: the first owner, made on the console, enrols an authenticator
// and signs in with password and TOTP, sees the day's demo bookings, checks one in and exports
// a CSV; a front-desk account is refused the export.
func TestStaffDashboardInChromium(t *testing.T) {
	inst := startReserva(t, nil, "--demo")
	const ownerPW, deskPW = "copper-lantern-estuary", "juniper-atlas-cobble"
	createStaff(t, inst.Dir, "owner@example.com", "owner", ownerPW)
	createStaff(t, inst.Dir, "desk@example.com", "frontdesk", deskPW)

	ctx := realtest.NewBrowser(t, 3*time.Minute)
	b := tab{t, ctx}
	step, text, submit := b.step, b.text, b.submit
	signIn := func(email, password string) {
		t.Helper()
		step("open sign-in", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/")))
		step("fill sign-in", chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), password)))
		if st := submit(`[data-testid="login-submit"]`); st != http.StatusOK {
			t.Fatalf("sign-in as %s: %d", email, st)
		}
	}

	// The owner signs in with the password, then enrols an authenticator from the account page.
	signIn("owner@example.com", ownerPW)
	step("open the account page", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/account")))
	submit(`[data-testid="2fa-setup"]`)
	secret := text(`[data-testid="totp-secret"]`)
	code, err := totp.GenerateCode(secret, time.Now())
	step("code", err)
	step("enter the code", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("code"), code)))
	submit(`[data-testid="setup-submit"]`)
	if codes := text(`[data-testid="recovery-codes"]`); strings.Count(codes, "-") < 10 {
		t.Fatalf("recovery codes shown: %q", codes)
	}

	// Sign out, and in again: password, then a fresh TOTP code (the next 30-second step, as the
	// enrolment's code is spent).
	submit(`[data-testid="logout"]`)
	signIn("owner@example.com", ownerPW)
	if h := text("h1"); h != "Two-factor sign-in" {
		t.Fatalf("after the password the page is %q, want the second step", h)
	}
	code, err = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	step("code", err)
	step("enter the code", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("code"), code)))
	submit(`[data-testid="2fa-submit"]`)

	// Today, with the demo's guests. The demo dinner is closed on Mondays: then the desk steps
	// to the next day, as a person would.
	var rows []string
	for range 2 {
		rows, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('tr[data-testid^="row-"]')].map(r => r.dataset.testid)`))
		step("list rows", err)
		if len(rows) > 0 {
			break
		}
		submit(`nav.days a[rel="next"]`)
	}
	if len(rows) < 3 {
		t.Fatalf("the day shows %d demo bookings", len(rows))
	}
	row := `tr[data-testid="` + rows[0] + `"]`
	if st := submit(row + ` [data-testid="checkin"]`); st != http.StatusOK {
		t.Fatalf("check-in: %d", st)
	}
	if got := text(row + ` [data-testid="status"]`); got != "Checked in" {
		t.Fatalf("status after check-in = %q", got)
	}
	ref := strings.TrimPrefix(rows[0], "row-")

	// Export the bookings list as CSV through the browser's download.
	step("open bookings", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/bookings")))
	records, err := csv.NewReader(bytes.NewReader(downloadByClick(t, ctx, `[data-testid="export"]`))).ReadAll()
	step("parse the export", err)
	if len(records) < 4 || records[0][0] != "Reference" {
		t.Fatalf("export has %d rows, header %v", len(records), records[0])
	}
	found := false
	for _, r := range records[1:] {
		if r[0] == ref {
			found = r[5] == "Checked in" && strings.HasSuffix(r[7], "@demo.invalid")
		}
	}
	if !found {
		t.Errorf("the export lacks %s checked in with its demo address", ref)
	}

	// The front desk: no export link, and the export refused (403) when asked for directly.
	submit(`[data-testid="logout"]`)
	signIn("desk@example.com", deskPW)
	step("open bookings", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/bookings")))
	exportLinks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="export"]').length`))
	step("count export links", err)
	if exportLinks != 0 {
		t.Errorf("the front desk is shown %d export links", exportLinks)
	}
	res, err := chromedp.RunResponse(ctx, chromedp.Navigate(inst.URL+"/admin/export?from=2026-01-01&to=2027-12-31"))
	step("export as front desk", err)
	if res.Status != http.StatusForbidden {
		t.Errorf("export as the front desk = %d, want 403", res.Status)
	}
	if h := text("h1"); h != "Not allowed" {
		t.Errorf("the refusal reads %q", h)
	}
}

// TestSuperuserSignInNeedsAMailedCode: PocketBase's superusers have MFA on. A password alone
// gives no token; the one-time code that arrives at a real relay (Mailpit, through Reserva's
// sender) completes the sign-in.
func TestSuperuserSignInNeedsAMailedCode(t *testing.T) {
	mp := realtest.StartMailpit(t)
	dir := filepath.Join(t.TempDir(), "pb_data")
	out, err := exec.Command(reservaBinary(t), "superuser", "upsert", "root@example.com", "a-long-superuser-password", "--dir", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("superuser upsert: %v\n%s", err, out)
	}
	addr := realtest.FreeAddr(t)
	inst := runReserva(t, dir, mailEnv(mp, "1s"), "serve", "--demo", "--demo-guests=false", "--http", addr)
	base := "http://" + addr
	inst.WaitReady(t, func() error { _, err := http.Get(base + "/healthz"); return err })

	call := func(path string, body map[string]string, token string) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		method := http.MethodPost
		if body == nil {
			method = http.MethodGet
		}
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		defer res.Body.Close()
		var ans map[string]any
		_ = json.NewDecoder(res.Body).Decode(&ans)
		return res.StatusCode, ans
	}
	st, ans := call("/api/collections/_superusers/auth-with-password",
		map[string]string{"identity": "root@example.com", "password": "a-long-superuser-password"}, "")
	mfaID, _ := ans["mfaId"].(string)
	if st != http.StatusUnauthorized || mfaID == "" || ans["token"] != nil {
		t.Fatalf("password alone = %d %v, want 401 with an mfaId and no token", st, ans)
	}
	st, ans = call("/api/collections/_superusers/request-otp", map[string]string{"email": "root@example.com"}, "")
	otpID, _ := ans["otpId"].(string)
	if st != http.StatusOK || otpID == "" {
		t.Fatalf("request-otp = %d %v", st, ans)
	}
	msgs := mp.WaitFor(t, 1, 30*time.Second)
	mail := mp.Message(t, msgs[0].ID)
	if len(mail.To) != 1 || mail.To[0].Address != "root@example.com" {
		t.Fatalf("the code went to %+v", mail.To)
	}
	code := regexp.MustCompile(`\b\d{6,10}\b`).FindString(mail.Text)
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", mail.Text)
	}
	if st, _ := call("/api/collections/_superusers/auth-with-otp", map[string]string{"otpId": otpID, "password": "00000000", "mfaId": mfaID}, ""); st == http.StatusOK {
		t.Fatalf("a wrong code signed in")
	}
	st, ans = call("/api/collections/_superusers/auth-with-otp", map[string]string{"otpId": otpID, "password": code, "mfaId": mfaID}, "")
	token, _ := ans["token"].(string)
	if st != http.StatusOK || token == "" {
		t.Fatalf("password and code = %d %v", st, ans)
	}
	if st, ans := call("/api/collections/venue/records", nil, token); st != http.StatusOK || len(ans["items"].([]any)) != 1 {
		t.Errorf("the superuser reads the venue: %d %v", st, ans)
	}
}
