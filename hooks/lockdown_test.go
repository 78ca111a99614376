package hooks

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// TestRESTAPIIsClosedToAnonymousVisitors walks every collection in the schema, so a collection
// added later is covered without touching this test: as anonymous, list, view, create, update
// and delete through PocketBase's REST API must answer 403 or 404, and never show a record.
func TestRESTAPIIsClosedToAnonymousVisitors(t *testing.T) {
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
		if recs, err := s.app.FindRecordsByFilter(c.Name, "", "", 1, 0); err == nil && len(recs) == 1 {
			id = recs[0].Id
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
		if c.IsAuth() && c.Name != core.CollectionNameSuperusers {
			t.Errorf("auth collection %q exists: only superusers (and later staff, by issue) may sign in", c.Name)
		}
	}
	if n, _ := s.app.CountRecords("bookings"); n != 1 {
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
