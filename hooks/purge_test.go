package hooks

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/logger"
)

// purgeFixture writes bookings, customers, mail and tokens straight to a test server's
// database, as years of use would have left them.
type purgeFixture struct {
	t       *testing.T
	s       *testServer
	dinner  string
	serial  int
	tokens  map[string]string // booking id -> booking_tokens id
	outbox  map[string]string // booking id -> outbox id
	visitor bool              // the visitor account's collections exist
}

func newPurgeFixture(t *testing.T, s *testServer) *purgeFixture {
	t.Helper()
	off, err := findOffering(s.app, "dinner")
	if err != nil {
		t.Fatal(err)
	}
	return &purgeFixture{t: t, s: s, dinner: off.Id, tokens: map[string]string{}, outbox: map[string]string{},
		visitor: s.app.HasTable("visitor_links") && s.app.HasTable("visitor_sessions")}
}

func (f *purgeFixture) create(collection string, fields map[string]any) *core.Record {
	f.t.Helper()
	rec, err := create(f.s.app, collection, fields)
	if err != nil {
		f.t.Fatal(err)
	}
	return rec
}

func (f *purgeFixture) hash() string {
	f.serial++
	return fmt.Sprintf("%064x", f.serial)
}

// customer creates a customer record last active at lastActive.
func (f *purgeFixture) customer(email string, lastActive time.Time) *core.Record {
	f.t.Helper()
	return f.create("customers", map[string]any{"email": email, "name": "Guest " + email, "phone": "+49 30 1234567",
		"last_activity": lastActive.UTC()})
}

// booking creates a dinner booking of cust ending at end, with its manage token and its sent
// confirmation.
func (f *purgeFixture) booking(cust *core.Record, end time.Time, status string) *core.Record {
	f.t.Helper()
	f.serial++
	rec := f.create("bookings", map[string]any{"reference": fmt.Sprintf("P%05d", f.serial), "offering": f.dinner,
		"start": end.Add(-2 * time.Hour).UTC(), "end": end.UTC(), "party": 2, "status": status, "source": "web",
		"name": cust.GetString("name"), "email": cust.GetString("email"), "phone": "+49 30 1234567", "notes": "Window seat",
		"internal_notes": "Regular", "customer": cust.Id, "consent_at": end.Add(-10 * 24 * time.Hour).UTC(), "notice_version": 1,
		"cancel_reason": map[bool]string{true: "Plans changed"}[status == "cancelled"]})
	f.tokens[rec.Id] = f.create("booking_tokens", map[string]any{"booking": rec.Id, "token_hash": f.hash(), "purpose": "web"}).Id
	f.outbox[rec.Id] = f.create("outbox", map[string]any{"kind": "confirmation", "booking": rec.Id, "to_email": cust.GetString("email"),
		"to_name": cust.GetString("name"), "subject": "Your table", "text": "See you", "html": "<p>See you</p>",
		"message_id": fmt.Sprintf("<m%d@booking.test>", f.serial), "status": "sent", "sent_at": end.Add(-24 * time.Hour).UTC()}).Id
	return rec
}

// visitorTokens creates one expired and one valid sign-in link and session, when the
// collections exist.
func (f *purgeFixture) visitorTokens(now time.Time) {
	f.t.Helper()
	if !f.visitor {
		return
	}
	for _, table := range []string{"visitor_links", "visitor_sessions"} {
		for _, expires := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
			f.create(table, map[string]any{"email": "ada@example.com", "token_hash": f.hash(), "expires": expires.UTC()})
		}
	}
}

// logEntry writes an entry to PocketBase's log as created at created.
func (f *purgeFixture) logEntry(message string, created time.Time) {
	f.t.Helper()
	_, err := f.s.app.AuxDB().NewQuery("INSERT INTO _logs (message, created) VALUES ({:m}, {:c})").
		Bind(dbx.Params{"m": message, "c": dbTime(created)}).Execute()
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
	if f.visitor {
		fmt.Fprintln(&b, f.count(f.s.app.DB(), "SELECT count(*) FROM visitor_links"), f.count(f.s.app.DB(), "SELECT count(*) FROM visitor_sessions"))
	}
	fmt.Fprintln(&b, f.count(f.s.app.AuxDB(), "SELECT count(*) FROM _logs WHERE message LIKE 'fixture:%'"))
	return b.String()
}

