package hooks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"reserva/internal/store"
)

// apiKey makes an API key named name with scopes on s and returns it.
func (s *testServer) apiKey(t testing.TB, name string, scopes ...store.Scope) string {
	t.Helper()
	_, key, err := store.AddAPIKey(s.app, name, scopes, "")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// api sends one request to the booking API with key (none when ""), a JSON body when body is
// not "", and headers in pairs.
func (s *testServer) api(t testing.TB, method, target, key, body string, headers ...string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.serve(req)
}

// apiErr is an error answer of the API, decoded; it fails the test unless the answer is one.
func apiErr(t testing.TB, what string, res response) apiProblemBody {
	t.Helper()
	var p apiProblem
	if err := json.Unmarshal([]byte(res.body), &p); err != nil || p.Error.Code == "" || p.Error.Message == "" {
		t.Fatalf("%s: not an API error (%v): %d %s", what, err, res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	return p.Error
}

func apiBody(t testing.TB, what string, res response, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(res.body), v); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, res.body)
	}
}

// apiBooking is a valid booking of the demo dinner through the API.
func apiBookingJSON(start string, party int, email string) string {
	return fmt.Sprintf(`{"offering":"dinner","start":%q,"party":%d,"name":"Grace Hopper","email":%q,"phone":"+1 212 555 0100","language":"de","notes":"Quiet table"}`,
		start, party, email)
}

var apiKeyShape = regexp.MustCompile(`rsv_[a-z0-9]{12}_[0-9a-f]{64}`)

