package hooks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/logger"
	"golang.org/x/crypto/bcrypt"

	"reserva/internal/booking"
	"reserva/internal/cli"
	"reserva/internal/jobs"
	"reserva/internal/mail"
	"reserva/internal/store"
	_ "reserva/migrations"
)

// testNow is the fixed clock of the handler tests: Tuesday 24 November 2026, 10:00 in Berlin.
var testNow = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// testServer is a Reserva app on a temporary database with the demo venue, and the HTTP
// handler that serves it (Reserva's routes with PocketBase's own).
type testServer struct {
	app   *tests.TestApp
	mux   http.Handler
	now   time.Time
	relay *fakeRelay
	h     *handlers
	st    *store.Store
	jobs  *jobs.Jobs
}

// options are what a test server is built with (newServerOpts changes them).
type options struct {
	limits    Limits
	transport mail.Transport
	backup    jobs.BackupConfig
	demo      bool // the demo venue (default true)
	guests    bool // its made-up guests
	proxy     *Proxy
	texts     jobs.TextSender // the text-message gateway (none by default)
	stripeAPI string          // Stripe's API address (default: a closed local port, so no call leaves)
}

// fakeRelay is a mail transport that records messages, or fails with err while err is set.
type fakeRelay struct {
	mu   sync.Mutex
	sent []mail.Message
	err  error
}

func (f *fakeRelay) Send(_ context.Context, m mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeRelay) messages() []mail.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]mail.Message(nil), f.sent...)
}

func (f *fakeRelay) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// newServer builds a test server whose clock stands at testNow; tests may move s.now.
// Abuse limits are off unless a test sets them with newServerWith.
func newServer(t testing.TB) *testServer {
	t.Helper()
	return newServerWith(t, Limits{})
}

func newServerWith(t testing.TB, limits Limits) *testServer {
	t.Helper()
	return newServerOpts(t, func(o *options) { o.limits = limits })
}

// newServerOpts builds a test server with options changed by set. Mail goes to s.relay, a
// fake relay that records what it is given, unless set replaces the transport.
func newServerOpts(t testing.TB, set func(*options)) *testServer {
	t.Helper()
	tmpl, err := migratedTemplate()
	if err != nil {
		t.Fatalf("migrated database: %v", err)
	}
	app, err := tests.NewTestApp(tmpl) // a copy of it
	if err != nil {
		t.Fatalf("NewTestApp: %v", err)
	}
	t.Cleanup(app.Cleanup)
	s := &testServer{app: app, now: testNow, relay: &fakeRelay{}}
	opts := &options{transport: s.relay, demo: true, stripeAPI: "http://127.0.0.1:1"}
	if set != nil {
		set(opts)
	}
	clock := func() time.Time { return s.now }
	s.st = store.New(app)
	t.Cleanup(s.st.Close)
	s.jobs = jobs.New(s.st, jobs.Config{BaseURL: "https://booking.test", Transport: opts.transport, Backup: opts.backup, Texts: opts.texts,
		StripeAPI: opts.stripeAPI, Now: clock})
	s.jobs.BindPocketBaseMail(app)
	s.jobs.BindBackupExclusions(app)
	if opts.demo {
		if err := cli.SeedDemo(app, s.now, opts.guests); err != nil {
			t.Fatalf("demo: %v", err)
		}
	}
	s.h = register(app, Deps{Store: s.st, Jobs: s.jobs, Limits: opts.limits, Now: clock, Proxy: opts.proxy})
	r, err := apis.NewRouter(app)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	// As PocketBase's serve does: the router's handler is built at the end of OnServe, and the
	// handlers bound to OnServe may wrap it (the short path of kept pages does).
	se := &core.ServeEvent{App: app, Router: r, Server: &http.Server{}}
	err = app.OnServe().Trigger(se, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		e.Server.Handler = mux
		return err
	})
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
	s.mux = se.Server.Handler
	return s
}

