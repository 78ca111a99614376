package hooks

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// TestRESTAPIIsClosedToAnonymousVisitors walks every collection in the schema, so a collection
// added later is covered without touching this test: as anonymous, list, view, create, update
// and delete through PocketBase's REST API must answer 403 or 404, and never show a record.
func TestRESTAPIIsClosedToAnonymousVisitors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.book(t, "2026-11-27T19:00", "2")
	cols, err := s.app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 8 {
		t.Fatalf("found %d collections, want at least Reserva's 8", len(cols))
	}
	for _, c := range cols {
		if c.Name == "users" {
			t.Errorf("the default users collection exists: public sign-up must not")
		}
		{
			for rule, v := range map[string]*string{"list": c.ListRule, "view": c.ViewRule, "create": c.CreateRule, "update": c.UpdateRule, "delete": c.DeleteRule} {
				if v != nil {
					t.Errorf("%s.%sRule = %q, want nil (superusers only)", c.Name, rule, *v)
				}
			}
		}
		id := "doesnotexist123"
		var first string
		if err := s.app.DB().NewQuery("SELECT id FROM " + c.Name + " LIMIT 1").Row(&first); err == nil {
			id = first
		}
		base := "/api/collections/" + c.Name + "/records"
		for _, tc := range []struct{ method, target, body string }{
			{http.MethodGet, base, ""},
			{http.MethodGet, base + "/" + id, ""},
			{http.MethodPost, base, `{"name":"x","email":"x@example.com","password":"correct horse battery","passwordConfirm":"correct horse battery"}`},
			{http.MethodPatch, base + "/" + id, `{"name":"x"}`},
			{http.MethodDelete, base + "/" + id, ""},
		} {
			res := s.doBody(t, tc.method, tc.target, "application/json", tc.body)
			if res.status != http.StatusForbidden && res.status != http.StatusNotFound {
				t.Errorf("%s %s as anonymous = %d, want 403 or 404\n%s", tc.method, tc.target, res.status, res.body)
			}
			if id != "doesnotexist123" && strings.Contains(res.body, id) {
				t.Errorf("%s %s leaked record %s", tc.method, tc.target, id)
			}
		}
		if c.IsAuth() && c.Name != core.CollectionNameSuperusers && c.Name != "staff" {
			t.Errorf("auth collection %q exists: only superusers and staff may sign in", c.Name)
		}
		if c.Name == "staff" && (c.PasswordAuth.Enabled || c.OTP.Enabled || c.OAuth2.Enabled) {
			t.Errorf("PocketBase's own sign-in is on for staff: they sign in at /admin/login only")
		}
	}
	if n := s.count(t, "bookings", dbx.NewExp("1=1")); n != 1 {
		t.Errorf("bookings = %d after the walk, want 1 (nothing created or deleted)", n)
	}
	// Sign-up for the default collection name is gone, and the admin-only APIs stay closed.
	for _, target := range []string{"/api/collections/users/records", "/api/collections/users/auth-methods", "/api/collections", "/api/settings", "/api/logs", "/api/backups"} {
		res := s.get(t, target)
		if res.status != http.StatusUnauthorized && res.status != http.StatusForbidden && res.status != http.StatusNotFound {
			t.Errorf("GET %s as anonymous = %d, want 401, 403 or 404", target, res.status)
		}
	}
}

// route is one registered route of the router.
type route struct{ method, path string }

// routeTable lists every route of r, PocketBase's included. The router keeps its tree
// unexported, so the test reads it by reflection: a route PocketBase adds in an upgrade is then
// walked by TestEveryAPIRouteRefusesAnonymous without anyone listing it by hand.
func routeTable(r *router.Router[*core.RequestEvent]) []route {
	var out []route
	var walk func(g *router.RouterGroup[*core.RequestEvent], prefix string)
	walk = func(g *router.RouterGroup[*core.RequestEvent], prefix string) {
		f := reflect.ValueOf(g).Elem().FieldByName("children")
		children := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().([]any)
		for _, c := range children {
			switch v := c.(type) {
			case *router.RouterGroup[*core.RequestEvent]:
				walk(v, prefix+v.Prefix)
			case *router.Route[*core.RequestEvent]:
				out = append(out, route{v.Method, prefix + v.Path})
			}
		}
	}
	walk(r.RouterGroup, "")
	return out
}

// anonymousOK are the PocketBase API routes an anonymous visitor may use successfully, each
// with why that is safe. Every other /api/ route must refuse.
var anonymousOK = map[string]string{
	"GET /api/health": "a liveness answer without data",
	"GET /api/collections/_superusers/auth-methods":            "lists how superusers sign in (password, OTP); no account data",
	"POST /api/collections/_superusers/request-password-reset": "answers the same for any address; the link goes to the superuser's mailbox",
	"POST /api/collections/_superusers/request-otp":            "superusers sign in with MFA: a code by mail; the answer is the same for any address",
	"GET /api/oauth2-redirect":                                 "the OAuth2 callback: without a sign-in under way it only redirects to an error page",
	"POST /api/oauth2-redirect":                                "the same callback, form-post variant",
	"GET /api/v1/openapi.yaml":                                 "the booking API's description (docs/openapi.yaml); no data",
}

func TestEveryAPIRouteRefusesAnonymous(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	r, err := apis.NewRouter(s.app)
	if err != nil {
		t.Fatal(err)
	}
	se := &core.ServeEvent{App: s.app, Router: r}
	if err := s.app.OnServe().Trigger(se, func(*core.ServeEvent) error { return nil }); err != nil {
		t.Fatal(err)
	}
	cols, err := s.app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	rec := s.bookingByToken(t, token)
	sawOK := map[string]bool{}
	walked := 0
	for _, rt := range routeTable(r) {
		if !strings.HasPrefix(rt.path, "/api/") || strings.HasPrefix(rt.path, "/api/reserva/") {
			continue
		}
		method := rt.method
		if method == "" {
			method = http.MethodGet
		}
		targets := []string{rt.path}
		if strings.Contains(rt.path, "{collection}") {
			targets = targets[:0]
			for _, c := range cols {
				targets = append(targets, strings.ReplaceAll(rt.path, "{collection}", c.Name))
			}
		}
		for _, target := range targets {
			target = strings.NewReplacer("{id}", rec.ID, "{recordId}", rec.ID, "{filename}", "x.txt",
				"{key}", "x.zip", "{path...}", "x", "{provider}", "google").Replace(target)
			if method == http.MethodGet && target == "/api/realtime" {
				sawOK[method+" "+target] = true // streams; see TestRealtimeSendsAnonymousClientsNothing
				continue
			}
			res := s.doBody(t, method, target, "application/json", `{"email":"someone@example.com","password":"x","identity":"x"}`)
			walked++
			name := method + " " + target
			switch {
			case res.status >= 500:
				t.Errorf("%s as anonymous = %d", name, res.status)
			case res.status < 400 && anonymousOK[name] == "":
				t.Errorf("%s as anonymous = %d, want a refusal (4xx)\n%.300s", name, res.status, res.body)
			case res.status < 400:
				sawOK[name] = true
			}
			if strings.Contains(res.body, rec.ID) || strings.Contains(res.body, "ada@example.com") {
				t.Errorf("%s leaked the booking", name)
			}
		}
	}
	if walked < 100 {
		t.Errorf("walked only %d API requests: the route table was not read", walked)
	}
	for name := range anonymousOK {
		if !sawOK[name] {
			t.Errorf("allow-list entry %q matched no route that answered 2xx: remove it", name)
		}
	}
}
