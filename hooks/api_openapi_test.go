package hooks

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/pocketbase/pocketbase/apis"

	"reserva/docs"
	"reserva/internal/store"
)

// openAPIDoc loads and validates docs/openapi.yaml.
func openAPIDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// TestOpenAPIDescribesEveryRoute: every /api/v1/ route of the route table is an operation of
// docs/openapi.yaml, and every operation there is a route (the API's own 404 for other paths
// aside).
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	s := newServer(t)
	r, err := apis.NewRouter(s.app)
	if err != nil {
		t.Fatal(err)
	}
	s.h.routes(r)
	var registered []string
	for _, rt := range routeTable(r) {
		if !strings.HasPrefix(rt.path, "/api/v1/") {
			continue
		}
		if rt.method == "" && rt.path == "/api/v1/" {
			continue // apiUnknown: the JSON 404 of every other path
		}
		registered = append(registered, rt.method+" "+rt.path)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(registered)
	slices.Sort(documented)
	if len(registered) < 4 {
		t.Fatalf("found only %v below /api/v1/: the route table was not read", registered)
	}
	for _, rt := range registered {
		if !slices.Contains(documented, rt) {
			t.Errorf("route %s is not in docs/openapi.yaml", rt)
		}
	}
	for _, op := range documented {
		if !slices.Contains(registered, op) {
			t.Errorf("docs/openapi.yaml describes %s, which is no route", op)
		}
	}
	// The document the server answers is the file.
	if res := s.get(t, "/api/v1/openapi.yaml"); res.status != http.StatusOK || res.body != string(docs.OpenAPI) {
		t.Errorf("GET /api/v1/openapi.yaml = %d, %d bytes", res.status, len(res.body))
	}
}