// template is a data directory with every migration applied and fast password hashes, made
// once per test run: each test server starts from a copy of it. Under the race detector
// running the migrations took 15 s per server, copying the files takes milliseconds.
var template struct {
	once sync.Once
	dir  string
	err  error
}

func migratedTemplate() (string, error) {
	template.once.Do(func() {
		template.dir, template.err = os.MkdirTemp("", "reserva-hooks-template-")
		if template.err != nil {
			return
		}
		app := core.NewBaseApp(core.BaseAppConfig{DataDir: template.dir})
		defer app.ClearBootstrap()
		if template.err = app.Bootstrap(); template.err != nil {
			return
		}
		if template.err = app.RunAllMigrations(); template.err != nil {
			return
		}
		template.err = fastPasswordHashes(app)
	})
	return template.dir, template.err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		_ = os.RemoveAll(template.dir)
	}
	os.Exit(code)
}

// fastPasswordHashes sets the staff passwords' bcrypt cost to its minimum (4) in a test
// database: under -race a cost-10 hash takes about a second, and the tests sign in hundreds of
// times. Hashing and checking stay real; production keeps PocketBase's default cost (10).
func fastPasswordHashes(app core.App) error {
	col, err := app.FindCollectionByNameOrId("staff")
	if err != nil {
		return err
	}
	col.Fields.GetByName("password").(*core.PasswordField).Cost = bcrypt.MinCost
	return app.Save(col)
}

// setVenue changes the venue's settings, as the settings page does (through the venue's
// record, so the server's kept copy is dropped).
func (s *testServer) setVenue(t testing.TB, change func(*store.VenueFields)) {
	t.Helper()
	v, err := store.LoadVenue(s.app)
	if err != nil {
		t.Fatalf("venue: %v", err)
	}
	f := v.Fields()
	change(&f)
	if _, err := store.SaveVenue(s.app, f); err != nil {
		t.Fatal(err)
	}
}

// response is what a test request got back.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends one request; form, when not nil, is sent url-encoded.
func (s *testServer) do(t testing.TB, method, target string, form url.Values, headers ...string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// doBody sends one request with a raw body of contentType.
func (s *testServer) doBody(t testing.TB, method, target, contentType, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func (s *testServer) get(t testing.TB, target string) response {
	t.Helper()
	return s.do(t, http.MethodGet, target, nil)
}

func (s *testServer) post(t testing.TB, target string, form url.Values) response {
	t.Helper()
	return s.do(t, http.MethodPost, target, form)
}

// bookingForm is a valid booking of the demo dinner for party at local time start.
func bookingForm(start string, party string) url.Values {
	return url.Values{
		"start":   {start},
		"party":   {party},
		"name":    {"Ada Lovelace"},
		"email":   {"ada@example.com"},
		"phone":   {"+44 20 7946 0000"},
		"notes":   {"Window seat, please"},
		"consent": {"yes"},
	}
}

var manageLink = regexp.MustCompile(`^/b/([A-Za-z0-9_-]{43})\?m=booked$`)

// book books the demo dinner and returns the manage token.
func (s *testServer) book(t testing.TB, start, party string) string {
	t.Helper()
	return s.bookSlug(t, "dinner", start, party)
}

// bookSlug books the offering slug and returns the manage token.
func (s *testServer) bookSlug(t testing.TB, slug, start, party string) string {
	t.Helper()
	return s.bookWith(t, slug, bookingForm(start, party))
}

// bookWith posts the booking form of the offering slug, fails the test unless it books (303 to
// the manage page), and returns the manage token.
func (s *testServer) bookWith(t testing.TB, slug string, form url.Values) string {
	t.Helper()
	res := s.post(t, "/book/"+slug, form)
	m := manageLink.FindStringSubmatch(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || m == nil {
		t.Fatalf("POST /book/%s %s party %s = %d to %q, want 303 to a manage link\n%s", slug, form.Get("start"), form.Get("party"),
			res.status, res.header.Get("Location"), snippet(res.body))
	}
	return m[1]
}

// mustContain fails unless body holds every want.
func mustContain(t testing.TB, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q in:\n%s", what, w, body)
		}
	}
}

// mustNotContain fails if body holds any of the unwanted strings.
func mustNotContain(t testing.TB, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s: unexpected %q in:\n%s", what, w, body)
		}
	}
}

