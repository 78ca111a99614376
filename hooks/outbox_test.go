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

	"reserva/internal/jobs"
	"reserva/internal/mail"
	"reserva/internal/store"
	"reserva/views"
)

// outboxRows returns the outbox rows of kind, oldest first.
func (s *testServer) outboxRows(t testing.TB, kind store.MailKind) []*store.Mail {
	t.Helper()
	var rows []*store.Mail
	if err := s.app.DB().NewQuery("SELECT * FROM outbox WHERE kind = {:k} ORDER BY created, rowid").
		Bind(dbx.Params{"k": string(kind)}).All(&rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// rendered is the mail of row m as the outbox worker would send it now.
func (s *testServer) rendered(t testing.TB, m *store.Mail) mail.Message {
	t.Helper()
	msg, err := s.jobs.RenderForTest(m)
	if err != nil {
		t.Fatalf("render %s %s: %v", m.Kind, m.ID, err)
	}
	return msg
}

// only is the one row of kind (failing the test when there is not exactly one).
func (s *testServer) only(t testing.TB, kind store.MailKind) *store.Mail {
	t.Helper()
	rows := s.outboxRows(t, kind)
	if len(rows) != 1 {
		t.Fatalf("%s rows = %d, want 1", kind, len(rows))
	}
	return rows[0]
}

var mailLink = regexp.MustCompile(`https://booking\.test/b/([A-Za-z0-9_-]{43})`)

// TestBookingMailsAreQueuedWithTheChange: each booking, change and cancellation queues its mail
// in the same write; the row holds the booking and the link's token (sealed), and the mail is
// rendered when sent from the booking as it stands, with the calendar's version.
func TestBookingMailsAreQueuedWithTheChange(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	c := s.only(t, store.MailConfirmation)
	rec := s.bookingByToken(t, token)
	if c.Booking != rec.ID || c.To != "ada@example.com" || c.Status != store.MailQueued {
		t.Errorf("confirmation row: booking %q to %q status %q", c.Booking, c.To, c.Status)
	}
	if c.Text != "" || c.HTML != "" || c.Token == "" || strings.Contains(c.Token, token) && !strings.HasPrefix(c.Token, "plain:") {
		t.Errorf("a booking mail keeps its token (sealed when a key is set) and no body until sent: text %q token %q", c.Text, c.Token)
	}
	msg := s.rendered(t, c)
	if msg.ReplyTo != "hello@demo.invalid" || msg.ReplyToName != "Demo Bistro & Pottery" {
		t.Errorf("Reply-To = %q <%s>, want the venue's contact address", msg.ReplyToName, msg.ReplyTo)
	}
	mustContain(t, "subject", msg.Subject, "Booking confirmed: Dinner, Fri 27 Nov 19:00 · Demo Bistro & Pottery")
	mustContain(t, "text", msg.Text, "Hello Ada Lovelace,", rec.Reference, "Friday 27 November 2026, 19:00–21:00",
		"2 people", "You can change or cancel online until Friday 27 November 2026, 17:00.", "Beispielstraße 1")
	mustContain(t, "html", msg.HTML, rec.Reference, `href="https://booking.test/b/`)
	mustNotContain(t, "html", msg.HTML, "<script", "http://")
	// One token: the mail's link is the one the booking page sent the guest to.
	m := mailLink.FindStringSubmatch(msg.Text)
	if m == nil || m[1] != token {
		t.Fatalf("manage link in the mail: %v, want the page's token %s", m, token)
	}
	if n := s.count(t, "booking_tokens", dbx.HashExp{"booking": rec.ID}); n != 1 {
		t.Errorf("a new booking has %d tokens, want 1", n)
	}
	ics := msg.Attachments
	if len(ics) != 1 || ics[0].ContentType != "text/calendar; method=PUBLISH; charset=utf-8" {
		t.Fatalf("attachments = %+v", ics)
	}
	mustContain(t, "ics", string(ics[0].Data), "DTSTART;TZID=Europe/Berlin:20261127T190000", "SEQUENCE:0", "UID:"+rec.ID+"@reserva")

	// A change and a cancellation each queue their mail, with the calendar's new version.
	if res := s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-28T20:00"}, "party": {"3"}}); res.status != http.StatusSeeOther {
		t.Fatalf("change = %d", res.status)
	}
	ch := s.rendered(t, s.only(t, store.MailChange))
	mustContain(t, "change", ch.Text, "has been changed", "Saturday 28 November 2026, 20:00–22:00", "3 people")
	mustContain(t, "change ics", string(ch.Attachments[0].Data), "SEQUENCE:1", "DTSTART;TZID=Europe/Berlin:20261128T200000")
	if cm := mailLink.FindStringSubmatch(ch.Text); cm == nil || cm[1] == token {
		t.Errorf("the change mail carries a fresh link of its own: %v", cm)
	} else if page := s.get(t, "/b/"+cm[1]); page.status != http.StatusOK || !strings.Contains(page.body, rec.Reference) {
		t.Errorf("the change mail's link = %d", page.status)
	}
	s.post(t, "/b/"+token+"/cancel", url.Values{})
	ca := s.only(t, store.MailCancellation)
	if ca.Token != "" {
		t.Errorf("a cancellation carries a link")
	}
	cm := s.rendered(t, ca)
	mustContain(t, "cancellation", cm.Text, "has been cancelled, as you asked", "removes the booking from your calendar")
	mustNotContain(t, "cancellation", cm.Text, "https://booking.test/b/")
	att := cm.Attachments[0]
	if att.ContentType != "text/calendar; method=CANCEL; charset=utf-8" {
		t.Errorf("cancellation calendar type %q", att.ContentType)
	}
	mustContain(t, "cancel ics", string(att.Data), "METHOD:CANCEL", "STATUS:CANCELLED", "SEQUENCE:2")

	// Once sent, a row keeps its subject for the dashboard, and neither its body nor its token.
	if st, err := s.jobs.Deliver(50); err != nil || st.Sent != 3 {
		t.Fatalf("deliver = %+v %v", st, err)
	}
	for _, r := range s.outboxRows(t, store.MailConfirmation) {
		if r.Status != store.MailSent || r.Subject == "" || r.Token != "" || r.Text != "" {
			t.Errorf("sent row: status %q subject %q token %q", r.Status, r.Subject, r.Token)
		}
	}
	sent := s.relay.messages()
	if len(sent) != 3 || mailLink.FindStringSubmatch(sent[0].Text)[1] != token {
		t.Errorf("sent %d messages; the confirmation's link is not the page's", len(sent))
	}
}

// TestMailsOfAnErasedBookingAreDropped: a queued mail whose booking lost its personal data is
// not sent, and says why.
func TestMailsOfAnErasedBookingAreDropped(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	rec := s.bookingByToken(t, token)
	if _, err := s.app.DB().NewQuery("UPDATE bookings SET email = '', name = '', anonymised = TRUE WHERE id = {:id}").
		Bind(dbx.Params{"id": rec.ID}).Execute(); err != nil {
		t.Fatal(err)
	}
	st, err := s.jobs.Deliver(50)
	if err != nil || st.Dropped != 1 || st.Sent != 0 || len(s.relay.messages()) != 0 {
		t.Fatalf("deliver = %+v %v, %d sent", st, err, len(s.relay.messages()))
	}
	if r := s.only(t, store.MailConfirmation); r.Status != store.MailFailed || r.LastError == "" || r.Token != "" {
		t.Errorf("dropped row: status %q error %q", r.Status, r.LastError)
	}
}

func TestVenueNotice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.setVenue(t, func(f *store.VenueFields) { f.NotifyEmail = "desk@demo.invalid" })
	s.book(t, "2026-11-27T19:00", "2")
	row := s.only(t, store.MailVenueNotice)
	if row.To != "desk@demo.invalid" || row.Token != "" {
		t.Fatalf("venue notice to %q", row.To)
	}
	msg := s.rendered(t, row)
	mustContain(t, "notice", msg.Text, "A new booking has come in", "Ada Lovelace", "ada@example.com", "Window seat, please")
	mustNotContain(t, "notice", msg.Text, "https://booking.test/b/")
	if msg.ReplyTo != "" || len(msg.Attachments) != 0 {
		t.Errorf("the venue's notice: Reply-To %q, %d attachments; want neither", msg.ReplyTo, len(msg.Attachments))
	}
}