// TestOpenAPIMatchesAnswers sends real requests to the test app, a success and every error
// status of each operation, and validates each answer (and each request meant to be valid)
// against docs/openapi.yaml.
func TestOpenAPIMatchesAnswers(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	doc.Servers = openapi3.Servers{{URL: "http://reserva.test"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := newServerWith(t, Limits{API: Rate{N: 1000, Per: time.Minute}, APIAuthFail: Rate{N: 5, Per: time.Minute}})
	rw := s.apiKey(t, "Both", store.ScopeBookingsRead, store.ScopeBookingsWrite)
	reader := s.apiKey(t, "Reader", store.ScopeBookingsRead)
	writer := s.apiKey(t, "Writer", store.ScopeBookingsWrite)
	ref := s.bookingByToken(t, s.book(t, "2026-11-27T19:00", "2")).Reference
	o := s.offering(t, "dinner")
	o.Capacity = 9
	if _, err := store.SaveOffering(s.app, *o); err != nil {
		t.Fatal(err)
	}
	list := "/api/v1/bookings?from=2026-11-24&to=2026-11-30"
	good := apiBookingJSON("2026-11-28T19:00", 2, "grace@example.com")
	tests := []struct {
		name, method, target, key, body string
		headers                         []string
		want                            int
		validRequest                    bool
	}{
		{"the document", http.MethodGet, "/api/v1/openapi.yaml", "", "", nil, 200, true},
		{"list", http.MethodGet, list + "&offering=dinner&status=confirmed&limit=1", rw, "", nil, 200, true},
		{"list, last page", http.MethodGet, list, rw, "", nil, 200, true},
		{"list, bad range", http.MethodGet, "/api/v1/bookings?from=2026-11-24&to=2027-12-31", rw, "", nil, 400, true},
		{"list, no from", http.MethodGet, "/api/v1/bookings?to=2026-11-30", rw, "", nil, 400, false},
		{"list, no key", http.MethodGet, list, "", "", nil, 401, false},
		{"list, no scope", http.MethodGet, list, writer, "", nil, 403, true},
		{"one", http.MethodGet, "/api/v1/bookings/" + ref, reader, "", nil, 200, true},
		{"one, no scope", http.MethodGet, "/api/v1/bookings/" + ref, writer, "", nil, 403, true},
		{"one, unknown", http.MethodGet, "/api/v1/bookings/AAA-AAA", reader, "", nil, 404, true},
		{"one, wrong key", http.MethodGet, "/api/v1/bookings/" + ref, "rsv_aaaaaaaaaaaa_" + strings.Repeat("0", 64), "", nil, 401, true},
		{"book", http.MethodPost, "/api/v1/bookings", rw, good, []string{"Idempotency-Key", "k1"}, 201, true},
		{"book, replayed", http.MethodPost, "/api/v1/bookings", rw, good, []string{"Idempotency-Key", "k1"}, 201, true},
		{"book, key reused", http.MethodPost, "/api/v1/bookings", rw, apiBookingJSON("2026-11-28T19:00", 3, "grace@example.com"),
			[]string{"Idempotency-Key", "k1"}, 422, true},
		{"book, bad fields", http.MethodPost, "/api/v1/bookings", rw, apiBookingJSON("2026-11-30T19:00", 2, "grace@example.com"), nil, 422, true},
		{"book, full", http.MethodPost, "/api/v1/bookings", rw, apiBookingJSON("2026-11-28T19:00", 8, "late@example.com"), nil, 409, true},
		{"book, bad JSON", http.MethodPost, "/api/v1/bookings", rw, `{"offering":`, nil, 400, false},
		{"book, too large", http.MethodPost, "/api/v1/bookings", rw, `{"notes":"` + strings.Repeat("x", 20<<10) + `"}`, nil, 413, false},
		{"book, not JSON", http.MethodPost, "/api/v1/bookings", rw, "offering=dinner", []string{"Content-Type", "text/plain"}, 415, false},
		{"book, no key", http.MethodPost, "/api/v1/bookings", "", good, nil, 401, false},
		{"book, no scope", http.MethodPost, "/api/v1/bookings", reader, good, nil, 403, true},
		// The 4th and 5th failed authentication of this address, then the 6th: past its allowance.
		{"guess 4", http.MethodGet, list, "rsv_aaaaaaaaaaaa_" + strings.Repeat("1", 64), "", nil, 401, true},
		{"guess 5", http.MethodGet, list, "rsv_aaaaaaaaaaaa_" + strings.Repeat("2", 64), "", nil, 401, true},
		{"guess 6", http.MethodGet, list, "rsv_aaaaaaaaaaaa_" + strings.Repeat("3", 64), "", nil, 429, true},
		// The address is refused every request now, a right key included.
		{"one, address refused", http.MethodGet, "/api/v1/bookings/" + ref, reader, "", nil, 429, true},
		{"book, address refused", http.MethodPost, "/api/v1/bookings", rw, good, nil, 429, true},
		// From another address, once the venue is gone (noVenue below).
		{"list, no venue", http.MethodGet, list, rw, "", []string{"X-Test-Remote", "203.0.113.5"}, 503, true},
		{"one, no venue", http.MethodGet, "/api/v1/bookings/" + ref, rw, "", []string{"X-Test-Remote", "203.0.113.5"}, 503, true},
		{"book, no venue", http.MethodPost, "/api/v1/bookings", rw, good, []string{"X-Test-Remote", "203.0.113.5", "Idempotency-Key", "k9"}, 503, true},
	}
	auth := func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
			return errors.New("no bearer token")
		}
		return nil
	}
	seen := map[string]bool{}
	noVenue := false
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, "http://reserva.test"+tt.target, strings.NewReader(tt.body))
		if tt.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if tt.key != "" {
			req.Header.Set("Authorization", "Bearer "+tt.key)
		}
		for i := 0; i+1 < len(tt.headers); i += 2 {
			if tt.headers[i] == "X-Test-Remote" {
				req.RemoteAddr = tt.headers[i+1] + ":4000"
				continue
			}
			req.Header.Set(tt.headers[i], tt.headers[i+1])
		}
		if tt.want == http.StatusServiceUnavailable && !noVenue {
			// Through its record, as the superusers' dashboard would: the kept venue is dropped.
			recs, err := s.app.FindAllRecords("venue")
			if err != nil || len(recs) != 1 {
				t.Fatalf("venue: %v %v", recs, err)
			}
			if err := s.app.Delete(recs[0]); err != nil {
				t.Fatal(err)
			}
			noVenue = true
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s: no operation in the document: %v", tt.name, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: auth, MultiError: true}}
		if tt.validRequest {
			check := *req
			check.Body = nil
			if tt.body != "" {
				check.Body = httpBody(tt.body)
			}
			in.Request = &check
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("%s: the request does not match the document: %v", tt.name, err)
			}
			in.Request = req
			req.Body = httpBody(tt.body)
		}
		res := s.serve(req)
		if res.status != tt.want {
			t.Errorf("%s: %s %s = %d, want %d\n%s", tt.name, tt.method, tt.target, res.status, tt.want, res.body)
			continue
		}
		seen[route.Operation.OperationID+" "+http.StatusText(res.status)] = true
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.status, Header: res.header,
			Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}}
		out.SetBodyBytes([]byte(res.body))
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s: the answer (%d) does not match the document: %v\n%s", tt.name, res.status, err, res.body)
		}
	}
	// Every status the document lists for an operation was seen (but the document's own 429:
	// the page allowance is off here).
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code := range op.Responses.Map() {
				if code == "429" && op.OperationID == "getOpenAPI" {
					continue
				}
				n, _ := strconv.Atoi(code)
				if !seen[op.OperationID+" "+http.StatusText(n)] {
					t.Errorf("%s %s: no request got its %s", method, path, code)
				}
			}
		}
	}
}

func httpBody(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
