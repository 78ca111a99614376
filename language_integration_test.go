//go:build integration

package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/chromedp/chromedp"

	"reserva/internal/realtest"
)

// catalogText is the message key of the language's catalog, up to its first format verb (the
// part every rendering of it holds).
func catalogText(t *testing.T, lang, key string) string {
	t.Helper()
	raw, err := os.ReadFile("views/locales/" + lang + ".json")
	must(t, err)
	var m map[string]json.RawMessage
	must(t, json.Unmarshal(raw, &m))
	var s string
	if err := json.Unmarshal(m[key], &s); err != nil {
		t.Fatalf("%s: %q is not a text", lang, key)
	}
	if i := strings.Index(s, "%"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// TestGermanGuestInChromium: on the demo (an English venue) a guest picks Deutsch from the
// header's links, then books, sees the booking and cancels it, all in German in chromium; the
// choice is remembered from page to page, and the mails that reach Mailpit (confirmation and
// cancellation, with their calendar files) are German.
func TestGermanGuestInChromium(t *testing.T) {
	mp := realtest.StartMailpit(t)
	inst := startReserva(t, append(mailEnv(mp, "1s"), "RESERVA_FORM_MIN_SECONDS=0"), "--demo", "--demo-guests=false")
	ctx := realtest.NewBrowser(t, 2*time.Minute)
	date := nextOpenDate(t)
	de := func(key string) string { return catalogText(t, "de", key) }

	b := tab{t, ctx}
	step, text, click := b.step, b.text, b.click
	lang := func() string {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		step("page language", err)
		return l
	}

	step("open home", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/")))
	if l := lang(); l != "en" {
		t.Fatalf("the demo opens in %q, want en (its venue's language)", l)
	}
	click(`nav.languages a[lang="de"]`)
	if l := lang(); l != "de" {
		t.Fatalf("after picking Deutsch the page is in %q", l)
	}
	click(`[data-testid="offering-dinner"] a.button`) // no ?lang= on this link: the choice is remembered
	if l := lang(); l != "de" {
		t.Fatalf("the booking page is in %q, want the remembered de", l)
	}
	step("pick date and party", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("date"), date), chromedp.SetValue(chromedp.ID("party"), "2")))
	click(`form.picker button[type="submit"]`)
	if got, want := text("#times-heading"), de("book.times_on"); !strings.HasPrefix(got, want) || !strings.Contains(got, "Freitag, ") {
		t.Fatalf("times heading = %q, want it to begin %q and name the Freitag", got, want)
	}
	click(`button[data-testid="time"][value="` + date + `T19:00"]`)
	step("fill the form", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("name"), "Grete Gast"),
		chromedp.SendKeys(chromedp.ID("email"), "grete@example.com"),
		chromedp.Click(chromedp.ID("consent")),
	))
	if got := text(`[data-testid="book-submit"]`); got != de("book.submit") {
		t.Errorf("the booking button reads %q, want %q", got, de("book.submit"))
	}
	click(`[data-testid="book-submit"]`)
	if got := text(`[data-testid="notice"]`); !strings.HasPrefix(got, de("manage.booked")) {
		t.Errorf("after booking the notice is %q", got)
	}
	if got := text(`[data-testid="status"]`); got != de("status.confirmed") {
		t.Errorf("status = %q, want %q", got, de("status.confirmed"))
	}

	mp.WaitFor(t, 1, 30*time.Second)
	conf := findMail(t, mp, de("mail.subject.confirmation"))
	if !strings.Contains(conf.Text, de("mail.intro.confirmation")) {
		t.Errorf("the confirmation is not German:\n%s", conf.Text)
	}
	desc := calendarOf(t, mp, conf).Events()[0].GetProperty(ics.ComponentPropertyDescription)
	if desc == nil || !strings.Contains(desc.Value, de("booking.reference")) {
		t.Errorf("the calendar file's description is not German: %+v", desc)
	}

	step("open cancel", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details.cancel summary"))))
	click(`[data-testid="cancel"]`)
	if got := text(`[data-testid="status"]`); got != de("status.cancelled") {
		t.Errorf("status after cancelling = %q, want %q", got, de("status.cancelled"))
	}
	mp.WaitFor(t, 2, 30*time.Second)
	if c := findMail(t, mp, de("mail.subject.cancellation")); !strings.Contains(c.Text, de("mail.intro.cancellation")) {
		t.Errorf("the cancellation is not German:\n%s", c.Text)
	}
}
