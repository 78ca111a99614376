package hooks

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"reserva/internal/booking"
	"reserva/internal/store"

	"github.com/pocketbase/dbx"
)

// The subject of the account tests: values found nowhere else in the database.
const (
	subjEmail = "zebedee.quill@example.com"
	subjName  = "Zebedee Quillfeather"
	subjPhone = "+44 20 7946 0991"
)

var signinLink = regexp.MustCompile(`/account/([A-Za-z0-9_-]{43})`)

// bookAs books the demo dinner at start as the subject.
func (s *testServer) bookAs(t *testing.T, start, party, email, name, phone string) string {
	t.Helper()
	form := bookingForm(start, party)
	form.Set("email", email)
	form.Set("name", name)
	form.Set("phone", phone)
	return s.bookWith(t, "dinner", form)
}

// accountSignIn asks for a link for email, reads it from the outbox, signs in with it and
// returns the session cookie.
func (s *testServer) accountSignIn(t *testing.T, email string) string {
	t.Helper()
	if res := s.post(t, "/account", url.Values{"email": {email}}); res.status != http.StatusOK || !strings.Contains(res.body, `data-testid="account-sent"`) {
		t.Fatalf("POST /account = %d\n%s", res.status, snippet(res.body))
	}
	var text string
	if err := s.app.DB().Select("text").From("outbox").Where(dbx.HashExp{"kind": "signin", "to_email": strings.ToLower(email)}).
		OrderBy("created DESC", "rowid DESC").Limit(1).Row(&text); err != nil {
		t.Fatalf("no sign-in mail for %s: %v", email, err)
	}
	m := signinLink.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("the sign-in mail has no link:\n%s", text)
	}
	// Opening the link changes nothing: a mail scanner may open it first.
	for range 2 {
		if res := s.get(t, "/account/"+m[1]); res.status != http.StatusOK || !strings.Contains(res.body, `data-testid="account-signin"`) {
			t.Fatalf("GET the link = %d", res.status)
		}
	}
	res := s.post(t, "/account/"+m[1], url.Values{})
	if res.status != http.StatusSeeOther {
		t.Fatalf("POST the link = %d\n%s", res.status, snippet(res.body))
	}
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == accountCookie && c.Value != "" {
			if !c.HttpOnly || c.Path != "/account" || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie %+v: want HttpOnly, Path=/account, SameSite=Lax", c)
			}
			if again := s.post(t, "/account/"+m[1], url.Values{}); again.status != http.StatusNotFound {
				t.Errorf("a used link = %d, want 404", again.status)
			}
			return c.Name + "=" + c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// readExport downloads and unpacks the signed-in visitor's export.
func (s *testServer) readExport(t *testing.T, cookie string) (subjectExport, string) {
	t.Helper()
	res := s.as(t, cookie, http.MethodGet, "/account/export", nil)
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export = %d %s", res.status, res.header.Get("Content-Type"))
	}
	return unzipExport(t, res.body)
}

// unzipExport unpacks a person's export (a zip of data.json and data.html).
func unzipExport(t *testing.T, body string) (subjectExport, string) {
	t.Helper()
	z, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		files[f.Name] = string(b)
	}
	var x subjectExport
	if err := json.Unmarshal([]byte(files["data.json"]), &x); err != nil {
		t.Fatalf("data.json: %v", err)
	}
	if !strings.Contains(files["data.html"], "<table>") {
		t.Fatalf("data.html is not a readable copy:\n%.500s", files["data.html"])
	}
	return x, files["data.html"]
}

