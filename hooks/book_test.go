package hooks

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"reserva/internal/booking"
	"reserva/internal/store"

	"github.com/pocketbase/dbx"
)

func TestBookPageListsFreeTimes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		name       string
		target     string
		wantStatus int
		want       []string
		unwanted   []string
	}{
		{
			name:       "an open Friday",
			target:     "/book/dinner?date=2026-11-27&party=2",
			wantStatus: http.StatusOK,
			want: []string{"Free times on Friday 27 November 2026", `value="2026-11-27T17:00"`, `value="2026-11-27T21:00"`,
				`<option value="2" selected>2 people</option>`},
			// A 2 h table must end by closing time (23:00): 21:30 is not a start.
			unwanted: []string{`value="2026-11-27T21:30"`, `data-testid="book-form"`},
		},
		{
			name:       "a picked time shows the details form",
			target:     "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:00",
			wantStatus: http.StatusOK,
			want: []string{`data-testid="book-form"`, `name="start" value="2026-11-27T19:00"`, "Friday 27 November 2026, 19:00–21:00",
				`<input type="checkbox" id="consent" name="consent" value="yes" required>`, `<label for="name">`, `autocomplete="email"`},
		},
		{
			name:       "closed on Mondays",
			target:     "/book/dinner?date=2026-11-30&party=2",
			wantStatus: http.StatusOK,
			want:       []string{`data-testid="closed"`, "Closed on this date."},
			unwanted:   []string{`data-testid="time"`},
		},
		{
			name:       "no date opens today",
			target:     "/book/dinner",
			wantStatus: http.StatusOK,
			want:       []string{"Free times on Tuesday 24 November 2026", `value="2026-11-24T17:00"`},
		},
		{
			name:       "a past date shows today",
			target:     "/book/dinner?date=2026-11-01",
			wantStatus: http.StatusOK,
			want:       []string{"That date has passed", "Tuesday 24 November 2026"},
		},
		{
			name:       "beyond the horizon shows the last bookable date",
			target:     "/book/dinner?date=2027-11-01",
			wantStatus: http.StatusOK,
			want:       []string{"Bookings open at most until Monday 22 February 2027"},
		},
		{
			name:       "garbage date",
			target:     "/book/dinner?date=31%2F12%2F2026",
			wantStatus: http.StatusBadRequest,
			want:       []string{"That date could not be read", "Tuesday 24 November 2026"},
		},
		{
			name:       "party too large",
			target:     "/book/dinner?date=2026-11-27&party=9",
			wantStatus: http.StatusBadRequest,
			want:       []string{"The largest party for this is 8 people"},
		},
		{
			name:       "a start that is not offered",
			target:     "/book/dinner?date=2026-11-27&party=2&start=2026-11-27T19:10",
			wantStatus: http.StatusBadRequest,
			want:       []string{"That time cannot be booked"},
			unwanted:   []string{`data-testid="book-form"`},
		},
		{
			name:       "sessions open on the day of the next session",
			target:     "/book/pottery?party=2",
			wantStatus: http.StatusOK,
			want:       []string{"Free times on Wednesday 25 November 2026", "18:00", "Sat 28 Nov"},
		},
		{
			name:       "unknown offering",
			target:     "/book/nothing-here",
			wantStatus: http.StatusNotFound,
			want:       []string{"Page not found", `<html lang="en">`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.get(t, tt.target)
			if res.status != tt.wantStatus {
				t.Errorf("GET %s = %d, want %d", tt.target, res.status, tt.wantStatus)
			}
			mustContain(t, tt.target, res.body, tt.want...)
			mustNotContain(t, tt.target, res.body, tt.unwanted...)
			mustNotContain(t, tt.target, res.body, "⟦", "%!")
		})
	}
}