// TestAPIKeyLifecycle: the owner makes a key on the page (shown once, stored as a hash), uses
// it (its last use written at most once a minute), and revokes it; each step is audited.
func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	res := s.as(t, owner, http.MethodPost, "/admin/api-keys", url.Values{"name": {"Till at the bar"}, "scopes": {"bookings:read", "bookings:write"}})
	if res.status != http.StatusOK {
		t.Fatalf("make key = %d\n%s", res.status, snippet(res.body))
	}
	key := apiKeyShape.FindString(res.body)
	if key == "" {
		t.Fatalf("the new key is not shown:\n%s", snippet(res.body))
	}
	if res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page with the key: Cache-Control %q", res.header.Get("Cache-Control"))
	}
	secret := key[len("rsv_")+13:]
	var rows []dbx.NullStringMap
	if err := s.app.DB().NewQuery("SELECT * FROM api_keys").All(&rows); err != nil {
		t.Fatal(err)
	}
	dump := fmt.Sprint(rows)
	mustNotContain(t, "api_keys rows", dump, secret)
	mustContain(t, "api_keys rows", dump, store.HashToken(secret), "bookings:read bookings:write")
	var audit string
	if err := s.app.DB().NewQuery("SELECT detail FROM audit_log WHERE action = 'api_key.created'").Row(&audit); err != nil {
		t.Fatalf("no audit entry of the new key: %v", err)
	}
	mustNotContain(t, "audit", audit, secret)
	page := s.as(t, owner, http.MethodGet, "/admin/api-keys", nil)
	mustContain(t, "keys page", page.body, "Till at the bar", "bookings:write", "never")
	mustNotContain(t, "keys page", page.body, secret)

	lastUsed := func() string {
		t.Helper()
		var v string
		if err := s.app.DB().NewQuery("SELECT last_used FROM api_keys").Row(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if r := s.api(t, http.MethodGet, "/api/v1/bookings?from=2026-11-24&to=2026-11-30", key, ""); r.status != http.StatusOK {
		t.Fatalf("list with the new key = %d %s", r.status, r.body)
	}
	first := lastUsed()
	if first == "" {
		t.Fatal("last use not written")
	}
	s.now = s.now.Add(30 * time.Second)
	s.api(t, http.MethodGet, "/api/v1/bookings?from=2026-11-24&to=2026-11-30", key, "")
	if got := lastUsed(); got != first {
		t.Errorf("last use written again after 30 s: %s, then %s", first, got)
	}
	s.now = s.now.Add(2 * time.Minute)
	s.api(t, http.MethodGet, "/api/v1/bookings?from=2026-11-24&to=2026-11-30", key, "")
	if got := lastUsed(); got == first {
		t.Errorf("last use not written after 2.5 minutes: %s", got)
	}

	var id string
	if err := s.app.DB().NewQuery("SELECT id FROM api_keys").Row(&id); err != nil {
		t.Fatal(err)
	}
	if r := s.as(t, owner, http.MethodPost, "/admin/api-keys/"+id+"/revoke", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("revoke = %d", r.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "api_key.revoked", "target": "api_keys/" + id}); n != 1 {
		t.Errorf("revocations audited %d times, want 1", n)
	}
	r := s.api(t, http.MethodGet, "/api/v1/bookings?from=2026-11-24&to=2026-11-30", key, "")
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("revoked key = %d, WWW-Authenticate %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	apiErr(t, "revoked key", r)
	page = s.as(t, owner, http.MethodGet, "/admin/api-keys", nil)
	mustContain(t, "keys page", page.body, `data-testid="apikey-revoked"`)

	// A key needs a name and a scope; the form says so beside each field.
	bad := s.as(t, owner, http.MethodPost, "/admin/api-keys", url.Values{"name": {" "}, "scopes": {"bookings:delete"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("key without name or scope = %d", bad.status)
	}
	mustContain(t, "bad key form", bad.body, `data-testid="name-error"`, `data-testid="scopes-error"`)
	if n := s.count(t, "api_keys", dbx.NewExp("1=1")); n != 1 {
		t.Errorf("%d keys after a refused form, want 1", n)
	}
	if r := s.as(t, owner, http.MethodPost, "/admin/api-keys/nosuchkey000000/revoke", url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("revoke unknown key = %d, want 404", r.status)
	}
}

// TestAPIAuthentication: only a valid key in the Authorization header lets a request in (401
// with a Bearer challenge otherwise, no cookie counts), and only for its scopes (403).
func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	reader := s.apiKey(t, "Reader", store.ScopeBookingsRead)
	writer := s.apiKey(t, "Writer", store.ScopeBookingsWrite)
	wrongSecret := reader[:len(reader)-4] + "0000"
	if wrongSecret == reader {
		wrongSecret = reader[:len(reader)-4] + "1111"
	}
	owner, _ := s.signedIn(t, "owner")
	list := "/api/v1/bookings?from=2026-11-24&to=2026-11-30"
	tests := []struct {
		name, method, target, auth, cookie, body string
		want                                     int
		code                                     string
	}{
		{"no key", http.MethodGet, list, "", "", "", 401, "unauthorized"},
		{"owner's cookie, no key", http.MethodGet, list, "", owner, "", 401, "unauthorized"},
		{"basic scheme", http.MethodGet, list, "Basic " + reader, "", "", 401, "unauthorized"},
		{"malformed key", http.MethodGet, list, "Bearer rsv_nope", "", "", 401, "unauthorized"},
		{"not a key at all", http.MethodGet, list, "Bearer \x7f" + strings.Repeat("z", 300), "", "", 401, "unauthorized"},
		{"wrong secret", http.MethodGet, list, "Bearer " + wrongSecret, "", "", 401, "unauthorized"},
		{"reader lists", http.MethodGet, list, "Bearer " + reader, "", "", 200, ""},
		{"lower-case scheme", http.MethodGet, list, "bearer " + reader, "", "", 200, ""},
		{"reader books", http.MethodPost, "/api/v1/bookings", "Bearer " + reader, "", apiBookingJSON("2026-11-27T19:00", 2, "g@example.com"), 403, "insufficient_scope"},
		{"writer lists", http.MethodGet, list, "Bearer " + writer, "", "", 403, "insufficient_scope"},
		{"writer reads one", http.MethodGet, "/api/v1/bookings/ACD-EFG", "Bearer " + writer, "", "", 403, "insufficient_scope"},
		{"writer books", http.MethodPost, "/api/v1/bookings", "Bearer " + writer, "", apiBookingJSON("2026-11-27T19:00", 2, "g@example.com"), 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.auth != "" {
				headers = append(headers, "Authorization", tt.auth)
			}
			if tt.cookie != "" {
				headers = append(headers, "Cookie", tt.cookie)
			}
			res := s.api(t, tt.method, tt.target, "", tt.body, headers...)
			if res.status != tt.want {
				t.Fatalf("= %d, want %d\n%s", res.status, tt.want, res.body)
			}
			if res.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", res.header.Get("Cache-Control"))
			}
			if tt.code == "" {
				return
			}
			if got := apiErr(t, tt.name, res).Code; got != tt.code {
				t.Errorf("code = %q, want %q", got, tt.code)
			}
			challenge := res.header.Get("WWW-Authenticate")
			switch {
			case tt.want == 401 && !strings.HasPrefix(challenge, "Bearer realm="):
				t.Errorf("WWW-Authenticate = %q", challenge)
			case tt.want == 403 && !strings.Contains(challenge, `error="insufficient_scope"`):
				t.Errorf("WWW-Authenticate = %q", challenge)
			}
			mustNotContain(t, tt.name, res.body, reader, writer, "sql", ".go:")
		})
	}
	if r := s.api(t, http.MethodGet, "/api/v1/nothing/here", reader, ""); r.status != http.StatusNotFound || apiErr(t, "unknown path", r).Code != "not_found" {
		t.Errorf("unknown API path = %d %s", r.status, r.body)
	}
	if r := s.api(t, http.MethodDelete, "/api/v1/bookings", reader, ""); r.status != http.StatusNotFound {
		t.Errorf("DELETE /api/v1/bookings = %d %s", r.status, r.body)
	}
}

// TestAPIListsBookings: the list walks the days asked for by start, a page at a time without
// repeats, shows times with the venue's offset and the guest's contact, filters, refuses bad
// parameters with a message per parameter, and audits each request with the count.
func TestAPIListsBookings(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	key := s.apiKey(t, "Reports", store.ScopeBookingsRead)
	for _, start := range []string{"2026-11-27T19:00", "2026-11-27T19:00", "2026-11-27T20:30", "2026-11-28T18:00", "2026-12-01T19:00"} {
		s.book(t, start, "2")
	}
	s.bookWith(t, "pottery", bookingForm(firstSession(s), "1"))
	cancelled := s.bookingByToken(t, s.book(t, "2026-11-28T21:00", "3"))
	if _, err := s.app.DB().NewQuery("UPDATE bookings SET status = 'cancelled' WHERE id = {:id}").Bind(dbx.Params{"id": cancelled.ID}).Execute(); err != nil {
		t.Fatal(err)
	}

	type page struct {
		Bookings   []apiBooking `json:"bookings"`
		NextCursor *string      `json:"next_cursor"`
	}
	var all []apiBooking
	target := "/api/v1/bookings?from=2026-11-27&to=2026-11-28&limit=2"
	pages := 0
	for {
		res := s.api(t, http.MethodGet, target, key, "")
		if res.status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", target, res.status, res.body)
		}
		var p page
		apiBody(t, target, res, &p)
		all = append(all, p.Bookings...)
		pages++
		if p.NextCursor == nil {
			break
		}
		target = "/api/v1/bookings?from=2026-11-27&to=2026-11-28&limit=2&cursor=" + url.QueryEscape(*p.NextCursor)
	}
	// 27th: 19:00 ×2, 20:30; 28th: 18:00, 21:00 (cancelled); the pottery session is on the 25th.
	if len(all) != 5 || pages != 3 {
		t.Fatalf("got %d bookings in %d pages, want 5 in 3: %+v", len(all), pages, all)
	}
	seen := map[string]bool{}
	for i, b := range all {
		if seen[b.Reference] {
			t.Errorf("booking %s listed twice", b.Reference)
		}
		seen[b.Reference] = true
		if i > 0 && b.Start < all[i-1].Start {
			t.Errorf("not by start: %s after %s", b.Start, all[i-1].Start)
		}
		if b.Offering != "dinner" || b.Source != "web" || b.Guest.Email != "ada@example.com" || b.Guest.Name != "Ada Lovelace" || b.Resources == nil {
			t.Errorf("booking %d = %+v", i, b)
		}
	}
	if all[0].Start != "2026-11-27T19:00:00+01:00" || all[0].End != "2026-11-27T21:00:00+01:00" {
		t.Errorf("first booking %s to %s, want 2026-11-27T19:00:00+01:00 to 21:00", all[0].Start, all[0].End)
	}
	if all[4].Status != "cancelled" || all[4].Party != 3 {
		t.Errorf("last booking = %+v, want the cancelled party of 3", all[4])
	}
	var audits []store.Entry
	if err := s.app.DB().NewQuery("SELECT actor, action, target, detail FROM audit_log WHERE action = 'api.bookings_listed' ORDER BY rowid").All(&audits); err != nil {
		t.Fatal(err)
	}
	if len(audits) != 3 {
		t.Fatalf("%d audit entries for 3 list requests", len(audits))
	}
	for i, want := range []string{`key "Reports": 2 bookings`, `key "Reports": 2 bookings`, `key "Reports": 1 bookings`} {
		if !strings.HasPrefix(audits[i].Detail, want) || audits[i].Actor != "api:Reports" {
			t.Errorf("audit %d = %+v, want detail %q", i, audits[i], want)
		}
		mustNotContain(t, "audit", audits[i].Detail, "ada@example.com", "Ada")
	}

	count := func(q string) int {
		t.Helper()
		res := s.api(t, http.MethodGet, "/api/v1/bookings?"+q, key, "")
		if res.status != http.StatusOK {
			t.Fatalf("GET ?%s = %d %s", q, res.status, res.body)
		}
		var p page
		apiBody(t, q, res, &p)
		return len(p.Bookings)
	}
	for q, want := range map[string]int{
		"from=2026-11-24&to=2026-12-31":                    7,
		"from=2026-11-24&to=2026-12-31&offering=pottery":   1,
		"from=2026-11-24&to=2026-12-31&status=cancelled":   1,
		"from=2026-11-24&to=2026-12-31&status=confirmed":   6,
		"from=2026-12-01&to=2026-12-01":                    1,
		"from=2026-11-29&to=2026-11-30&offering=dinner":    0,
		"from=2026-11-24&to=2027-02-24":                    7,
		"from=2026-11-27&to=2026-11-27&unknown=ignored&x=": 3,
	} {
		if got := count(q); got != want {
			t.Errorf("?%s lists %d bookings, want %d", q, got, want)
		}
	}

	for q, field := range map[string]string{
		"to=2026-11-28":                                                             "from",
		"from=2026-11-28":                                                           "to",
		"from=2026-13-01&to=2026-11-28":                                             "from",
		"from=2026-11-28&to=2026-11-27":                                             "to",
		"from=2026-11-24&to=2027-02-25":                                             "to",
		"from=2026-11-24&to=2026-11-28&status=x":                                    "status",
		"from=2026-11-24&to=2026-11-28&limit=0":                                     "limit",
		"from=2026-11-24&to=2026-11-28&limit=201":                                   "limit",
		"from=2026-11-24&to=2026-11-28&cursor=%21":                                  "cursor",
		"from=2026-11-24&to=2026-11-28&cursor=" + url.QueryEscape("MjAyNnxub3BlCg"): "cursor",
		"from=2026-11-24&to=2026-11-28&offering=brunch":                             "offering",
	} {
		res := s.api(t, http.MethodGet, "/api/v1/bookings?"+q, key, "")
		if res.status != http.StatusBadRequest {
			t.Errorf("?%s = %d, want 400", q, res.status)
			continue
		}
		if e := apiErr(t, q, res); e.Code != "bad_request" || e.Fields[field] == "" {
			t.Errorf("?%s = %+v, want a message for %s", q, e, field)
		}
	}

	one := s.api(t, http.MethodGet, "/api/v1/bookings/"+all[1].Reference, key, "")
	var b apiBooking
	apiBody(t, "one booking", one, &b)
	if one.status != http.StatusOK || b.Reference != all[1].Reference || b.Guest.Phone != "+44 20 7946 0000" {
		t.Errorf("GET one = %d %+v", one.status, b)
	}
	if lower := s.api(t, http.MethodGet, "/api/v1/bookings/"+strings.ToLower(all[1].Reference), key, ""); lower.status != http.StatusOK {
		t.Errorf("GET one in lower case = %d", lower.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "api.booking_read"}); n != 2 {
		t.Errorf("%d audit entries of single reads, want 2", n)
	}
	for _, ref := range []string{"AAA-AAA", "x", strings.Repeat("Q", 300), "%00"} {
		res := s.api(t, http.MethodGet, "/api/v1/bookings/"+ref, key, "")
		if res.status != http.StatusNotFound || apiErr(t, ref, res).Code != "not_found" {
			t.Errorf("GET /api/v1/bookings/%s = %d %s", ref, res.status, res.body)
		}
	}
}