// TestPersonalFieldsAreExportedAndErased gives one person data in every collection that holds
// personal data, checks that the export holds each declared field with its stored value, then,
// once their booking has passed, erases them: every declared field is cleared or its row gone,
// the bookings still count, and the raw bytes of data.db and its WAL hold none of their e-mail
// address, name or phone.
//
// Not parallel: the sensitive note needs the encryption key in the environment.
func TestPersonalFieldsAreExportedAndErased(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	s := newServer(t)
	s.setVenue(t, func(f *store.VenueFields) { f.NotifyEmail = "kitchen@demo.invalid" }) // a venue notice too
	if _, err := s.app.DB().Update("offerings", dbx.Params{"sensitive_prompt": "Allergies?", "ask_participants": true}, dbx.HashExp{"slug": "dinner"}).Execute(); err != nil {
		t.Fatal(err)
	}
	form := bookingForm("2026-11-27T19:00", "3")
	form.Set("email", subjEmail)
	form.Set("name", subjName)
	form.Set("phone", subjPhone)
	form.Set("sensitive", "Coeliac")
	form.Set("sensitive_consent", "yes")
	form.Set("guest_1", "Quentin Quillfeather")
	form.Set("guest_consent_1", "yes")
	rec := s.bookingByToken(t, s.bookWith(t, "dinner", form))
	sealedNote := rec.SensitiveNotes
	bookingID := rec.ID
	// The fields only staff or a cancellation fill.
	if _, err := s.app.DB().Update("bookings", dbx.Params{"internal_notes": "Prefers the quiet corner",
		"cancel_reason": "none yet", "override_reason": "Regular guest"}, dbx.HashExp{"id": bookingID}).Execute(); err != nil {
		t.Fatal(err)
	}
	// A waitlist entry of theirs.
	if _, _, err := store.JoinWaitlist(s.app, store.NewWaitEntry{Offering: rec.Offering, StartValue: "2026-11-28T19:00",
		Start: time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC), Party: 2, Name: subjName, Email: subjEmail, Phone: subjPhone,
		ConsentAt: s.now, NoticeVersion: 1}); err != nil {
		t.Fatal(err)
	}
	// A walk-in they were, with their address.
	day, _ := booking.ParseDate("2026-11-24")
	if _, err := store.AddWalkin(s.app, day, subjName, 2, subjPhone, subjEmail, 0, s.now); err != nil {
		t.Fatal(err)
	}
	// A request the venue logged for them.
	received, _ := booking.ParseDate("2026-11-23")
	if _, err := store.LogRequest(s.app, store.NewRequest{Kind: store.RequestAccess, Subject: subjEmail, Channel: store.ChannelPhone,
		Status: store.RequestOpen, Received: received}, s.now); err != nil {
		t.Fatal(err)
	}
	// A mail to them with an attachment, as the outbox keeps one rendered when queued.
	if err := store.QueueMail(s.app, store.NewMail{Kind: store.MailAlert, To: subjEmail, ToName: subjName, Subject: "A file for you",
		Text: "Attached.", HTML: "<p>Attached.</p>", Attachments: []store.Attachment{{Name: "note.txt", ContentType: "text/plain",
			Data: []byte("for " + subjName)}}}, s.now); err != nil {
		t.Fatal(err)
	}
	// Their guest profile: staff tags and a sensitive note under the booking's consent.
	g, err := store.GuestProfileByID(s.app, rec.Customer)
	if err != nil {
		t.Fatal(err)
	}
	consent, err := store.NoteConsentOf(s.app, g)
	if err != nil {
		t.Fatal(err)
	}
	const profileNote = "Coeliac; a separate fryer, please"
	if err := store.SetGuestTags(s.app, g.ID, []string{"regular", "quill-table"}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetGuestNote(s.app, g.ID, profileNote, consent); err != nil {
		t.Fatal(err)
	}
	if g, err = store.GuestProfileByID(s.app, g.ID); err != nil {
		t.Fatal(err)
	}
	sealedProfileNote := g.NoteSealed
	cookie := s.accountSignIn(t, subjEmail)
	x, page := s.readExport(t, cookie)
	for _, f := range store.PersonalFields {
		var want string
		err := s.app.DB().NewQuery("SELECT CAST([[" + f.Field + "]] AS TEXT) FROM " + f.Collection +
			" WHERE " + subjectWhere(f.Collection) + " AND CAST([[" + f.Field + "]] AS TEXT) NOT IN ('', '[]') LIMIT 1").
			Bind(dbx.Params{"e": subjEmail, "b": bookingID}).Row(&want)
		if err != nil || want == "" {
			t.Errorf("%s.%s: the subject has no value to export (%v): the test must fill it", f.Collection, f.Field, err)
			continue
		}
		field := f.Field
		switch f.Field {
		case "sensitive_notes":
			want = "Coeliac" // exported readable
		case "profile_note_sealed":
			field, want = "profile_note", profileNote // exported readable, named for what it holds
		}
		found := slices.ContainsFunc(x.Data[f.Collection], func(row map[string]string) bool { return row[field] == want })
		if !found {
			t.Errorf("the export lacks %s.%s = %q", f.Collection, f.Field, want)
		}
	}
	for _, hidden := range []string{"token_hash", "profile_note_sealed"} {
		for col, rows := range x.Data {
			for _, row := range rows {
				if _, ok := row[hidden]; ok {
					t.Errorf("the export shows %s.%s", col, hidden)
				}
			}
		}
	}
	mustContain(t, "data.html", page, subjName, subjPhone, "Dinner", "Quentin Quillfeather", "quill-table", profileNote)
	if len(x.Data["privacy_notices"]) != 1 || x.Data["privacy_notices"][0]["version"] != "1" || x.Data["privacy_notices"][0]["text"] == "" {
		t.Errorf("the export lacks the notice consented to: %v", x.Data["privacy_notices"])
	}

	// While the dinner is ahead, erasure is refused and nothing changes.
	res := s.as(t, cookie, http.MethodPost, "/account/erase", url.Values{})
	if res.status != http.StatusConflict {
		t.Fatalf("erase with a booking ahead = %d, want 409", res.status)
	}
	mustContain(t, "refusal", res.body, "1 upcoming booking", rec.Reference)
	if after := s.bookingByID(t, bookingID); after.Email != subjEmail || after.Name != subjName {
		t.Fatal("a refused erasure changed the booking")
	}

	// After the dinner: erased at once.
	s.now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	cookie = s.accountSignIn(t, subjEmail)
	res = s.as(t, cookie, http.MethodPost, "/account/erase", url.Values{})
	if res.status != http.StatusOK || !strings.Contains(res.body, `data-testid="account-erased"`) {
		t.Fatalf("erase = %d\n%s", res.status, snippet(res.body))
	}
	for _, f := range store.PersonalFields {
		var n int
		cond := subjectWhere(f.Collection)
		if f.Collection == "bookings" {
			cond = "id = {:b} AND CAST([[" + f.Field + "]] AS TEXT) NOT IN ('', '0')"
		}
		if err := s.app.DB().NewQuery("SELECT count(*) FROM " + f.Collection + " WHERE " + cond).
			Bind(dbx.Params{"e": subjEmail, "b": bookingID}).Row(&n); err != nil || n != 0 {
			t.Errorf("after erasure %s.%s: %d rows still hold it (%v)", f.Collection, f.Field, n, err)
		}
	}
	after := s.bookingByID(t, bookingID)
	if after.Party != 3 || after.Offering != rec.Offering || !after.Anonymised || after.Start.String() != rec.Start.String() {
		t.Fatalf("the booking no longer counts for statistics: %+v", after)
	}
	var audited int
	_ = s.app.DB().Select("count(*)").From("audit_log").Where(dbx.HashExp{"action": "gdpr.erase", "target": "customers/" + store.Pseudonym(subjEmail)}).Row(&audited)
	if audited != 1 {
		t.Errorf("erasure audit entries: %d, want 1 under a pseudonym", audited)
	}
	if res := s.as(t, cookie, http.MethodGet, "/account/export", nil); res.status != http.StatusForbidden {
		t.Errorf("the erased visitor's session still works: %d", res.status)
	}
	for _, name := range []string{"data.db", "data.db-wal"} {
		b, err := os.ReadFile(filepath.Join(s.app.DataDir(), name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, v := range []string{subjEmail, subjName, subjPhone, "Prefers the quiet corner", sealedNote, "Quentin Quillfeather",
			"quill-table", sealedProfileNote} {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s still holds %q after the erasure", name, v)
			}
		}
	}
}

// subjectWhere selects the test subject's rows of collection ({:e} their address, {:b} their booking).
func subjectWhere(collection string) string {
	switch collection {
	case "bookings":
		return "id = {:b}"
	case "outbox":
		return "(lower(to_email) = {:e} OR booking = {:b})"
	case "gdpr_requests":
		return "subject = {:e}"
	case "participants":
		return "booking = {:b}"
	}
	return "email = {:e}"
}

// TestAccountRequestDoesNotEnumerate: a known and an unknown address get the same page and
// cause the same work (one link, one mail), and take about the same time.
//
// Not parallel: the timing is compared while no other test of the package runs.
func TestAccountRequestDoesNotEnumerate(t *testing.T) {
	s := newServer(t)
	const rounds = 21
	for i := range rounds {
		if _, err := store.UpsertCustomer(s.app, "Known Guest", known(i), "", s.now); err != nil {
			t.Fatal(err)
		}
	}
	var took [2][]time.Duration
	var bodies [2]string
	for i := range rounds {
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0} // neither kind always goes first
		}
		for _, k := range order {
			email := []string{known(i), unknown(i)}[k]
			start := time.Now()
			res := s.post(t, "/account", url.Values{"email": {email}})
			took[k] = append(took[k], time.Since(start))
			if res.status != http.StatusOK {
				t.Fatalf("POST /account %s = %d", email, res.status)
			}
			bodies[k] = strings.ReplaceAll(res.body, email, "ADDRESS")
		}
	}
	if bodies[0] != bodies[1] {
		t.Errorf("the answers differ for a known and an unknown address")
	}
	for k, like := range []string{"known%", "unknown%"} {
		var links, mails int
		_ = s.app.DB().Select("count(*)").From("visitor_links").Where(dbx.Like("email", strings.TrimSuffix(like, "%")).Match(false, true)).Row(&links)
		_ = s.app.DB().Select("count(*)").From("outbox").Where(dbx.Like("to_email", strings.TrimSuffix(like, "%")).Match(false, true)).Row(&mails)
		if links != rounds || mails != rounds {
			t.Errorf("%s addresses: %d links and %d mails for %d requests, want one each", []string{"known", "unknown"}[k], links, mails, rounds)
		}
	}
	var linkMail string
	_ = s.app.DB().Select("text").From("outbox").Where(dbx.HashExp{"to_email": unknown(0)}).Row(&linkMail)
	if signinLink.MatchString(linkMail) {
		t.Errorf("an unknown address got a sign-in link")
	}
	med := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	a, b := med(took[0]), med(took[1])
	if ratio := float64(max(a, b)) / float64(min(a, b)); ratio > 2 {
		t.Errorf("median answer: known %v, unknown %v: the timing tells them apart (%.1f×)", a, b, ratio)
	}
	// A fourth request within the hour sends nothing more, with the same answer.
	for range 3 {
		s.post(t, "/account", url.Values{"email": {"flood@example.com"}})
	}
	res := s.post(t, "/account", url.Values{"email": {"flood@example.com"}})
	var n int
	_ = s.app.DB().Select("count(*)").From("visitor_links").Where(dbx.HashExp{"email": "flood@example.com"}).Row(&n)
	if res.status != http.StatusOK || n != accountLinksPerHour {
		t.Errorf("a flood of requests for one address: %d links (status %d), want %d", n, res.status, accountLinksPerHour)
	}
	if res := s.post(t, "/account", url.Values{"email": {"not an address"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("an invalid address = %d, want 422", res.status)
	}
}

func known(i int) string   { return "known" + string(rune('a'+i)) + "@example.com" }
func unknown(i int) string { return "unknown" + string(rune('a'+i)) + "@example.com" }

// TestAccountLinksSessionsAndDetails: links expire after 15 minutes, sessions after an hour;
// signed out, the account's actions are refused; a signed-in visitor corrects name and phone
// on their customer record and bookings.
func TestAccountLinksSessionsAndDetails(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.bookAs(t, "2026-11-27T19:00", "2", subjEmail, subjName, subjPhone)
	for _, p := range []string{"/account/export"} {
		if res := s.get(t, p); res.status != http.StatusForbidden {
			t.Errorf("GET %s signed out = %d, want 403", p, res.status)
		}
	}
	for _, p := range []string{"/account/erase", "/account/details"} {
		if res := s.post(t, p, url.Values{"name": {"X"}}); res.status != http.StatusForbidden {
			t.Errorf("POST %s signed out = %d, want 403", p, res.status)
		}
	}
	if res := s.get(t, "/account"); res.status != http.StatusOK || !strings.Contains(res.body, `data-testid="account-request"`) {
		t.Errorf("GET /account signed out = %d", res.status)
	}
	// An expired link.
	s.post(t, "/account", url.Values{"email": {subjEmail}})
	var text string
	_ = s.app.DB().Select("text").From("outbox").Where(dbx.HashExp{"kind": "signin"}).Row(&text)
	link := signinLink.FindStringSubmatch(text)
	s.now = s.now.Add(accountLinkTTL)
	if res := s.post(t, link[0], url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("a link after 15 minutes = %d, want 404", res.status)
	}
	if res := s.get(t, "/account/not-a-token"); res.status != http.StatusNotFound {
		t.Errorf("a malformed link = %d, want 404", res.status)
	}

	cookie := s.accountSignIn(t, strings.ToUpper(subjEmail[:1])+subjEmail[1:])
	res := s.as(t, cookie, http.MethodGet, "/account", nil)
	rec := s.bookingByToken(t, token)
	mustContain(t, "account page", res.body, rec.Reference, subjName)
	if res := s.as(t, cookie, http.MethodPost, "/account/details", url.Values{"name": {"Zeb Quill"}, "phone": {"call me"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("an invalid phone = %d, want 422", res.status)
	}
	if res := s.as(t, cookie, http.MethodPost, "/account/details", url.Values{"name": {"Zeb Quill"}, "phone": {"+44 20 7946 0000"}}); res.status != http.StatusSeeOther {
		t.Fatalf("details = %d\n%s", res.status, snippet(res.body))
	}
	rec = s.bookingByToken(t, token)
	cust, err := store.CustomerByEmail(s.app, subjEmail)
	if err != nil || cust == nil || rec.Name != "Zeb Quill" || cust.Name != "Zeb Quill" || cust.Phone != "+44 20 7946 0000" {
		t.Errorf("the correction did not reach the booking and the customer: %q %+v %v", rec.Name, cust, err)
	}
	s.now = s.now.Add(accountSessionTTL)
	if res := s.as(t, cookie, http.MethodGet, "/account/export", nil); res.status != http.StatusForbidden {
		t.Errorf("a session after an hour = %d, want 403", res.status)
	}
	cookie = s.accountSignIn(t, subjEmail)
	if res := s.as(t, cookie, http.MethodPost, "/account/logout", url.Values{}); res.status != http.StatusSeeOther {
		t.Errorf("logout = %d", res.status)
	}
	if res := s.as(t, cookie, http.MethodGet, "/account/export", nil); res.status != http.StatusForbidden {
		t.Errorf("a session after sign-out = %d, want 403", res.status)
	}
}

// TestPrivacyPageSaysWhatIsKept: the notice lists what is kept and for how long, from the
// settings, and leads to "My bookings and data".
func TestPrivacyPageSaysWhatIsKept(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	res := s.get(t, "/privacy")
	mustContain(t, "privacy page", res.body, "548 days (about 18 months) after your visit", "deleted 30 days after sending", "kept 30 days",
		`href="/account"`, `data-testid="privacy-processors"`)
	// The period is said once, from the settings: the venue's own text (the demo's here) does
	// not give another.
	if n := strings.Count(res.body, "after your visit"); n != 1 {
		t.Errorf("the privacy page states a retention period %d times, want once", n)
	}
	mustNotContain(t, "privacy page", res.body, "18 months after")
	s.setVenue(t, func(f *store.VenueFields) { f.RetentionDays = 90 })
	mustContain(t, "privacy page", s.get(t, "/privacy").body, "90 days (about 3 months) after your visit")
}

// TestPrivacyPageCoversArticle13: the legal basis of each purpose, the right to complain to a
// supervisory authority, and the processors by name: a relay on this machine is no one else,
// a known provider is named as the company it is.
func TestPrivacyPageCoversArticle13(t *testing.T) {
	t.Parallel()
	s := newServerOpts(t, func(o *options) { o.transport = nil }) // the stored relays are used
	relays := store.MailSettings{
		Primary:   store.Relay{Host: "127.0.0.1", Port: 18025, TLS: "none", FromAddress: "bookings@example.com"},
		Secondary: store.Relay{Host: "smtp.postmarkapp.com", Port: 587, TLS: "starttls", FromAddress: "bookings@example.com"},
	}
	if err := store.SaveSetting(s.app, store.SettingMail, relays, nil); err != nil {
		t.Fatal(err)
	}
	page := s.get(t, "/privacy").body
	mustContain(t, "privacy page", page, "Art. 6(1)(b)", "Art. 9(2)(a)", "Art. 6(1)(f)", "supervisory authority", "Art. 77 GDPR",
		"A mail server on the venue&#39;s own machine", "Postmark (ActiveCampaign, LLC) (smtp.postmarkapp.com), the mail service")
	mustNotContain(t, "privacy page", page, "127.0.0.1", "18025")
}

// TestConsentPerPerson: an offering that asks for the other guests names each with their own
// consent, stored with the notice version; a name without its tick is refused; a changed
// notice is a new version, and both texts stay on record for the consents given to them.
func TestConsentPerPerson(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if _, err := s.app.DB().Update("offerings", dbx.Params{"ask_participants": true}, dbx.HashExp{"slug": "dinner"}).Execute(); err != nil {
		t.Fatal(err)
	}
	page := s.get(t, "/book/dinner?date=2026-11-27&party=3&start=2026-11-27T19:00")
	mustContain(t, "form", page.body, `name="guest_1"`, `name="guest_consent_2"`)
	mustNotContain(t, "form", page.body, `name="guest_3"`)
	form := bookingForm("2026-11-27T19:00", "3")
	form.Set("guest_1", "Ben Bright")
	if res := s.post(t, "/book/dinner", form); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "guest_consent_1-error") {
		t.Fatalf("a guest without consent = %d", res.status)
	}
	form.Set("guest_consent_1", "yes")
	rec := s.bookingByToken(t, s.bookWith(t, "dinner", form))
	var guests []struct {
		Name          string `db:"name"`
		NoticeVersion int    `db:"notice_version"`
		ConsentAt     string `db:"consent_at"`
	}
	err := s.app.DB().NewQuery("SELECT name, notice_version, consent_at FROM participants WHERE booking = {:b}").Bind(dbx.Params{"b": rec.ID}).All(&guests)
	if err != nil || len(guests) != 1 || guests[0].Name != "Ben Bright" || guests[0].NoticeVersion != 1 || guests[0].ConsentAt == "" {
		t.Fatalf("guests: %v %v", guests, err)
	}
	s.setVenue(t, func(f *store.VenueFields) { f.Notice = "A new notice." }) // version 2
	form.Set("start", "2026-11-28T19:00")
	form.Set("guest_1", "Cleo Cole")
	s.post(t, "/book/dinner", form)
	var texts []struct {
		Version int
		Text    string
	}
	if err := s.app.DB().NewQuery("SELECT version, text FROM privacy_notices ORDER BY version").All(&texts); err != nil || len(texts) != 2 ||
		texts[1].Text != "A new notice." || texts[0].Text == texts[1].Text {
		t.Fatalf("kept notices: %+v %v", texts, err)
	}
	var versions []int
	_ = s.app.DB().Select("notice_version").From("participants").OrderBy("name").Column(&versions)
	if len(versions) != 2 || versions[0] != 1 || versions[1] != 2 {
		t.Errorf("the guests' notice versions: %v, want [1 2]", versions)
	}
}