func TestBookCreatesBookingWithHashedToken(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	token := s.book(t, "2026-11-27T19:00", "2")

	rec := s.bookingByToken(t, token)
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"status", rec.Status, booking.StatusConfirmed},
		{"party", rec.Party, 2},
		{"name", rec.Name, "Ada Lovelace"},
		{"email", rec.Email, "ada@example.com"},
		{"source", rec.Source, store.SourceWeb},
		{"notice_version", rec.NoticeVersion, 1},
		{"start", rec.Start.String(), "2026-11-27 18:00:00.000Z"}, // 19:00 in Berlin (CET)
		{"end", rec.End.String(), "2026-11-27 20:00:00.000Z"},
	} {
		if c.got != c.want {
			t.Errorf("booking.%s = %v, want %v", c.field, c.got, c.want)
		}
	}
	if got := rec.ConsentAt.Time(); !got.Equal(testNow) {
		t.Errorf("consent_at = %v, want %v", got, testNow)
	}
	if ref := rec.Reference; len(ref) != 7 || ref[3] != '-' {
		t.Errorf("reference = %q, want the form XXX-XXX", ref)
	}

	// The token itself is stored nowhere.
	raw, err := s.app.DB().NewQuery("SELECT * FROM bookings").Rows()
	if err != nil {
		t.Fatal(err)
	}
	for raw.Next() {
		cols, _ := raw.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := raw.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if s, ok := v.(string); ok && strings.Contains(s, token) {
				t.Errorf("bookings.%s holds the manage token", cols[i])
			}
		}
	}
	raw.Close()

	cust, err := store.CustomerByEmail(s.app, "ada@example.com")
	if err != nil || cust == nil || cust.ID != rec.Customer || cust.Name != "Ada Lovelace" {
		t.Errorf("customer = %+v %v", cust, err)
	}
	var entries []store.Entry
	err = s.app.DB().NewQuery("SELECT actor, action, target FROM audit_log WHERE target = {:t}").
		Bind(dbx.Params{"t": "bookings/" + rec.ID}).All(&entries)
	if err != nil || len(entries) != 1 || entries[0].Action != "booking.create" || entries[0].Actor != store.ActorVisitor {
		t.Errorf("audit entries for the booking = %d (%v), want one booking.create by visitor", len(entries), err)
	}

	page := s.get(t, "/b/"+token+"?m=booked")
	if page.status != http.StatusOK {
		t.Fatalf("manage page = %d", page.status)
	}
	mustContain(t, "manage page", page.body, rec.Reference, "your booking is confirmed", "Ada Lovelace",
		"Friday 27 November 2026, 19:00–21:00", "2 people", "/b/"+token+"/calendar.ics")

	// A second booking by the same address (any case) reuses the customer.
	form := bookingForm("2026-11-28T19:00", "4")
	form.Set("email", "ADA@Example.com")
	if res := s.post(t, "/book/dinner", form); res.status != http.StatusSeeOther {
		t.Fatalf("second booking = %d", res.status)
	}
	if n := s.count(t, "customers", dbx.NewExp("1=1")); n != 1 {
		t.Errorf("customers = %d, want 1", n)
	}
}