// TestAPIMakesBookings: a booking made through the API follows the booking page's rules, is
// stored with the source "api", audited, and mailed to the guest; bad input gets the statuses
// of the contract with a message per field.
func TestAPIMakesBookings(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	key := s.apiKey(t, "Website", store.ScopeBookingsWrite, store.ScopeBookingsRead)
	res := s.api(t, http.MethodPost, "/api/v1/bookings", key, apiBookingJSON("2026-11-27T19:00", 2, "grace@example.com"))
	if res.status != http.StatusCreated {
		t.Fatalf("POST = %d %s", res.status, res.body)
	}
	var b apiBooking
	apiBody(t, "created", res, &b)
	if b.Source != "api" || b.Status != "confirmed" || b.Start != "2026-11-27T19:00:00+01:00" || b.Party != 2 || b.Guest.Email != "grace@example.com" {
		t.Errorf("created = %+v", b)
	}
	if loc := res.header.Get("Location"); loc != "/api/v1/bookings/"+b.Reference {
		t.Errorf("Location = %q", loc)
	}
	var rec store.Booking
	if err := s.app.DB().NewQuery("SELECT * FROM bookings WHERE reference = {:r}").Bind(dbx.Params{"r": b.Reference}).One(&rec); err != nil {
		t.Fatal(err)
	}
	if rec.Source != store.SourceAPI || rec.Locale != "de" || rec.Notes != "Quiet table" || rec.ConsentAt.IsZero() || rec.Customer == "" {
		t.Errorf("stored = %+v", rec)
	}
	if n := s.count(t, "outbox", dbx.HashExp{"booking": rec.ID, "kind": "confirmation"}); n != 1 {
		t.Errorf("%d confirmation mails queued, want 1", n)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "booking.create", "target": "bookings/" + rec.ID, "actor": "api:Website"}); n != 1 {
		t.Errorf("booking audited %d times by the key, want 1", n)
	}
	// RFC 3339 with another offset: the same instant.
	res = s.api(t, http.MethodPost, "/api/v1/bookings", key, apiBookingJSON("2026-11-27T18:30:00Z", 2, "utc@example.com"))
	apiBody(t, "rfc3339", res, &b)
	if res.status != http.StatusCreated || b.Start != "2026-11-27T19:30:00+01:00" {
		t.Errorf("RFC 3339 start = %d %+v", res.status, b)
	}
	// A session by its start.
	res = s.api(t, http.MethodPost, "/api/v1/bookings", key, `{"offering":"pottery","start":"2026-11-25T18:00","party":2,"name":"Lin","email":"lin@example.com"}`)
	apiBody(t, "session", res, &b)
	if res.status != http.StatusCreated || b.Offering != "pottery" || b.Start != "2026-11-25T18:00:00+01:00" {
		t.Errorf("session booking = %d %s", res.status, res.body)
	}

	big := `{"offering":"dinner","start":"2026-11-27T19:00","party":2,"name":"A","email":"a@example.com","notes":"` + strings.Repeat("n", 17<<10) + `"}`
	tests := []struct {
		name, body, contentType string
		want                    int
		code                    string
		fields                  []string
	}{
		{"not JSON", `{"offering":`, "", 400, "bad_json", nil},
		{"an array", `[1,2]`, "", 400, "bad_json", nil},
		{"two objects", `{} {}`, "", 400, "bad_json", nil},
		{"form body", "offering=dinner", "application/x-www-form-urlencoded", 415, "unsupported_media_type", nil},
		{"over 16 KiB", big, "", 413, "too_large", nil},
		{"empty object", `{}`, "", 422, "invalid", []string{"offering", "start", "party", "name", "email"}},
		{"unknown field", `{"offering":"dinner","start":"2026-11-27T19:00","party":2,"name":"A","email":"a@example.com","consent":true}`, "", 422, "invalid", []string{"consent"}},
		{"party as text", `{"offering":"dinner","start":"2026-11-27T19:00","party":"two","name":"A","email":"a@example.com"}`, "", 422, "invalid", []string{"party"}},
		{"name as number", `{"offering":"dinner","start":"2026-11-27T19:00","party":2,"name":5,"email":"a@example.com"}`, "", 422, "invalid", []string{"name"}},
		{"bad e-mail and phone", `{"offering":"dinner","start":"2026-11-27T19:00","party":2,"name":"A","email":"nope","phone":"x"}`, "", 422, "invalid", []string{"email", "phone"}},
		{"party too large", apiBookingJSON("2026-11-27T19:00", 9, "a@example.com"), "", 422, "invalid", []string{"party"}},
		{"party zero", apiBookingJSON("2026-11-27T19:00", 0, "a@example.com"), "", 422, "invalid", []string{"party"}},
		{"unknown offering", `{"offering":"brunch","start":"2026-11-27T19:00","party":2,"name":"A","email":"a@example.com"}`, "", 422, "invalid", []string{"offering"}},
		{"not a time", apiBookingJSON("tomorrow", 2, "a@example.com"), "", 422, "invalid", []string{"start"}},
		{"seconds", apiBookingJSON("2026-11-27T19:00:30+01:00", 2, "a@example.com"), "", 422, "invalid", []string{"start"}},
		{"closed on Mondays", apiBookingJSON("2026-11-30T19:00", 2, "a@example.com"), "", 422, "invalid", []string{"start"}},
		{"not on the grid", apiBookingJSON("2026-11-27T19:10", 2, "a@example.com"), "", 422, "invalid", []string{"start"}},
		{"too soon", apiBookingJSON("2026-11-24T10:30", 2, "a@example.com"), "", 422, "invalid", []string{"start"}},
		{"past the horizon", apiBookingJSON("2027-06-01T19:00", 2, "a@example.com"), "", 422, "invalid", []string{"start"}},
		{"no such session", `{"offering":"pottery","start":"2026-11-25T19:00","party":2,"name":"Lin","email":"lin@example.com"}`, "", 422, "invalid", []string{"start"}},
		{"unknown language", `{"offering":"dinner","start":"2026-11-27T19:00","party":2,"name":"A","email":"a@example.com","language":"tlh"}`, "", 422, "invalid", []string{"language"}},
	}
	before := s.count(t, "bookings", dbx.NewExp("1=1"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/bookings", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			res := s.serve(req)
			if res.status != tt.want {
				t.Fatalf("= %d, want %d\n%s", res.status, tt.want, res.body)
			}
			e := apiErr(t, tt.name, res)
			if e.Code != tt.code {
				t.Errorf("code = %q, want %q", e.Code, tt.code)
			}
			for _, f := range tt.fields {
				if e.Fields[f] == "" {
					t.Errorf("no message for %s: %+v", f, e.Fields)
				}
			}
			if len(e.Fields) != len(tt.fields) {
				t.Errorf("messages for %v, want for %v", e.Fields, tt.fields)
			}
			mustNotContain(t, tt.name, res.body, "⟦", "sql", ".go:", "json:")
		})
	}
	if after := s.count(t, "bookings", dbx.NewExp("1=1")); after != before {
		t.Errorf("refused requests stored %d bookings", after-before)
	}

	// Full: a small offering of two seats.
	o := s.offering(t, "dinner")
	o.Capacity = 6
	if _, err := store.SaveOffering(s.app, *o); err != nil {
		t.Fatal(err)
	}
	if r := s.api(t, http.MethodPost, "/api/v1/bookings", key, apiBookingJSON("2026-11-28T19:00", 6, "first@example.com")); r.status != http.StatusCreated {
		t.Fatalf("last seats = %d %s", r.status, r.body)
	}
	full := s.api(t, http.MethodPost, "/api/v1/bookings", key, apiBookingJSON("2026-11-28T19:00", 1, "late@example.com"))
	if full.status != http.StatusConflict || apiErr(t, "full", full).Code != "full" {
		t.Errorf("full time = %d %s", full.status, full.body)
	}
}

