package hooks

import (
	"errors"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	pbmailer "github.com/pocketbase/pocketbase/tools/mailer"

	"reserva/internal/mail"
)

// outboxRows returns the outbox rows of kind, oldest first.
func (s *testServer) outboxRows(t testing.TB, kind string) []*core.Record {
	t.Helper()
	recs, err := s.app.FindRecordsByFilter("outbox", "kind = {:k}", "created", 0, 0, dbx.Params{"k": kind})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

var mailLink = regexp.MustCompile(`https://booking\.test/b/([A-Za-z0-9_-]{43})`)

func TestBookingMailsAreQueuedWithTheChange(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	rows := s.outboxRows(t, "confirmation")
	if len(rows) != 1 {
		t.Fatalf("confirmation rows = %d, want 1", len(rows))
	}
	c := rows[0]
	rec, _ := s.bookingByToken(t, token)
	if c.GetString("booking") != rec.Id || c.GetString("to_email") != "ada@example.com" || c.GetString("status") != "queued" {
		t.Errorf("confirmation row: booking %q to %q status %q", c.GetString("booking"), c.GetString("to_email"), c.GetString("status"))
	}
	mustContain(t, "subject", c.GetString("subject"), "Booking confirmed: Dinner, Fri 27 Nov 19:00 · Demo Bistro & Pottery")
	text := c.GetString("text")
	mustContain(t, "text", text, "Hello Ada Lovelace,", rec.GetString("reference"), "Friday 27 November 2026, 19:00–21:00",
		"2 people", "You can change or cancel online until Friday 27 November 2026, 17:00.", "Beispielstraße 1")
	mustContain(t, "html", c.GetString("html"), rec.GetString("reference"), `href="https://booking.test/b/`)
	mustNotContain(t, "html", c.GetString("html"), "<script", "http://")
	// The mail's link carries a token of its own that opens the same booking.
	m := mailLink.FindStringSubmatch(text)
	if m == nil || m[1] == token {
		t.Fatalf("manage link in the mail: %v (the page's token %s)", m, token)
	}
	if page := s.get(t, "/b/"+m[1]); page.status != http.StatusOK || !strings.Contains(page.body, rec.GetString("reference")) {
		t.Errorf("the mailed link = %d", page.status)
	}
	ics := outboxMessage(c).Attachments
	if len(ics) != 1 || ics[0].ContentType != "text/calendar; method=PUBLISH; charset=utf-8" {
		t.Fatalf("attachments = %+v", ics)
	}
	mustContain(t, "ics", string(ics[0].Data), "DTSTART;TZID=Europe/Berlin:20261127T190000", "SEQUENCE:0", "UID:"+rec.Id+"@reserva")

	// A change and a cancellation each queue their mail, with the calendar's new version.
	if res := s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-28T20:00"}, "party": {"3"}}); res.status != http.StatusSeeOther {
		t.Fatalf("change = %d", res.status)
	}
	ch := s.outboxRows(t, "change")
	if len(ch) != 1 {
		t.Fatalf("change rows = %d", len(ch))
	}
	mustContain(t, "change", ch[0].GetString("text"), "has been changed", "Saturday 28 November 2026, 20:00–22:00", "3 people")
	mustContain(t, "change ics", string(outboxMessage(ch[0]).Attachments[0].Data), "SEQUENCE:1", "DTSTART;TZID=Europe/Berlin:20261128T200000")
	s.post(t, "/b/"+token+"/cancel", url.Values{})
	ca := s.outboxRows(t, "cancellation")
	if len(ca) != 1 {
		t.Fatalf("cancellation rows = %d", len(ca))
	}
	mustContain(t, "cancellation", ca[0].GetString("text"), "has been cancelled, as you asked", "removes the booking from your calendar")
	mustNotContain(t, "cancellation", ca[0].GetString("text"), "https://booking.test/b/")
	att := outboxMessage(ca[0]).Attachments[0]
	if att.ContentType != "text/calendar; method=CANCEL; charset=utf-8" {
		t.Errorf("cancellation calendar type %q", att.ContentType)
	}
	mustContain(t, "cancel ics", string(att.Data), "METHOD:CANCEL", "STATUS:CANCELLED", "SEQUENCE:2")
}

func TestVenueNotice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.setVenue(t, map[string]any{"notify_email": "desk@demo.invalid"})
	s.book(t, "2026-11-27T19:00", "2")
	rows := s.outboxRows(t, "venue_notice")
	if len(rows) != 1 || rows[0].GetString("to_email") != "desk@demo.invalid" {
		t.Fatalf("venue notices = %d", len(rows))
	}
	mustContain(t, "notice", rows[0].GetString("text"), "A new booking has come in", "Ada Lovelace", "ada@example.com", "Window seat, please")
}