// TestVenueNoticeOfChangesAndCancellations: the notify address also hears of a guest's change
// and cancellation, each in a notice of its own, without the guest's link or calendar file.
func TestVenueNoticeOfChangesAndCancellations(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.setVenue(t, func(f *store.VenueFields) { f.NotifyEmail = "desk@demo.invalid" })
	token := s.book(t, "2026-11-27T19:00", "2")
	if res := s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-28T20:00"}, "party": {"3"}}); res.status != http.StatusSeeOther {
		t.Fatalf("change = %d", res.status)
	}
	changed := s.only(t, store.MailVenueChange)
	msg := s.rendered(t, changed)
	if changed.To != "desk@demo.invalid" || changed.Token != "" {
		t.Errorf("change notice to %q with a token %v", changed.To, changed.Token != "")
	}
	mustContain(t, "change notice subject", msg.Subject, "Booking changed", "Sat 28 Nov 20:00", "3 people")
	mustContain(t, "change notice", msg.Text, "A booking has been changed", "Saturday 28 November 2026, 20:00–22:00", "Ada Lovelace", "ada@example.com")
	mustNotContain(t, "change notice", msg.Text, "https://booking.test/b/", "Hello")
	if res := s.post(t, "/b/"+token+"/cancel", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d", res.status)
	}
	cancelled := s.only(t, store.MailVenueCancellation)
	msg = s.rendered(t, cancelled)
	mustContain(t, "cancellation notice", msg.Subject, "Booking cancelled")
	mustContain(t, "cancellation notice", msg.Text, "cancelled by its guest", "Ada Lovelace")
	mustNotContain(t, "cancellation notice", msg.Text, "https://booking.test/b/")
	if len(msg.Attachments) != 0 || msg.ReplyTo != "" {
		t.Errorf("the cancellation notice has %d attachments, Reply-To %q", len(msg.Attachments), msg.ReplyTo)
	}
}

