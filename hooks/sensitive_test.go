package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"reserva/internal/store"

	"github.com/pocketbase/dbx"
)

// TestSensitiveNotes: an offering asks for allergies; the answer needs its own consent, is
// stored only sealed (AES-256-GCM), never appears in mails or the CSV export, is readable by a
// manager (each reading audited) and not by the front desk, is in the guest's own export in
// clear, and goes with an erasure. Without an encryption key an offering cannot ask.
func TestSensitiveNotes(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, "")
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	var dinner string
	_ = s.app.DB().Select("id").From("offerings").Where(dbx.HashExp{"slug": "dinner"}).Row(&dinner)
	offeringForm := func(prompt string) url.Values {
		return url.Values{"name": {"Dinner"}, "slug": {"dinner"}, "kind": {"slot"}, "mode": {"people"}, "active": {"yes"},
			"duration": {"120"}, "interval": {"30"}, "capacity": {"40"}, "min_party": {"1"}, "max_party": {"8"},
			"buffer_before": {"0"}, "buffer_after": {"0"}, "lead_time": {"60"}, "horizon": {"90"}, "cancel_cutoff": {"120"},
			"sort": {"1"}, "sensitive_prompt": {prompt}}
	}
	if res := s.as(t, mgr, http.MethodPost, "/admin/offerings/"+dinner, offeringForm("Allergies or access needs?")); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, "RESERVA_ENCRYPTION_KEY") {
		t.Fatalf("a sensitive question without a key = %d", res.status)
	}
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	if res := s.as(t, mgr, http.MethodPost, "/admin/offerings/"+dinner, offeringForm("Allergies or access needs?")); res.status != http.StatusSeeOther {
		t.Fatalf("save the question = %d\n%s", res.status, snippet(res.body))
	}
	page := s.get(t, "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00")
	mustContain(t, "booking form", page.body, "Allergies or access needs?", `name="sensitive_consent"`)

	const secret = "Severe peanut allergy; wheelchair user"
	form := bookingForm("2026-11-27T19:00", "2")
	form.Set("email", subjEmail)
	form.Set("sensitive", secret)
	if res := s.post(t, "/book/dinner", form); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "sensitive_consent-error") {
		t.Fatalf("a sensitive note without its consent = %d", res.status)
	}
	form.Set("sensitive_consent", "yes")
	rec := s.bookingByToken(t, s.bookWith(t, "dinner", form))
	stored := rec.SensitiveNotes
	if stored == "" || strings.Contains(stored, "peanut") {
		t.Fatalf("the note is stored as %q, want ciphertext", stored)
	}
	if plain, err := store.OpenSensitive(stored); err != nil || plain != secret {
		t.Fatalf("the stored note opens to %q (%v)", plain, err)
	}
	if _, err := s.jobs.Deliver(50); err != nil {
		t.Fatal(err)
	}
	var leaked int
	_ = s.app.DB().Select("count(*)").From("outbox").Where(dbx.Or(dbx.Like("text", "peanut"), dbx.Like("html", "peanut"))).Row(&leaked)
	for _, m := range s.relay.messages() {
		if strings.Contains(m.Text+m.HTML, "peanut") {
			leaked++
		}
	}
	if leaked != 0 || len(s.relay.messages()) == 0 {
		t.Errorf("%d of %d mails carry the sensitive note", leaked, len(s.relay.messages()))
	}
	if res := s.as(t, mgr, http.MethodGet, "/admin/export?from=2026-11-01&to=2026-12-31", nil); strings.Contains(res.body, "peanut") {
		t.Errorf("the CSV export carries the sensitive note")
	}

	desk, _ := s.signedIn(t, "frontdesk")
	deskPage := s.as(t, desk, http.MethodGet, "/admin/bookings/"+rec.ID, nil)
	mustContain(t, "front desk's booking page", deskPage.body, "a manager can read it")
	mustNotContain(t, "front desk's booking page", deskPage.body, "peanut", "/sensitive")
	if res := s.as(t, desk, http.MethodGet, "/admin/bookings/"+rec.ID+"/sensitive", nil); res.status != http.StatusForbidden {
		t.Errorf("front desk reads the note: %d", res.status)
	}
	mustNotContain(t, "manager's booking page", s.as(t, mgr, http.MethodGet, "/admin/bookings/"+rec.ID, nil).body, "peanut")
	for range 2 {
		res := s.as(t, mgr, http.MethodGet, "/admin/bookings/"+rec.ID+"/sensitive", nil)
		mustContain(t, "the note", res.body, secret)
	}
	var views int
	_ = s.app.DB().Select("count(*)").From("audit_log").Where(dbx.HashExp{"action": "booking.sensitive_viewed", "target": "bookings/" + rec.ID}).Row(&views)
	if views != 2 {
		t.Errorf("%d readings audited, want 2", views)
	}

	cookie := s.accountSignIn(t, subjEmail)
	x, _ := s.readExport(t, cookie)
	if len(x.Data["bookings"]) != 1 || x.Data["bookings"][0]["sensitive_notes"] != secret {
		t.Errorf("the guest's export lacks their note in clear: %v", x.Data["bookings"])
	}
}
