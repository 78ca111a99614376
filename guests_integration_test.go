//go:build integration

package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reserva/internal/realtest"
)

// TestGuestProfileInChromium: a manager gives the dinner a question for sensitive notes; a
// guest books and answers it with their consent. The manager finds the booking, follows it to
// the guest's profile (visits and bookings listed), adds tags and a sensitive note and sees
// both; a tag list too long is refused beside its field. Each page is checked as every page
// is: axe at a phone and a wide screen, nothing wider than either, no request off the site.
func TestGuestProfileInChromium(t *testing.T) {
	axeJS := realtest.AxeSource(t)
	// The server and `reserva staff create` both need the key (sensitive notes are sealed with it).
	t.Setenv("RESERVA_ENCRYPTION_KEY", "0123456789abcdef0123456789abcdef")
	inst := startReserva(t, []string{"RESERVA_FORM_MIN_SECONDS=0", "RESERVA_RATE_BOOKING=off"}, "--demo", "--demo-guests=false")
	const pw = "harbour-quince-meadow"
	createStaff(t, inst.Dir, "manager@example.com", "manager", pw)
	ctx := realtest.NewBrowser(t, 4*time.Minute)
	b := tab{t, ctx}
	step, text := b.step, b.text
	pc := newPageChecker(t, ctx, inst.URL, axeJS)

	step("open sign-in", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/login"),
		chromedp.SendKeys(chromedp.ID("email"), "manager@example.com"), chromedp.SendKeys(chromedp.ID("password"), pw)))
	if st := b.submit(`[data-testid="login-submit"]`); st != http.StatusOK {
		t.Fatalf("sign-in: %d", st)
	}

	// The dinner asks for allergies; a guest answers, with the consent the answer needs.
	step("open offerings", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/offerings")))
	dinner, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('main a[href^="/admin/offerings/"]')].find(a => a.textContent.trim() === 'Dinner').getAttribute('href')`))
	step("find the dinner", err)
	step("ask for allergies", chromedp.Do(ctx, chromedp.Navigate(inst.URL+dinner),
		chromedp.SendKeys(chromedp.ID("sensitive_prompt"), "Allergies or access needs?")))
	if st := b.submit(`[data-testid="offering-form"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("save the dinner's question: %d", st)
	}
	date := nextOpenDate(t)
	res := postForm(t, inst.URL+"/book/dinner", url.Values{"start": {date + "T19:00"}, "party": {"2"}, "name": {"Imogen Ashdown"},
		"email": {"imogen.ashdown@example.com"}, "phone": {"+44 20 7946 0555"}, "consent": {"yes"},
		"sensitive": {"Severe sesame allergy"}, "sensitive_consent": {"yes"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the guest's booking = %d", res.StatusCode)
	}

	// The manager finds the booking and follows it to the guest.
	step("search the booking", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/bookings?q=Ashdown")))
	b.click(`[data-testid="bookings"] tbody a[href^="/admin/bookings/"]`)
	pc.check("a booking, with the link to its guest")
	b.click(`[data-testid="guest-profile"]`)
	pc.check("a guest's profile")
	if name := text(`[data-testid="guest-name"]`); name != "Imogen Ashdown" {
		t.Errorf("the profile's guest is %q", name)
	}
	if up := text(`[data-testid="guest-upcoming"]`); up != "1" {
		t.Errorf("upcoming bookings: %q, want 1", up)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="guest-bookings"] tbody a[href^="/admin/bookings/"]').length`))
	step("count the bookings listed", err)
	if rows != 1 {
		t.Errorf("the profile lists %d bookings, want 1", rows)
	}

	// Too many tags: refused beside the field, what was typed kept.
	step("type too many tags", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("tags"), "a,b,c,d,e,f,g,h,i,j,k")))
	pc.submit("a guest's profile: too many tags (POST, 422)", `[data-testid="tags-save"]`, http.StatusUnprocessableEntity)
	if msg := text(`[data-testid="tags-error"]`); !strings.Contains(msg, "at most 10 tags") {
		t.Errorf("the message beside the tags reads %q", msg)
	}
	step("type the tags", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("tags")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('tags').value = ''`),
		chromedp.SendKeys(chromedp.ID("tags"), "regular, vip, sesame-free kitchen")))
	pc.submit("a guest's profile: tags saved (POST, then the page)", `[data-testid="tags-save"]`, http.StatusOK)
	if tags := text(`[data-testid="guest-tags"]`); !strings.Contains(tags, "regular") || !strings.Contains(tags, "sesame-free kitchen") {
		t.Errorf("the tags shown: %q", tags)
	}
	if n := text(`[data-testid="notice"]`); !strings.Contains(n, "tags are saved") {
		t.Errorf("the notice after saving tags: %q", n)
	}

	// The note: the guest consented to a sensitive note with the booking.
	if c := text(`[data-testid="note-consent-given"]`); !strings.Contains(c, "consented to a sensitive note") {
		t.Errorf("the consent line reads %q", c)
	}
	const note = "Sesame allergy: no tahini, separate board"
	step("type the note", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("note"), note)))
	pc.submit("a guest's profile: the note saved (POST, then the page)", `[data-testid="note-save"]`, http.StatusOK)
	got, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("note")))
	step("read the note", err)
	if got != note {
		t.Errorf("the note shown is %q, want %q", got, note)
	}
	if c := text(`[data-testid="note-consent"]`); !strings.Contains(c, "privacy notice version") {
		t.Errorf("the note's consent line reads %q", c)
	}

	// Seen again later: the tags and the note are kept.
	step("reload the profile", chromedp.Do(ctx, chromedp.Reload()))
	if tags := text(`[data-testid="guest-tags"]`); !strings.Contains(tags, "vip") {
		t.Errorf("after a reload the tags read %q", tags)
	}
	if got, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("note"))); err != nil || got != note {
		t.Errorf("after a reload the note is %q (%v)", got, err)
	}
	// The guest list finds her by her tag and leads back to her profile.
	step("open the guest list", chromedp.Do(ctx, chromedp.Navigate(inst.URL+"/admin/guests")))
	b.click(`[data-testid="guests"] a[href="/admin/guests?tag=vip"]`)
	pc.check("guests with a tag")
	b.click(`[data-testid="guests"] tbody td:first-child a`)
	if name := text(`[data-testid="guest-name"]`); name != "Imogen Ashdown" {
		t.Errorf("the guest list led to %q", name)
	}
	// The profile as a person sees it (kept with -artifacts -outputdir DIR).
	for _, vp := range []struct {
		name string
		set  chromedp.Action[chromedp.Void]
	}{{"phone", phoneViewport}, {"wide", wideViewport}} {
		step("set the "+vp.name+" viewport", chromedp.Do(ctx, vp.set))
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		step("screenshot", err)
		path := filepath.Join(t.ArtifactDir(), "guest-"+vp.name+".png")
		must(t, os.WriteFile(path, shot, 0o644))
		t.Logf("the guest's profile at the %s viewport: %s", vp.name, path)
	}
}
