package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
)

// seriesSession is one session of a series as the tests read it.
type seriesSession struct {
	ID        string `db:"id"`
	Start     string `db:"start"`
	Seats     int    `db:"seats"`
	Cancelled bool   `db:"cancelled"`
	Series    string `db:"series"`
	Occurs    string `db:"occurs"`
	Detached  bool   `db:"detached"`
	Reason    string `db:"cancel_reason"`
}

// sessionsOf reads the sessions of pottery made by a series, by date.
func (s *testServer) seriesSessions(t testing.TB) map[string]seriesSession {
	t.Helper()
	var rows []seriesSession
	if err := s.app.DB().NewQuery("SELECT id, start, seats, cancelled, series, occurs, detached, cancel_reason FROM sessions WHERE occurs != '' ORDER BY occurs").
		All(&rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]seriesSession{}
	for _, r := range rows {
		if _, dup := out[r.Occurs]; dup && r.Series != "" {
			t.Fatalf("two sessions on %s", r.Occurs)
		}
		out[r.Occurs] = r
	}
	return out
}

// addSeries posts a new series of pottery as the manager and returns its id.
func (s *testServer) addSeries(t testing.TB, cookie string, form url.Values) string {
	t.Helper()
	pottery := s.offering(t, "pottery").ID
	res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/series", form)
	if res.status != http.StatusSeeOther || !strings.HasSuffix(res.header.Get("Location"), "?done=series_added") {
		t.Fatalf("add series = %d %s\n%s", res.status, res.header.Get("Location"), snippet(res.body))
	}
	var id string
	if err := s.app.DB().NewQuery("SELECT id FROM session_series ORDER BY created DESC, rowid DESC LIMIT 1").Row(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// bookSession books party places of session id of pottery for email.
func (s *testServer) bookSession(t testing.TB, id, party, email string) *store.Booking {
	t.Helper()
	form := bookingForm(id, party)
	form.Set("email", email)
	return s.bookingByToken(t, s.bookWith(t, "pottery", form))
}

// TestSeriesMakesSessions: a weekly series makes its sessions at once, venue-local, on its
// days only, without the dates left out, up to the offering's horizon (120 days for pottery),
// and the nightly run moves its reach on without making any twice.
func TestSeriesMakesSessions(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	// 2026-11-24 is a Tuesday; Mondays and Thursdays at 19:30 from 2026-11-30, not on 2026-12-24.
	s.addSeries(t, cookie, url.Values{"day": {"1", "4"}, "time": {"19:30"}, "seats": {"10"}, "from": {"2026-11-30"}, "except": {"2026-12-24"}})
	got := s.seriesSessions(t)
	loc := s.venue(t).Loc
	today := booking.DateOf(s.now, loc)
	reach := today.AddDays(120)
	n := 0
	for d := today; d.Compare(reach) <= 0; d = d.AddDays(1) {
		ses, ok := got[d.String()]
		want := d.Compare(booking.Date{Year: 2026, Month: 11, Day: 30}) >= 0 && (d.Weekday() == time.Monday || d.Weekday() == time.Thursday) &&
			d.String() != "2026-12-24"
		if ok != want {
			t.Fatalf("%s (%s): session %v, want %v", d, d.Weekday(), ok, want)
		}
		if !ok {
			continue
		}
		n++
		start, err := time.Parse("2006-01-02 15:04:05.000Z", ses.Start)
		if err != nil {
			t.Fatal(err)
		}
		if local := start.In(loc); local.Format("2006-01-02 15:04") != d.String()+" 19:30" || ses.Seats != 10 {
			t.Errorf("session of %s starts %s with %d seats", d, local, ses.Seats)
		}
	}
	if n != len(got) || n < 30 {
		t.Fatalf("%d sessions in reach, %d made", n, len(got))
	}
	// A day later the run adds the one date that came into reach, and nothing twice.
	s.now = s.now.Add(7 * 24 * time.Hour)
	added, err := s.jobs.GenerateSessions(s.now)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for d := reach.AddDays(1); d.Compare(reach.AddDays(7)) <= 0; d = d.AddDays(1) {
		if d.Weekday() == time.Monday || d.Weekday() == time.Thursday {
			want++
		}
	}
	if added != want {
		t.Errorf("a week later the run added %d sessions, want %d", added, want)
	}
	if again, err := s.jobs.GenerateSessions(s.now); err != nil || again != 0 {
		t.Errorf("a second run added %d (%v), want 0", again, err)
	}
	// Guests see them: the booking page of a Thursday lists 19:30.
	page := s.get(t, "/book/pottery?date=2026-12-03&party=2")
	mustContain(t, "booking page", page.body, "19:30")
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "series.added"}); n != 1 {
		t.Errorf("series.added audit entries = %d", n)
	}
}

