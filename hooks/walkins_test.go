package hooks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"reserva/internal/jobs"
)

// TestWalkinQueue: the front desk adds parties at the door (bad input refused), sees them in
// order with the time their table should be ready, tells one "table ready" by mail and by SMS
// through the venue's webhook (a real HTTP server here, with its bearer token), seats, skips
// and removes with one click; a party without any contact cannot be notified (409); the
// names go a day after the evening.
func TestWalkinQueue(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []map[string]string
	var auth string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		got, auth = append(got, m), r.Header.Get("Authorization")
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hook.Close()
	s := newServerOpts(t, func(o *options) {
		o.texts = smsGateway(t, map[string]string{jobs.SMSWebhookEnv: hook.URL + "/send", jobs.SMSWebhookTokenEnv: "gateway-secret"})
	})
	desk, _ := s.signedIn(t, "frontdesk")

	for _, bad := range []url.Values{
		{"name": {""}, "party": {"2"}},
		{"name": {"Ola"}, "party": {"0"}},
		{"name": {"Ola"}, "party": {"2"}, "wait": {"999"}},
		{"name": {"Ola"}, "party": {"2"}, "phone": {"call me"}},
	} {
		if res := s.as(t, desk, http.MethodPost, "/admin/walkins", bad); res.status != http.StatusUnprocessableEntity {
			t.Errorf("walk-in %v = %d, want 422", bad, res.status)
		}
	}
	for _, f := range []url.Values{
		{"name": {"Ola Nordmann"}, "party": {"4"}, "wait": {"20"}, "phone": {"+47 912 34 567"}, "email": {"ola@example.com"}},
		{"name": {"Kari"}, "party": {"2"}, "wait": {"35"}},
		{"name": {"Per"}, "party": {"3"}, "wait": {"45"}, "email": {"per@example.com"}},
	} {
		if res := s.as(t, desk, http.MethodPost, "/admin/walkins", f); res.status != http.StatusSeeOther {
			t.Fatalf("add %v = %d\n%s", f, res.status, snippet(res.body))
		}
	}
	page := s.as(t, desk, http.MethodGet, "/admin/walkins", nil)
	// testNow is 09:00 UTC, 10:00 in Berlin: Ola's table in 20 minutes.
	// With the SMS gateway set (above) the phone's hint says what it is for, in words.
	mustContain(t, "queue", page.body, "Ola Nordmann", "10:20", "Kari", "10:35", "For &#34;table ready&#34; by text message.")
	mustNotContain(t, "queue", page.body, "set up: true", "set up: false")
	if strings.Index(page.body, "Ola Nordmann") > strings.Index(page.body, "Kari") {
		t.Error("the queue is not in arrival order")
	}
	id := func(name string) string {
		var id string
		_ = s.app.DB().Select("id").From("walkins").Where(dbx.HashExp{"name": name}).Row(&id)
		return id
	}
	if res := s.as(t, desk, http.MethodPost, "/admin/walkins/"+id("Ola Nordmann")+"/notify", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("notify = %d\n%s", res.status, snippet(res.body))
	}
	mu.Lock()
	if len(got) != 1 || got[0]["to"] != "+4791234567" || !strings.Contains(got[0]["text"], "table at Demo Bistro") || auth != "Bearer gateway-secret" {
		t.Errorf("the SMS webhook got %v (auth %q)", got, auth)
	}
	mu.Unlock()
	var mails int
	_ = s.app.DB().Select("count(*)").From("outbox").Where(dbx.HashExp{"kind": "walkin", "to_email": "ola@example.com"}).Row(&mails)
	if mails != 1 {
		t.Errorf("%d table-ready mails, want 1", mails)
	}
	if res := s.as(t, desk, http.MethodPost, "/admin/walkins/"+id("Kari")+"/notify", url.Values{}); res.status != http.StatusConflict {
		t.Errorf("notify a party without contact = %d, want 409", res.status)
	}
	for name, action := range map[string]string{"Ola Nordmann": "seat", "Kari": "skip", "Per": "remove"} {
		if res := s.as(t, desk, http.MethodPost, "/admin/walkins/"+id(name)+"/"+action, url.Values{}); res.status != http.StatusSeeOther {
			t.Errorf("%s %s = %d", action, name, res.status)
		}
	}
	var open int
	_ = s.app.DB().Select("count(*)").From("walkins").Where(dbx.In("status", "waiting", "notified")).Row(&open)
	if open != 0 {
		t.Errorf("%d parties still waiting", open)
	}
	s.now = s.now.Add(25 * time.Hour)
	if res, err := s.jobs.ProcessWaitlist(s.now); err != nil || res.Deleted != 3 {
		t.Errorf("a day later: %+v (%v), want the 3 walk-ins deleted", res, err)
	}
}
