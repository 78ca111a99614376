//go:build integration

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"reserva/internal/realtest"
)

// nextOpenDate is a date the demo dinner is open and bookable: the first Friday at least two
// days from now in Berlin.
func nextOpenDate(t *testing.T) string {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	d := time.Now().In(berlin).AddDate(0, 0, 2)
	for d.Weekday() != time.Friday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format("2006-01-02")
}

// TestVisitorBooksInChromium walks the whole visitor flow in a real browser without
// JavaScript help: open the site, pick a date, party and time, fill the form, tick consent,
// book, land on the manage page, download the calendar file, cancel.
func TestVisitorBooksInChromium(t *testing.T) {
	inst := startReserva(t, nil, "--demo", "--demo-guests=false")
	ctx := realtest.NewBrowser(t, 2*time.Minute)
	date := nextOpenDate(t)

	b := tab{t, ctx}
	step, text, click := b.step, b.text, b.click

	step("open home", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/")))
	if h := text("h1"); h != "Demo Bistro & Pottery" {
		t.Fatalf("home heading = %q", h)
	}
	click(`[data-testid="offering-dinner"] a.button`)

	step("pick date and party", chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("date"), date),
		chromedp.SetValue(chromedp.ID("party"), "2"),
	))
	click(`form.picker button[type="submit"]`)
	if got := text("#times-heading"); !strings.HasPrefix(got, "Free times on Friday") {
		t.Fatalf("times heading = %q", got)
	}
	// The guest changes the party to 3 and presses a time without "Show times" first: the party
	// beside the times is the one booked.
	step("pick another party", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("party"), "3")))
	click(`button[data-testid="time"][value="` + date + `T19:00"]`)
	formShown := time.Now()
	if got := text(`[data-testid="chosen"]`); !strings.Contains(got, "19:00–21:00") || !strings.Contains(got, "3 people") {
		t.Fatalf("chosen time = %q, want 19:00–21:00 for 3 people", got)
	}

	step("fill the form", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("name"), "Grace Hopper"),
		chromedp.SendKeys(chromedp.ID("email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.ID("phone"), "+1 202 555 0142"),
		chromedp.SendKeys(chromedp.ID("notes"), "A table by the window"),
		chromedp.Click(chromedp.ID("consent")),
	))
	// A person takes a few seconds over the form; a post sooner than RESERVA_FORM_MIN_SECONDS
	// (3 s by default) is refused as a bot's.
	time.Sleep(3*time.Second - time.Since(formShown))
	click(`[data-testid="book-submit"]`)

	loc, err := chromedp.Run(ctx, chromedp.Location())
	step("location", err)
	if !strings.Contains(loc, "/b/") || !strings.HasSuffix(loc, "?m=booked") {
		t.Fatalf("after booking the browser is at %q, want the manage page", loc)
	}
	ref := text(`[data-testid="reference"]`)
	if len(ref) != 7 || ref[3] != '-' {
		t.Fatalf("reference = %q", ref)
	}
	if got := text(`[data-testid="status"]`); got != "Confirmed" {
		t.Fatalf("status = %q", got)
	}

	// Download the calendar file through the browser.
	ics := downloadByClick(t, ctx, `[data-testid="ics"]`)
	for _, want := range []string{"BEGIN:VCALENDAR", "METHOD:PUBLISH", "TZID:Europe/Berlin",
		"DTSTART;TZID=Europe/Berlin:" + strings.ReplaceAll(date, "-", "") + "T190000", ref} {
		if !strings.Contains(string(ics), want) {
			t.Errorf("calendar file lacks %q:\n%s", want, ics)
		}
	}

	// Change: pick 4 people and press 20:00; a confirm step shows from what to what; confirm.
	click(`[data-testid="change"]`)
	if got := text(`button.time.current`); !strings.Contains(got, "19:00") {
		t.Errorf("the change page marks %q as the booking's time, want 19:00", got)
	}
	step("party of 4", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("party"), "4")))
	click(`button[data-testid="time"][value="` + date + `T20:00"]`)
	if from, to := text(`[data-testid="confirm-from"]`), text(`[data-testid="confirm-to"]`); !strings.Contains(from, "19:00–21:00 · 3 people") ||
		!strings.Contains(to, "20:00–22:00 · 4 people") {
		t.Fatalf("confirm step: from %q to %q", from, to)
	}
	click(`[data-testid="confirm-change"]`)
	if got := text(`[data-testid="when"]`); !strings.Contains(got, "20:00–22:00") {
		t.Fatalf("after the change the booking is at %q", got)
	}
	if got := text(`[data-testid="booking"]`); !strings.Contains(got, "4 people") {
		t.Fatalf("after the change the booking reads %q, want 4 people", got)
	}

	// Cancel: open the disclosure, confirm.
	step("open cancel", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details.cancel summary"))))
	click(`[data-testid="cancel"]`)
	if got := text(`[data-testid="status"]`); got != "Cancelled" {
		t.Fatalf("status after cancelling = %q", got)
	}
	if got := text(`[data-testid="notice"]`); !strings.Contains(got, "cancelled") {
		t.Fatalf("notice after cancelling = %q", got)
	}
}

func ptr[T any](v T) *T { return &v }

// downloadByClick clicks sel in the browser, waits for the download it starts and returns the
// file's content.
func downloadByClick(t *testing.T, ctx context.Context, sel string) []byte {
	t.Helper()
	downloads := t.TempDir()
	_, err := chromedp.Run(ctx, chromedp.Func(func(c context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(c, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true)})
		return err
	}))
	must(t, err)
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	if _, err := chromedp.Run(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	for ev, err := range progress {
		must(t, err)
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(downloads, ev.GUID))
			must(t, err)
			return b
		case browser.DownloadProgressStateCanceled:
			t.Fatalf("the download from %s was cancelled", sel)
		}
	}
	t.Fatalf("no download from %s", sel)
	return nil
}