// TestSeriesOverDST: a Sunday 02:30 class starts at 03:30 on Berlin's spring-forward Sunday
// (2027-03-28), at the first 02:30 on the fall-back one (2026-10-25 is past; 2027-10-31).
func TestSeriesOverDST(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.now = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	cookie, _ := s.signedIn(t, "manager")
	pottery := s.offering(t, "pottery")
	if _, err := s.app.DB().NewQuery("UPDATE offerings SET horizon = 300 WHERE id = {:id}").Bind(dbx.Params{"id": pottery.ID}).Execute(); err != nil {
		t.Fatal(err)
	}
	s.addSeries(t, cookie, url.Values{"day": {"0"}, "time": {"02:30"}, "seats": {"6"}, "from": {"2027-03-14"}, "until": {"2027-11-07"}})
	got := s.seriesSessions(t)
	loc := s.venue(t).Loc
	for date, want := range map[string]string{
		"2027-03-21": "2027-03-21T02:30+01:00", "2027-03-28": "2027-03-28T03:30+02:00", "2027-04-04": "2027-04-04T02:30+02:00",
		"2027-10-31": "2027-10-31T02:30+02:00", "2027-11-07": "2027-11-07T02:30+01:00",
	} {
		start, err := time.Parse("2006-01-02 15:04:05.000Z", got[date].Start)
		if err != nil {
			t.Fatalf("%s: %v", date, err)
		}
		if s := start.In(loc).Format(time.RFC3339[:len(time.RFC3339)-9] + "Z07:00"); s != want {
			t.Errorf("session of %s starts %s, want %s", date, s, want)
		}
	}
}