func TestBookRejectsBadInput(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		name   string
		change func(url.Values)
		status int
		field  string
		want   []string
	}{
		{"no name", func(f url.Values) { f.Set("name", "  ") }, 422, "name", []string{"Please enter your name."}},
		{"long name", func(f url.Values) { f.Set("name", strings.Repeat("n", 201)) }, 422, "name", []string{"shorten your name to 200"}},
		{"control characters", func(f url.Values) { f.Set("name", "Ada\x00Lovelace") }, 422, "name", []string{"unusual characters"}},
		{"invalid utf-8", func(f url.Values) { f.Set("notes", "caf\xe9") }, 422, "notes", []string{"unusual characters"}},
		{"no email", func(f url.Values) { f.Del("email") }, 422, "email", []string{"Please enter your e-mail address."}},
		{"bad email", func(f url.Values) { f.Set("email", "ada@") }, 422, "email", []string{"valid e-mail address"}},
		{"email with a display name", func(f url.Values) { f.Set("email", "Ada <ada@example.com>") }, 422, "email", []string{"valid e-mail address"}},
		{"bad phone", func(f url.Values) { f.Set("phone", "call me maybe") }, 422, "phone", []string{"digits, spaces"}},
		{"long notes", func(f url.Values) { f.Set("notes", strings.Repeat("x", 2001)) }, 422, "notes", []string{"shorten your notes to 2,000"}},
		{"no consent", func(f url.Values) { f.Del("consent") }, 422, "consent", []string{"tick the box"}},
		{"party missing", func(f url.Values) { f.Del("party") }, 422, "party", []string{"choose a party size"}},
		{"party not a number", func(f url.Values) { f.Set("party", "two") }, 422, "party", []string{"choose a party size"}},
		{"party too large", func(f url.Values) { f.Set("party", "9") }, 422, "party", []string{"largest party for this is 8 people"}},
		{"party huge", func(f url.Values) { f.Set("party", "99999999999999999999") }, 422, "party", []string{"choose a party size"}},
		{"no start", func(f url.Values) { f.Del("start") }, 422, "start", []string{"Please pick a time."}},
		{"garbage start", func(f url.Values) { f.Set("start", "tomorrow-ish") }, 422, "start", []string{"That time cannot be booked"}},
		{"off-grid start", func(f url.Values) { f.Set("start", "2026-11-27T19:10") }, 422, "start", []string{"That time cannot be booked"}},
		{"closed day", func(f url.Values) { f.Set("start", "2026-11-30T19:00") }, 422, "start", []string{"The venue is closed at that time"}},
		{"after closing", func(f url.Values) { f.Set("start", "2026-11-27T22:00") }, 422, "start", []string{"That time cannot be booked"}},
		{"in the past", func(f url.Values) { f.Set("start", "2026-11-20T19:00") }, 422, "start", []string{"too soon to book online"}},
		{"too far ahead", func(f url.Values) { f.Set("start", "2027-06-04T19:00") }, 422, "start", []string{"too far ahead"}},
		{"impossible date", func(f url.Values) { f.Set("start", "2026-02-30T19:00") }, 422, "start", []string{"That time cannot be booked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := bookingForm("2026-11-27T19:00", "2")
			tt.change(form)
			res := s.post(t, "/book/dinner", form)
			if res.status != tt.status {
				t.Fatalf("status = %d, want %d\n%s", res.status, tt.status, res.body)
			}
			mustContain(t, tt.name, res.body, tt.want...)
			mustContain(t, tt.name, res.body, `data-testid="`+tt.field+`-error"`, `data-testid="book-form"`)
			// What the visitor typed is kept.
			if form.Get("name") == "Ada Lovelace" {
				mustContain(t, tt.name, res.body, `value="Ada Lovelace"`)
			}
			if tt.field != "notes" {
				mustContain(t, tt.name, res.body, "Window seat, please")
			}
			mustNotContain(t, tt.name, res.body, "⟦", "%!", "goroutine", "runtime error")
		})
	}
	if n := s.count(t, "bookings", dbx.NewExp("1=1")); n != 0 {
		t.Errorf("bookings stored after bad input = %d, want 0", n)
	}
	if n := s.count(t, "customers", dbx.NewExp("1=1")); n != 0 {
		t.Errorf("customers stored after bad input = %d, want 0", n)
	}
}

func TestBookTooSoon(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.now = testNow.Add(7*3600e9 + 30*60e9) // 17:30 in Berlin; the lead time is an hour
	res := s.post(t, "/book/dinner", bookingForm("2026-11-24T18:00", "2"))
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 422", res.status)
	}
	mustContain(t, "too soon", res.body, "too soon to book online", `value="2026-11-24T19:00"`)
	mustNotContain(t, "too soon", res.body, `value="2026-11-24T18:00"`)
}

