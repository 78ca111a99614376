//go:build integration

package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"reserva/internal/realtest"
)

// mailEnv points Reserva at Mailpit (STARTTLS required, its certificate trusted through
// SSL_CERT_FILE), with a fast outbox worker and no abuse limits in the way of a test that
// books from one address many times.
func mailEnv(mp *realtest.Mailpit, interval string) []string {
	return []string{
		"RESERVA_SMTP_HOST=127.0.0.1", "RESERVA_SMTP_PORT=" + strconv.Itoa(mp.SMTPPort), "RESERVA_SMTP_TLS=starttls",
		"RESERVA_SMTP_USERNAME=reserva", "RESERVA_SMTP_PASSWORD=relay-secret",
		"RESERVA_SMTP_FROM_NAME=Demo Bistro", "RESERVA_SMTP_FROM_ADDRESS=bookings@demo.invalid",
		"SSL_CERT_FILE=" + mp.Cert.CertFile,
		"RESERVA_MAIL_INTERVAL=" + interval,
		"RESERVA_RATE_BOOKING=off", "RESERVA_RATE_PAGES=off", "RESERVA_BOOKINGS_PER_EMAIL=0", "RESERVA_FORM_MIN_SECONDS=0",
	}
}

// freeTimes asks the availability API for the free starts of offering on the next days that
// are at least three hours away.
func freeTimes(t *testing.T, base, offering string, days int) []string {
	t.Helper()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	var out []string
	for d := range days {
		date := time.Now().In(berlin).AddDate(0, 0, d).Format("2006-01-02")
		res, err := http.Get(base + "/api/reserva/availability?offering=" + offering + "&date=" + date + "&party=1")
		must(t, err)
		var ans struct {
			Times []struct {
				Value     string
				Available bool
			}
		}
		must(t, json.NewDecoder(res.Body).Decode(&ans))
		res.Body.Close()
		for _, tm := range ans.Times {
			// Only times the guest may still change and cancel (the demo dinner's cut-off is two
			// hours): a test run late in the day must not pick this evening's.
			at, err := time.ParseInLocation("2006-01-02T15:04", tm.Value, berlin)
			if tm.Available && (err != nil || at.After(time.Now().Add(3*time.Hour))) {
				out = append(out, tm.Value)
			}
		}
	}
	return out
}

var tokenInLocation = regexp.MustCompile(`^/b/([A-Za-z0-9_-]{43})\?m=booked$`)

// bookHTTP books offering at start through the real server and returns the manage token.
func bookHTTP(t *testing.T, base, offering, start, email string) string {
	t.Helper()
	form := url.Values{"start": {start}, "party": {"1"}, "name": {"Grace Hopper"}, "email": {email}, "consent": {"yes"}}
	res := postForm(t, base+"/book/"+offering, form)
	m := tokenInLocation.FindStringSubmatch(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("booking %s at %s = %d", offering, start, res.StatusCode)
	}
	return m[1]
}