// TestSeriesChangeFromADate changes a series from a date on: sessions before it stay, later
// ones move to the new time with their guests told, a booked session on a dropped day is
// cancelled with the reason and its guest told, an unbooked one is removed, and a session
// changed on its own keeps its change. Fewer seats than booked refuses the whole change.
func TestSeriesChangeFromADate(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	pottery := s.offering(t, "pottery").ID
	id := s.addSeries(t, cookie, url.Values{"day": {"1", "4"}, "time": {"19:30"}, "seats": {"10"}, "from": {"2026-11-30"}, "until": {"2027-01-31"}})
	before := s.seriesSessions(t)
	early := s.bookSession(t, before["2026-12-03"].ID, "2", "early@example.com")    // Thursday, before the change
	moved := s.bookSession(t, before["2026-12-14"].ID, "3", "moved@example.com")    // Monday, after: moves
	dropped := s.bookSession(t, before["2026-12-17"].ID, "2", "drop@example.com")   // Thursday, after: dropped
	detached := s.bookSession(t, before["2026-12-21"].ID, "1", "alone@example.com") // Monday, changed on its own
	res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/sessions/"+before["2026-12-21"].ID,
		url.Values{"date": {"2026-12-21"}, "time": {"17:00"}, "seats": {"12"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("change one session = %d\n%s", res.status, snippet(res.body))
	}

	// Mondays only from 2026-12-10, at 18:00 with 4 places: the Monday with 3 booked fits.
	change := url.Values{"day": {"1"}, "time": {"18:00"}, "seats": {"2"}, "from": {"2026-12-10"}, "until": {"2027-01-31"},
		"reason": {"Thursday classes end for the winter."}}
	res = s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/series/"+id, change)
	if res.status != http.StatusConflict {
		t.Fatalf("seats below booked = %d, want 409\n%s", res.status, snippet(res.body))
	}
	mustContain(t, "seats taken", res.body, "3 places booked")
	if after := s.seriesSessions(t); after["2026-12-17"].Cancelled || after["2026-12-14"].Start != before["2026-12-14"].Start {
		t.Fatal("a refused change changed sessions")
	}
	if n := s.count(t, "session_series", dbx.NewExp("1=1")); n != 1 {
		t.Fatalf("a refused change left %d series", n)
	}

	change.Set("seats", "4")
	res = s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/series/"+id, change)
	if res.status != http.StatusSeeOther {
		t.Fatalf("change = %d\n%s", res.status, snippet(res.body))
	}
	after := s.seriesSessions(t)
	loc := s.venue(t).Loc
	localStart := func(ses seriesSession) string {
		st, err := time.Parse("2006-01-02 15:04:05.000Z", ses.Start)
		if err != nil {
			t.Fatal(err)
		}
		return st.In(loc).Format("15:04")
	}
	if ses := after["2026-12-03"]; ses.Start != before["2026-12-03"].Start || ses.Seats != 10 || ses.Cancelled || ses.Series != id {
		t.Errorf("the session before the change: %+v", ses)
	}
	if ses := after["2026-12-14"]; localStart(ses) != "18:00" || ses.Seats != 4 || ses.Series == id || ses.Series == "" {
		t.Errorf("the Monday after the change: %+v (want 18:00, 4 seats, the new part of the series)", ses)
	}
	if ses := after["2026-12-17"]; !ses.Cancelled || ses.Reason != "Thursday classes end for the winter." {
		t.Errorf("the booked Thursday after the change: %+v", ses)
	}
	if _, ok := after["2026-12-24"]; ok {
		t.Error("an unbooked Thursday after the change is still there")
	}
	if ses := after["2026-12-21"]; localStart(ses) != "17:00" || ses.Seats != 12 || !ses.Detached {
		t.Errorf("the session changed on its own: %+v", ses)
	}
	if ses, ok := after["2027-01-04"]; !ok || localStart(ses) != "18:00" {
		t.Errorf("a later Monday: %+v", ses)
	}
	if b := s.bookingByID(t, early.ID); b.Start != early.Start || b.Status != booking.StatusConfirmed {
		t.Errorf("the early booking changed: %v %s", b.Start, b.Status)
	}
	if b := s.bookingByID(t, moved.ID); b.Start.Time().In(loc).Format("2006-01-02 15:04") != "2026-12-14 18:00" {
		t.Errorf("the moved booking starts %v", b.Start.Time().In(loc))
	}
	if b := s.bookingByID(t, dropped.ID); b.Status != booking.StatusCancelled || b.CancelReason != "Thursday classes end for the winter." {
		t.Errorf("the dropped booking: %s %q", b.Status, b.CancelReason)
	}
	if b := s.bookingByID(t, detached.ID); b.Start.Time().In(loc).Format("15:04") != "17:00" {
		t.Errorf("the booking of the session changed on its own starts %v", b.Start.Time().In(loc))
	}
	told := map[string]store.MailKind{}
	for _, kind := range []store.MailKind{store.MailChange, store.MailCancellation} {
		for _, m := range s.outboxRows(t, kind) {
			told[m.To] = kind
			if m.To == "drop@example.com" {
				mustContain(t, "cancellation", s.rendered(t, m).Text, "Thursday classes end for the winter.")
			}
		}
	}
	if told["moved@example.com"] != store.MailChange || told["drop@example.com"] != store.MailCancellation ||
		told["alone@example.com"] != store.MailChange || told["early@example.com"] != "" {
		t.Errorf("mails: %v", told)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "series.changed"}); n != 1 {
		t.Errorf("series.changed audit entries = %d", n)
	}
	// The capacity of the moved session is its new seats: one more than 4 is full.
	full := bookingForm(after["2026-12-14"].ID, "2")
	if res := s.post(t, "/book/pottery", full); res.status != http.StatusConflict {
		t.Errorf("booking past the new seats = %d, want 409", res.status)
	}
}