// TestMailAndBookingAreOneWrite: when the mail cannot be queued, the booking is not stored
// either.
func TestMailAndBookingAreOneWrite(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if _, err := s.app.DB().NewQuery("CREATE TRIGGER outbox_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END").Execute(); err != nil {
		t.Fatal(err)
	}
	res := s.post(t, "/book/dinner", bookingForm("2026-11-27T19:00", "2"))
	if res.status != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500 (an injected storage failure)", res.status)
	}
	mustContain(t, "500 page", res.body, "Nothing you entered was saved")
	mustNotContain(t, "500 page", res.body, "disk full")
	for _, c := range []string{"bookings", "customers", "booking_tokens", "outbox", "audit_log", "booking_usage", "privacy_notices"} {
		if n := s.count(t, c, dbx.NewExp("1=1")); n != 0 {
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
	st, err := s.jobs.Deliver(50)
	if err != nil || st.Retried != 2 || st.Sent != 0 {
		t.Fatalf("outage run = %+v, %v", st, err)
	}
	for _, r := range s.outboxRows(t, store.MailConfirmation) {
		if r.Attempts != 1 || !r.NextAttempt.Time().Equal(s.now.Add(time.Minute)) || r.LastError == "" {
			t.Errorf("after a failure: attempts %d next %v error %q", r.Attempts, r.NextAttempt, r.LastError)
		}
	}
	// Nothing is due yet, so the run only probes the oldest waiting message.
	s.now = s.now.Add(10 * time.Second)
	st, _ = s.jobs.Deliver(50)
	if st.Retried != 1 {
		t.Errorf("probe run = %+v, want one early try", st)
	}
	// The relay is back: the probe gets through and every waiting message is sent next run.
	s.relay.setErr(nil)
	s.now = s.now.Add(10 * time.Second)
	if st, _ = s.jobs.Deliver(50); st.Sent != 1 {
		t.Fatalf("recovery run = %+v, want 1 sent", st)
	}
	if st, _ = s.jobs.Deliver(50); st.Sent != 1 {
		t.Fatalf("run after recovery = %+v, want the other one", st)
	}
	if n := len(s.relay.messages()); n != 2 {
		t.Errorf("relay got %d messages, want 2", n)
	}
	for _, r := range s.outboxRows(t, store.MailConfirmation) {
		if r.Status != store.MailSent || r.SentAt.IsZero() {
			t.Errorf("row %s: status %q", r.ID, r.Status)
		}
	}
	if st, _ = s.jobs.Deliver(50); st != (jobs.DeliveryStats{}) {
		t.Errorf("an idle run did %+v", st)
	}

	// A permanent rejection fails at once; a temporary failure for a day gives up.
	s.book(t, "2026-11-29T19:00", "2")
	s.relay.setErr(mail.ErrRejected)
	if st, _ = s.jobs.Deliver(50); st.Failed != 1 {
		t.Errorf("rejected run = %+v, want 1 failed", st)
	}
	s.book(t, "2026-12-01T19:00", "2")
	s.relay.setErr(errors.New("451 try later"))
	for range 30 {
		_, _ = s.jobs.Deliver(50)
		s.now = s.now.Add(2 * time.Hour)
	}
	rows := s.outboxRows(t, store.MailConfirmation)
	last := rows[len(rows)-1]
	if last.Status != store.MailFailed || last.Attempts > 13 || last.Token != "" {
		t.Errorf("after a day of failures: status %q attempts %d token %q", last.Status, last.Attempts, last.Token)
	}
	// "Retry now" from the dashboard queues it again; its mail goes out with a link (the
	// booking page's token was dropped with the failure: the link is a fresh one).
	s.relay.setErr(nil)
	if err := store.RetryNow(s.app, last.ID, s.now); err != nil {
		t.Fatal(err)
	}
	if st, _ = s.jobs.Deliver(50); st.Sent != 1 {
		t.Errorf("after retry now: %+v", st)
	}
	sent := s.relay.messages()
	if m := mailLink.FindStringSubmatch(sent[len(sent)-1].Text); m == nil || s.get(t, "/b/"+m[1]).status != http.StatusOK {
		t.Errorf("the retried mail's link does not open the booking: %v", m)
	}
}

// TestRetriesCarryOneLink: a mail whose link is made when it is sent (a change) carries the
// same link through its failed attempts: one token for it, however many tries.
func TestRetriesCarryOneLink(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	if _, err := s.jobs.Deliver(50); err != nil {
		t.Fatal(err)
	}
	if res := s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-11-27T20:00"}, "party": {"2"}}); res.status != http.StatusSeeOther {
		t.Fatalf("change = %d", res.status)
	}
	s.relay.setErr(errors.New("451 try later"))
	for range 3 {
		if st, _ := s.jobs.Deliver(50); st.Retried != 1 {
			t.Fatalf("outage run = %+v, want one retry", st)
		}
		s.now = s.now.Add(time.Hour)
	}
	s.relay.setErr(nil)
	if st, _ := s.jobs.Deliver(50); st.Sent != 1 {
		t.Fatalf("recovery run = %+v", st)
	}
	b := s.bookingByToken(t, token)
	if n := s.count(t, "booking_tokens", dbx.HashExp{"booking": b.ID}); n != 2 {
		t.Errorf("%d tokens for the booking after four attempts of its change mail, want 2 (the page's and the mail's)", n)
	}
	sent := s.relay.messages()
	if m := mailLink.FindStringSubmatch(sent[len(sent)-1].Text); m == nil || s.get(t, "/b/"+m[1]).status != http.StatusOK {
		t.Errorf("the change mail's link does not open the booking: %v", m)
	}
}