// TestAPIIdempotency: a retried POST with the same Idempotency-Key and body answers the first
// booking again and never books twice, also when the retries arrive together; another body
// with the key is refused; after 24 hours the key may be used anew.
func TestAPIIdempotency(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	key := s.apiKey(t, "Website", store.ScopeBookingsWrite)
	body := apiBookingJSON("2026-11-27T19:00", 2, "grace@example.com")
	first := s.api(t, http.MethodPost, "/api/v1/bookings", key, body, "Idempotency-Key", "order-1")
	again := s.api(t, http.MethodPost, "/api/v1/bookings", key, body, "Idempotency-Key", "order-1")
	if first.status != http.StatusCreated || again.status != http.StatusCreated {
		t.Fatalf("first = %d, again = %d %s", first.status, again.status, again.body)
	}
	if first.body != again.body || again.header.Get("Idempotent-Replayed") != "true" || first.header.Get("Idempotent-Replayed") != "" ||
		again.header.Get("Location") != first.header.Get("Location") {
		t.Errorf("the retry answered differently:\n%s\n%s", first.body, again.body)
	}
	if n := s.count(t, "bookings", dbx.HashExp{"email": "grace@example.com"}); n != 1 {
		t.Errorf("%d bookings after a retry, want 1", n)
	}
	other := s.api(t, http.MethodPost, "/api/v1/bookings", key, apiBookingJSON("2026-11-27T19:00", 3, "grace@example.com"), "Idempotency-Key", "order-1")
	if other.status != http.StatusUnprocessableEntity || apiErr(t, "reused", other).Code != "idempotency_key_reused" {
		t.Errorf("another body with the key = %d %s", other.status, other.body)
	}
	// Another key's requests are apart: the same Idempotency-Key books for it.
	key2 := s.apiKey(t, "Till", store.ScopeBookingsWrite)
	if r := s.api(t, http.MethodPost, "/api/v1/bookings", key2, body, "Idempotency-Key", "order-1"); r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("another API key with the same Idempotency-Key = %d %v", r.status, r.header)
	}
	for _, bad := range []string{strings.Repeat("k", 256), "ünï"} {
		if r := s.api(t, http.MethodPost, "/api/v1/bookings", key, body, "Idempotency-Key", bad); r.status != http.StatusBadRequest {
			t.Errorf("Idempotency-Key %q = %d", bad, r.status)
		}
	}

	// Retries that arrive together.
	srv := httptest.NewServer(s.mux)
	defer srv.Close()
	raceBody := apiBookingJSON("2026-11-28T19:00", 2, "race@example.com")
	var wg sync.WaitGroup
	var mu sync.Mutex
	refs := map[string]int{}
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/bookings", strings.NewReader(raceBody))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "order-2")
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			var b apiBooking
			_ = json.NewDecoder(res.Body).Decode(&b)
			mu.Lock()
			refs[fmt.Sprint(res.StatusCode, " ", b.Reference)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(refs) != 1 {
		t.Errorf("simultaneous retries answered %v, want one booking 20 times", refs)
	}
	if n := s.count(t, "bookings", dbx.HashExp{"email": "race@example.com"}); n != 1 {
		t.Errorf("%d bookings after simultaneous retries, want 1", n)
	}

	// A day later the key is new again.
	s.now = s.now.Add(25 * time.Hour)
	if r := s.api(t, http.MethodPost, "/api/v1/bookings", key, body, "Idempotency-Key", "order-1"); r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the key after 25 hours = %d replayed %q", r.status, r.header.Get("Idempotent-Replayed"))
	}
	if n := s.count(t, "bookings", dbx.HashExp{"email": "grace@example.com"}); n != 3 {
		t.Errorf("%d bookings of grace after 25 hours, want 3 (two keys, then one anew)", n)
	}
}