func TestBookFullAnswersConflictWithAlternatives(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// 40 seats: five parties of 8 fill 19:00 (and every start overlapping it).
	for range 5 {
		s.book(t, "2026-11-27T19:00", "8")
	}
	form := bookingForm("2026-11-27T19:00", "2")
	res := s.post(t, "/book/dinner", form)
	if res.status != http.StatusConflict {
		t.Fatalf("status = %d, want 409\n%s", res.status, res.body)
	}
	mustContain(t, "full", res.body, "that time was just taken", `data-testid="alternatives"`,
		`value="2026-11-27T17:00"`, `value="2026-11-27T21:00"`, `value="Ada Lovelace"`, "Window seat, please")
	// Starts that overlap the full 19:00-21:00 are not offered.
	mustNotContain(t, "full", res.body, `value="2026-11-27T19:00"`, `value="2026-11-27T18:00"`, `value="2026-11-27T20:30"`)
	if n := s.count(t, "bookings", dbx.NewExp("1=1")); n != 5 {
		t.Errorf("bookings = %d, want 5", n)
	}
}

func TestBookSession(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	id := firstSession(s)
	session, err := store.OfferingSession(s.app, s.offering(t, "pottery").ID, id)
	if err != nil {
		t.Fatal(err)
	}
	form := bookingForm(id, "4")
	for i := range 3 {
		if res := s.post(t, "/book/pottery", form); res.status != http.StatusSeeOther {
			t.Fatalf("session booking %d = %d\n%s", i, res.status, res.body)
		}
	}
	// 12 seats are taken: one more is full.
	form.Set("party", "1")
	if res := s.post(t, "/book/pottery", form); res.status != http.StatusConflict {
		t.Fatalf("13th seat = %d, want 409", res.status)
	}
	form.Set("start", "nosuchsession00")
	if res := s.post(t, "/book/pottery", form); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown session = %d, want 422", res.status)
	}
	var start string
	if err := s.app.DB().NewQuery("SELECT start FROM bookings WHERE session = {:s} LIMIT 1").Bind(dbx.Params{"s": id}).Row(&start); err != nil {
		t.Fatal(err)
	}
	if start != session.Start.String() {
		t.Errorf("booking start %v, want the session's %v", start, session.Start)
	}
}

func TestBookRefusesCrossSiteAndOversizedPosts(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	form := bookingForm("2026-11-27T19:00", "2")
	res := s.do(t, http.MethodPost, "/book/dinner", form, "Sec-Fetch-Site", "cross-site")
	if res.status != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", res.status)
	}
	form.Set("notes", strings.Repeat("x", formBodyLimit))
	res = s.post(t, "/book/dinner", form)
	if res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized POST = %d, want 413", res.status)
	}
	mustContain(t, "413 page", res.body, "Too much data")
	if n := s.count(t, "bookings", dbx.NewExp("1=1")); n != 0 {
		t.Errorf("bookings = %d, want 0", n)
	}
}