// TestDeliverAfterACrash: mail queued by a process that died before sending is sent by the
// next one (new jobs, with a transport of their own, on the same database).
func TestDeliverAfterACrash(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.book(t, "2026-11-27T19:00", "2")
	relay := &fakeRelay{}
	restarted := jobs.New(s.st, jobs.Config{Now: func() time.Time { return s.now }, Transport: relay, BaseURL: "https://booking.test"})
	if st, err := restarted.Deliver(50); err != nil || st.Sent != 1 || len(relay.messages()) != 1 {
		t.Fatalf("after the restart: %+v %v", st, err)
	}
	if m := mailLink.FindStringSubmatch(relay.messages()[0].Text); m == nil {
		t.Errorf("the mail sent after the restart has no link")
	}
}

func TestStripSentBodies(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.post(t, "/account", url.Values{"email": {"ada@example.com"}}) // a mail rendered when queued
	if _, err := s.jobs.Deliver(50); err != nil {
		t.Fatal(err)
	}
	if n, _ := store.StripSentBodies(s.app, s.now.Add(29*24*time.Hour)); n != 0 {
		t.Errorf("stripped after 29 days: %d", n)
	}
	if n, _ := store.StripSentBodies(s.app, s.now.Add(31*24*time.Hour)); n != 1 {
		t.Errorf("stripped after 31 days: %d, want 1", n)
	}
	r := s.only(t, store.MailSignin)
	if r.Text != "" || r.HTML != "" || len(r.Files()) != 0 || !r.Stripped {
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
	if n, _, err := s.jobs.QueueReminders(s.now); err != nil || n != 0 {
		t.Fatalf("a minute early: %d reminders, %v", n, err)
	}
	s.now = time.Date(2026, 3, 28, 17, 0, 0, 0, time.UTC)
	if n, _, _ := s.jobs.QueueReminders(s.now); n != 1 {
		t.Fatalf("at Saturday 18:00 CET: %d reminders, want 1", n)
	}
	if n, _, _ := s.jobs.QueueReminders(s.now.Add(time.Hour)); n != 0 {
		t.Errorf("a second run queued %d more", n)
	}
	row := s.only(t, store.MailReminder)
	rec := s.bookingByToken(t, token)
	if row.Booking != rec.ID {
		t.Errorf("the reminder is for another booking")
	}
	msg := s.rendered(t, row)
	mustContain(t, "reminder", msg.Text, "A reminder of your booking", "Sunday 29 March 2026, 19:00–21:00")
	mustContain(t, "subject", msg.Subject, "Reminder: Dinner, Sun 29 Mar 19:00")

	// A booking made after its reminder time has passed gets no reminder.
	s.book(t, "2026-03-29T21:00", "2")
	if n, _, _ := s.jobs.QueueReminders(s.now.Add(time.Minute)); n != 0 {
		t.Errorf("a late booking got %d reminders", n)
	}
	// Moving the reminded booking a week on earns it a reminder for the new time.
	s.post(t, "/b/"+token+"/change", url.Values{"start": {"2026-04-05T19:00"}, "party": {"2"}})
	if n, _, _ := s.jobs.QueueReminders(time.Date(2026, 4, 4, 17, 0, 0, 0, time.UTC)); n != 1 {
		t.Errorf("moved booking: %d reminders, want 1", n)
	}
}

// Raising the reminder hours sends no reminder to bookings made after their new reminder time:
// their confirmation is fresh. Bookings made before it get theirs when it comes.
func TestRaisedReminderHoursSkipFreshBookings(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.setVenue(t, func(f *store.VenueFields) { f.ReminderHours = 0 })
	// Made on Tuesday 24 November 09:00 UTC; Thursday 19:00 Berlin is 57 hours on, Saturday 105.
	fresh := s.bookingByToken(t, s.book(t, "2026-11-26T19:00", "2"))
	ahead := s.bookingByToken(t, s.book(t, "2026-11-28T19:00", "2"))
	s.setVenue(t, func(f *store.VenueFields) { f.ReminderHours = 72 })
	if n, _, err := s.jobs.QueueReminders(s.now.Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("after raising the hours to 72: %d reminders (%v), want none for a booking made inside the window", n, err)
	}
	// Saturday 19:00 CET less 72 hours: Wednesday 18:00 UTC.
	if n, _, _ := s.jobs.QueueReminders(time.Date(2026, 11, 25, 17, 59, 0, 0, time.UTC)); n != 0 {
		t.Fatalf("before Saturday's reminder time: %d reminders", n)
	}
	if n, _, _ := s.jobs.QueueReminders(time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)); n != 1 {
		t.Fatalf("at Saturday's reminder time: %d reminders, want 1", n)
	}
	if row := s.only(t, store.MailReminder); row.Booking != ahead.ID {
		t.Errorf("the reminder went to booking %s, want %s (not the fresh %s)", row.Booking, ahead.ID, fresh.ID)
	}
}

