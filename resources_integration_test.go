//go:build integration

package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reserva/internal/realtest"
)

// TestResourcesInChromium: a manager gives the demo's dinner two staff members through the
// offering's form in chromium (bad hours refused beside the field first); a guest books Anna
// by name on the booking page; at the desk the booking names her, the manager reassigns it to
// Ben, and the day's floor view shows the guest in Ben's row.
func TestResourcesInChromium(t *testing.T) {
	inst, b, dinner := managerOnTheDinner(t)
	ctx := b.ctx
	step, text, click := b.step, b.text, b.click
	date := nextOpenDate(t)
	addStaff := func(name, hours string) int64 {
		step("open the dinner", chromedp.Do(ctx, chromedp.Navigate(inst.URL+dinner)))
		step("open the resource form", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`section[aria-labelledby="resources-h"] summary`))))
		step("fill "+name, chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("resource_kind"), "staff"),
			chromedp.SendKeys(chromedp.ID("resource_name"), name)))
		if hours != "" {
			step("fill "+name+"'s hours", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("resource_hours"), hours)))
		}
		return b.submit(`[data-testid="resource-form"] button[type="submit"]`)
	}
	if st := addStaff("Anna", "Fri 17-20"); st != http.StatusUnprocessableEntity {
		t.Fatalf("staff with unreadable hours: %d, want 422", st)
	}
	if msg := text(`#resource_hours-error`); !strings.Contains(msg, "Mon-Fri 09:00-17:00") {
		t.Errorf("the message beside the hours is %q", msg)
	}
	if st := addStaff("Anna", "Tue-Sat 17:00-21:00"); st != http.StatusOK {
		t.Fatalf("add Anna: %d", st)
	}
	if st := addStaff("Ben", ""); st != http.StatusOK {
		t.Fatalf("add Ben: %d", st)
	}
	if list := text(`[data-testid="resources-list"]`); !strings.Contains(list, "Anna") || !strings.Contains(list, "Tue-Sat 17:00-21:00") || !strings.Contains(list, "Ben") {
		t.Fatalf("the resources read %q", list)
	}

	// The guest picks Anna: her times end by 21:00, so 19:00 is her last two-hour start.
	step("open the booking page", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/book/dinner?date="+date+"&party=2")))
	anna, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#with option')].find(o => o.textContent === 'Anna').value`))
	step("find Anna", err)
	step("pick Anna", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("with"), anna)))
	click(`form.picker button[type="submit"]`)
	times, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('button[data-testid="time"]')].map(b => b.value)`))
	step("read the times", err)
	if len(times) == 0 || times[len(times)-1] != date+"T19:00" {
		t.Fatalf("the times with Anna are %v, want the last at 19:00", times)
	}
	click(`button[data-testid="time"][value="` + date + `T18:00"]`)
	formShown := time.Now()
	if got := text(`[data-testid="chosen"]`); !strings.Contains(got, "with Anna") {
		t.Fatalf("the chosen time reads %q", got)
	}
	step("fill the form", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("name"), "Grace Hopper"),
		chromedp.SendKeys(chromedp.ID("email"), "grace@example.com"), chromedp.Click(chromedp.ID("consent"))))
	time.Sleep(3*time.Second - time.Since(formShown))
	click(`[data-testid="book-submit"]`)
	ref := text(`[data-testid="reference"]`)

	// At the desk: the day names Anna, the booking is reassigned to Ben.
	step("open the day", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/?date="+date)))
	if got := text(`tr[data-testid="row-` + ref + `"] [data-testid="held"]`); got != "Anna" {
		t.Fatalf("the day's row of %s holds %q", ref, got)
	}
	click(`tr[data-testid="row-` + ref + `"] a[href^="/admin/bookings/"]`)
	ben, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#reassign option')].find(o => o.textContent === 'Ben').value`))
	step("find Ben among the free", err)
	step("choose Ben", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("reassign"), ben)))
	click(`[data-testid="reassign"] button[type="submit"]`)
	if got := text(`[data-testid="held"]`); got != "Ben" {
		t.Fatalf("after reassigning the booking holds %q", got)
	}

	// The floor view of the day: the guest in Ben's row, Anna's row free.
	step("open the day again", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/?date="+date)))
	click(`[data-testid="floor-link"]`)
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('[data-testid="floor"] tbody tr')].find(r => r.querySelector('th').textContent.includes('Ben')).textContent`))
	step("read Ben's row", err)
	if !strings.Contains(row, "Grace Hopper") || !strings.Contains(row, "18:00–20:00") {
		t.Errorf("Ben's row of the floor view reads %q", row)
	}
	annaRow, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('[data-testid="floor"] tbody tr')].find(r => r.querySelector('th').textContent.includes('Anna')).textContent`))
	step("read Anna's row", err)
	if strings.Contains(annaRow, "Grace Hopper") {
		t.Errorf("Anna's row still holds the guest: %q", annaRow)
	}

	// A table, and a walk-in of two seated on it from the queue: the floor view of today shows
	// the walk-in in the table's row.
	step("open the dinner", chromedp.Do(ctx, chromedp.Navigate(inst.URL+dinner)))
	step("open the resource form", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`section[aria-labelledby="resources-h"] summary`))))
	step("fill the table", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("resource_kind"), "table"),
		chromedp.SendKeys(chromedp.ID("resource_name"), "Window"), chromedp.SendKeys(chromedp.ID("resource_max_seats"), "4")))
	click(`[data-testid="resource-form"] button[type="submit"]`)
	step("open the walk-ins", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/walkins")))
	step("add a walk-in", chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid="walkin-new"] #name`), "Door Party"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="walkin-new"] #party`), "2"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="walkin-new"] #wait`), "5")))
	click(`[data-testid="walkin-new"] button[type="submit"]`)
	window, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('[data-testid="walkin-seat-table"] option')].find(o => o.textContent.includes('Window')).value`))
	step("find the window table", err)
	step("choose the window table", chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`[data-testid="walkin-seat-table"] select`), window)))
	click(`[data-testid="walkin-seat-table"] button[type="submit"]`)
	step("open today's floor", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/floor")))
	windowRow, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('[data-testid="floor"] tbody tr')].find(r => r.querySelector('th').textContent.includes('Window')).textContent`))
	step("read the window table's row", err)
	if !strings.Contains(windowRow, "Door Party") || !strings.Contains(windowRow, "walk-in") {
		t.Errorf("the window table's row reads %q", windowRow)
	}
}

// managerOnTheDinner starts reserva with the demo venue and a manager, signs the manager in in
// chromium and finds the address of the dinner's page in the dashboard: where the staff flows
// on resources begin.
func managerOnTheDinner(t *testing.T) (inst *instance, b tab, dinner string) {
	t.Helper()
	inst = startReserva(t, nil, "--demo", "--demo-guests=false")
	const managerPW = "copper-lantern-thistle"
	createStaff(t, inst.Dir, "manager@example.com", "manager", managerPW)
	ctx := realtest.NewBrowser(t, 3*time.Minute)
	b = tab{t, ctx}
	b.step("open sign-in", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/")))
	b.step("fill sign-in", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("email"), "manager@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), managerPW)))
	b.click(`[data-testid="login-submit"]`)
	b.step("open the offerings", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/offerings")))
	dinner, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('main a[href^="/admin/offerings/"]')].find(a => a.textContent.includes('Dinner')).getAttribute('href')`))
	b.step("find the dinner", err)
	return inst, b, dinner
}
