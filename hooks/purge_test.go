package hooks

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"reserva/internal/cli"
	"reserva/internal/jobs"
	"reserva/internal/store"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/logger"
)

// purgeFixture writes bookings, customers, mail and tokens straight to a test server's
// database, as years of use would have left them.
type purgeFixture struct {
	t      *testing.T
	s      *testServer
	dinner string
	serial int
	tokens map[string]string // booking id -> booking_tokens id
	outbox map[string]string // booking id -> outbox id
}

func newPurgeFixture(t *testing.T, s *testServer) *purgeFixture {
	t.Helper()
	return &purgeFixture{t: t, s: s, dinner: s.offering(t, "dinner").ID, tokens: map[string]string{}, outbox: map[string]string{}}
}

// insert writes a row of table with a fresh id (and created/updated stamps where the table has
// them) and returns the id.
func (f *purgeFixture) insert(table string, fields dbx.Params) string {
	f.t.Helper()
	f.serial++
	id := fmt.Sprintf("pf%013d", f.serial)
	fields["id"] = id
	if _, ok := fields["created"]; !ok {
		fields["created"] = store.DBTime(f.s.now)
	}
	if table != "booking_tokens" && table != "visitor_links" && table != "visitor_sessions" {
		fields["updated"] = fields["created"]
	}
	if _, err := f.s.app.DB().Insert(table, fields).Execute(); err != nil {
		f.t.Fatalf("insert %s: %v", table, err)
	}
	return id
}

func (f *purgeFixture) hash() string {
	f.serial++
	return fmt.Sprintf("%064x", f.serial)
}

// fixtureCustomer is a customer the fixture made.
type fixtureCustomer struct{ ID, Email, Name string }

// customer creates a customer record last active at lastActive.
func (f *purgeFixture) customer(email string, lastActive time.Time) fixtureCustomer {
	f.t.Helper()
	c := fixtureCustomer{Email: email, Name: "Guest " + email}
	c.ID = f.insert("customers", dbx.Params{"email": email, "name": c.Name, "phone": "+49 30 1234567",
		"last_activity": store.DBTime(lastActive)})
	return c
}

// booking creates a dinner booking of cust ending at end, with its manage token and its sent
// confirmation.
func (f *purgeFixture) booking(cust fixtureCustomer, end time.Time, status string) *store.Booking {
	f.t.Helper()
	f.serial++
	id := f.insert("bookings", dbx.Params{"reference": fmt.Sprintf("P%05d", f.serial), "offering": f.dinner,
		"start": store.DBTime(end.Add(-2 * time.Hour)), "end": store.DBTime(end), "party": 2, "status": status, "source": "web",
		"name": cust.Name, "email": cust.Email, "phone": "+49 30 1234567", "notes": "Window seat",
		"internal_notes": "Regular", "customer": cust.ID, "consent_at": store.DBTime(end.Add(-10 * 24 * time.Hour)), "notice_version": 1,
		"cancel_reason": map[bool]string{true: "Plans changed"}[status == "cancelled"]})
	f.tokens[id] = f.insert("booking_tokens", dbx.Params{"booking": id, "token_hash": f.hash(), "purpose": "web"})
	f.outbox[id] = f.insert("outbox", dbx.Params{"kind": "confirmation", "booking": id, "to_email": cust.Email,
		"to_name": cust.Name, "subject": "Your table", "text": "See you", "html": "<p>See you</p>", "attachments": "[]",
		"message_id": fmt.Sprintf("<m%d@booking.test>", f.serial), "status": "sent", "sent_at": store.DBTime(end.Add(-24 * time.Hour))})
	return f.s.bookingByID(f.t, id)
}

// exists reports whether table has a row id.
func (f *purgeFixture) exists(table, id string) bool {
	f.t.Helper()
	return f.s.count(f.t, table, dbx.HashExp{"id": id}) == 1
}

// visitorTokens creates one expired and one valid sign-in link and session.
func (f *purgeFixture) visitorTokens(now time.Time) {
	f.t.Helper()
	for _, table := range []string{"visitor_links", "visitor_sessions"} {
		for _, expires := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
			f.insert(table, dbx.Params{"email": "ada@example.com", "token_hash": f.hash(), "expires": store.DBTime(expires)})
		}
	}
}

