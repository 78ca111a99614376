package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"reserva/internal/store"

	"github.com/pocketbase/dbx"
)

// TestPrivacyRequestQueue: a manager logs a request that came by phone (the privacy address is
// told), the queue marks it overdue after a month and every staff page says so; the subject's
// export is downloaded (audited); their erasure is refused while their booking is ahead and
// done after it, the request closed and the subject replaced by a pseudonym; a visitor's own
// export appears as a done self-service request. A front-desk member cannot see the queue.
func TestPrivacyRequestQueue(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.setVenue(t, func(f *store.VenueFields) { f.GDPREmail = "privacy@demo.invalid" })
	s.bookAs(t, "2026-11-27T19:00", "2", subjEmail, subjName, subjPhone)
	cookie, _ := s.signedIn(t, "manager")
	desk, _ := s.signedIn(t, "frontdesk")
	if res := s.as(t, desk, http.MethodGet, "/admin/privacy", nil); res.status != http.StatusForbidden {
		t.Errorf("front desk sees the queue: %d", res.status)
	}

	for _, bad := range []url.Values{
		{"kind": {"erasure"}, "subject": {"not-an-address"}, "channel": {"phone"}, "received": {"2026-11-23"}},
		{"kind": {"erasure"}, "subject": {subjEmail}, "channel": {"phone"}, "received": {"2026-12-01"}},
		{"kind": {"gossip"}, "subject": {subjEmail}, "channel": {"phone"}, "received": {"2026-11-23"}},
	} {
		if res := s.as(t, cookie, http.MethodPost, "/admin/privacy", bad); res.status != http.StatusUnprocessableEntity {
			t.Errorf("bad request %v = %d, want 422", bad, res.status)
		}
	}
	res := s.as(t, cookie, http.MethodPost, "/admin/privacy", url.Values{"kind": {"erasure"}, "subject": {strings.ToUpper(subjEmail)},
		"channel": {"phone"}, "received": {"2026-11-23"}, "notes": {"Called the restaurant; identity checked by booking reference."}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("log a request = %d\n%s", res.status, snippet(res.body))
	}
	req := s.gdprRequest(t, subjEmail)
	if req.Due != "2026-12-23" || req.Status != store.RequestOpen {
		t.Fatalf("the logged request: %+v", req)
	}
	var told int
	_ = s.app.DB().Select("count(*)").From("outbox").Where(dbx.HashExp{"to_email": "privacy@demo.invalid", "kind": "alert"}).Row(&told)
	if told != 1 {
		t.Errorf("the privacy address got %d mails, want 1", told)
	}
	if res := s.as(t, cookie, http.MethodGet, "/admin/privacy", nil); strings.Contains(res.body, `data-testid="overdue"`) {
		t.Errorf("a fresh request is marked overdue")
	}

	// Export, audited.
	res = s.as(t, cookie, http.MethodGet, "/admin/privacy/"+req.ID+"/export", nil)
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/zip" || !strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("staff export = %d %s", res.status, res.header.Get("Content-Type"))
	}
	var audited int
	_ = s.app.DB().Select("count(*)").From("audit_log").Where(dbx.HashExp{"action": "privacy.export", "target": "gdpr_requests/" + req.ID}).Row(&audited)
	if audited != 1 {
		t.Errorf("the staff export is not audited")
	}

	// Erasure while the dinner is ahead: refused, nothing changed.
	res = s.as(t, cookie, http.MethodPost, "/admin/privacy/"+req.ID+"/erase", url.Values{})
	if res.status != http.StatusConflict || !strings.Contains(res.body, "still ahead") {
		t.Fatalf("erase with a booking ahead = %d\n%s", res.status, snippet(res.body))
	}
	var kept int
	_ = s.app.DB().Select("count(*)").From("bookings").Where(dbx.HashExp{"email": subjEmail, "name": subjName}).Row(&kept)
	if kept != 1 {
		t.Fatal("a refused erasure changed the booking")
	}

	// A month later: overdue, shown on every staff page.
	s.now = time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)
	_, cookie = s.signIn(t, "manager@demo.invalid", testPassword) // the old session has expired
	res = s.as(t, cookie, http.MethodGet, "/admin/privacy", nil)
	mustContain(t, "queue", res.body, `data-testid="overdue"`, "past their due date")
	mustContain(t, "today page", s.as(t, cookie, http.MethodGet, "/admin/", nil).body, "past their due date")

	if res := s.as(t, cookie, http.MethodPost, "/admin/privacy/"+req.ID+"/erase", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("erase after the dinner = %d\n%s", res.status, snippet(res.body))
	}
	req, _ = store.RequestByID(s.app, req.ID)
	if req.Status != store.RequestDone || req.Subject != store.Pseudonym(subjEmail) || req.HandledBy == "" {
		t.Errorf("after the erasure the request is %s for %s", req.Status, req.Subject)
	}
	_ = s.app.DB().Select("count(*)").From("bookings").Where(dbx.HashExp{"email": subjEmail}).Row(&kept)
	if kept != 0 {
		t.Errorf("the erasure left the booking's address")
	}
	if res := s.as(t, cookie, http.MethodGet, "/admin/", nil); strings.Contains(res.body, "past their due date") {
		t.Errorf("the banner stays after the request is done")
	}

	// A visitor's own export shows as a done self-service request.
	s.bookAs(t, "2026-12-27T19:00", "2", "other.guest@example.com", "Other Guest", "")
	visitor := s.accountSignIn(t, "other.guest@example.com")
	s.readExport(t, visitor)
	self := s.gdprRequest(t, "other.guest@example.com")
	if self.Channel != store.ChannelSelfService || self.Status != store.RequestDone || self.Kind != store.RequestAccess {
		t.Errorf("the self-service export is not in the queue: %+v", self)
	}
}