// TestAvailabilityIsNeverStaleAfterAChange: the booking page and the availability JSON are
// kept for a moment, but any committed change (a booking, a closure) shows on the next view.
func TestAvailabilityIsNeverStaleAfterAChange(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	page := "/book/dinner?date=2026-11-27&party=2"
	api := "/api/reserva/availability?offering=dinner&date=2026-11-27&party=2"
	first, firstAPI := s.get(t, page), s.get(t, api)
	if again := s.get(t, page); again.body != first.body || again.header.Get("Cache-Control") != "no-store" ||
		again.header.Get("Content-Security-Policy") == "" {
		t.Fatalf("a repeated view differs or lacks headers: %v", again.header)
	}
	if again := s.get(t, api); again.body != firstAPI.body {
		t.Fatalf("a repeated availability answer differs")
	}
	s.book(t, "2026-11-27T19:00", "8")
	if after := s.get(t, api); after.body == firstAPI.body || !strings.Contains(after.body, `"remaining":32`) {
		t.Errorf("the availability JSON is stale after a booking:\n%s", after.body)
	}
	for range 4 {
		s.book(t, "2026-11-27T19:00", "8")
	}
	if after := s.get(t, page); after.body == first.body || strings.Contains(after.body, `value="2026-11-27T19:00"`) {
		t.Errorf("the booking page still offers a time just filled")
	}
	// A booking of another offering leaves this one's answer kept (it changes nothing here)
	// and the other one's stale.
	pottery := "/api/reserva/availability?offering=pottery&date=2026-11-28&party=1"
	dinnerKept, potteryKept := s.get(t, page), s.get(t, pottery)
	dinnerVersion := s.st.Version("dinner")
	potteryVersion := s.st.Version("pottery")
	session := regexp.MustCompile(`"session":"([a-z0-9]+)"`).FindStringSubmatch(potteryKept.body)
	if session == nil {
		t.Fatalf("no pottery session on 2026-11-28:\n%s", potteryKept.body)
	}
	s.bookSlug(t, "pottery", session[1], "1")
	if s.st.Version("dinner") != dinnerVersion || s.st.Version("pottery") == potteryVersion {
		t.Errorf("a pottery booking moved dinner's version (%d to %d) or not pottery's (%d to %d)",
			dinnerVersion, s.st.Version("dinner"), potteryVersion, s.st.Version("pottery"))
	}
	if res := s.get(t, page); res.body != dinnerKept.body {
		t.Errorf("the dinner page changed after a pottery booking")
	}
	if res := s.get(t, pottery); res.body == potteryKept.body {
		t.Errorf("the pottery availability is stale after a pottery booking:\n%s", res.body)
	}
	// A change to the offering itself shows at once (the kept offerings are dropped too).
	dinnerOff := s.offering(t, "dinner")
	dinnerOff.Description = "Now with a tasting menu"
	if _, err := store.SaveOffering(s.app, *dinnerOff); err != nil {
		t.Fatal(err)
	}
	if res := s.get(t, page); !strings.Contains(res.body, "Now with a tasting menu") {
		t.Errorf("an offering's change does not show at once")
	}

	closed := s.get(t, page)
	day, _ := booking.ParseDate("2026-11-27")
	if _, err := store.AddClosure(s.app, "", day, day, "Private party"); err != nil {
		t.Fatal(err)
	}
	if after := s.get(t, page); after.body == closed.body || !strings.Contains(after.body, "Private party") {
		t.Errorf("a closure does not show at once")
	}
	// A change written by another process (no hook here) shows within a second.
	api = "/api/reserva/availability?offering=dinner&date=2026-11-28&party=2"
	kept := s.get(t, api)
	dinner := s.offering(t, "dinner").ID
	if _, err := s.app.DB().Insert("bookings", dbx.Params{"id": "otherprocess001", "reference": "OTH-ER1", "offering": dinner,
		"start": "2026-11-28 18:30:00.000Z", "end": "2026-11-28 20:30:00.000Z", "party": 4, "status": "confirmed",
		"source": "staff"}).Execute(); err != nil {
		t.Fatal(err)
	}
	s.now = s.now.Add(500 * time.Millisecond)
	if res := s.get(t, api); res.body != kept.body {
		t.Errorf("kept for less than a second")
	}
	s.now = s.now.Add(600 * time.Millisecond)
	if res := s.get(t, api); res.body == kept.body || !strings.Contains(res.body, `"remaining":36`) {
		t.Errorf("a change by another process does not show after a second:\n%s", res.body)
	}
}

