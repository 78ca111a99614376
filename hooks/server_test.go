package hooks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"golang.org/x/crypto/bcrypt"

	"reserva/internal/mail"
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
	return newServerOpts(t, func(o *Options) { o.Limits = limits })
}

// newServerOpts builds a test server with options changed by set. Mail goes to s.relay, a
// fake relay that records what it is given, unless set replaces the transport.
func newServerOpts(t testing.TB, set func(*Options)) *testServer {
	t.Helper()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatalf("NewTestApp: %v", err)
	}
	t.Cleanup(app.Cleanup)
	fastPasswordHashes(t, app)
	s := &testServer{app: app, now: testNow, relay: &fakeRelay{}}
	opts := &Options{Demo: true, Now: func() time.Time { return s.now }, BaseURL: "https://booking.test", Transport: s.relay}
	if set != nil {
		set(opts)
	}
	s.h = register(app, opts)
	r, err := apis.NewRouter(app)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	se := &core.ServeEvent{App: app, Router: r}
	err = app.OnServe().Trigger(se, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		s.mux = mux
		return err
	})
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
	return s
}

// fastPasswordHashes sets the staff passwords' bcrypt cost to its minimum (4) in a test
// database: under -race a cost-10 hash takes about a second, and the tests sign in hundreds of
// times. Hashing and checking stay real; production keeps PocketBase's default cost (10).
func fastPasswordHashes(t testing.TB, app core.App) {
	t.Helper()
	col, err := app.FindCollectionByNameOrId("staff")
	if err != nil {
		t.Fatal(err)
	}
	col.Fields.GetByName("password").(*core.PasswordField).Cost = bcrypt.MinCost
	if err := app.Save(col); err != nil {
		t.Fatal(err)
	}
}

// setVenue changes fields of the venue record, as the settings page or PocketBase's dashboard
// does (through the records API, so the server's kept copy is dropped).
func (s *testServer) setVenue(t testing.TB, fields map[string]any) {
	t.Helper()
	recs, err := s.app.FindAllRecords("venue")
	if err != nil || len(recs) != 1 {
		t.Fatalf("venue: %v", err)
	}
	for k, v := range fields {
		recs[0].Set(k, v)
	}
	if err := s.app.Save(recs[0]); err != nil {
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
	res := s.post(t, "/book/"+slug, bookingForm(start, party))
	if res.status != http.StatusSeeOther {
		t.Fatalf("POST /book/%s %s party %s = %d, want 303\n%s", slug, start, party, res.status, res.body)
	}
	m := manageLink.FindStringSubmatch(res.header.Get("Location"))
	if m == nil {
		t.Fatalf("Location = %q, want a manage link", res.header.Get("Location"))
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

// bookingByToken loads the booking a manage token opens (failing the test when none does),
// with the error kept for the call sites that used to read it.
func (s *testServer) bookingByToken(t testing.TB, token string) (*core.Record, error) {
	t.Helper()
	id, err := bookingIDByToken(s.app, token)
	if err != nil {
		t.Fatalf("no booking for the token: %v", err)
	}
	return s.app.FindRecordById("bookings", id)
}

func newRequest(method, target string) *http.Request { return httptest.NewRequest(method, target, nil) }

// serve runs one prepared request through the router.
func (s *testServer) serve(req *http.Request) response {
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}
