package hooks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
	"reserva/internal/store"
)

// smsGateway is the text-message gateway the environment env sets up, as the serve command
// reads it.
func smsGateway(t testing.TB, env map[string]string) jobs.TextSender {
	t.Helper()
	s, err := jobs.TextsFromEnv(func(k string) string { return env[k] })
	if err != nil || s == nil {
		t.Fatalf("TextsFromEnv(%v) = %v, %v", env, s, err)
	}
	return s
}

// textReceiver is a real HTTP endpoint standing for the venue's SMS webhook: it records each
// message and answers status (202 unless set).
type textReceiver struct {
	mu     sync.Mutex
	got    []map[string]string
	auth   []string
	status int
}

func (r *textReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var m map[string]string
	_ = json.NewDecoder(req.Body).Decode(&m)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got, r.auth = append(r.got, m), append(r.auth, req.Header.Get("Authorization"))
	if r.status != 0 {
		w.WriteHeader(r.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"id": "msg-1"}`))
}

func (r *textReceiver) texts() []map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]string(nil), r.got...)
}

func (r *textReceiver) answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

// textRows counts the texts of each status and kind about the booking behind token.
func textRows(t *testing.T, s *testServer, bookingID string) map[string]int {
	t.Helper()
	rows, err := store.TextsOf(s.app, bookingID)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range rows {
		n[string(r.Kind)+":"+string(r.Status)]++
	}
	return n
}

func bookingOf(t *testing.T, s *testServer, token string) *store.Booking {
	t.Helper()
	b, err := store.BookingByToken(s.app, token)
	if err != nil {
		t.Fatalf("booking of %s: %v", token, err)
	}
	return b
}

// TestTextMessages: with a gateway set up, the booking page offers texts; a guest who asks for
// them with a mobile number gets the confirmation, a change, the reminder and the cancellation
// by text (through a real HTTP gateway, with its token), each written from the booking when it
// goes; a landline or a number without its country code is refused beside the phone field; a
// failing gateway is retried, a final no given up; the guest can stop texts from the booking's
// page; an erasure takes the texts with the booking. Without a gateway nobody is offered texts.
func TestTextMessages(t *testing.T) {
	t.Parallel()
	gw := &textReceiver{}
	hook := httptest.NewServer(gw)
	defer hook.Close()
	s := newServerOpts(t, func(o *options) {
		o.texts = smsGateway(t, map[string]string{jobs.SMSWebhookEnv: hook.URL + "/sms", jobs.SMSWebhookTokenEnv: "gw-token"})
	})

	page := s.get(t, "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00")
	mustContain(t, "booking page", page.body, `name="sms"`, "Text me the confirmation")

	// A landline (the venue is in Berlin: 030 is Berlin) and a number that is no number.
	for _, phone := range []string{"030 1234567", "12345", ""} {
		f := bookingForm("2026-11-27T19:00", "2")
		f.Set("phone", phone)
		f.Set("sms", "yes")
		res := s.post(t, "/book/dinner", f)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("sms with phone %q = %d, want 422", phone, res.status)
		}
		mustContain(t, "refused phone", res.body, "For text messages, give a mobile number", `name="sms" value="yes" checked`)
	}
	// A mobile of another country: texts booked online go to the venue's country only.
	foreign := bookingForm("2026-11-27T19:00", "2")
	foreign.Set("phone", "+47 912 34 567")
	foreign.Set("sms", "yes")
	if res := s.post(t, "/book/dinner", foreign); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, "only to mobile numbers of the venue&#39;s country (+49)") {
		t.Fatalf("texts to a Norwegian mobile = %d\n%s", res.status, snippet(res.body))
	}
	var n int
	_ = s.app.DB().Select("count(*)").From("bookings").Where(dbx.HashExp{"sms": true}).Row(&n)
	if n != 0 {
		t.Fatalf("%d bookings with texts after refusals", n)
	}

	f := bookingForm("2026-11-27T19:00", "2")
	f.Set("phone", "0151 23456789") // a German mobile, read in the venue's country
	f.Set("sms", "yes")
	token := s.bookWith(t, "dinner", f)
	b := bookingOf(t, s, token)
	if !b.SMS || b.Phone != "+49 1512 3456789" {
		t.Fatalf("booking: sms %v, phone %q", b.SMS, b.Phone)
	}
	if got := textRows(t, s, b.ID); got["confirmation:pending"] != 1 || len(got) != 1 {
		t.Fatalf("texts queued = %v", got)
	}
	r, err := s.jobs.DeliverTexts(s.now)
	if err != nil || r.Sent != 1 {
		t.Fatalf("DeliverTexts = %+v, %v", r, err)
	}
	got := gw.texts()
	if len(got) != 1 || got[0]["to"] != "+4915123456789" || !strings.Contains(got[0]["text"], b.Reference) ||
		!strings.Contains(got[0]["text"], "Demo Bistro") || !strings.Contains(got[0]["text"], "Fri 27 Nov") || gw.auth[0] != "Bearer gw-token" {
		t.Fatalf("the gateway got %v (auth %v)", got, gw.auth)
	}
	if strings.Contains(got[0]["text"], token) || strings.Contains(got[0]["text"], "ada@example.com") {
		t.Errorf("the text carries the private link or the e-mail: %q", got[0]["text"])
	}
	if r, _ := s.jobs.DeliverTexts(s.now); r.Sent != 0 {
		t.Errorf("a second run sent %d again", r.Sent)
	}
	manage := s.get(t, "/b/"+token)
	mustContain(t, "manage page", manage.body, "Text messages about this booking go to +49 1512 3456789.", `data-testid="stop-texts"`)

	// A change by the guest: its text; a gateway that fails is tried again, then it goes.
	if res := s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-27T20:00"}, "party": {"3"}}); res.status != http.StatusSeeOther {
		t.Fatalf("change = %d\n%s", res.status, snippet(res.body))
	}
	gw.answer(http.StatusServiceUnavailable)
	if r, _ := s.jobs.DeliverTexts(s.now); r.Retried != 1 {
		t.Fatalf("failing gateway: %+v, want a retry", r)
	}
	gw.answer(0)
	if r, _ := s.jobs.DeliverTexts(s.now.Add(30 * time.Second)); r.Sent != 0 {
		t.Errorf("the retry went before its time: %+v", r)
	}
	if r, _ := s.jobs.DeliverTexts(s.now.Add(2 * time.Minute)); r.Sent != 1 {
		t.Errorf("the retry: %+v", r)
	}
	if got := gw.texts(); len(got) != 3 || !strings.Contains(got[2]["text"], "is now Dinner") || !strings.Contains(got[2]["text"], "20:00") {
		t.Errorf("change text: %v", got)
	}

	// The reminder, a day ahead.
	s.now = time.Date(2026, 11, 26, 19, 30, 0, 0, time.UTC)
	if rem, _, err := s.jobs.QueueReminders(s.now); err != nil || rem != 1 {
		t.Fatalf("QueueReminders = %d, %v", rem, err)
	}
	if r, _ := s.jobs.DeliverTexts(s.now); r.Sent != 1 {
		t.Fatalf("reminder: %+v", r)
	}
	if got := gw.texts(); !strings.Contains(got[len(got)-1]["text"], "a reminder of Dinner") {
		t.Errorf("reminder text: %q", got[len(got)-1]["text"])
	}

	// Staff see the texts on the booking's page.
	desk, _ := s.signedIn(t, "frontdesk")
	staffPage := s.as(t, desk, http.MethodGet, "/admin/bookings/"+b.ID, nil)
	mustContain(t, "staff booking page", staffPage.body, `data-testid="texts"`, "Text messages about this booking go to +49 1512 3456789.",
		"Confirmation · Sent", "Change · Sent", "Reminder · Sent")

	// A final no from the gateway is given up at once.
	token2 := s.bookWith(t, "dinner", f)
	gw.answer(http.StatusUnprocessableEntity)
	if r, _ := s.jobs.DeliverTexts(s.now); r.Failed != 1 {
		t.Errorf("final no: %+v", r)
	}
	gw.answer(0)
	if got := textRows(t, s, bookingOf(t, s, token2).ID); got["confirmation:failed"] != 1 {
		t.Errorf("texts after a final no: %v", got)
	}

	// Stop texts: the cancellation then goes by mail only; stopping twice changes nothing.
	for range 2 {
		if res := s.post(t, "/b/"+token+"/texts/stop", url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("stop texts = %d", res.status)
		}
	}
	mustContain(t, "after stopping", s.get(t, "/b/"+token+"?m=texts_stopped").body, "No more text messages")
	_ = s.app.DB().Select("count(*)").From("audit_log").Where(dbx.HashExp{"action": "booking.texts_stopped", "target": "bookings/" + b.ID}).Row(&n)
	if n != 1 {
		t.Errorf("%d audit rows for stopping texts, want 1", n)
	}
	before := len(gw.texts())
	if res := s.post(t, "/b/"+token+"/cancel", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d", res.status)
	}
	if r, _ := s.jobs.DeliverTexts(s.now); r.Sent != 0 || len(gw.texts()) != before {
		t.Errorf("a text went after the guest stopped them: %+v", r)
	}

	// The person's export lists the texts; erasure takes them with the booking's personal data.
	token3 := s.bookWith(t, "dinner", f)
	b3 := bookingOf(t, s, token3)
	data, err := store.SubjectData(s.app, "ada@example.com")
	if err != nil || len(data["sms_outbox"]) < 5 {
		t.Errorf("the export's texts: %d, %v", len(data["sms_outbox"]), err)
	}
	if err := s.app.RunInTransaction(func(tx core.App) error {
		_, err := store.EraseSubject(tx, "ada@example.com")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{b.ID, b3.ID} {
		if got := textRows(t, s, id); len(got) != 0 {
			t.Errorf("texts of %s after erasure: %v", id, got)
		}
	}

	// Without a gateway the box is neither shown nor taken.
	plain := newServer(t)
	mustNotContain(t, "no gateway", plain.get(t, "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00").body, `name="sms"`)
	tok := plain.bookWith(t, "dinner", f)
	if pb := bookingOf(t, plain, tok); pb.SMS || pb.Phone != "0151 23456789" {
		t.Errorf("without a gateway: sms %v, phone %q", pb.SMS, pb.Phone)
	}
}