func postForm(t *testing.T, target string, form url.Values) *http.Response {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(target, form)
	must(t, err)
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// calendarOf parses the calendar attachment of a mail.
func calendarOf(t *testing.T, mp *realtest.Mailpit, m realtest.Mail) *ics.Calendar {
	t.Helper()
	for _, a := range m.Attachments {
		if strings.HasPrefix(a.ContentType, "text/calendar") {
			cal, err := ics.ParseCalendar(bytes.NewReader(mp.Part(t, m.ID, a.PartID)))
			if err != nil {
				t.Fatalf("the calendar part of %q does not parse: %v", m.Subject, err)
			}
			return cal
		}
	}
	t.Fatalf("%q has no calendar part: %+v", m.Subject, m.Attachments)
	return nil
}

// findMail returns the one message whose subject starts with prefix.
func findMail(t *testing.T, mp *realtest.Mailpit, prefix string) realtest.Mail {
	t.Helper()
	var found []realtest.MailSummary
	for _, s := range mp.Messages(t) {
		if strings.HasPrefix(s.Subject, prefix) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d messages start with %q, want 1", len(found), prefix)
	}
	return mp.Message(t, found[0].ID)
}

// TestMailThroughMailpit: a booking's confirmation, change and cancellation arrive at a real
// relay that requires STARTTLS, each with a calendar part in the venue's zone; a reminder
// arrives once.
func TestMailThroughMailpit(t *testing.T) {
	mp := realtest.StartMailpit(t)
	dir := t.TempDir() + "/pb_data"
	// The owner turns reminders off while two bookings are made, then sets them to 72 hours: a
	// booking made inside its reminder window gets none (its confirmation is fresh), while one
	// made before it opened gets it: the first booking is moved a week back in time, as the
	// clock would have it.
	addr := realtest.FreeAddr(t)
	inst := runReserva(t, dir, mailEnv(mp, "1s"), "serve", "--demo", "--demo-guests=false", "--http", addr)
	inst.URL = "http://" + addr
	inst.WaitReady(t, func() error { _, err := http.Get(inst.URL + "/healthz"); return err })
	createStaff(t, dir, "owner@example.com", "owner", "copper-lantern-estuary") // serve made the database
	owner := signInStaff(t, inst.URL, "owner@example.com", "copper-lantern-estuary")
	setReminderHours(t, owner, 0)

	times := freeTimes(t, inst.URL, "dinner", 4)
	if len(times) < 2 {
		t.Fatalf("the demo has %d free dinner times in the next days", len(times))
	}
	token := bookHTTP(t, inst.URL, "dinner", times[0], "grace@example.com")
	mp.WaitFor(t, 1, 30*time.Second)
	conf := findMail(t, mp, "Booking confirmed: Dinner")
	if len(conf.To) != 1 || conf.To[0].Address != "grace@example.com" {
		t.Errorf("confirmation to %+v", conf.To)
	}
	if len(conf.ReplyTo) != 1 || conf.ReplyTo[0].Address != "hello@demo.invalid" || conf.ReplyTo[0].Name != "Demo Bistro & Pottery" {
		t.Errorf("confirmation Reply-To %+v, want the venue's contact address", conf.ReplyTo)
	}
	if !strings.Contains(conf.Text, inst.URL+"/b/") {
		t.Errorf("no manage link in the confirmation:\n%s", conf.Text)
	}
	checkEvent(t, calendarOf(t, mp, conf), times[0], "0", ics.MethodPublish)
	bookHTTP(t, inst.URL, "dinner", times[1], "fresh@example.com")
	mp.WaitFor(t, 2, 30*time.Second)
	db, err := sql.Open("sqlite", filepath.Join(dir, "data.db")+"?_pragma=busy_timeout(10000)")
	must(t, err)
	defer db.Close()
	_, err = db.Exec(`UPDATE bookings SET created = strftime('%Y-%m-%d %H:%M:%fZ', created, '-7 days') WHERE email = ?`, "grace@example.com")
	must(t, err)

	// The reminder of the booking made a week ago (within 72 hours of its start) arrives, once;
	// the one made today gets none.
	setReminderHours(t, owner, 72)
	mp.WaitFor(t, 3, 30*time.Second)
	time.Sleep(3 * time.Second) // more worker runs: nothing may be sent twice, nor to the fresh booking
	rem := findMail(t, mp, "Reminder: Dinner")
	if len(rem.To) != 1 || rem.To[0].Address != "grace@example.com" {
		t.Errorf("reminder to %+v, want grace@example.com only", rem.To)
	}
	checkEvent(t, calendarOf(t, mp, rem), times[0], "0", ics.MethodPublish)

	if res := postForm(t, inst.URL+"/b/"+token+"/change", url.Values{"start": {times[1]}, "party": {"2"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change = %d", res.StatusCode)
	}
	mp.WaitFor(t, 4, 30*time.Second)
	checkEvent(t, calendarOf(t, mp, findMail(t, mp, "Booking changed: Dinner")), times[1], "1", ics.MethodPublish)

	if res := postForm(t, inst.URL+"/b/"+token+"/cancel", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel = %d", res.StatusCode)
	}
	mp.WaitFor(t, 5, 30*time.Second)
	cal := calendarOf(t, mp, findMail(t, mp, "Booking cancelled: Dinner"))
	checkEvent(t, cal, times[1], "2", ics.MethodCancel)
}

// checkEvent asserts the calendar's one event starts at local (venue time, TZID
// Europe/Berlin), with the sequence and method given.
func checkEvent(t *testing.T, cal *ics.Calendar, local, sequence string, method ics.Method) {
	t.Helper()
	ev := cal.Events()
	if len(ev) != 1 {
		t.Fatalf("calendar has %d events", len(ev))
	}
	start := ev[0].GetProperty(ics.ComponentPropertyDtStart)
	wantStart := strings.NewReplacer("-", "", ":", "").Replace(local) + "00"
	if start == nil || start.Value != wantStart || len(start.ICalParameters["TZID"]) != 1 || start.ICalParameters["TZID"][0] != "Europe/Berlin" {
		t.Errorf("DTSTART = %+v, want %s with TZID Europe/Berlin", start, wantStart)
	}
	if seq := ev[0].GetProperty(ics.ComponentPropertySequence); seq == nil || seq.Value != sequence {
		t.Errorf("SEQUENCE = %+v, want %s", seq, sequence)
	}
	got := ""
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(ics.PropertyMethod) {
			got = p.Value
		}
	}
	if got != string(method) {
		t.Errorf("METHOD = %q, want %s", got, method)
	}
	if len(cal.Timezones()) != 1 {
		t.Errorf("calendar has %d VTIMEZONEs, want 1", len(cal.Timezones()))
	}
}

// setReminderHours changes the venue's reminder setting as its owner does: in the dashboard's
// settings form, every other field sent back as shown.
func setReminderHours(t *testing.T, owner *staffClient, hours int) {
	t.Helper()
	form := owner.form(t, "/admin/settings", "settings-form")
	form.Set("reminder_hours", strconv.Itoa(hours))
	if res := owner.post(t, "/admin/settings", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the settings = %d", res.StatusCode)
	}
}

// TestMailOutage: with the relay down, 50 bookings are made; nothing is lost, and once the
// relay is back every confirmation arrives exactly once within two minutes.
func TestMailOutage(t *testing.T) {
	mp := realtest.StartMailpit(t)
	mp.Stop()
	inst := startReserva(t, mailEnv(mp, "1s"), "--demo", "--demo-guests=false")
	var slots []string
	for _, off := range []string{"dinner", "pottery"} {
		for _, v := range freeTimes(t, inst.URL, off, 21) {
			slots = append(slots, off+" "+v)
		}
	}
	if len(slots) < 5 {
		t.Fatalf("only %d free times in the demo", len(slots))
	}
	for i := range 50 {
		off, start, _ := strings.Cut(slots[i%len(slots)], " ")
		bookHTTP(t, inst.URL, off, start, fmt.Sprintf("guest%02d@example.com", i))
	}
	time.Sleep(4 * time.Second) // several worker runs fail against the stopped relay
	back := time.Now()
	mp.Restart(t)
	mp.WaitFor(t, 50, 2*time.Minute)
	t.Logf("all 50 confirmations arrived %s after the relay came back", time.Since(back).Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	msgs := mp.Messages(t)
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[m.MessageID] = true
	}
	if len(msgs) != 50 || len(ids) != 50 {
		t.Errorf("mailbox: %d messages, %d distinct, want 50 and 50", len(msgs), len(ids))
	}
}

// TestMailAfterCrash: the process is killed (SIGKILL) after a booking queued its mail and
// before the worker sent it; the restarted process sends it.
func TestMailAfterCrash(t *testing.T) {
	mp := realtest.StartMailpit(t)
	// A worker interval of an hour: the mail stays queued until the kill.
	inst := startReserva(t, mailEnv(mp, "1h"), "--demo", "--demo-guests=false")
	times := freeTimes(t, inst.URL, "dinner", 7)
	if len(times) == 0 {
		t.Fatal("no free dinner time")
	}
	bookHTTP(t, inst.URL, "dinner", times[0], "crash@example.com")
	time.Sleep(time.Second)
	if n := len(mp.Messages(t)); n != 0 {
		t.Fatalf("%d messages sent before the kill, want 0", n)
	}
	inst.Stop() // SIGKILL
	addr := realtest.FreeAddr(t)
	again := runReserva(t, inst.Dir, mailEnv(mp, "1s"), "serve", "--http", addr)
	again.WaitReady(t, func() error { _, err := http.Get("http://" + addr + "/healthz"); return err })
	msgs := mp.WaitFor(t, 1, 30*time.Second)
	if !strings.HasPrefix(msgs[0].Subject, "Booking confirmed") || msgs[0].To[0].Address != "crash@example.com" {
		t.Errorf("after the restart: %+v", msgs[0])
	}
}

// TestMailToHostileNames: bookings by people whose names hold quotes, backslashes, angle
// brackets, commas, encoded-word look-alikes and non-ASCII letters each get their confirmation,
// addressed to their own address under their own name, from a sender whose name is as awkward.
func TestMailToHostileNames(t *testing.T) {
	mp := realtest.StartMailpit(t)
	const fromName = `Café "Le Chat" <Bistro>, Berlin`
	inst := startReserva(t, append(mailEnv(mp, "1s"), "RESERVA_SMTP_FROM_NAME="+fromName), "--demo", "--demo-guests=false")
	times := freeTimes(t, inst.URL, "dinner", 7)
	if len(times) == 0 {
		t.Fatal("no free dinner time")
	}
	names := []string{`A"B`, `Zoë "Z" <x>`, `"`, `\`, `a<b>c`, `x, y`, `Zoë Ñandú 🙂`, `=?utf-8?q?x?=`, strings.Repeat(`Ñ"\ `, 50)[:199]}
	want := map[string]string{} // address → name
	for i, name := range names {
		email := fmt.Sprintf("hostile%d@example.com", i)
		form := url.Values{"start": {times[0]}, "party": {"1"}, "name": {name}, "email": {email}, "consent": {"yes"}}
		if res := postForm(t, inst.URL+"/book/dinner", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("booking as %q = %d, want 303", name, res.StatusCode)
		}
		want[email] = strings.TrimSpace(name)
	}
	mp.WaitFor(t, len(names), time.Minute)
	for _, s := range mp.Messages(t) {
		m := mp.Message(t, s.ID)
		if !strings.HasPrefix(m.Subject, "Booking confirmed") || len(m.To) != 1 {
			t.Errorf("unexpected mail %q to %+v", m.Subject, m.To)
			continue
		}
		name, ok := want[m.To[0].Address]
		if !ok {
			t.Errorf("a confirmation to %+v, want one of the bookers", m.To)
			continue
		}
		delete(want, m.To[0].Address)
		// The header carries `"=?utf-8?q?x?="`, which RFC 2047 says is no encoded word; Mailpit,
		// like some mail clients, decodes it anyway, so that name is only checked to arrive.
		if m.To[0].Name != name && !strings.HasPrefix(name, "=?") {
			t.Errorf("confirmation to %s: name %q, want %q", m.To[0].Address, m.To[0].Name, name)
		}
		if m.From.Address != "bookings@demo.invalid" || m.From.Name != fromName {
			t.Errorf("confirmation to %s: from %+v, want %q <bookings@demo.invalid>", m.To[0].Address, m.From, fromName)
		}
	}
	for addr, name := range want {
		t.Errorf("no confirmation to %q <%s>", name, addr)
	}
}