// counts are a report's counts, for comparing reports.
func counts(r purgeReport) [5]int64 {
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
	erased := f.create("bookings", map[string]any{"reference": "PERASED", "offering": f.dinner, "start": cut.Add(-50 * time.Hour).UTC(),
		"end": cut.Add(-48 * time.Hour).UTC(), "party": 3, "status": "completed", "source": "staff", "anonymised": true})
	f.create("booking_tokens", map[string]any{"booking": erased.Id, "token_hash": f.hash(), "purpose": "web"})
	f.visitorTokens(now)
	f.logEntry("fixture: old", now.Add(-31*24*time.Hour))
	f.logEntry("fixture: recent", now.Add(-29*24*time.Hour))
	mustMatchBookings(t, s, "before the purge")

	wantTokens := int64(1)
	if f.visitor {
		wantTokens += 2
	}
	// Stripped: every mail sent over 30 days ago (before the mail of the anonymised bookings
	// is deleted). Anonymised: ada's, cy's old and dee's cancelled bookings. Deleted: ada and
	// dee (cy keeps a booking).
	want := [5]int64{3, 2, 4, wantTokens, 1}

	before := f.state()
	dry, err := s.h.purge(s.app, now, true)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if got := counts(dry); got != want {
		t.Errorf("dry run counts = %v, want %v", got, want)
	}
	if after := f.state(); after != before {
		t.Errorf("the dry run changed the data:\nbefore %s\nafter  %s", before, after)
	}

	r, err := s.h.purge(s.app, now, false)
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

	for _, b := range []*core.Record{old, cyOld, cancelled} {
		got, err := s.app.FindRecordById("bookings", b.Id)
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"name", "email", "phone", "notes", "internal_notes", "customer", "consent_at", "cancel_reason"} {
			if v := got.GetString(field); v != "" {
				t.Errorf("booking %s: %s = %q after the purge", b.GetString("reference"), field, v)
			}
		}
		if !got.GetBool("anonymised") {
			t.Errorf("booking %s not marked anonymised", b.GetString("reference"))
		}
		for _, field := range []string{"offering", "start", "end", "party", "status", "reference", "source"} {
			if fmt.Sprint(got.Get(field)) != fmt.Sprint(b.Get(field)) {
				t.Errorf("booking %s: %s = %v, want %v kept", b.GetString("reference"), field, got.Get(field), b.Get(field))
			}
		}
		if _, err := s.app.FindRecordById("booking_tokens", f.tokens[b.Id]); err == nil {
			t.Errorf("booking %s: manage token kept", b.GetString("reference"))
		}
		if _, err := s.app.FindRecordById("outbox", f.outbox[b.Id]); err == nil {
			t.Errorf("booking %s: mail kept", b.GetString("reference"))
		}
	}
	for _, b := range []*core.Record{kept, cyNew} {
		got, err := s.app.FindRecordById("bookings", b.Id)
		if err != nil {
			t.Fatal(err)
		}
		if got.GetBool("anonymised") || got.GetString("email") != b.GetString("email") || got.GetString("notes") != "Window seat" {
			t.Errorf("booking %s (ending %v) was changed", b.GetString("reference"), b.GetDateTime("end"))
		}
		if _, err := s.app.FindRecordById("booking_tokens", f.tokens[b.Id]); err != nil {
			t.Errorf("booking %s: manage token deleted", b.GetString("reference"))
		}
	}
	if m, err := s.app.FindRecordById("outbox", f.outbox[kept.Id]); err != nil || !m.GetBool("stripped") || m.GetString("html") != "" {
		t.Errorf("bob's mail sent a year and a half ago was not stripped (%v)", err)
	}
	if m, err := s.app.FindRecordById("outbox", f.outbox[cyNew.Id]); err != nil || m.GetBool("stripped") {
		t.Errorf("cy's mail of 11 days ago was stripped (%v)", err)
	}
	for _, c := range []struct {
		rec  *core.Record
		kept bool
	}{{ada, false}, {dee, false}, {bob, true}, {cy, true}} {
		if _, err := s.app.FindRecordById("customers", c.rec.Id); (err == nil) != c.kept {
			t.Errorf("customer %s kept = %v, want %v", c.rec.GetString("email"), err == nil, c.kept)
		}
	}
	if n := f.count(s.app.DB(), "SELECT count(*) FROM booking_tokens WHERE booking = '"+erased.Id+"'"); n != 0 {
		t.Errorf("the erased booking's leftover token was kept")
	}
	if f.visitor {
		for _, table := range []string{"visitor_links", "visitor_sessions"} {
			if n := f.count(s.app.DB(), "SELECT count(*) FROM "+table); n != 1 {
				t.Errorf("%s: %d rows left, want the valid one", table, n)
			}
		}
	}
	if n := f.count(s.app.AuxDB(), "SELECT count(*) FROM _logs WHERE message = 'fixture: old'"); n != 0 {
		t.Errorf("a log entry of 31 days ago was kept")
	}
	if n := f.count(s.app.AuxDB(), "SELECT count(*) FROM _logs WHERE message = 'fixture: recent'"); n != 1 {
		t.Errorf("a log entry of 29 days ago was deleted")
	}
	mustMatchBookings(t, s, "after the purge")

	audits, err := s.app.FindRecordsByFilter("audit_log", "action = 'gdpr.purge'", "", 0, 0)
	if err != nil || len(audits) != 1 {
		t.Fatalf("gdpr.purge audit entries: %d, %v", len(audits), err)
	}
	if a := audits[0]; a.GetString("actor") != actorSystem || !strings.Contains(a.GetString("detail"), "3 bookings anonymised") ||
		strings.Contains(a.GetString("detail"), "@") {
		t.Errorf("audit entry = %s %q", a.GetString("actor"), a.GetString("detail"))
	}
	mustLog(t, s, `"bookings_anonymised":3`)

	again, err := s.h.purge(s.app, now, false)
	if err != nil {
		t.Fatalf("second purge: %v", err)
	}
	if got := counts(again); got != [5]int64{} || again.Batches != 0 {
		t.Errorf("second purge counts = %v, want none", got)
	}
	if n, _ := s.app.CountRecords("audit_log", dbx.HashExp{"action": "gdpr.purge"}); n != 1 {
		t.Errorf("a purge that changed nothing was audited (%d entries)", n)
	}

	// Customers without bookings go once their last activity is older than the period.
	stale := f.customer("stale@example.com", cut.Add(-time.Hour))
	fresh := f.customer("fresh@example.com", now.Add(-time.Hour))
	if dry, _ := s.h.purge(s.app, now, true); dry.Customers != 1 {
		t.Errorf("dry run: %d customers, want 1", dry.Customers)
	}
	if r, _ := s.h.purge(s.app, now, false); counts(r) != [5]int64{0, 1, 0, 0, 0} {
		t.Errorf("customers without bookings: counts %v, want one customer", counts(r))
	}
	if _, err := s.app.FindRecordById("customers", stale.Id); err == nil {
		t.Errorf("a customer inactive for longer than the period was kept")
	}
	if _, err := s.app.FindRecordById("customers", fresh.Id); err != nil {
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
	if d, err := retentionDays(s.app); err != nil || d != 548 {
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
	if d, _ := retentionDays(s.app); d != 1 {
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
		r, err := s.h.purge(s.app, tt.now, false)
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
		cmd := NewPurgeCommand(s.app, &Options{Now: func() time.Time { return s.now }})
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
	if b, _ := s.app.FindRecordById("bookings", old.Id); b.GetBool("anonymised") {
		t.Fatalf("--dry-run anonymised the booking")
	}
	out = run()
	mustContain(t, "purge", out, "Retention 548 days", "bookings anonymised:   1", "(1 batches)")
	if b, _ := s.app.FindRecordById("bookings", old.Id); !b.GetBool("anonymised") || b.GetString("email") != "" {
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
		if err := capLogDays(s.app); err != nil {
			t.Fatal(err)
		}
		if got := s.app.Settings().Logs.MaxDays; got != tt.want {
			t.Errorf("capLogDays with %d days: %d, want %d", tt.set, got, tt.want)
		}
	}
}