// TestAPIConcurrentBookingsNeverExceedCapacity: many simultaneous API bookings of one time
// take exactly the seats there are; every other one is told the time is full.
func TestAPIConcurrentBookingsNeverExceedCapacity(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	key := s.apiKey(t, "Website", store.ScopeBookingsWrite)
	srv := httptest.NewServer(s.mux)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 100
	const requests, party, seats = 100, 2, 40
	var wg sync.WaitGroup
	ready := make(chan struct{})
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/bookings",
				strings.NewReader(apiBookingJSON("2026-11-27T19:00", party, fmt.Sprintf("g%d@example.com", i))))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			<-ready
			res, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			mu.Lock()
			statuses[res.StatusCode]++
			mu.Unlock()
		}()
	}
	close(ready)
	wg.Wait()
	if statuses[http.StatusCreated] != seats/party || statuses[http.StatusConflict] != requests-seats/party {
		t.Errorf("statuses %v, want %d × 201 and %d × 409", statuses, seats/party, requests-seats/party)
	}
	var people int
	if err := s.app.DB().NewQuery("SELECT coalesce(sum(party), 0) FROM bookings WHERE source = 'api'").Row(&people); err != nil {
		t.Fatal(err)
	}
	if people != seats {
		t.Errorf("%d people booked on %d seats", people, seats)
	}
}

