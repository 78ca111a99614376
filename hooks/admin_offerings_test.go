package hooks

import (
	"net/http"
	"net/url"
	"testing"
)

// An offering's own booking policy is edited with the offering and shown on its booking page
// instead of the venue's; an offering without one shows the venue's.
func TestOfferingPolicy(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	dinner := s.offering(t, "dinner")
	form := url.Values{"name": {dinner.Name}, "slug": {dinner.Slug}, "description": {dinner.Description}, "kind": {string(dinner.Kind)},
		"mode": {string(dinner.Mode)}, "active": {"yes"}, "duration": {"120"}, "interval": {"30"}, "capacity": {"40"},
		"min_party": {"1"}, "max_party": {"8"}, "buffer_before": {"0"}, "buffer_after": {"0"}, "lead_time": {"60"},
		"horizon": {"90"}, "cancel_cutoff": {"120"}, "sort": {"0"},
		"policy": {"Dinner tables are held 10 minutes.\nCancel up to two hours before."}}
	if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+dinner.ID, form); res.status != http.StatusSeeOther {
		t.Fatalf("saving the offering = %d\n%s", res.status, snippet(res.body))
	}
	if got := s.offering(t, "dinner").Policy; got != "Dinner tables are held 10 minutes.\nCancel up to two hours before." {
		t.Errorf("stored policy = %q", got)
	}
	page := s.get(t, "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00")
	mustContain(t, "dinner's booking form", page.body, "Dinner tables are held 10 minutes.")
	mustNotContain(t, "dinner's booking form", page.body, "Tables are held for 15 minutes.") // the venue's
	edit := s.as(t, cookie, http.MethodGet, "/admin/offerings/"+dinner.ID, nil)
	mustContain(t, "offering form", edit.body, `name="policy"`, "Cancel up to two hours before.")

	form.Set("policy", "bad\x00text")
	if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+dinner.ID, form); res.status != http.StatusUnprocessableEntity {
		t.Errorf("a policy with a control character = %d, want 422", res.status)
	}
	if got := s.offering(t, "dinner").Policy; got != "Dinner tables are held 10 minutes.\nCancel up to two hours before." {
		t.Errorf("a refused save changed the policy to %q", got)
	}

	// Without a policy of its own, the offering shows the venue's.
	form.Set("policy", "")
	if res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+dinner.ID, form); res.status != http.StatusSeeOther {
		t.Fatalf("clearing the policy = %d", res.status)
	}
	page = s.get(t, "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:30")
	mustContain(t, "dinner's booking form", page.body, "Tables are held for 15 minutes.")
}
