//go:build integration

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"reserva/internal/realtest"
)

// venueSite serves a venue's own page on another origin (a loopback server of its own): it
// frames src with the snippet of the settings page (the frame first 200 px high, embed.js from
// reserva) and, for the height script's origin check, a frame of its own origin that posts a
// height message as reserva's would.
func venueSite(t *testing.T, reserva, src string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Our venue</title></head><body>
<h1>Book a table</h1>
<iframe id="booking" src="%s" title="Booking" style="width:100%%;height:200px;border:0"></iframe>
<iframe id="impostor" src="/impostor" title="Not reserva" style="width:100%%;height:150px;border:0"></iframe>
<script src="%s/static/embed.js" async></script>
</body></html>`, src, reserva)
	})
	mux.HandleFunc("GET /impostor", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><p>x</p>
<script>setInterval(function () { parent.postMessage({type: "reserva:height", height: 999}, "*"); }, 100);</script></body></html>`)
	})
	srv := httptest.NewServer(mux) // 127.0.0.1: another site than reserva's localhost
	t.Cleanup(srv.Close)
	return srv
}

// frameTarget waits for the cross-site frame whose address starts with prefix (chromium runs it
// as a target of its own) and returns a context that acts inside it.
func frameTarget(t *testing.T, ctx context.Context, prefix string) context.Context {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(ctx)
		must(t, err)
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				frameCtx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				return frameCtx
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no frame at %s appeared", prefix)
	return nil
}