// TestSessionCancelTellsGuestsAndWaitlist cancels a full session with a reason: its booking is
// cancelled by the venue with the reason, its waiting guest's entry closes as cancelled, and
// both are mailed the reason.
func TestSessionCancelTellsGuestsAndWaitlist(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	pottery := s.offering(t, "pottery").ID
	id := firstSession(s)
	b := s.bookSession(t, id, "4", "full@example.com")
	s.bookSession(t, id, "4", "full2@example.com")
	s.bookSession(t, id, "4", "full3@example.com")
	res := s.post(t, "/waitlist/pottery", url.Values{"start": {id}, "party": {"2"}, "name": {"Wanda Wait"}, "email": {"wait@example.com"}, "consent": {"yes"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("join the session's waitlist = %d\n%s", res.status, snippet(res.body))
	}
	page := s.as(t, cookie, http.MethodGet, "/admin/offerings/"+pottery+"/sessions/"+id, nil)
	mustContain(t, "session page", page.body, "12 of 12 places booked", `data-testid="session-cancel"`)
	long := url.Values{"reason": {strings.Repeat("x", maxReason+1)}}
	if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/sessions/"+id+"/cancel", long); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a reason too long = %d, want 422", res.status)
	}
	reason := url.Values{"reason": {"The kiln is broken."}}
	if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/sessions/"+id+"/cancel", reason); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d\n%s", res.status, snippet(res.body))
	}
	if got := s.bookingByID(t, b.ID); got.Status != booking.StatusCancelled || got.CancelReason != "The kiln is broken." {
		t.Errorf("booking after the cancel: %s %q", got.Status, got.CancelReason)
	}
	var status string
	if err := s.app.DB().NewQuery("SELECT status FROM waitlist WHERE email = 'wait@example.com'").Row(&status); err != nil || status != string(store.WaitCancelled) {
		t.Errorf("waitlist entry status %q (%v), want cancelled", status, err)
	}
	var waitMail *store.Mail
	for _, m := range s.outboxRows(t, store.MailWaitlist) {
		if m.To == "wait@example.com" && strings.Contains(m.Subject, "Cancelled") {
			waitMail = m
		}
	}
	if waitMail == nil {
		t.Fatal("no mail to the waiting guest")
	}
	mustContain(t, "waitlist mail", waitMail.Text, "The kiln is broken.", "Pottery")
	cancels := s.outboxRows(t, store.MailCancellation)
	if len(cancels) != 3 {
		t.Fatalf("%d cancellations, want one per booking", len(cancels))
	}
	for _, m := range cancels {
		mustContain(t, "cancellation", s.rendered(t, m).Text, "The kiln is broken.")
	}
	// A second cancel is a conflict, and the session is no longer offered.
	if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/sessions/"+id+"/cancel", reason); res.status != http.StatusConflict {
		t.Errorf("cancelling again = %d, want 409", res.status)
	}
	if res := s.post(t, "/book/pottery", bookingForm(id, "1")); res.status == http.StatusSeeOther {
		t.Error("a cancelled session can still be booked")
	}
}

// TestSeriesEnd ends a series: from the date on, the booked session is cancelled and the
// others removed; ended before its first date, the series goes and its cancelled sessions
// stay on their own.
func TestSeriesEnd(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	pottery := s.offering(t, "pottery").ID
	id := s.addSeries(t, cookie, url.Values{"day": {"2"}, "time": {"11:00"}, "seats": {"5"}, "from": {"2026-12-01"}})
	before := s.seriesSessions(t)
	b := s.bookSession(t, before["2026-12-15"].ID, "1", "tue@example.com")
	res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/series/"+id+"/end", url.Values{"date": {"2026-11-01"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("ending in the past = %d, want 422", res.status)
	}
	long := url.Values{"date": {"2026-12-10"}, "reason": {strings.Repeat("x", maxReason+1)}}
	res = s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/series/"+id+"/end", long)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("ending with a reason too long = %d, want 422", res.status)
	}
	mustContain(t, "reason too long", res.body, `id="end-reason-error"`, "at most 500 characters")
	if after := s.seriesSessions(t); after["2026-12-15"].Cancelled {
		t.Fatal("a refused end cancelled a session")
	}
	res = s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/series/"+id+"/end", url.Values{"date": {"2026-12-10"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("end = %d\n%s", res.status, snippet(res.body))
	}
	after := s.seriesSessions(t)
	if len(after) != 3 || after["2026-12-01"].Cancelled || after["2026-12-08"].Cancelled || !after["2026-12-15"].Cancelled {
		t.Fatalf("sessions after the end: %+v", after)
	}
	if got := s.bookingByID(t, b.ID); got.Status != booking.StatusCancelled || got.CancelReason == "" {
		t.Errorf("the booking after the end: %s %q", got.Status, got.CancelReason)
	}
	if added, err := s.jobs.GenerateSessions(s.now.Add(30 * 24 * time.Hour)); err != nil || added != 0 {
		t.Errorf("an ended series made %d sessions (%v)", added, err)
	}
	page := s.as(t, cookie, http.MethodGet, "/admin/offerings/"+pottery+"/series/"+id, nil)
	mustContain(t, "series page", page.body, "until Wednesday 9 December 2026", "Cancelled (The session has been cancelled.)")

	// A second series ended before its first date goes; its booked session stays, cancelled.
	id2 := s.addSeries(t, cookie, url.Values{"day": {"5"}, "time": {"09:00"}, "seats": {"5"}, "from": {"2026-12-04"}, "until": {"2026-12-11"}})
	fri := s.seriesSessions(t)["2026-12-04"]
	s.bookSession(t, fri.ID, "1", "fri@example.com")
	if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/series/"+id2+"/end", url.Values{"date": {"2026-11-30"}}); res.status != http.StatusSeeOther {
		t.Fatalf("end before the first date = %d\n%s", res.status, snippet(res.body))
	}
	if n := s.count(t, "session_series", dbx.HashExp{"id": id2}); n != 0 {
		t.Error("a series ended before its first date is still there")
	}
	var rows []seriesSession
	if err := s.app.DB().NewQuery("SELECT id, start, seats, cancelled, series, occurs, detached, cancel_reason FROM sessions WHERE id = {:id} OR occurs = '2026-12-11'").
		Bind(dbx.Params{"id": fri.ID}).All(&rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !rows[0].Cancelled || rows[0].Series != "" {
		t.Errorf("sessions of the removed series: %+v", rows)
	}
	if res := s.as(t, cookie, http.MethodGet, "/admin/offerings/"+pottery+"/series/"+id2, nil); res.status != http.StatusNotFound {
		t.Errorf("the removed series' page = %d, want 404", res.status)
	}
}