// TestMailAndBookingAreOneTransaction: when the mail cannot be queued, the booking is not
// stored either.
func TestMailAndBookingAreOneTransaction(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.app.OnRecordCreate("outbox").BindFunc(func(e *core.RecordEvent) error { return errors.New("disk full") })
	res := s.post(t, "/book/dinner", bookingForm("2026-11-27T19:00", "2"))
	if res.status != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500 (an injected storage failure)", res.status)
	}
	mustContain(t, "500 page", res.body, "Nothing you entered was saved")
	mustNotContain(t, "500 page", res.body, "disk full")
	for _, c := range []string{"bookings", "customers", "booking_tokens", "outbox", "audit_log"} {
		if n, _ := s.app.CountRecords(c); n != 0 {
			t.Errorf("%s rows after the failed booking = %d, want 0", c, n)
		}
	}
}

func TestDeliverSendsRetriesAndGivesUp(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.book(t, "2026-11-27T19:00", "2")
	s.book(t, "2026-11-28T19:00", "2")

	// The relay is down: both messages wait, the next try about a minute later.
	s.relay.setErr(errors.New("dial tcp 127.0.0.1:25: connect: connection refused"))
	st, err := s.h.deliver(s.app, 50)
	if err != nil || st.Retried != 2 || st.Sent != 0 {
		t.Fatalf("outage run = %+v, %v", st, err)
	}
	for _, r := range s.outboxRows(t, "confirmation") {
		if r.GetInt("attempts") != 1 || !r.GetDateTime("next_attempt").Time().Equal(s.now.Add(time.Minute)) || r.GetString("last_error") == "" {
			t.Errorf("after a failure: attempts %d next %v error %q", r.GetInt("attempts"), r.GetDateTime("next_attempt"), r.GetString("last_error"))
		}
	}
	// Nothing is due yet, so the run only probes the oldest waiting message.
	s.now = s.now.Add(10 * time.Second)
	st, _ = s.h.deliver(s.app, 50)
	if st.Retried != 1 {
		t.Errorf("probe run = %+v, want one early try", st)
	}
	// The relay is back: the probe gets through and every waiting message is sent next run.
	s.relay.setErr(nil)
	s.now = s.now.Add(10 * time.Second)
	if st, _ = s.h.deliver(s.app, 50); st.Sent != 1 {
		t.Fatalf("recovery run = %+v, want 1 sent", st)
	}
	if st, _ = s.h.deliver(s.app, 50); st.Sent != 1 {
		t.Fatalf("run after recovery = %+v, want the other one", st)
	}
	if n := len(s.relay.messages()); n != 2 {
		t.Errorf("relay got %d messages, want 2", n)
	}
	for _, r := range s.outboxRows(t, "confirmation") {
		if r.GetString("status") != "sent" || r.GetDateTime("sent_at").IsZero() {
			t.Errorf("row %s: status %q", r.Id, r.GetString("status"))
		}
	}
	if st, _ = s.h.deliver(s.app, 50); st != (deliveryStats{}) {
		t.Errorf("an idle run did %+v", st)
	}

	// A permanent rejection fails at once; a temporary failure for a day gives up.
	s.book(t, "2026-11-29T19:00", "2")
	s.relay.setErr(mail.ErrRejected)
	if st, _ = s.h.deliver(s.app, 50); st.Failed != 1 {
		t.Errorf("rejected run = %+v, want 1 failed", st)
	}
	s.book(t, "2026-12-01T19:00", "2")
	s.relay.setErr(errors.New("451 try later"))
	for range 30 {
		s.h.deliver(s.app, 50)
		s.now = s.now.Add(2 * time.Hour)
	}
	rows := s.outboxRows(t, "confirmation")
	last := rows[len(rows)-1]
	if last.GetString("status") != "failed" || last.GetInt("attempts") > 13 {
		t.Errorf("after a day of failures: status %q attempts %d", last.GetString("status"), last.GetInt("attempts"))
	}
	// "Retry now" from the dashboard queues it again.
	s.relay.setErr(nil)
	if err := retryNow(s.app, last.Id, s.now); err != nil {
		t.Fatal(err)
	}
	if st, _ = s.h.deliver(s.app, 50); st.Sent != 1 {
		t.Errorf("after retry now: %+v", st)
	}
}

// TestDeliverAfterACrash: mail queued by a process that died before sending is sent by the
// next one (a new Reserva on the same database).
func TestDeliverAfterACrash(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.book(t, "2026-11-27T19:00", "2")
	relay := &fakeRelay{}
	restarted := register(s.app, &Options{Now: func() time.Time { return s.now }, Transport: relay, BaseURL: "https://booking.test"})
	if st, err := restarted.deliver(s.app, 50); err != nil || st.Sent != 1 || len(relay.messages()) != 1 {
		t.Fatalf("after the restart: %+v %v", st, err)
	}
}