// logEntry writes an entry to PocketBase's log as created at created.
func (f *purgeFixture) logEntry(message string, created time.Time) {
	f.t.Helper()
	_, err := f.s.app.AuxDB().NewQuery("INSERT INTO _logs (message, created) VALUES ({:m}, {:c})").
		Bind(dbx.Params{"m": message, "c": store.DBTime(created)}).Execute()
	if err != nil {
		f.t.Fatal(err)
	}
}

// count runs a count(*) query.
func (f *purgeFixture) count(db dbx.Builder, query string) int {
	f.t.Helper()
	var n int
	if err := db.NewQuery(query).Row(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// state is everything a purge may change, for comparing before and after a dry run.
func (f *purgeFixture) state() string {
	f.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id || name || email || phone || notes || internal_notes || customer || consent_at || cancel_reason || anonymised FROM bookings ORDER BY id`,
		`SELECT id || email || name || last_activity FROM customers ORDER BY id`,
		`SELECT id || text || html || stripped FROM outbox ORDER BY id`,
		`SELECT id FROM booking_tokens ORDER BY id`,
		`SELECT id FROM audit_log ORDER BY id`,
	} {
		var rows []string
		if err := f.s.app.DB().NewQuery(q).Column(&rows); err != nil {
			f.t.Fatalf("%s: %v", q, err)
		}
		fmt.Fprintln(&b, strings.Join(rows, ","))
	}
	fmt.Fprintln(&b, f.count(f.s.app.DB(), "SELECT count(*) FROM visitor_links"), f.count(f.s.app.DB(), "SELECT count(*) FROM visitor_sessions"))
	fmt.Fprintln(&b, f.count(f.s.app.AuxDB(), "SELECT count(*) FROM _logs WHERE message LIKE 'fixture:%'"))
	return b.String()
}

// counts are a report's counts, for comparing reports.
func counts(r jobs.PurgeReport) [5]int64 {
	return [5]int64{r.Bookings, r.Customers, r.MailBodies, r.Tokens, r.Logs}
}

// TestPurgeRetention: bookings that ended more than the retention period (548 days) before now
// are anonymised, a minute either side of the boundary; their customers go unless another
// booking keeps their data; mail, tokens and logs follow their own periods; a dry run counts
// the same and changes nothing; a second run finds nothing; the counts are logged and audited.
func TestPurgeRetention(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.app.Settings().Logs.MaxDays = 7
	f := newPurgeFixture(t, s)
	now := s.now
	cut := now.Add(-548 * 24 * time.Hour)

	ada := f.customer("ada@example.com", cut.Add(-24*time.Hour))
	bob := f.customer("bob@example.com", cut)
	cy := f.customer("cy@example.com", now.Add(-11*24*time.Hour))
	dee := f.customer("dee@example.com", cut.Add(-30*24*time.Hour))
	old := f.booking(ada, cut.Add(-time.Minute), "confirmed")
	kept := f.booking(bob, cut.Add(time.Minute), "confirmed")
	cyOld := f.booking(cy, cut.Add(-24*time.Hour), "completed")
	cyNew := f.booking(cy, now.Add(-10*24*time.Hour), "confirmed")
	cancelled := f.booking(dee, cut.Add(-time.Hour), "cancelled")
	// Erased earlier, but a manage token was left behind.
	erased := f.insert("bookings", dbx.Params{"reference": "PERASED", "offering": f.dinner, "start": store.DBTime(cut.Add(-50 * time.Hour)),
		"end": store.DBTime(cut.Add(-48 * time.Hour)), "party": 3, "status": "completed", "source": "staff", "anonymised": true})
	f.insert("booking_tokens", dbx.Params{"booking": erased, "token_hash": f.hash(), "purpose": "web"})
	f.visitorTokens(now)
	f.logEntry("fixture: old", now.Add(-31*24*time.Hour))
	f.logEntry("fixture: recent", now.Add(-29*24*time.Hour))
	mustMatchBookings(t, s, "before the purge")

	wantTokens := int64(3) // the erased booking's leftover, the expired link and session
	// Stripped: every mail sent over 30 days ago (before the mail of the anonymised bookings
	// is deleted). Anonymised: ada's, cy's old and dee's cancelled bookings. Deleted: ada and
	// dee (cy keeps a booking).
	want := [5]int64{3, 2, 4, wantTokens, 1}

	before := f.state()
	dry, err := s.jobs.Purge(now, true)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if got := counts(dry); got != want {
		t.Errorf("dry run counts = %v, want %v", got, want)
	}
	if after := f.state(); after != before {
		t.Errorf("the dry run changed the data:\nbefore %s\nafter  %s", before, after)
	}

	r, err := s.jobs.Purge(now, false)
	if err != nil {
		t.Fatalf("purge: %v", err)
	}
	if got := counts(r); got != want || r.Batches != 1 {
		t.Errorf("purge counts = %v in %d batches, want %v in 1", got, r.Batches, want)
	}
	if counts(dry) != counts(r) {
		t.Errorf("dry run %v and purge %v differ", counts(dry), counts(r))
	}
	if r.Days != 548 || !r.Cutoff.Equal(cut) || r.DryRun {
		t.Errorf("report = %+v, want 548 days before %v", r, cut)
	}

	for _, b := range []*store.Booking{old, cyOld, cancelled} {
		got := s.bookingByID(t, b.ID)
		for field, v := range map[string]string{"name": got.Name, "email": got.Email, "phone": got.Phone, "notes": got.Notes,
			"internal_notes": got.InternalNotes, "customer": got.Customer, "consent_at": got.ConsentAt.String(), "cancel_reason": got.CancelReason} {
			if v != "" {
				t.Errorf("booking %s: %s = %q after the purge", b.Reference, field, v)
			}
		}
		if !got.Anonymised {
			t.Errorf("booking %s not marked anonymised", b.Reference)
		}
		if got.Offering != b.Offering || got.Start.String() != b.Start.String() || got.End.String() != b.End.String() || got.Party != b.Party || got.Status != b.Status ||
			got.Reference != b.Reference || got.Source != b.Source {
			t.Errorf("booking %s: what counts for statistics changed: %+v, want %+v", b.Reference, got, b)
		}
		if f.exists("booking_tokens", f.tokens[b.ID]) {
			t.Errorf("booking %s: manage token kept", b.Reference)
		}
		if f.exists("outbox", f.outbox[b.ID]) {
			t.Errorf("booking %s: mail kept", b.Reference)
		}
	}
	for _, b := range []*store.Booking{kept, cyNew} {
		got := s.bookingByID(t, b.ID)
		if got.Anonymised || got.Email != b.Email || got.Notes != "Window seat" {
			t.Errorf("booking %s (ending %v) was changed", b.Reference, b.End)
		}
		if !f.exists("booking_tokens", f.tokens[b.ID]) {
			t.Errorf("booking %s: manage token deleted", b.Reference)
		}
	}
	mailOf := func(id string) (stripped bool, html string, err error) {
		err = s.app.DB().NewQuery("SELECT stripped, html FROM outbox WHERE id = {:id}").Bind(dbx.Params{"id": id}).Row(&stripped, &html)
		return
	}
	if stripped, html, err := mailOf(f.outbox[kept.ID]); err != nil || !stripped || html != "" {
		t.Errorf("bob's mail sent a year and a half ago was not stripped (%v)", err)
	}
	if stripped, _, err := mailOf(f.outbox[cyNew.ID]); err != nil || stripped {
		t.Errorf("cy's mail of 11 days ago was stripped (%v)", err)
	}
	for _, c := range []struct {
		cust fixtureCustomer
		kept bool
	}{{ada, false}, {dee, false}, {bob, true}, {cy, true}} {
		if got := f.exists("customers", c.cust.ID); got != c.kept {
			t.Errorf("customer %s kept = %v, want %v", c.cust.Email, got, c.kept)
		}
	}
	if n := f.count(s.app.DB(), "SELECT count(*) FROM booking_tokens WHERE booking = '"+erased+"'"); n != 0 {
		t.Errorf("the erased booking's leftover token was kept")
	}
	for _, table := range []string{"visitor_links", "visitor_sessions"} {
		if n := f.count(s.app.DB(), "SELECT count(*) FROM "+table); n != 1 {
			t.Errorf("%s: %d rows left, want the valid one", table, n)
		}
	}
	if n := f.count(s.app.AuxDB(), "SELECT count(*) FROM _logs WHERE message = 'fixture: old'"); n != 0 {
		t.Errorf("a log entry of 31 days ago was kept")
	}
	if n := f.count(s.app.AuxDB(), "SELECT count(*) FROM _logs WHERE message = 'fixture: recent'"); n != 1 {
		t.Errorf("a log entry of 29 days ago was deleted")
	}
	mustMatchBookings(t, s, "after the purge")

	var audits []store.Entry
	if err := s.app.DB().NewQuery("SELECT actor, action, detail FROM audit_log WHERE action = 'gdpr.purge'").All(&audits); err != nil || len(audits) != 1 {
		t.Fatalf("gdpr.purge audit entries: %d, %v", len(audits), err)
	}
	if a := audits[0]; a.Actor != store.ActorSystem || !strings.Contains(a.Detail, "3 bookings anonymised") || strings.Contains(a.Detail, "@") {
		t.Errorf("audit entry = %s %q", a.Actor, a.Detail)
	}
	mustLog(t, s, `"bookings_anonymised":3`)

	again, err := s.jobs.Purge(now, false)
	if err != nil {
		t.Fatalf("second purge: %v", err)
	}
	if got := counts(again); got != [5]int64{} || again.Batches != 0 {
		t.Errorf("second purge counts = %v, want none", got)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "gdpr.purge"}); n != 1 {
		t.Errorf("a purge that changed nothing was audited (%d entries)", n)
	}

	// Customers without bookings go once their last activity is older than the period.
	stale := f.customer("stale@example.com", cut.Add(-time.Hour))
	fresh := f.customer("fresh@example.com", now.Add(-time.Hour))
	if dry, _ := s.jobs.Purge(now, true); dry.Customers != 1 {
		t.Errorf("dry run: %d customers, want 1", dry.Customers)
	}
	if r, _ := s.jobs.Purge(now, false); counts(r) != [5]int64{0, 1, 0, 0, 0} {
		t.Errorf("customers without bookings: counts %v, want one customer", counts(r))
	}
	if f.exists("customers", stale.ID) {
		t.Errorf("a customer inactive for longer than the period was kept")
	}
	if !f.exists("customers", fresh.ID) {
		t.Errorf("a customer active an hour ago was deleted")
	}
}

// mustLog fails unless PocketBase's log holds a "purge" entry whose data contains want.
func mustLog(t *testing.T, s *testServer, want string) {
	t.Helper()
	h, ok := s.app.Logger().Handler().(*logger.BatchHandler)
	if !ok {
		t.Fatalf("logger handler is %T", s.app.Logger().Handler())
	}
	if err := h.WriteAll(context.WithValue(context.Background(), logger.BlockKey, true)); err != nil {
		t.Fatal(err)
	}
	var data []string
	if err := s.app.AuxDB().NewQuery("SELECT data FROM _logs WHERE message = 'purge'").Column(&data); err != nil {
		t.Fatal(err)
	}
	for _, d := range data {
		if strings.Contains(d, want) {
			return
		}
	}
	t.Errorf("no purge log entry with %s in %q", want, data)
}

// TestPurgeRetentionSetting: the owner's retention period (here one day) is the one applied,
// and the settings form refuses periods outside 1..3650 days.
func TestPurgeRetentionSetting(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if d, err := store.RetentionDays(s.app); err != nil || d != 548 {
		t.Errorf("the demo venue's period = %d, %v; want 548", d, err)
	}
	cookie, _ := s.signedIn(t, "owner")
	page := s.as(t, cookie, http.MethodGet, "/admin/settings", nil)
	mustContain(t, "settings", page.body, `name="retention_days"`, `value="548"`, `id="retention_days-hint"`)

	form := (&matrixFixtures{t: t, s: s}).settingsForm()
	for _, bad := range []string{"0", "3651", "", "18 months"} {
		form.Set("retention_days", bad)
		r := s.as(t, cookie, http.MethodPost, "/admin/settings", form)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("retention_days %q = %d, want 422", bad, r.status)
		}
		mustContain(t, "refused period", r.body, "Please enter a whole number from 1 to 3,650.", `aria-describedby="retention_days-hint retention_days-error"`)
	}
	form.Set("retention_days", "1")
	if r := s.as(t, cookie, http.MethodPost, "/admin/settings", form); r.status != http.StatusSeeOther {
		t.Fatalf("retention_days 1 = %d, want 303", r.status)
	}
	if d, _ := store.RetentionDays(s.app); d != 1 {
		t.Fatalf("period after saving 1 = %d", d)
	}

	// Friday 27 November 19:00 in Berlin: the visit ends 20:00 UTC (dinners last two hours).
	s.book(t, "2026-11-27T19:00", "2")
	end := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		now  time.Time
		want int64
	}{
		{s.now, 0},
		{end.Add(24*time.Hour - time.Minute), 0},
		{end.Add(24*time.Hour + time.Minute), 1},
	} {
		r, err := s.jobs.Purge(tt.now, false)
		if err != nil || r.Bookings != tt.want || r.Days != 1 {
			t.Errorf("purge at %v: %d bookings (period %d days), %v; want %d", tt.now, r.Bookings, r.Days, err, tt.want)
		}
	}
}

// TestPurgeCommand runs `reserva purge --dry-run` and `reserva purge` on a test app's data
// directory.
func TestPurgeCommand(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	f := newPurgeFixture(t, s)
	old := f.booking(f.customer("ada@example.com", s.now.Add(-600*24*time.Hour)), s.now.Add(-549*24*time.Hour), "completed")
	run := func(args ...string) string {
		t.Helper()
		cmd := cli.NewPurgeCommand(cli.Deps{Store: s.st, Jobs: s.jobs})
		var out strings.Builder
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("purge %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	out := run("--dry-run")
	mustContain(t, "purge --dry-run", out, "Dry run: nothing was changed.", "Retention 548 days", "bookings anonymised:   1", "customers deleted:     1")
	if b := s.bookingByID(t, old.ID); b.Anonymised {
		t.Fatalf("--dry-run anonymised the booking")
	}
	out = run()
	mustContain(t, "purge", out, "Retention 548 days", "bookings anonymised:   1", "(1 batches)")
	if b := s.bookingByID(t, old.ID); !b.Anonymised || b.Email != "" {
		t.Errorf("purge left the booking's personal data")
	}
	mustContain(t, "second purge", run(), "bookings anonymised:   0")
}

// TestCapLogDays: PocketBase's log retention is lowered to 30 days, never raised.
func TestCapLogDays(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, tt := range []struct{ set, want int }{{90, 30}, {30, 30}, {7, 7}, {0, 0}} {
		s.app.Settings().Logs.MaxDays = tt.set
		if err := s.jobs.CapLogDays(); err != nil {
			t.Fatal(err)
		}
		if got := s.app.Settings().Logs.MaxDays; got != tt.want {
			t.Errorf("capLogDays with %d days: %d, want %d", tt.set, got, tt.want)
		}
	}
}

// The owner's "Purge now" starts the purge in the background and answers at once (a large one
// takes minutes, longer than a browser waits); a second press while it runs starts no other.
func TestPurgeNowRunsInTheBackground(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// The purge goes on in the background after a failure here: the app is not cleaned up
	// under it.
	t.Cleanup(func() {
		for s.jobs.Purging() {
			time.Sleep(20 * time.Millisecond)
		}
	})
	addBookings(t, s.app, 400)
	if _, err := s.app.DB().NewQuery("UPDATE venue SET retention_days = 1").Execute(); err != nil {
		t.Fatal(err)
	}
	cutoff := s.now.Add(-24 * time.Hour)
	due, err := store.CountDueBookings(s.app, cutoff)
	if err != nil || due < 100 {
		t.Fatalf("%d bookings due (%v); the test needs a purge of several batches", due, err)
	}
	cookie, _ := s.signedIn(t, "owner")
	first := s.as(t, cookie, http.MethodPost, "/admin/purge/now", url.Values{})
	second := s.as(t, cookie, http.MethodPost, "/admin/purge/now", url.Values{})
	if first.status != http.StatusSeeOther || first.header.Get("Location") != "/admin/settings?done=purge_started" {
		t.Fatalf("purge now = %d %s", first.status, first.header.Get("Location"))
	}
	if second.header.Get("Location") != "/admin/settings?done=purge_running" {
		t.Errorf("purge now while one runs = %d %s; want done=purge_running", second.status, second.header.Get("Location"))
	}
	if page := s.as(t, cookie, http.MethodGet, second.header.Get("Location"), nil); !strings.Contains(page.body, "A retention purge is already running") {
		t.Errorf("the settings page does not say a purge is running")
	}
	deadline := time.Now().Add(5 * time.Minute)
	for s.jobs.Purging() {
		if time.Now().After(deadline) {
			t.Fatal("the purge still runs after five minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if left, _ := store.CountDueBookings(s.app, cutoff); left != 0 {
		t.Errorf("%d of %d bookings still due after the purge", left, due)
	}
	for action, want := range map[string]int{"gdpr.purge_now": 2, "gdpr.purge": 1} {
		if n := s.count(t, "audit_log", dbx.HashExp{"action": action}); n != want {
			t.Errorf("%d audit entries %s, want %d", n, action, want)
		}
	}
}