// TestAPIRateLimits: a key past its allowance gets 429 with Retry-After (another key does
// not); an address past its failed authentications is refused every request, a right key
// included, while another address is not.
func TestAPIRateLimits(t *testing.T) {
	t.Parallel()
	s := newServerWith(t, Limits{API: Rate{N: 3, Per: time.Minute}, APIAuthFail: Rate{N: 2, Per: time.Minute}})
	busy := s.apiKey(t, "Busy", store.ScopeBookingsRead)
	calm := s.apiKey(t, "Calm", store.ScopeBookingsRead)
	list := "/api/v1/bookings?from=2026-11-24&to=2026-11-30"
	for i := range 3 {
		if r := s.api(t, http.MethodGet, list, busy, ""); r.status != http.StatusOK {
			t.Fatalf("request %d = %d", i+1, r.status)
		}
	}
	r := s.api(t, http.MethodGet, list, busy, "")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || apiErr(t, "429", r).Code != "rate_limited" {
		t.Fatalf("4th request = %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	if r := s.api(t, http.MethodGet, list, calm, ""); r.status != http.StatusOK {
		t.Errorf("another key = %d", r.status)
	}
	s.now = s.now.Add(time.Minute)
	if r := s.api(t, http.MethodGet, list, busy, ""); r.status != http.StatusOK {
		t.Errorf("a minute later = %d", r.status)
	}

	from := func(ip, key string) response {
		req := httptest.NewRequest(http.MethodGet, list, nil)
		req.RemoteAddr = ip + ":4000"
		req.Header.Set("Authorization", "Bearer "+key)
		return s.serve(req)
	}
	guess := "rsv_aaaaaaaaaaaa_" + strings.Repeat("0", 64)
	for i := range 2 {
		if r := from("198.51.100.7", guess); r.status != http.StatusUnauthorized {
			t.Fatalf("guess %d = %d", i+1, r.status)
		}
	}
	if r := from("198.51.100.7", guess); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("3rd guess = %d", r.status)
	}
	if r := from("198.51.100.7", calm); r.status != http.StatusTooManyRequests {
		t.Errorf("a right key from the guessing address = %d, want 429", r.status)
	}
	if r := from("203.0.113.9", calm); r.status != http.StatusOK {
		t.Errorf("a right key from another address = %d", r.status)
	}
}

