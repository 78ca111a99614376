//go:build integration

package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reserva/internal/realtest"
)

// TestSessionSeriesInChromium: a manager adds a weekly series to the demo's pottery class
// through its form in chromium; a guest books one of its sessions; the manager moves the series
// to another time from a date on, and the guest's mail about the new time reaches Mailpit; then
// the manager cancels the session with a reason, and the guest's cancellation carries it.
func TestSessionSeriesInChromium(t *testing.T) {
	mp := realtest.StartMailpit(t)
	inst := startReserva(t, mailEnv(mp, "1s"), "--demo", "--demo-guests=false")
	const managerPW = "saffron-meadow-quartz"
	createStaff(t, inst.Dir, "manager@example.com", "manager", managerPW)
	ctx := realtest.NewBrowser(t, 3*time.Minute)
	b := tab{t, ctx}
	step, text, click := b.step, b.text, b.click

	berlin, err := time.LoadLocation("Europe/Berlin")
	step("time zone", err)
	// The Thursday at least a week ahead: the demo has no Thursday sessions of its own.
	day := time.Now().In(berlin).AddDate(0, 0, 7)
	for day.Weekday() != time.Thursday {
		day = day.AddDate(0, 0, 1)
	}
	date := day.Format("2006-01-02")

	step("open sign-in", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/")))
	step("fill sign-in", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("email"), "manager@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), managerPW)))
	click(`[data-testid="login-submit"]`)
	step("open the offerings", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/offerings")))
	pottery, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('main a[href^="/admin/offerings/"]')].find(a => a.textContent.includes('Pottery')).getAttribute('href')`))
	step("find the pottery class", err)
	step("open the pottery class", chromedp.Do(ctx, chromedp.Navigate(inst.URL+pottery)))

	// The form, with no day ticked first: refused beside the days, nothing stored.
	step("open the new-series form", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`section[aria-labelledby="series-h"] summary`))))
	step("fill the series", chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("time"), "19:30"), chromedp.SetValue(chromedp.ID("seats"), "6"),
		chromedp.SetValue(chromedp.ID("from"), date),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="series-form"]').noValidate = true`)))
	if st := b.submit(`[data-testid="series-form"] button[type="submit"]`); st != http.StatusUnprocessableEntity {
		t.Fatalf("a series without days: %d, want 422", st)
	}
	if msg := text(`#days-error`); !strings.Contains(msg, "at least one day") {
		t.Errorf("the message beside the days is %q", msg)
	}
	step("tick Thursday", chromedp.Do(ctx, chromedp.Click(chromedp.ID("day-4"))))
	click(`[data-testid="series-form"] button[type="submit"]`)
	if notice := text(`main`); !strings.Contains(notice, "The series is saved") {
		t.Fatalf("after adding the series the page reads %q", notice)
	}
	if list := text(`[data-testid="series-list"]`); !strings.Contains(list, "Thursday at 19:30 · 6 places") {
		t.Fatalf("the series list reads %q", list)
	}

	// A guest books the first session of the series.
	var session string
	for range 50 {
		ids := freeSessions(t, inst.URL, date)
		if len(ids) > 0 {
			session = ids[0]
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if session == "" {
		t.Fatalf("no session of the series on %s", date)
	}
	bookHTTP(t, inst.URL, "pottery", session, "clay@example.com")
	mp.WaitFor(t, 1, 30*time.Second)

	// The series moves to 18:00 from that Thursday on.
	click(`[data-testid="series-list"] a`)
	if got := text(`[data-testid="series-sessions"]`); !strings.Contains(got, "1 of 6 places booked") {
		t.Fatalf("the series' sessions read %q", got)
	}
	step("change the time", chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`[data-testid="series-change"] #time`), "18:00"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="series-change"] #from`), date)))
	click(`[data-testid="series-change"] button[type="submit"]`)
	changed := waitForSubject(t, mp, "clay@example.com", "Booking changed")
	if m := mp.Message(t, changed.ID); !strings.Contains(m.Text, "18:00") {
		t.Errorf("the change mail does not give the new time:\n%s", m.Text)
	}

	// The session is cancelled with a reason.
	step("open the session", chromedp.Do(ctx, chromedp.Navigate(inst.URL+pottery+"/sessions/"+session)))
	if got := text(`[data-testid="session-summary"]`); !strings.Contains(got, "18:00") || !strings.Contains(got, "weekly series") {
		t.Fatalf("the session page reads %q", got)
	}
	step("give a reason", chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid="session-cancel"] #reason`), "The kiln is broken.")))
	click(`[data-testid="session-cancel"] button[type="submit"]`)
	cancelled := waitForSubject(t, mp, "clay@example.com", "Booking cancelled")
	if m := mp.Message(t, cancelled.ID); !strings.Contains(m.Text, "The kiln is broken.") {
		t.Errorf("the cancellation does not give the reason:\n%s", m.Text)
	}
	for _, id := range freeSessions(t, inst.URL, date) {
		if id == session {
			t.Error("the cancelled session is still offered")
		}
	}
}

// freeSessions asks the availability API for the bookable pottery sessions of date.
func freeSessions(t *testing.T, base, date string) []string {
	t.Helper()
	res, err := http.Get(base + "/api/reserva/availability?offering=pottery&date=" + date + "&party=1")
	must(t, err)
	defer res.Body.Close()
	var ans struct {
		Times []struct {
			Value     string
			Available bool
		}
	}
	must(t, json.NewDecoder(res.Body).Decode(&ans))
	var ids []string
	for _, tm := range ans.Times {
		if tm.Available {
			ids = append(ids, tm.Value)
		}
	}
	return ids
}

// waitForSubject waits up to 30 s for a mail to to whose subject begins with prefix.
func waitForSubject(t *testing.T, mp *realtest.Mailpit, to, prefix string) realtest.MailSummary {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range mp.Messages(t) {
			if strings.HasPrefix(m.Subject, prefix) && len(m.To) > 0 && m.To[0].Address == to {
				return m
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no mail to %s beginning %q within 30 s", to, prefix)
	return realtest.MailSummary{}
}
