//go:build integration

package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// icsLines checks body as RFC 5545 content lines (CRLF after each, at most 75 octets, a folded
// line goes on with one space) and returns them unfolded.
func icsLines(t *testing.T, body string) []string {
	t.Helper()
	if !strings.HasSuffix(body, "\r\n") {
		t.Fatalf("the calendar does not end in CRLF: %q", body)
	}
	var out []string
	for i, l := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d is %d octets, over 75: %q", i+1, len(l), l)
		}
		if strings.HasPrefix(l, " ") {
			if len(out) == 0 {
				t.Fatal("the calendar starts with a continuation line")
			}
			out[len(out)-1] += l[1:]
			continue
		}
		if !strings.Contains(l, ":") {
			t.Errorf("line %d is no content line: %q", i+1, l)
		}
		out = append(out, l)
	}
	return out
}

// TestStaffCalendarFeed: in chromium a manager adds a staff member to the demo's dinner, a
// guest books them, and the manager makes their calendar link on the staff member's page (the
// address shown once, with a webcal:// link). A plain HTTP client, as a calendar app, fetches
// it: text/calendar, no cookie, RFC 5545 lines, one event for the booking in UTC with the
// guest's first name and initial and the reference, no e-mail. Revoked in the browser, the
// address answers 404 at once.
func TestStaffCalendarFeed(t *testing.T) {
	inst, b, dinner := managerOnTheDinner(t)
	ctx := b.ctx
	step, text, click := b.step, b.text, b.click
	date := nextOpenDate(t)
	step("open the dinner", chromedp.Do(ctx, chromedp.Navigate(inst.URL+dinner)))
	step("open the resource form", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`section[aria-labelledby="resources-h"] summary`))))
	step("fill Anna", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("resource_kind"), "staff"),
		chromedp.SendKeys(chromedp.ID("resource_name"), "Anna")))
	click(`[data-testid="resource-form"] button[type="submit"]`)

	// A guest books Anna at 18:00.
	step("open the booking page", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/book/dinner?date="+date+"&party=2")))
	anna, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#with option')].find(o => o.textContent === 'Anna').value`))
	step("find Anna", err)
	step("pick Anna", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("with"), anna)))
	click(`form.picker button[type="submit"]`)
	click(`button[data-testid="time"][value="` + date + `T18:00"]`)
	formShown := time.Now()
	step("fill the form", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("name"), "Grace Brewster Hopper"),
		chromedp.SendKeys(chromedp.ID("email"), "grace@example.com"), chromedp.SendKeys(chromedp.ID("phone"), "+1 202 555 0143"),
		chromedp.Click(chromedp.ID("consent"))))
	time.Sleep(3*time.Second - time.Since(formShown))
	click(`[data-testid="book-submit"]`)
	ref := text(`[data-testid="reference"]`)

	// The manager makes Anna's calendar link on her page.
	step("open Anna's page", chromedp.Do(ctx, chromedp.Navigate(inst.URL+dinner+"/resources/"+anna)))
	if got := text(`[data-testid="feed-state"]`); !strings.Contains(got, "No calendar link yet") {
		t.Fatalf("before: the link section reads %q", got)
	}
	click(`[data-testid="feed-create"]`)
	feedURL, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("feed-url")))
	step("read the address", err)
	webcal, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="feed-webcal"]').getAttribute('href')`))
	step("read the webcal link", err)
	if !strings.HasPrefix(feedURL, inst.URL+"/feeds/") || !strings.HasSuffix(feedURL, ".ics") ||
		webcal != "webcal://"+strings.TrimPrefix(feedURL, "http://") {
		t.Fatalf("the page shows %q and %q", feedURL, webcal)
	}
	step("reload Anna's page", chromedp.Do(ctx, chromedp.Navigate(inst.URL+dinner+"/resources/"+anna)))
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	step("read the page", err)
	if strings.Contains(page, feedURL) || !strings.Contains(page, `data-testid="feed-revoke"`) {
		t.Errorf("after a reload the page shows the address again, or no revoke")
	}

	// A calendar app's fetch.
	client := &http.Client{Timeout: 10 * time.Second}
	fetch := func() (*http.Response, string) {
		t.Helper()
		res, err := client.Get(feedURL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, string(body)
	}
	res, body := fetch()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/calendar; charset=utf-8" ||
		res.Header.Get("Cache-Control") != "private, no-store" || len(res.Header.Values("Set-Cookie")) > 0 {
		t.Fatalf("the feed answered %d %v", res.StatusCode, res.Header)
	}
	lines := icsLines(t, body)
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Fatalf("not a calendar: %q … %q", lines[0], lines[len(lines)-1])
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	day, err := time.ParseInLocation("2006-01-02 15:04", date+" 18:00", berlin)
	if err != nil {
		t.Fatal(err)
	}
	var events int
	props := map[string]string{}
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		if l == "BEGIN:VEVENT" {
			events++
		}
		props[name] = value
	}
	if events != 1 {
		t.Fatalf("%d events in the feed, want 1:\n%s", events, body)
	}
	for prop, want := range map[string]string{
		"DTSTART":     day.UTC().Format("20060102T150405Z"),
		"DTEND":       day.Add(2 * time.Hour).UTC().Format("20060102T150405Z"),
		"SUMMARY":     "Dinner · 2 people · Grace H.",
		"DESCRIPTION": "Reference: " + ref,
	} {
		if props[prop] != want {
			t.Errorf("the event's %s = %q, want %q", prop, props[prop], want)
		}
	}
	if !strings.HasSuffix(props["UID"], ".staff@reserva") {
		t.Errorf("UID %q", props["UID"])
	}
	for _, leak := range []string{"grace@example.com", "555 0143", "Hopper", "Brewster"} {
		if strings.Contains(body, leak) {
			t.Errorf("the feed shows %q", leak)
		}
	}

	// Revoked in the browser: the address answers a plain 404 at once.
	step("open Anna's page again", chromedp.Do(ctx, chromedp.Navigate(inst.URL+dinner+"/resources/"+anna)))
	click(`[data-testid="feed-revoke"]`)
	if got := text(`[data-testid="feed-state"]`); !strings.Contains(got, "No calendar link yet") {
		t.Errorf("after revoking the link section reads %q", got)
	}
	res, body = fetch()
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.Contains(body, "does not work") || strings.Contains(body, "<") {
		t.Errorf("a revoked feed answered %d %q: %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}