// TestSeriesFormsRefuseBadInput: each bad field gets its message and 422, nothing is stored;
// a slot offering has no series (404).
func TestSeriesFormsRefuseBadInput(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	pottery := s.offering(t, "pottery").ID
	good := func() url.Values {
		return url.Values{"day": {"1"}, "time": {"18:00"}, "seats": {"8"}, "from": {"2026-12-01"}}
	}
	for name, tc := range map[string]struct {
		key, value, want string
	}{
		"no day":           {"day", "", "tick at least one day"},
		"a day 7":          {"day", "7", "tick at least one day"},
		"24:00":            {"time", "24:00", "between 00:00 and 23:59"},
		"no time":          {"time", "", "between 00:00 and 23:59"},
		"no seats":         {"seats", "0", "between 1 and 100000 places"},
		"seats as words":   {"seats", "many", "between 1 and 100000 places"},
		"a past first day": {"from", "2026-11-01", "a date from today on"},
		"until before":     {"until", "2026-11-30", "must not be before the first"},
		"a bad exception":  {"except", "2026-12-24, Christmas", "at most 100 dates"},
	} {
		form := good()
		form.Set(tc.key, tc.value)
		res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/series", form)
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", name, res.status)
			continue
		}
		mustContain(t, name, res.body, tc.want, `aria-invalid="true"`)
	}
	if n := s.count(t, "session_series", dbx.NewExp("1=1")); n != 0 {
		t.Errorf("refused forms stored %d series", n)
	}
	dinner := s.offering(t, "dinner").ID
	if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+dinner+"/series", good()); res.status != http.StatusNotFound {
		t.Errorf("a series of a slot offering = %d, want 404", res.status)
	}
	if res := s.as(t, cookie, http.MethodGet, "/admin/offerings/"+pottery+"/series/nosuchseries123", nil); res.status != http.StatusNotFound {
		t.Errorf("an unknown series = %d, want 404", res.status)
	}
	id := firstSession(s)
	for name, form := range map[string]url.Values{
		"a time the zone skips": {"date": {"2027-03-28"}, "time": {"02:30"}, "seats": {"8"}},
		"a past date":           {"date": {"2026-11-01"}, "time": {"10:00"}, "seats": {"8"}},
		"no seats":              {"date": {"2026-12-05"}, "time": {"10:00"}, "seats": {"0"}},
	} {
		if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/sessions/"+id, form); res.status != http.StatusUnprocessableEntity {
			t.Errorf("session change with %s = %d, want 422", name, res.status)
		}
	}
	s.bookSession(t, id, "3", "three@example.com")
	s.bookSession(t, id, "2", "two@example.com")
	res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+pottery+"/sessions/"+id, url.Values{"date": {"2026-12-05"}, "time": {"10:00"}, "seats": {"4"}})
	if res.status != http.StatusConflict {
		t.Errorf("fewer seats than booked = %d, want 409", res.status)
	}
	mustContain(t, "seats taken", res.body, "5 places booked")
}

// TestSeriesAheadFollowsTheHorizon: the reach of a series is its offering's horizon, at most a
// year, half a year without one.
func TestSeriesAheadFollowsTheHorizon(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ horizon, want int }{{120, 120}, {3650, 366}, {0, 183}, {1, 1}} {
		o := &store.Offering{Horizon: tc.horizon}
		if got := jobs.SeriesAhead(o); got != tc.want {
			t.Errorf("horizon %d days: %d days ahead, want %d", tc.horizon, got, tc.want)
		}
	}
}
