//go:build integration

package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	_ "modernc.org/sqlite"

	"reserva/internal/realtest"
)

var waitlistLinkInMail = regexp.MustCompile(`/w/[A-Za-z0-9_-]{43}`)

// TestWaitlistInChromium: a visitor in chromium meets a full dinner time, joins its waitlist;
// a staff member cancels another booking in the dashboard; the waitlist offers the freed place
// at once and the offer mail arrives in a real Mailpit; accepting it in the browser books the
// time, with its confirmation mail.
func TestWaitlistInChromium(t *testing.T) {
	mp := realtest.StartMailpit(t)
	inst := startReserva(t, mailEnv(mp, "1s"), "--demo", "--demo-guests=false")
	const pw = "amber-kettle-lighthouse"
	createStaff(t, inst.Dir, "desk@example.com", "frontdesk", pw)
	date := nextOpenDate(t)
	fillTime(t, inst.URL, "dinner", date+"T19:00")

	const email = "wanda.wait@example.com"
	ctx := realtest.NewBrowser(t, 3*time.Minute)
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(inst.URL+"/book/dinner?date="+date+"&party=2"),
		chromedp.Click(chromedp.CSS(`a[data-testid="join-waitlist"][href*="T19%3A00"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="waitlist-form"]`)),
		chromedp.SendKeys(chromedp.ID("name"), "Wanda Wait"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.ID("consent")),
		chromedp.Click(chromedp.CSS(`[data-testid="waitlist-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="waitlist-status"]`))))
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="waitlist-status"]`)))
	must(t, err)
	if !strings.Contains(status, "number 1") {
		t.Fatalf("the waitlist page says %q", status)
	}

	db, err := sql.Open("sqlite", filepath.Join(inst.Dir, "data.db")+"?_pragma=busy_timeout(10000)")
	must(t, err)
	defer db.Close()
	var id string
	must(t, db.QueryRow(`SELECT id FROM bookings WHERE email = 'table0@example.com'`).Scan(&id))
	desk := signInStaff(t, inst.URL, "desk@example.com", pw)
	if res := desk.post(t, "/admin/bookings/"+id+"/cancel", url.Values{"reason": {"The party called off"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("staff cancel = %d", res.StatusCode)
	}

	var link string
	deadline := time.Now().Add(60 * time.Second)
	for link == "" && time.Now().Before(deadline) {
		for _, m := range mp.Messages(t) {
			if strings.Contains(m.Subject, "A place is free") && len(m.To) > 0 && m.To[0].Address == email {
				link = waitlistLinkInMail.FindString(mp.Message(t, m.ID).Text)
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	if link == "" {
		t.Fatal("no offer mail within a minute of the cancellation")
	}
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(inst.URL+link),
		chromedp.Click(chromedp.CSS(`[data-testid="waitlist-accept"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reference"]`))))
	var bookingStatus string
	var party int
	must(t, db.QueryRow(`SELECT status, party FROM bookings WHERE email = ? ORDER BY created DESC LIMIT 1`, email).Scan(&bookingStatus, &party))
	if bookingStatus != "confirmed" || party != 2 {
		t.Fatalf("the accepted booking is %s for %d", bookingStatus, party)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		confirmed := false
		for _, m := range mp.Messages(t) {
			if strings.HasPrefix(m.Subject, "Booking confirmed") && len(m.To) > 0 && m.To[0].Address == email {
				confirmed = true
			}
		}
		if confirmed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no confirmation mail for the accepted offer")
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// fillTime books start of offering until no party of any size fits (parties of 8, then 2, then
// 1), with addresses table0@example.com, table1@… in order.
func fillTime(t *testing.T, base, offering, start string) {
	t.Helper()
	n := 0
	for _, party := range []string{"8", "2", "1"} {
		for {
			res := postForm(t, base+"/book/"+offering, url.Values{"start": {start}, "party": {party}, "name": {"Full Table"},
				"email": {fmt.Sprintf("table%d@example.com", n)}, "consent": {"yes"}})
			if res.StatusCode == http.StatusConflict {
				break
			}
			if res.StatusCode != http.StatusSeeOther || n > 100 {
				t.Fatalf("filling %s at %s: %d after %d bookings", offering, start, res.StatusCode, n)
			}
			n++
		}
	}
}