// TestBookNamesLoseInvisibleCharacters books, joins the waitlist, books as staff, adds a walk-in
// and edits an account with names holding invisible format characters (a right-to-left override turns a name around on every
// list and mail it shows on; zero-width spaces and isolates hide in pasted text): they are
// stored without them, and a name of nothing but such characters is refused as missing.
func TestBookNamesLoseInvisibleCharacters(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if _, err := s.app.DB().Update("offerings", dbx.Params{"ask_participants": true}, dbx.HashExp{"slug": "dinner"}).Execute(); err != nil {
		t.Fatal(err)
	}
	const (
		typed = "\u200b\u202eAda\u200b Love\u2066lace\u2069\ufeff\u00ad"
		want  = "Ada Lovelace"
	)
	invisible := func(t *testing.T, what, got string) {
		t.Helper()
		if got != want || strings.ContainsAny(got, "\u202e\u200b\u2066\u2069\ufeff\u00ad") {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}

	form := bookingForm("2026-11-26T19:00", "2")
	form.Set("name", typed)
	form.Set("guest_1", "\u202eQuentin Quillfeather\u200b")
	form.Set("guest_consent_1", "yes")
	rec := s.bookingByToken(t, s.bookWith(t, "dinner", form))
	invisible(t, "booking name", rec.Name)
	var guest string
	if err := s.app.DB().NewQuery("SELECT name FROM participants WHERE booking = {:b}").Bind(dbx.Params{"b": rec.ID}).Row(&guest); err != nil {
		t.Fatalf("participant: %v", err)
	}
	if guest != "Quentin Quillfeather" {
		t.Errorf("participant name = %q, want %q", guest, "Quentin Quillfeather")
	}
	var customer string
	if err := s.app.DB().NewQuery("SELECT name FROM customers WHERE email = 'ada@example.com'").Row(&customer); err != nil {
		t.Fatalf("customer: %v", err)
	}
	invisible(t, "customer name", customer)

	s.fillDinner(t, "2026-11-27T19:00")
	res := s.post(t, "/waitlist/dinner", url.Values{"start": {"2026-11-27T19:00"}, "party": {"2"}, "name": {typed},
		"email": {"wanda@example.com"}, "consent": {"yes"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("POST /waitlist/dinner = %d, want 303\n%s", res.status, snippet(res.body))
	}
	var waiting string
	if err := s.app.DB().NewQuery("SELECT name FROM waitlist WHERE email = 'wanda@example.com'").Row(&waiting); err != nil {
		t.Fatalf("waitlist entry: %v", err)
	}
	invisible(t, "waitlist name", waiting)

	cookie, _ := s.signedIn(t, "frontdesk")
	form = bookingForm("2026-11-28T19:00", "2")
	form.Set("offering", s.offering(t, "dinner").ID)
	form.Set("name", typed)
	res = s.as(t, cookie, http.MethodPost, "/admin/bookings/new", form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("POST /admin/bookings/new = %d, want 303\n%s", res.status, snippet(res.body))
	}
	id := strings.TrimPrefix(strings.Split(res.header.Get("Location"), "?")[0], "/admin/bookings/")
	invisible(t, "staff booking name", s.bookingByID(t, id).Name)

	res = s.as(t, cookie, http.MethodPost, "/admin/walkins", url.Values{"name": {typed}, "party": {"2"}, "wait": {"20"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("POST /admin/walkins = %d, want 303\n%s", res.status, snippet(res.body))
	}
	var walkin string
	if err := s.app.DB().NewQuery("SELECT name FROM walkins").Row(&walkin); err != nil {
		t.Fatalf("walk-in: %v", err)
	}
	invisible(t, "walk-in name", walkin)

	visitor := s.accountSignIn(t, "ada@example.com")
	if res := s.as(t, visitor, http.MethodPost, "/account/details", url.Values{"name": {"\u202e" + want + "\u200b"}}); res.status != http.StatusSeeOther {
		t.Fatalf("POST /account/details = %d, want 303\n%s", res.status, snippet(res.body))
	}
	invisible(t, "booking name after the account changed it", s.bookingByID(t, rec.ID).Name)

	form = bookingForm("2026-11-26T19:00", "2")
	form.Set("name", " \u202e\u200b\u200d\ufeff ")
	res = s.post(t, "/book/dinner", form)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("POST /book/dinner with an invisible name = %d, want 422", res.status)
	}
	mustContain(t, "invisible name", res.body, `data-testid="name-error"`, "Please enter your name.")
}