// TestEmbedBookingInChromium: the owner lists the venue's site on the settings page; that site,
// on another origin, frames the booking page, and a guest books inside the frame (date, time,
// details, consent, the confirmation with the private link, which opens outside the frame)
// while the venue's page stays where it is. The frame takes the height of its page through
// embed.js, which ignores a height from any other origin. The browser holds no cookie after
// it: the flow needs none. A site not listed is refused by the browser: its frame shows
// chromium's error page, not the booking page.
func TestEmbedBookingInChromium(t *testing.T) {
	inst := startReserva(t, nil, "--demo", "--demo-guests=false")
	const ownerPW = "tidal-marble-orchard"
	createStaff(t, inst.Dir, "owner@example.com", "owner", ownerPW)
	// The guest reaches reserva as localhost, the venue's site is at 127.0.0.1: two sites.
	u, err := url.Parse(inst.URL)
	must(t, err)
	reserva := "http://localhost:" + u.Port()
	date := nextOpenDate(t)
	src := reserva + "/embed/dinner?date=" + date + "&party=2"
	venue := venueSite(t, reserva, src)
	stranger := venueSite(t, reserva, src)

	owner := signInStaff(t, inst.URL, "owner@example.com", ownerPW)
	if res := owner.post(t, "/admin/settings/embed", url.Values{"embed_origins": {venue.URL + "/"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("listing the venue's site = %d", res.StatusCode)
	}

	ctx := realtest.NewBrowser(t, 2*time.Minute)
	b := tab{t, ctx}
	b.step("open the venue's page", chromedp.Do(ctx, chromedp.Navigate(venue.URL+"/")))
	frameCtx := frameTarget(t, ctx, reserva+"/embed/dinner")
	f := tab{t, frameCtx}
	b.step("the booking page in the frame", chromedp.Do(frameCtx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="times"]`))))
	if h := f.text("h1"); h != "Dinner" {
		t.Fatalf("the frame's heading = %q", h)
	}

	// embed.js sizes the frame to its page; the impostor frame's messages change nothing.
	var heights struct{ Booking, Impostor, Inner float64 }
	for deadline := time.Now().Add(10 * time.Second); ; {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ Booking, Impostor float64 }](
			`({Booking: document.getElementById("booking").getBoundingClientRect().height, Impostor: document.getElementById("impostor").getBoundingClientRect().height})`))
		b.step("the frames' heights", err)
		heights.Booking, heights.Impostor = v.Booking, v.Impostor
		if heights.Booking != 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	inner, err := chromedp.Run(frameCtx, chromedp.Evaluate[float64](`document.body.getBoundingClientRect().height`))
	b.step("the framed page's height", err)
	heights.Inner = inner
	if heights.Booking < 400 || heights.Booking < heights.Inner-2 || heights.Booking > heights.Inner+40 {
		t.Errorf("the frame is %.0f px high for a page of %.0f px: embed.js did not size it", heights.Booking, heights.Inner)
	}
	if heights.Impostor != 150 {
		t.Errorf("a frame of the venue's own origin posting a height changed its frame to %.0f px", heights.Impostor)
	}

	// The guest picks a time and books, all inside the frame.
	f.click(`button[data-testid="time"][value="` + date + `T19:00"]`)
	formShown := time.Now()
	if got := f.text(`[data-testid="chosen"]`); !strings.Contains(got, "19:00–21:00") || !strings.Contains(got, "2 people") {
		t.Fatalf("chosen time in the frame = %q", got)
	}
	b.step("fill the form in the frame", chromedp.Do(frameCtx,
		chromedp.SendKeys(chromedp.ID("name"), "Frida Framed"),
		chromedp.SendKeys(chromedp.ID("email"), "frida@example.com"),
		chromedp.Click(chromedp.ID("consent")),
	))
	time.Sleep(3*time.Second - time.Since(formShown)) // the form stamp's minimum fill time
	f.click(`[data-testid="book-submit"]`)

	loc, err := chromedp.Run(frameCtx, chromedp.Location())
	b.step("the frame's address", err)
	if !strings.HasPrefix(loc, reserva+"/embed/b/") || !strings.HasSuffix(loc, "?m=booked&lang=en") {
		t.Fatalf("after booking the frame is at %q, want the framed confirmation", loc)
	}
	if top, err := chromedp.Run(ctx, chromedp.Location()); err != nil || top != venue.URL+"/" {
		t.Fatalf("after booking the venue's page is at %q (%v)", top, err)
	}
	if got := f.text(`[data-testid="status"]`); got != "Confirmed" {
		t.Fatalf("the framed confirmation's status = %q", got)
	}
	ref := f.text(`[data-testid="reference"]`)
	link, err := chromedp.Run(frameCtx, chromedp.Evaluate[struct{ Href, Target string }](
		`(a => ({Href: a.href, Target: a.target}))(document.querySelector('[data-testid="manage-link"]'))`))
	b.step("the private link", err)
	if link.Target != "_blank" || !strings.HasPrefix(link.Href, reserva+"/b/") {
		t.Fatalf("the private link = %+v, want /b/{token} opening outside the frame", link)
	}

	// The booking exists: its private page (top-level, as the guest opens it) shows it.
	res, err := http.Get(link.Href)
	must(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), ref) || !strings.Contains(string(body), "Frida Framed") {
		t.Fatalf("the booking's page = %d, without its reference %s or the guest", res.StatusCode, ref)
	}
	if frame := res.Header.Get("X-Frame-Options"); frame != "DENY" {
		t.Errorf("the booking's own page may be framed: X-Frame-Options %q", frame)
	}

	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{reserva + "/", venue.URL + "/"}})
	b.step("the browser's cookies", err)
	if len(cookies.Cookies) > 0 {
		for _, c := range cookies.Cookies {
			t.Errorf("the framed flow left a cookie: %s for %s", c.Name, c.Domain)
		}
	}

	// A site not listed: the browser refuses to show the booking page in its frame.
	b.step("open a stranger's page", chromedp.Do(ctx, chromedp.Navigate(stranger.URL+"/")))
	time.Sleep(time.Second)
	refused, err := chromedp.Run(frameTarget(t, ctx, reserva+"/embed/dinner"), chromedp.Evaluate[struct {
		Href    string
		Booking bool
	}](`({Href: location.href, Booking: document.querySelector('[data-testid="times"]') !== null})`))
	b.step("the refused frame", err)
	t.Logf("the refused frame shows %q (booking page: %v)", refused.Href, refused.Booking)
	if refused.Booking || !strings.HasPrefix(refused.Href, "chrome-error://") {
		t.Errorf("a site not listed frames the booking page: the frame shows %q (booking page: %v)", refused.Href, refused.Booking)
	}
	// And the same stranger's frame loads once the list names it too (the change reaches the
	// page at once).
	if res := owner.post(t, "/admin/settings/embed", url.Values{"embed_origins": {venue.URL + "\n" + stranger.URL}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("listing the second site = %d", res.StatusCode)
	}
	b.step("open the stranger's page again", chromedp.Do(ctx, chromedp.Navigate(stranger.URL+"/")))
	again := frameTarget(t, ctx, reserva+"/embed/dinner")
	b.step("the booking page in the listed stranger's frame", chromedp.Do(again, chromedp.WaitVisible(chromedp.CSS(`[data-testid="times"]`))))
}