func TestStripSentBodies(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.book(t, "2026-11-27T19:00", "2")
	s.h.deliver(s.app, 50)
	if n, _ := stripSentBodies(s.app, s.now.Add(29*24*time.Hour)); n != 0 {
		t.Errorf("stripped after 29 days: %d", n)
	}
	if n, _ := stripSentBodies(s.app, s.now.Add(31*24*time.Hour)); n != 1 {
		t.Errorf("stripped after 31 days: %d, want 1", n)
	}
	r := s.outboxRows(t, "confirmation")[0]
	if r.GetString("text") != "" || r.GetString("html") != "" || len(outboxMessage(r).Attachments) != 0 || !r.GetBool("stripped") {
		t.Errorf("body kept after stripping")
	}
}

func TestRemindersAcrossDST(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.now = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	// Sunday 29 March 2026, 19:00 CEST = 17:00 UTC, the day summer time begins. 24 real hours
	// earlier is Saturday 18:00 CET (17:00 UTC), not 19:00.
	token := s.book(t, "2026-03-29T19:00", "2")
	cancelled := s.book(t, "2026-03-29T20:00", "2")
	s.post(t, "/b/"+cancelled+"/cancel", url.Values{})

	s.now = time.Date(2026, 3, 28, 16, 59, 0, 0, time.UTC)
	if n, _, err := s.h.queueReminders(s.app, s.now); err != nil || n != 0 {
		t.Fatalf("a minute early: %d reminders, %v", n, err)
	}
	s.now = time.Date(2026, 3, 28, 17, 0, 0, 0, time.UTC)
	if n, _, _ := s.h.queueReminders(s.app, s.now); n != 1 {
		t.Fatalf("at Saturday 18:00 CET: %d reminders, want 1", n)
	}
	if n, _, _ := s.h.queueReminders(s.app, s.now.Add(time.Hour)); n != 0 {
		t.Errorf("a second run queued %d more", n)
	}
	rows := s.outboxRows(t, "reminder")
	if len(rows) != 1 {
		t.Fatalf("reminder rows = %d", len(rows))
	}
	rec, _ := s.bookingByToken(t, token)
	if rows[0].GetString("booking") != rec.Id {
		t.Errorf("the reminder is for another booking")
	}
	mustContain(t, "reminder", rows[0].GetString("text"), "A reminder of your booking", "Sunday 29 March 2026, 19:00–21:00")
	mustContain(t, "subject", rows[0].GetString("subject"), "Reminder: Dinner, Sun 29 Mar 19:00")

	// A booking made after its reminder time has passed gets no reminder.
	s.book(t, "2026-03-29T21:00", "2")
	if n, _, _ := s.h.queueReminders(s.app, s.now.Add(time.Minute)); n != 0 {
		t.Errorf("a late booking got %d reminders", n)
	}
	// Moving the reminded booking a week on earns it a reminder for the new time.
	s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-04-05T19:00"}, "party": {"2"}})
	if n, _, _ := s.h.queueReminders(s.app, time.Date(2026, 4, 4, 17, 0, 0, 0, time.UTC)); n != 1 {
		t.Errorf("moved booking: %d reminders, want 1", n)
	}
}

func TestFeedbackRequestsAreOffByDefault(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.book(t, "2026-11-27T19:00", "2")
	later := time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)
	if _, f, _ := s.h.queueReminders(s.app, later); f != 0 {
		t.Fatalf("feedback requests while off: %d", f)
	}
	s.setVenue(t, map[string]any{"feedback_hours": 12, "feedback_url": "https://reviews.example/demo"})
	if _, f, _ := s.h.queueReminders(s.app, later); f != 1 {
		t.Fatalf("feedback requests = %d, want 1", f)
	}
	if _, f, _ := s.h.queueReminders(s.app, later.Add(time.Hour)); f != 0 {
		t.Errorf("second run: %d", f)
	}
	rows := s.outboxRows(t, "feedback")
	mustContain(t, "feedback", rows[0].GetString("text"), "We would love to hear how it was", "https://reviews.example/demo")
}

// TestPocketBaseMailGoesThroughReserva: PocketBase's own mails (superuser codes, resets) leave
// through Reserva's relay.
func TestPocketBaseMailGoesThroughReserva(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	err := s.app.NewMailClient().Send(&pbmailer.Message{
		From:    netmail.Address{Address: "noreply@demo.invalid"},
		To:      []netmail.Address{{Address: "owner@example.com"}},
		Subject: "Your one-time code",
		HTML:    "<p>Code: <b>123456</b></p>",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := s.relay.messages()
	if len(got) != 1 || got[0].To != "owner@example.com" || !strings.Contains(got[0].Text, "Code: 123456") {
		t.Fatalf("relay got %+v", got)
	}
}
