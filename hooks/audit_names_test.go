package hooks

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"reserva/internal/store"
	"reserva/views"
)

// Every action the code writes to the audit log has a name people read: the source is read for
// the actions passed to store.Audit and staffAudit.
func TestEveryAuditActionHasAName(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{"*.go", "../internal/*/*.go", "../main.go"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	written := regexp.MustCompile(`(?:staffAudit\([^"\n]*|Action:\s*)"([a-z_]+\.[a-z_]+)"`)
	actions := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range written.FindAllStringSubmatch(string(src), -1) {
			actions[m[1]] = true
		}
	}
	// Built from a request's status (admin_privacy.go).
	delete(actions, "privacy.request_")
	for _, s := range []store.RequestStatus{store.RequestDone, store.RequestRefused} {
		actions["privacy.request_"+string(s)] = true
	}
	if len(actions) < 40 {
		t.Fatalf("found only %d audit actions in the source: the pattern no longer matches how they are written", len(actions))
	}
	l := views.NewLocale("en")
	for a := range actions {
		if name := views.AuditAction(l, a); name == a || strings.Contains(name, "⟦") {
			t.Errorf("audit action %q has no name (%q)", a, name)
		}
	}
}

// A booking's history names what happened and who did it in words.
func TestBookingHistoryInWords(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")
	id := s.bookingByToken(t, token).ID
	cookie, staff := s.signedIn(t, "frontdesk")
	s.as(t, cookie, http.MethodGet, "/admin/bookings/"+id, nil)
	if res := s.as(t, cookie, http.MethodPost, "/admin/bookings/"+id+"/checkin", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("check-in = %d", res.status)
	}
	edit := url.Values{"name": {"Ada King"}, "email": {"ada@example.com"}, "phone": {"+44 20 7946 0000"}, "notes": {"Window seat, please"}}
	if res := s.as(t, cookie, http.MethodPost, "/admin/bookings/"+id, edit); res.status != http.StatusSeeOther {
		t.Fatalf("edit = %d\n%s", res.status, snippet(res.body))
	}
	page := s.as(t, cookie, http.MethodGet, "/admin/bookings/"+id, nil)
	hist := page.body[strings.Index(page.body, `data-testid="history"`):]
	mustContain(t, "history", hist, "The guest · Booking made", staff.Name()+" · Booking viewed",
		staff.Name()+" · Booking status changed Confirmed → Checked in", staff.Name()+" · Booking details edited Name")
	mustNotContain(t, "history", hist, "booking.viewed", "booking.create", "staff:", "visitor", "checked_in", "confirmed →")

	owner, _ := s.signedIn(t, "owner")
	audit := s.as(t, owner, http.MethodGet, "/admin/audit?action=booking.viewed", nil)
	mustContain(t, "audit page", audit.body, "Booking viewed", `<code class="muted">booking.viewed</code>`, staff.Name())
}

// Every part of a person's export has a name in the readable copy.
func TestEveryExportSectionHasAName(t *testing.T) {
	t.Parallel()
	for _, c := range store.ExportCollections() {
		if _, ok := views.ExportSectionNames[c]; !ok {
			t.Errorf("the export's %q has no name in views.ExportSectionNames", c)
		}
	}
}