// bookingByToken loads the booking a manage token opens (failing the test when none does).
func (s *testServer) bookingByToken(t testing.TB, token string) *store.Booking {
	t.Helper()
	b, err := store.BookingByToken(s.app, token)
	if err != nil {
		t.Fatalf("no booking for the token: %v", err)
	}
	return b
}

// bookingByID loads a booking (failing the test when there is none).
func (s *testServer) bookingByID(t testing.TB, id string) *store.Booking {
	t.Helper()
	b, err := store.BookingByID(s.app, id)
	if err != nil {
		t.Fatalf("booking %s: %v", id, err)
	}
	return b
}

// venue is the venue as stored.
func (s *testServer) venue(t testing.TB) *store.Venue {
	t.Helper()
	v, err := store.LoadVenue(s.app)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// offering is the offering with slug.
func (s *testServer) offering(t testing.TB, slug string) *store.Offering {
	t.Helper()
	o, err := store.OfferingBySlug(s.app, slug)
	if err != nil {
		t.Fatalf("offering %s: %v", slug, err)
	}
	return o
}

func newRequest(method, target string) *http.Request { return httptest.NewRequest(method, target, nil) }

// serve runs one prepared request through the router.
func (s *testServer) serve(req *http.Request) response {
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// addOffering creates o, open every day from opens to closes ("17:00", "23:00"), and returns it.
func (s *testServer) addOffering(t testing.TB, o store.Offering, opens, closes string) *store.Offering {
	t.Helper()
	id, err := store.SaveOffering(s.app, o)
	if err != nil {
		t.Fatal(err)
	}
	open, err1 := booking.ParseClock(opens)
	closing, err2 := booking.ParseClock(closes)
	if err1 != nil || err2 != nil {
		t.Fatalf("hours %s-%s", opens, closes)
	}
	for wd := range 7 {
		if _, err := store.AddHours(s.app, id, booking.Hours{Weekday: time.Weekday(wd), Open: open, Close: closing}); err != nil {
			t.Fatal(err)
		}
	}
	off, err := store.OfferingByID(s.app, id)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// request is the first logged GDPR request of subject (failing the test when there is none).
func (s *testServer) gdprRequest(t testing.TB, subject string) *store.Request {
	t.Helper()
	var id string
	if err := s.app.DB().NewQuery("SELECT id FROM gdpr_requests WHERE subject = {:s} ORDER BY created, rowid LIMIT 1").
		Bind(dbx.Params{"s": subject}).Row(&id); err != nil {
		t.Fatalf("no request for %s: %v", subject, err)
	}
	r, err := store.RequestByID(s.app, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// appLog waits (up to 10 s) until PocketBase's log holds at least n entries (request logs are
// written by a goroutine after each response) and returns them as text, one "message data"
// line each, with how many there are.
func (s *testServer) appLog(t testing.TB, n int) (string, int) {
	t.Helper()
	h, ok := s.app.Logger().Handler().(*logger.BatchHandler)
	if !ok {
		t.Fatalf("logger handler is %T", s.app.Logger().Handler())
	}
	var logs []struct {
		Message string `db:"message"`
		Data    string `db:"data"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := h.WriteAll(context.WithValue(context.Background(), logger.BlockKey, true)); err != nil {
			t.Fatal(err)
		}
		logs = logs[:0]
		if err := s.app.AuxDB().NewQuery("SELECT message, data FROM _logs").All(&logs); err != nil {
			t.Fatal(err)
		}
		if len(logs) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var all strings.Builder
	for _, l := range logs {
		all.WriteString(l.Message + " " + l.Data + "\n")
	}
	return all.String(), len(logs)
}