// TestAPIKeepsPersonalDataOutOfLogs: the request log of API requests holds neither the key
// nor the guest's details.
func TestAPIKeepsPersonalDataOutOfLogs(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.app.Settings().Logs.MaxDays = 7
	key := s.apiKey(t, "Website", store.ScopeBookingsWrite, store.ScopeBookingsRead)
	s.api(t, http.MethodPost, "/api/v1/bookings", key, apiBookingJSON("2026-11-27T19:00", 2, "grace@example.com"))
	s.api(t, http.MethodPost, "/api/v1/bookings", key, apiBookingJSON("2026-11-30T19:00", 2, "grace@example.com")) // 422
	s.api(t, http.MethodGet, "/api/v1/bookings?from=2026-11-24&to=2026-11-30&email=grace%40example.com", key, "")
	s.api(t, http.MethodGet, "/api/v1/bookings?from=x", key, "")
	s.api(t, http.MethodGet, "/api/v1/bookings", "rsv_aaaaaaaaaaaa_"+strings.Repeat("1", 64), "")
	log, n := s.appLog(t, 5)
	if n < 5 {
		t.Fatalf("request log has %d entries, want at least 5", n)
	}
	mustNotContain(t, "request log", log, key[4:], strings.Repeat("1", 64), "grace@example.com", "grace%40example.com", "Grace Hopper", "+1 212")
	mustContain(t, "request log", log, "/api/v1/bookings")
}

