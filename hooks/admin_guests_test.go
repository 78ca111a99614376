package hooks

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"reserva/internal/store"
)

// auditCount counts the audit entries of action on target.
func (s *testServer) auditCount(t *testing.T, action, target string) int {
	t.Helper()
	var n int
	if err := s.app.DB().Select("count(*)").From("audit_log").Where(dbx.HashExp{"action": action, "target": target}).Row(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// guestWithSensitiveNote books the subject twice, once answering the offering's sensitive
// question with its consent, and returns the booking with the note and the guest's id.
func guestWithSensitiveNote(t *testing.T, s *testServer) (*store.Booking, string) {
	t.Helper()
	if _, err := s.app.DB().Update("offerings", dbx.Params{"sensitive_prompt": "Allergies?"}, dbx.HashExp{"slug": "dinner"}).Execute(); err != nil {
		t.Fatal(err)
	}
	form := bookingForm("2026-11-27T19:00", "2")
	form.Set("email", subjEmail)
	form.Set("name", subjName)
	form.Set("phone", subjPhone)
	form.Set("sensitive", "Coeliac")
	form.Set("sensitive_consent", "yes")
	b := s.bookingByToken(t, s.bookWith(t, "dinner", form))
	s.bookAs(t, "2026-11-28T19:00", "4", subjEmail, subjName, subjPhone)
	return b, b.Customer
}

// TestGuestProfilePage: a manager follows the booking page to the guest's profile, which counts
// their visits, no-shows, cancellations and upcoming bookings and lists their bookings; every
// opening is audited, and so is every edit. Tags are normalised and bounded (422 with the
// value kept), the sensitive note is kept only sealed and only under the guest's consent to a
// sensitive note (422 without it, nothing stored), and an empty note deletes it. The front
// desk sees neither the link nor the page. Unknown guests are 404, unreadable forms 400, and
// a note the server cannot open (no key) still gives a working page.
//
// Not parallel: the note needs the encryption key in the environment.
func TestGuestProfilePage(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	desk, _ := s.signedIn(t, "frontdesk")
	sensitive, guest := guestWithSensitiveNote(t, s)
	// Three more: one they came to, one they missed, one cancelled.
	for _, status := range []string{"completed", "no_show", "cancelled"} {
		id := s.bookingByToken(t, s.bookAs(t, "2026-11-26T18:00", "2", subjEmail, subjName, subjPhone)).ID
		if _, err := s.app.DB().Update("bookings", dbx.Params{"status": status}, dbx.HashExp{"id": id}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	other := s.bookingByToken(t, s.book(t, "2026-11-27T20:00", "2")) // Ada, another guest
	profile := "/admin/guests/" + guest

	page := s.as(t, mgr, http.MethodGet, "/admin/bookings/"+sensitive.ID, nil)
	mustContain(t, "manager's booking page", page.body, `href="`+profile+`"`, `data-testid="guest-profile"`)
	mustNotContain(t, "front desk's booking page", s.as(t, desk, http.MethodGet, "/admin/bookings/"+sensitive.ID, nil).body, "/admin/guests/")
	if res := s.as(t, desk, http.MethodGet, profile, nil); res.status != http.StatusForbidden {
		t.Errorf("front desk opens the profile: %d", res.status)
	}
	for _, p := range []string{"/tags", "/note"} {
		if res := s.as(t, desk, http.MethodPost, profile+p, url.Values{"tags": {"vip"}, "note": {""}}); res.status != http.StatusForbidden {
			t.Errorf("front desk posts %s: %d", p, res.status)
		}
	}

	res := s.as(t, mgr, http.MethodGet, profile, nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET the profile = %d\n%s", res.status, snippet(res.body))
	}
	mustContain(t, "profile", res.body, subjName, subjEmail, subjPhone,
		`data-testid="guest-visits">1<`, `data-testid="guest-no-shows">1<`, `data-testid="guest-cancellations">1<`,
		`data-testid="guest-upcoming">2<`, `href="/admin/bookings/`+sensitive.ID+`"`, sensitive.Reference,
		`data-testid="guest-last-visit">Thursday 26 November 2026<`, "consented to a sensitive note on Tuesday 24 November 2026", `data-testid="note-form"`)
	mustNotContain(t, "profile", res.body, other.Reference, "Coeliac", sensitive.SensitiveNotes)
	if n := s.auditCount(t, "guest.viewed", "customers/"+guest); n != 1 {
		t.Errorf("profile views audited: %d, want 1", n)
	}
	for _, p := range []string{"/admin/guests/nosuchguest0001", "/admin/guests/nosuchguest0001/tags", "/admin/guests/nosuchguest0001/note"} {
		method := http.MethodGet
		if strings.Contains(p, "/tags") || strings.Contains(p, "/note") {
			method = http.MethodPost
		}
		if res := s.as(t, mgr, method, p, url.Values{}); res.status != http.StatusNotFound {
			t.Errorf("%s %s = %d, want 404", method, p, res.status)
		}
	}

	// Tags: trimmed, invisible characters taken out, repeats kept once.
	res = s.as(t, mgr, http.MethodPost, profile+"/tags", url.Values{"tags": {" regular, VIP ,\u200bregular,,  window   seat, vip"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != profile+"?done=tags_saved" {
		t.Fatalf("POST tags = %d to %q", res.status, res.header.Get("Location"))
	}
	g, err := store.GuestProfileByID(s.app, guest)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g.Tags(), "|"); got != "regular|VIP|window seat" {
		t.Errorf("tags stored as %q", got)
	}
	if n := s.auditCount(t, "guest.tags", "customers/"+guest); n != 1 {
		t.Errorf("tag edits audited: %d, want 1", n)
	}
	page = s.as(t, mgr, http.MethodGet, profile+"?done=tags_saved", nil)
	mustContain(t, "profile with tags", page.body, "The tags are saved.", "<li>regular</li>", "<li>VIP</li>", `value="regular, VIP, window seat"`)
	for _, bad := range []struct{ tags, want string }{
		{"a,b,c,d,e,f,g,h,i,j,k", "at most 10 tags"},
		{"regular, " + strings.Repeat("x", 25), "24 characters"},
		{"vip\x07", "unusual characters"},
	} {
		res := s.as(t, mgr, http.MethodPost, profile+"/tags", url.Values{"tags": {bad.tags}})
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("tags %q = %d, want 422", bad.tags, res.status)
			continue
		}
		mustContain(t, "refused tags", res.body, `data-testid="tags-error"`, bad.want, `aria-invalid="true"`)
	}
	if g, _ = store.GuestProfileByID(s.app, guest); len(g.Tags()) != 3 {
		t.Errorf("refused tags changed the stored ones: %v", g.Tags())
	}
	for _, p := range []string{"/tags", "/note"} {
		req := httptest.NewRequest(http.MethodPost, profile+p, strings.NewReader("tags=%zz&note=%zz"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", mgr)
		if res := s.serve(req); res.status != http.StatusBadRequest {
			t.Errorf("an unreadable form to %s = %d, want 400", p, res.status)
		}
	}

	// The note: kept sealed under the consent of the booking's sensitive note.
	const note = "Coeliac: no gluten at all; the kitchen has a separate fryer"
	res = s.as(t, mgr, http.MethodPost, profile+"/note", url.Values{"note": {note}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != profile+"?done=note_saved" {
		t.Fatalf("POST note = %d to %q\n%s", res.status, res.header.Get("Location"), snippet(res.body))
	}
	g, _ = store.GuestProfileByID(s.app, guest)
	if g.NoteSealed == "" || strings.Contains(g.NoteSealed, "gluten") {
		t.Fatalf("the note is stored as %q, want ciphertext", g.NoteSealed)
	}
	if plain, err := store.OpenSensitive(g.NoteSealed); err != nil || plain != note {
		t.Errorf("the stored note opens to %q (%v)", plain, err)
	}
	if !g.NoteConsentAt.Time().Equal(sensitive.ConsentAt.Time()) || g.NoteNotice != sensitive.NoticeVersion {
		t.Errorf("the note rests on consent %v (notice %d), want the booking's %v (%d)", g.NoteConsentAt, g.NoteNotice,
			sensitive.ConsentAt, sensitive.NoticeVersion)
	}
	if n := s.auditCount(t, "guest.note_saved", "customers/"+guest); n != 1 {
		t.Errorf("note saves audited: %d, want 1", n)
	}
	page = s.as(t, mgr, http.MethodGet, profile, nil)
	mustContain(t, "profile with a note", page.body, note, `data-testid="note-consent"`)
	var detail string
	_ = s.app.DB().Select("detail").From("audit_log").Where(dbx.HashExp{"action": "guest.viewed", "target": "customers/" + guest}).
		OrderBy("created DESC", "rowid DESC").Limit(1).Row(&detail)
	if !strings.Contains(detail, "sensitive note") || strings.Contains(detail, "gluten") {
		t.Errorf("the audit of a view with the note says %q", detail)
	}
	res = s.as(t, mgr, http.MethodPost, profile+"/note", url.Values{"note": {strings.Repeat("n", 2001)}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-testid="note-error"`) {
		t.Errorf("a note too long = %d", res.status)
	}

	// Another guest never consented to a sensitive note: the form says so and refuses one.
	otherProfile := "/admin/guests/" + other.Customer
	mustContain(t, "profile without consent", s.as(t, mgr, http.MethodGet, otherProfile, nil).body, `data-testid="note-no-consent"`)
	mustNotContain(t, "profile without consent", s.as(t, mgr, http.MethodGet, otherProfile, nil).body, `data-testid="note-form"`)
	res = s.as(t, mgr, http.MethodPost, otherProfile+"/note", url.Values{"note": {"Nut allergy"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a note without consent = %d, want 422", res.status)
	}
	mustContain(t, "refused note", res.body, `data-testid="note-error"`, "has not consented")
	if og, _ := store.GuestProfileByID(s.app, other.Customer); og.NoteSealed != "" {
		t.Errorf("a note was stored without consent")
	}
	if n := s.auditCount(t, "guest.note_saved", "customers/"+other.Customer); n != 0 {
		t.Errorf("a refused note was audited as saved")
	}

	// Without the key the page still works and says the note cannot be read; no note is kept.
	t.Setenv(store.EncryptionKeyEnv, "")
	page = s.as(t, mgr, http.MethodGet, profile, nil)
	if page.status != http.StatusOK {
		t.Fatalf("the profile without the key = %d", page.status)
	}
	mustContain(t, "profile without the key", page.body, `data-testid="note-unreadable"`, `data-testid="note-no-key"`)
	if res := s.as(t, mgr, http.MethodPost, profile+"/note", url.Values{"note": {"Another note"}}); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, "RESERVA_ENCRYPTION_KEY") {
		t.Errorf("a note without the key = %d", res.status)
	}
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")

	// An empty note deletes it.
	if res := s.as(t, mgr, http.MethodPost, profile+"/note", url.Values{"note": {"  "}}); res.status != http.StatusSeeOther {
		t.Fatalf("delete the note = %d", res.status)
	}
	if g, _ = store.GuestProfileByID(s.app, guest); g.NoteSealed != "" || !g.NoteConsentAt.IsZero() {
		t.Errorf("after deleting: note %q, consent %v", g.NoteSealed, g.NoteConsentAt)
	}
	if n := s.auditCount(t, "guest.note_deleted", "customers/"+guest); n != 1 {
		t.Errorf("note deletions audited: %d, want 1", n)
	}
}

// TestGuestProfileInPrivacyRequests: the export staff download for a privacy request holds the
// guest's tags and their profile note in clear (the sealed form not at all), and the erasure
// of the request takes the customer with tags and note.
//
// Not parallel: the note needs the encryption key in the environment.
func TestGuestProfileInPrivacyRequests(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	_, guest := guestWithSensitiveNote(t, s)
	const note = "Uses a wheelchair; the table by the door"
	for p, form := range map[string]url.Values{"/tags": {"tags": {"regular, quill-corner"}}, "/note": {"note": {note}}} {
		if res := s.as(t, mgr, http.MethodPost, "/admin/guests/"+guest+p, form); res.status != http.StatusSeeOther {
			t.Fatalf("POST %s = %d\n%s", p, res.status, snippet(res.body))
		}
	}
	res := s.as(t, mgr, http.MethodPost, "/admin/privacy", url.Values{"kind": {"access"}, "subject": {subjEmail},
		"channel": {"phone"}, "received": {"2026-11-23"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("log a request = %d", res.status)
	}
	req := s.gdprRequest(t, subjEmail)
	res = s.as(t, mgr, http.MethodGet, "/admin/privacy/"+req.ID+"/export", nil)
	if res.status != http.StatusOK {
		t.Fatalf("staff export = %d", res.status)
	}
	x, page := unzipExport(t, res.body)
	if len(x.Data["customers"]) != 1 {
		t.Fatalf("the export holds %d customer rows", len(x.Data["customers"]))
	}
	row := x.Data["customers"][0]
	if row["tags"] != "regular,quill-corner" || row["profile_note"] != note || row["profile_note_consent_at"] == "" {
		t.Errorf("the export's customer row: tags %q, note %q, consent %q", row["tags"], row["profile_note"], row["profile_note_consent_at"])
	}
	if _, ok := row["profile_note_sealed"]; ok {
		t.Errorf("the export shows the sealed note")
	}
	mustContain(t, "data.html", page, "quill-corner", note)

	// After the visits, the request's erasure takes the customer, tags and note with it.
	s.now = s.now.AddDate(0, 0, 7)
	_, mgr = s.signIn(t, "manager@demo.invalid", testPassword)
	res = s.as(t, mgr, http.MethodPost, "/admin/privacy", url.Values{"kind": {"erasure"}, "subject": {subjEmail},
		"channel": {"phone"}, "received": {"2026-11-30"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("log an erasure request = %d", res.status)
	}
	var erasure string
	_ = s.app.DB().Select("id").From("gdpr_requests").Where(dbx.HashExp{"kind": "erasure"}).Row(&erasure)
	if res := s.as(t, mgr, http.MethodPost, "/admin/privacy/"+erasure+"/erase", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("erase = %d\n%s", res.status, snippet(res.body))
	}
	var left int
	_ = s.app.DB().Select("count(*)").From("customers").Where(dbx.NewExp("id = {:id} OR tags != '' OR profile_note_sealed != ''",
		dbx.Params{"id": guest})).Row(&left)
	if left != 0 {
		t.Errorf("%d customer rows with the guest's profile left after the erasure", left)
	}
	if res := s.as(t, mgr, http.MethodGet, "/admin/guests/"+guest, nil); res.status != http.StatusNotFound {
		t.Errorf("the erased guest's profile = %d, want 404", res.status)
	}
}

// TestPurgeGuestProfiles: the retention purge deletes a customer whose bookings all outlived
// the period, tags and note with the row (and a customer inactive for longer, tags and all);
// a customer kept by a newer booking keeps their tags but loses the profile note once the
// booking whose sensitive-note consent it rested on is anonymised; a note whose consent still
// stands (a newer booking with a sensitive note) stays.
func TestPurgeGuestProfiles(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	f := newPurgeFixture(t, s)
	now := s.now
	cut := now.Add(-548 * 24 * time.Hour)
	profile := func(c fixtureCustomer) {
		t.Helper()
		_, err := s.app.DB().Update("customers", dbx.Params{"tags": "regular,vip", "profile_note_sealed": "c2VhbGVkIG5vdGU=",
			"profile_note_consent_at": store.DBTime(cut.Add(-40 * 24 * time.Hour)), "profile_note_notice_version": 1},
			dbx.HashExp{"id": c.ID}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
	withSensitive := func(b *store.Booking) {
		t.Helper()
		if _, err := s.app.DB().Update("bookings", dbx.Params{"sensitive_notes": "c2VhbGVkIGFuc3dlcg=="}, dbx.HashExp{"id": b.ID}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	eve := f.customer("eve@example.com", now.Add(-24*time.Hour))
	withSensitive(f.booking(eve, cut.Add(-time.Hour), "completed")) // the consent's booking, due
	f.booking(eve, now.Add(-24*time.Hour), "completed")             // keeps eve
	profile(eve)
	fay := f.customer("fay@example.com", cut.Add(-time.Hour))
	withSensitive(f.booking(fay, cut.Add(-time.Hour), "completed"))
	profile(fay)
	gus := f.customer("gus@example.com", now.Add(-24*time.Hour))
	f.booking(gus, cut.Add(-time.Hour), "completed")
	withSensitive(f.booking(gus, now.Add(-24*time.Hour), "completed")) // the consent stands
	profile(gus)
	hal := f.customer("hal@example.com", cut.Add(-time.Hour)) // no bookings, inactive
	profile(hal)

	if _, err := s.jobs.Purge(now, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []fixtureCustomer{fay, hal} {
		if f.exists("customers", c.ID) {
			t.Errorf("%s: the customer (with tags and note) was kept", c.Email)
		}
	}
	for _, c := range []struct {
		cust     fixtureCustomer
		keepNote bool
	}{{eve, false}, {gus, true}} {
		g, err := store.GuestProfileByID(s.app, c.cust.ID)
		if err != nil {
			t.Fatalf("%s: %v", c.cust.Email, err)
		}
		if strings.Join(g.Tags(), ",") != "regular,vip" {
			t.Errorf("%s: tags %v after the purge, want them kept", c.cust.Email, g.Tags())
		}
		if kept := g.NoteSealed != "" && !g.NoteConsentAt.IsZero() && g.NoteNotice == 1; kept != c.keepNote {
			t.Errorf("%s: note kept = %v (%q, %v), want %v", c.cust.Email, kept, g.NoteSealed, g.NoteConsentAt, c.keepNote)
		}
		if !c.keepNote && (g.NoteSealed != "" || !g.NoteConsentAt.IsZero() || g.NoteNotice != 0) {
			t.Errorf("%s: the note's consent stays without the note: %v/%d", c.cust.Email, g.NoteConsentAt, g.NoteNotice)
		}
	}
}

// TestGuestList: managers find guests by a part of their name, address or phone and by a tag
// (any case, whole tags only; % and _ match only themselves), 50 a page, the latest active
// first, each linking to the profile; every view of the list is audited; the front desk is
// refused; an unreadable page number shows the first page.
func TestGuestList(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	desk, _ := s.signedIn(t, "frontdesk")
	for i := range 52 {
		if _, err := store.UpsertCustomer(s.app, fmt.Sprintf("Filler Guest %02d", i), fmt.Sprintf("filler%02d@example.com", i), "",
			s.now.Add(-time.Duration(i+10)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	zeb, err := store.UpsertCustomer(s.app, subjName, subjEmail, subjPhone, s.now)
	if err != nil {
		t.Fatal(err)
	}
	vipx, err := store.UpsertCustomer(s.app, "Vera Vipx", "vera@example.com", "", s.now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetGuestTags(s.app, zeb, []string{"regular", "VIP"}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetGuestTags(s.app, vipx, []string{"vipx", "50%_off"}); err != nil {
		t.Fatal(err)
	}
	if res := s.as(t, desk, http.MethodGet, "/admin/guests", nil); res.status != http.StatusForbidden {
		t.Errorf("front desk sees the guest list: %d", res.status)
	}
	if strings.Contains(s.as(t, desk, http.MethodGet, "/admin/", nil).body, `href="/admin/guests"`) {
		t.Errorf("the front desk's navigation links the guest list")
	}

	list := func(query string) response {
		t.Helper()
		res := s.as(t, mgr, http.MethodGet, "/admin/guests"+query, nil)
		if res.status != http.StatusOK {
			t.Fatalf("GET /admin/guests%s = %d\n%s", query, res.status, snippet(res.body))
		}
		return res
	}
	first := list("")
	mustContain(t, "the first page", first.body, "54 guests", `href="/admin/guests/`+zeb+`"`, `href="/admin/guests?page=2"`,
		`href="/admin/guests?tag=VIP"`)
	if strings.Index(first.body, subjName) > strings.Index(first.body, "Vera Vipx") {
		t.Errorf("the latest active guest is not listed first")
	}
	mustNotContain(t, "the first page", first.body, "Filler Guest 51")
	mustContain(t, "the second page", list("?page=2").body, "Filler Guest 51")
	mustContain(t, "an unreadable page", list("?page=x").body, subjName)
	for _, tt := range []struct {
		query      string
		want, lack []string
	}{
		{"?q=quillfeather", []string{subjName, "1 guest"}, []string{"Vera Vipx", "Filler"}},
		{"?q=7946", []string{subjName}, []string{"Vera Vipx"}},
		{"?q=vera%40example", []string{"Vera Vipx"}, []string{subjName}},
		{"?tag=vip", []string{subjName}, []string{"Vera Vipx"}},
		{"?tag=VIPX", []string{"Vera Vipx"}, []string{subjName}},
		{"?tag=50%25_off", []string{"Vera Vipx"}, []string{subjName}},
		{"?tag=50__off", []string{"0 guests"}, []string{"Vera Vipx"}},
		{"?q=%25", []string{"0 guests"}, []string{subjName}},
		{"?q=quill&tag=regular", []string{subjName}, []string{"Vera Vipx"}},
	} {
		res := list(tt.query)
		mustContain(t, tt.query, res.body, tt.want...)
		mustNotContain(t, tt.query, res.body, tt.lack...)
	}
	if n := s.auditCount(t, "guest.list_viewed", "guests"); n != 12 {
		t.Errorf("list views audited: %d, want 12", n)
	}
}
