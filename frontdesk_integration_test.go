//go:build integration

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reserva/internal/realtest"
)

// TestFrontDeskOnAPhone: a front-desk member signs in on a 390 px phone and runs the day from
// the Today page: every booking's check-in and no-show buttons are on the screen without
// scrolling sideways (the table reads as cards), and a check-in works with one press.
func TestFrontDeskOnAPhone(t *testing.T) {
	inst := startReserva(t, nil, "--demo") // with made-up guests for today and the coming days
	const pw = "copper-lantern-estuary"
	createStaff(t, inst.Dir, "desk@example.com", "frontdesk", pw)
	ctx := realtest.NewBrowser(t, 2*time.Minute)
	must(t, chromedp.Do(ctx, phoneViewport,
		chromedp.Navigate(inst.URL+"/admin/login"),
		chromedp.SetValue(chromedp.ID("email"), "desk@example.com"),
		chromedp.SetValue(chromedp.ID("password"), pw),
	))
	signedIn, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)))
	must(t, err)
	if signedIn.Status != 200 {
		t.Fatalf("sign-in: the page answered %d", signedIn.Status)
	}
	// The demo's guests come today and on the next six days; the first day with bookings on
	// its Today page is the one the desk runs here.
	berlin, err := time.LoadLocation("Europe/Berlin")
	must(t, err)
	type reach struct {
		Buttons, Outside  int
		View, Doc         int
		WrapScroll, WrapW int
	}
	var got reach
	for day := 0; day < 7 && got.Buttons == 0; day++ {
		date := time.Now().In(berlin).AddDate(0, 0, day).Format("2006-01-02")
		must(t, chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/?date="+date), chromedp.WaitVisible(chromedp.CSS("h1"))))
		got, err = chromedp.Run(ctx, chromedp.Evaluate[reach](`(() => {
			const view = document.documentElement.clientWidth;
			const buttons = [...document.querySelectorAll('[data-testid="checkin"], [data-testid="today-table"] button.secondary')];
			const outside = buttons.filter(b => { const r = b.getBoundingClientRect(); return r.left < 0 || r.right > view; }).length;
			const wraps = [...document.querySelectorAll('.table-wrap')];
			return {Buttons: buttons.length, Outside: outside, View: view,
				Doc: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
				WrapScroll: Math.max(0, ...wraps.map(w => w.scrollWidth)), WrapW: Math.max(0, ...wraps.map(w => w.clientWidth))};
		})()`))
		must(t, err)
	}
	if got.Buttons == 0 {
		t.Fatal("no booking to check in on the Today pages of the coming week")
	}
	if got.View != phoneWidth || got.Doc > got.View {
		t.Errorf("Today is %d px wide on a %d px screen (want %d)", got.Doc, got.View, phoneWidth)
	}
	if got.Outside > 0 {
		t.Errorf("%d of %d check-in and no-show buttons are off the %d px screen", got.Outside, got.Buttons, got.View)
	}
	if got.WrapScroll > got.WrapW {
		t.Errorf("the bookings table scrolls sideways (%d px in a %d px box)", got.WrapScroll, got.WrapW)
	}

	// The pictures a person checks: the day on the phone and on a laptop's screen.
	for _, vp := range []struct {
		name string
		set  chromedp.Action[chromedp.Void]
	}{{"phone", phoneViewport}, {"wide", wideViewport}} {
		must(t, chromedp.Do(ctx, vp.set))
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: a PNG
		must(t, err)
		path := filepath.Join(t.ArtifactDir(), "today-"+vp.name+".png")
		must(t, os.WriteFile(path, shot, 0o644))
		t.Logf("Today at the %s viewport: %s", vp.name, path)
	}
	must(t, chromedp.Do(ctx, phoneViewport))

	// One press checks the first guest in.
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="checkin"]').closest('tr').dataset.testid`))
	must(t, err)
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`[data-testid="checkin"]`)))
	must(t, err)
	if res.Status != 200 {
		t.Fatalf("check-in: the page answered %d", res.Status)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`tr[data-testid="`+row+`"] [data-testid="status"]`)))
	must(t, err)
	if !strings.Contains(status, "Checked in") {
		t.Errorf("after pressing check-in, %s reads %q", row, status)
	}
}