// TestAPIWithoutVenue: before a venue is set up the API says so calmly, in JSON (503).
func TestAPIWithoutVenue(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	key := s.apiKey(t, "Early", store.ScopeBookingsRead, store.ScopeBookingsWrite)
	if _, err := s.app.DB().NewQuery("DELETE FROM venue").Execute(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []response{
		s.api(t, http.MethodGet, "/api/v1/bookings?from=2026-11-24&to=2026-11-30", key, ""),
		s.api(t, http.MethodGet, "/api/v1/bookings/AAA-AAA", key, ""),
		s.api(t, http.MethodPost, "/api/v1/bookings", key, apiBookingJSON("2026-11-27T19:00", 2, "a@example.com")),
	} {
		if r.status != http.StatusServiceUnavailable || apiErr(t, "no venue", r).Code != "unavailable" {
			t.Errorf("without a venue = %d %s", r.status, r.body)
		}
	}
}

// FuzzAPIBookings posts fuzzed bodies and Idempotency-Keys to POST /api/v1/bookings with a
// valid key: the status is one of the contract's, the answer is the API's JSON and leaks no
// internals, and booking_usage still equals the bookings it summarises. Run longer with
//
//	go test -run='^$' -fuzz=FuzzAPIBookings -fuzztime=5m ./hooks
func FuzzAPIBookings(f *testing.F) {
	s := newServer(f)
	key := s.apiKey(f, "Fuzz", store.ScopeBookingsWrite)
	for _, seed := range []string{
		apiBookingJSON("2026-11-27T19:00", 2, "ada@example.com"),
		apiBookingJSON("2026-11-27T18:00:00Z", 8, "ada@example.com"),
		`{"offering":"pottery","start":"2026-11-25T18:00","party":1,"name":"Lin","email":"lin@example.com"}`,
		`{"offering":"dinner","start":"2026-11-27T19:00","party":1e9,"name":"\u202eA","email":"a@b.c","phone":"+1 (2) 3-4/5"}`,
		`{"offering":null,"start":[],"party":{},"name":true}`, `[]`, `""`, `{`, "",
	} {
		f.Add(seed, "")
		f.Add(seed, "retry-1")
	}
	allowed := map[int]bool{201: true, 400: true, 409: true, 413: true, 415: true, 422: true}
	f.Fuzz(func(t *testing.T, body, idem string) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/bookings", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		if idem != "" {
			req.Header["Idempotency-Key"] = []string{idem}
		}
		res := s.serve(req)
		if !allowed[res.status] {
			t.Fatalf("%q = %d, a status outside the contract\n%s", body, res.status, res.body)
		}
		if res.status != http.StatusCreated {
			apiErr(t, body, res)
		}
		if leaks.MatchString(res.body) || strings.Contains(res.body, "⟦") {
			t.Fatalf("%q leaks internals: %s", body, res.body)
		}
		var bad int
		err := s.app.DB().NewQuery(`SELECT count(*) FROM (` + usageFromBookings + `) b
			LEFT JOIN booking_usage u USING (offering, start, "end", session)
			WHERE u.party IS NOT b.party OR u.n IS NOT b.n`).Row(&bad)
		if err != nil || bad != 0 {
			t.Fatalf("after %q booking_usage differs from the bookings in %d rows (%v)", body, bad, err)
		}
	})
}
