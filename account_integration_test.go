//go:build integration

package main

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	_ "modernc.org/sqlite"

	"reserva/internal/realtest"
)

var accountLinkInMail = regexp.MustCompile(`/account/[A-Za-z0-9_-]{43}`)

// TestVisitorAccountInChromium: a visitor whose dinner has passed asks for a sign-in link in
// chromium, reads it from a real Mailpit, signs in, sees the booking, downloads the export (a
// zip holding their data) and erases themselves; afterwards the database holds nothing under
// their address and the booking still counts, anonymised.
func TestVisitorAccountInChromium(t *testing.T) {
	mp := realtest.StartMailpit(t)
	inst := startReserva(t, mailEnv(mp, "1s"), "--demo", "--demo-guests=false")
	const email = "ines.account@example.com"
	date := nextOpenDate(t)
	bookHTTP(t, inst.URL, "dinner", date+"T19:00", email)
	mp.WaitFor(t, 1, 30*time.Second) // the confirmation

	// The evening has passed: the booking is moved a week back, as the clock would.
	db, err := sql.Open("sqlite", filepath.Join(inst.Dir, "data.db")+"?_pragma=busy_timeout(10000)")
	must(t, err)
	defer db.Close()
	var reference string
	must(t, db.QueryRow(`SELECT reference FROM bookings WHERE email = ?`, email).Scan(&reference))
	_, err = db.Exec(`UPDATE bookings SET start = strftime('%Y-%m-%d %H:%M:%fZ', start, '-14 days'),
		"end" = strftime('%Y-%m-%d %H:%M:%fZ', "end", '-14 days') WHERE email = ?`, email)
	must(t, err)

	ctx := realtest.NewBrowser(t, 3*time.Minute)
	err = chromedp.Do(ctx,
		chromedp.Navigate(inst.URL+"/account"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.CSS(`[data-testid="account-request"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="account-sent"]`)))
	must(t, err)
	msgs := mp.WaitFor(t, 2, 30*time.Second)
	var link string
	for _, m := range msgs {
		if strings.Contains(m.Subject, "sign-in link") {
			link = accountLinkInMail.FindString(mp.Message(t, m.ID).Text)
		}
	}
	if link == "" {
		t.Fatalf("no sign-in link among %d mails", len(msgs))
	}
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(inst.URL+link),
		chromedp.Click(chromedp.CSS(`[data-testid="account-signin"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="account-export"]`))))
	page, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	must(t, err)
	if !strings.Contains(page, reference) || !strings.Contains(page, "Grace Hopper") {
		t.Fatalf("the account page does not show booking %s:\n%s", reference, page)
	}

	zipped := downloadByClick(t, ctx, `[data-testid="account-export"]`)
	z, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	must(t, err)
	files := map[string]string{}
	for _, f := range z.File {
		r, err := f.Open()
		must(t, err)
		b, _ := io.ReadAll(r)
		r.Close()
		files[f.Name] = string(b)
	}
	for _, name := range []string{"data.json", "data.html"} {
		if !strings.Contains(files[name], email) || !strings.Contains(files[name], reference) {
			t.Errorf("%s of the export lacks the address or the booking (%d bytes)", name, len(files[name]))
		}
	}

	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`details.cancel summary`)),
		chromedp.Click(chromedp.CSS(`[data-testid="account-erase"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="account-erased"]`))))
	var left, anonymised int
	must(t, db.QueryRow(`SELECT (SELECT count(*) FROM bookings WHERE email = ?1) + (SELECT count(*) FROM customers WHERE email = ?1)
		+ (SELECT count(*) FROM outbox WHERE to_email = ?1) + (SELECT count(*) FROM visitor_links WHERE email = ?1)`, email).Scan(&left))
	must(t, db.QueryRow(`SELECT count(*) FROM bookings WHERE reference = ? AND anonymised AND name = '' AND party = 1`, reference).Scan(&anonymised))
	if left != 0 || anonymised != 1 {
		t.Errorf("after the erasure %d rows still hold the address; the booking anonymised: %d", left, anonymised)
	}
}