func TestFeedbackRequestsAreOffByDefault(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.book(t, "2026-11-27T19:00", "2")
	later := time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)
	if _, f, _ := s.jobs.QueueReminders(later); f != 0 {
		t.Fatalf("feedback requests while off: %d", f)
	}
	s.setVenue(t, func(f *store.VenueFields) { f.FeedbackHours, f.FeedbackURL = 12, "https://reviews.example/demo" })
	if _, f, _ := s.jobs.QueueReminders(later); f != 1 {
		t.Fatalf("feedback requests = %d, want 1", f)
	}
	if _, f, _ := s.jobs.QueueReminders(later.Add(time.Hour)); f != 0 {
		t.Errorf("second run: %d", f)
	}
	msg := s.rendered(t, s.only(t, store.MailFeedback))
	mustContain(t, "feedback", msg.Text, "We would love to hear how it was", "https://reviews.example/demo")
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

// TestEveryOutboxKindHasAName: the outbox page names each kind the schema allows in words, so
// a new kind cannot show up as a raw key.
func TestEveryOutboxKindHasAName(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c, err := s.app.FindCollectionByNameOrId("outbox")
	if err != nil {
		t.Fatal(err)
	}
	kinds := c.Fields.GetByName("kind").(*core.SelectField).Values
	l := views.NewLocale(views.DefaultLanguage)
	for _, k := range kinds {
		if !l.Has("outbox.kind." + k) {
			t.Errorf("outbox kind %q has no name (outbox.kind.%s)", k, k)
		}
	}
	if len(kinds) < 12 {
		t.Errorf("the schema lists only %d kinds: %v", len(kinds), kinds)
	}
}
