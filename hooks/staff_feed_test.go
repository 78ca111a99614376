package hooks

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"reserva/internal/booking"
	"reserva/internal/store"
)

var feedLink = regexp.MustCompile(`https://booking\.test/feeds/([A-Za-z0-9_-]{43})\.ics`)

// icsEvent is one VEVENT of a parsed feed: its properties by name (parameters dropped).
type icsEvent map[string]string

// parseFeed checks body line by line as RFC 5545 content lines (each ends in CRLF, none is
// longer than 75 octets, a folded line goes on with one space), unfolds them, and returns the
// calendar's own properties and its events.
func parseFeed(t testing.TB, body string) (map[string]string, []icsEvent) {
	t.Helper()
	if !strings.HasSuffix(body, "\r\n") {
		t.Fatalf("the feed does not end in CRLF:\n%q", body)
	}
	raw := strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")
	var lines []string
	for i, l := range raw {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d is %d octets, over 75: %q", i+1, len(l), l)
		}
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			if len(lines) == 0 {
				t.Fatalf("the feed starts with a continuation line")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Fatalf("not one VCALENDAR: %q … %q", lines[0], lines[len(lines)-1])
	}
	cal := map[string]string{}
	var events []icsEvent
	var cur icsEvent
	depth := 0
	for _, l := range lines[1 : len(lines)-1] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("content line without a colon: %q", l)
		}
		name, _, _ = strings.Cut(name, ";")
		switch {
		case name == "BEGIN":
			depth++
			if value == "VEVENT" {
				cur = icsEvent{}
			}
		case name == "END":
			depth--
			if value == "VEVENT" {
				events = append(events, cur)
				cur = nil
			}
		case cur != nil:
			cur[name] = value
		case depth == 0:
			cal[name] = value
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced BEGIN/END in the feed")
	}
	return cal, events
}

// makeFeed has a manager make resource rid's calendar link on its page and returns the token.
func (s *testServer) makeFeed(t testing.TB, cookie, offering, rid string) string {
	t.Helper()
	res := s.as(t, cookie, http.MethodPost, "/admin/offerings/"+offering+"/resources/"+rid+"/feed", url.Values{})
	if res.status != http.StatusOK {
		t.Fatalf("make the calendar link = %d\n%s", res.status, snippet(res.body))
	}
	m := feedLink.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("the page shows no feed address:\n%s", snippet(res.body))
	}
	mustContain(t, "new link", res.body, `data-testid="feed-url"`, `href="webcal://booking.test/feeds/`+m[1]+`.ics"`)
	return m[1]
}

// fetchFeed fetches a feed as a calendar app does (no cookie) and checks the answer's headers.
func (s *testServer) fetchFeed(t testing.TB, token string) (map[string]string, []icsEvent, string) {
	t.Helper()
	res := s.get(t, "/feeds/"+token+".ics")
	if res.status != http.StatusOK {
		t.Fatalf("GET the feed = %d\n%s", res.status, snippet(res.body))
	}
	for h, want := range map[string]string{"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "private, no-store"} {
		if got := res.header.Get(h); got != want {
			t.Errorf("feed %s = %q, want %q", h, got, want)
		}
	}
	if c := res.header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("the feed sets cookies: %q", c)
	}
	cal, events := parseFeed(t, res.body)
	return cal, events, res.body
}

// mustBeFeed404 checks that target answers the calm plain-text 404 and nothing else.
func (s *testServer) mustBeFeed404(t testing.TB, target string) {
	t.Helper()
	res := s.get(t, target)
	if res.status != http.StatusNotFound {
		t.Errorf("GET %s = %d, want 404", target, res.status)
		return
	}
	if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q, want text/plain", target, ct)
	}
	if res.body != "This calendar link does not work (any more). Ask the venue for a new one.\n" {
		t.Errorf("GET %s body = %q", target, res.body)
	}
	if c := res.header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("GET %s sets cookies: %q", target, c)
	}
}

func uids(events []icsEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e["UID"])
	}
	slices.Sort(out)
	return out
}

func eventOf(t testing.TB, events []icsEvent, uid string) icsEvent {
	t.Helper()
	for _, e := range events {
		if e["UID"] == uid {
			return e
		}
	}
	t.Fatalf("no event %s in the feed", uid)
	return nil
}

// bookStaff books the demo dinner with staff member rid for a guest and returns the booking.
func (s *testServer) bookStaff(t testing.TB, start, party, rid, name, email string) *store.Booking {
	t.Helper()
	f := bookingForm(start, party)
	f.Set("with", rid)
	f.Set("name", name)
	f.Set("email", email)
	b := s.bookingByToken(t, s.bookWith(t, "dinner", f))
	if b.Resources != rid {
		t.Fatalf("booking with %s holds %q", rid, b.Resources)
	}
	return b
}

// TestStaffCalendarFeed: a manager makes Anna's calendar link; the feed lists her confirmed
// bookings (not Ben's), one event each with a UID that stays through a move, the offering, the
// party, the guest's first name and initial and the reference, and never an e-mail, a phone or
// notes; a cancelled booking is gone in the next fetch, and one older than 30 days too; lines
// are CRLF and folded at 75 octets (a long name in several scripts); the token is stored hashed.
func TestStaffCalendarFeed(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	desk, _ := s.signedIn(t, "frontdesk")
	dinner := s.offering(t, "dinner").ID
	long := "Annabelle-Ruth Überfluß-Kowalczyk 山田 von Hohenzollern-Sigmaringen"
	anna := s.addResource(t, dinner, booking.ResourceStaff, long, 0, 0, "")
	ben := s.addResource(t, dinner, booking.ResourceStaff, "Ben", 0, 0, "")

	if res := s.as(t, desk, http.MethodPost, "/admin/offerings/"+dinner+"/resources/"+anna+"/feed", url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("front desk making a calendar link = %d, want 403", res.status)
	}
	token := s.makeFeed(t, mgr, dinner, anna)
	var stored string
	if err := s.app.DB().NewQuery("SELECT token_hash FROM staff_feeds WHERE resource = {:r}").Bind(dbx.Params{"r": anna}).Row(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != store.HashToken(token) {
		t.Errorf("stored %q, want the token's hash", stored)
	}
	page := s.as(t, mgr, http.MethodGet, "/admin/offerings/"+dinner+"/resources/"+anna, nil)
	mustContain(t, "staff page", page.body, `data-testid="feed-renew"`, `data-testid="feed-revoke"`)
	mustNotContain(t, "staff page after", page.body, token)

	ada := s.bookStaff(t, "2026-11-27T18:00", "2", anna, "Ada Lovelace", "ada@example.com")
	grace := s.bookStaff(t, "2026-11-28T19:00", "1", anna, "Grace Brewster Hopper", "grace@example.com")
	s.bookStaff(t, "2026-11-27T18:00", "4", ben, "Charles Babbage", "charles@example.com")

	cal, events, body := s.fetchFeed(t, token)
	if cal["METHOD"] != "PUBLISH" || cal["X-WR-CALNAME"] != long+" · Demo Bistro & Pottery" {
		t.Errorf("calendar properties %v", cal)
	}
	if got, want := uids(events), []string{ada.ID + ".staff@reserva", grace.ID + ".staff@reserva"}; !slices.Equal(got, want) {
		slices.Sort(want)
		t.Fatalf("feed UIDs %v, want %v", got, want)
	}
	ev := eventOf(t, events, ada.ID+".staff@reserva")
	for prop, want := range map[string]string{
		"DTSTART": "20261127T170000Z", "DTEND": "20261127T190000Z",
		"SUMMARY":     `Dinner · 2 people · Ada L.`,
		"DESCRIPTION": "Reference: " + ada.Reference,
		"STATUS":      "CONFIRMED",
	} {
		if ev[prop] != want {
			t.Errorf("Ada's %s = %q, want %q", prop, ev[prop], want)
		}
	}
	if got := eventOf(t, events, grace.ID+".staff@reserva")["SUMMARY"]; got != "Dinner · 1 person · Grace H." {
		t.Errorf("Grace's SUMMARY = %q", got)
	}
	mustNotContain(t, "feed", body, "ada@example.com", "grace@example.com", "+44 20 7946 0000", "Window seat", "Lovelace", "Hopper",
		"Charles", "Babbage", "charles@")

	// A move keeps the UID and moves the event; a cancelled booking is gone.
	if res := s.as(t, mgr, http.MethodPost, "/admin/bookings/"+ada.ID+"/move", url.Values{"start": {"2026-11-27T20:30"}, "party": {"3"}}); res.status != http.StatusSeeOther {
		t.Fatalf("move = %d\n%s", res.status, snippet(res.body))
	}
	if res := s.as(t, desk, http.MethodPost, "/admin/bookings/"+grace.ID+"/cancel", url.Values{"reason": {"Closed tonight"}}); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d\n%s", res.status, snippet(res.body))
	}
	_, events, _ = s.fetchFeed(t, token)
	if got := uids(events); !slices.Equal(got, []string{ada.ID + ".staff@reserva"}) {
		t.Fatalf("after the cancellation the feed has %v", got)
	}
	moved := events[0]
	if moved["DTSTART"] != "20261127T193000Z" || moved["SUMMARY"] != "Dinner · 3 people · Ada L." || moved["SEQUENCE"] == ev["SEQUENCE"] {
		t.Errorf("after the move: %v (before: %v)", moved, ev)
	}

	// Rooms and tables get no link.
	room := s.addResource(t, dinner, booking.ResourceRoom, "Garden room", 0, 0, "")
	if res := s.as(t, mgr, http.MethodPost, "/admin/offerings/"+dinner+"/resources/"+room+"/feed", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("a calendar link for a room = %d, want 404", res.status)
	}
	roomPage := s.as(t, mgr, http.MethodGet, "/admin/offerings/"+dinner+"/resources/"+room, nil)
	mustNotContain(t, "room page", roomPage.body, `data-testid="feed"`)
	// 30 days back: on 28 December 2026 the booking of 27 November is no longer listed.
	s.now = time.Date(2026, 12, 28, 9, 0, 0, 0, time.UTC)
	if _, events, _ := s.fetchFeed(t, token); len(events) != 0 {
		t.Errorf("a month later the feed still lists %v", uids(events))
	}
	s.now = time.Date(2026, 12, 26, 9, 0, 0, 0, time.UTC)
	if _, events, _ := s.fetchFeed(t, token); len(events) != 1 {
		t.Errorf("29 days later the feed lists %v, want the booking", uids(events))
	}

	if n := s.count(t, "staff_feeds", nil); n != 1 {
		t.Errorf("%d feeds stored, want Anna's", n)
	}
}

// TestStaffCalendarFeedRevokeAndRenew: "New link" ends the old address at once, "Revoke" the
// current one; unknown, revoked and malformed addresses all answer the same calm plain 404;
// each step is audited with a catalog name.
func TestStaffCalendarFeedRevokeAndRenew(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	dinner := s.offering(t, "dinner").ID
	anna := s.addResource(t, dinner, booking.ResourceStaff, "Anna", 0, 0, "")
	base := "/admin/offerings/" + dinner + "/resources/" + anna

	if res := s.as(t, mgr, http.MethodPost, base+"/feed/revoke", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("revoking no link = %d, want 404", res.status)
	}
	first := s.makeFeed(t, mgr, dinner, anna)
	s.fetchFeed(t, first)
	second := s.makeFeed(t, mgr, dinner, anna)
	if second == first {
		t.Fatal("a new link has the old token")
	}
	s.mustBeFeed404(t, "/feeds/"+first+".ics")
	s.fetchFeed(t, second)

	res := s.as(t, mgr, http.MethodPost, base+"/feed/revoke", url.Values{})
	if res.status != http.StatusSeeOther {
		t.Fatalf("revoke = %d", res.status)
	}
	loc, _, _ := strings.Cut(res.header.Get("Location"), "#") // a browser keeps the fragment to itself
	page := s.as(t, mgr, http.MethodGet, loc, nil)
	mustContain(t, "after revoking", page.body, "The calendar link is revoked", `data-testid="feed-create"`)
	s.mustBeFeed404(t, "/feeds/"+second+".ics")
	for _, target := range []string{"/feeds/" + second, "/feeds/" + second + ".ICS", "/feeds/" + second + ".ics.ics", "/feeds/abc.ics",
		"/feeds/" + strings.Repeat("A", 43) + ".ics", "/feeds/.ics", "/feeds/%00.ics", "/feeds/" + strings.Repeat("z", 3000) + ".ics"} {
		s.mustBeFeed404(t, target)
	}
	if res := s.do(t, http.MethodHead, "/feeds/"+second+".ics", nil); res.status != http.StatusNotFound || res.body != "" {
		t.Errorf("HEAD a revoked feed = %d %q", res.status, res.body)
	}

	var rows []struct {
		Action string `db:"action"`
		Detail string `db:"detail"`
		Actor  string `db:"actor"`
	}
	if err := s.app.DB().NewQuery("SELECT action, detail, actor FROM audit_log WHERE target = {:t} AND action LIKE 'calendar_feed.%' ORDER BY rowid").
		Bind(dbx.Params{"t": "resources/" + anna}).All(&rows); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Action+" "+r.Detail)
		if r.Action != "calendar_feed.fetched" && !store.IsStaffActor(r.Actor) {
			t.Errorf("%s by %q, want the manager", r.Action, r.Actor)
		}
	}
	want := []string{"calendar_feed.created ", "calendar_feed.fetched staff_feeds/", "calendar_feed.created replaced", "calendar_feed.fetched staff_feeds/", "calendar_feed.revoked "}
	if len(got) != len(want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("audit entry %d = %q, want %q…", i, got[i], want[i])
		}
	}
	owner, _ := s.signedIn(t, "owner")
	audit := s.as(t, owner, http.MethodGet, "/admin/audit?action=calendar_feed", nil)
	mustContain(t, "audit page", audit.body, "Calendar link made", "Calendar link revoked", "Calendar link read")
}

// TestStaffCalendarFeedAuditIsCoalesced: a calendar app polling every few minutes leaves one
// audit entry an hour, not one a fetch.
func TestStaffCalendarFeedAuditIsCoalesced(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	dinner := s.offering(t, "dinner").ID
	anna := s.addResource(t, dinner, booking.ResourceStaff, "Anna", 0, 0, "")
	token := s.makeFeed(t, mgr, dinner, anna)
	fetched := func() int {
		return s.count(t, "audit_log", dbx.HashExp{"action": "calendar_feed.fetched", "target": "resources/" + anna})
	}
	for i := range 12 { // an hour of polls every five minutes, less a minute
		s.now = testNow.Add(time.Duration(i) * 5 * time.Minute)
		s.fetchFeed(t, token)
	}
	if n := fetched(); n != 1 {
		t.Errorf("12 fetches within the hour audited %d times, want 1", n)
	}
	s.now = testNow.Add(time.Hour)
	s.fetchFeed(t, token)
	s.fetchFeed(t, token)
	if n := fetched(); n != 2 {
		t.Errorf("fetches an hour later audited %d times in all, want 2", n)
	}
	page := s.as(t, mgr, http.MethodGet, "/admin/offerings/"+dinner+"/resources/"+anna, nil)
	mustContain(t, "staff page", page.body, "Last read by a calendar app")
}

// TestStaffCalendarFeedAcrossDST: times are UTC, so bookings at 19:00 on either side of the
// night the clocks go forward (Berlin, 28 March 2027) are an hour apart in UTC and exact.
func TestStaffCalendarFeedAcrossDST(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.now = time.Date(2027, 3, 20, 9, 0, 0, 0, time.UTC)
	mgr, _ := s.signedIn(t, "manager")
	dinner := s.offering(t, "dinner").ID
	anna := s.addResource(t, dinner, booking.ResourceStaff, "Anna", 0, 0, "")
	token := s.makeFeed(t, mgr, dinner, anna)
	before := s.bookStaff(t, "2027-03-27T19:00", "2", anna, "Ada Lovelace", "ada@example.com")
	after := s.bookStaff(t, "2027-03-28T19:00", "2", anna, "Ada Lovelace", "ada@example.com")
	_, events, body := s.fetchFeed(t, token)
	for uid, want := range map[string][2]string{
		before.ID + ".staff@reserva": {"20270327T180000Z", "20270327T200000Z"}, // CET, UTC+1
		after.ID + ".staff@reserva":  {"20270328T170000Z", "20270328T190000Z"}, // CEST, UTC+2
	} {
		ev := eventOf(t, events, uid)
		if ev["DTSTART"] != want[0] || ev["DTEND"] != want[1] {
			t.Errorf("%s: %s – %s, want %s – %s", uid, ev["DTSTART"], ev["DTEND"], want[0], want[1])
		}
	}
	mustNotContain(t, "feed", body, "TZID", "VTIMEZONE")
}

// TestStaffCalendarFeedQueryIsIndexed: the feed's bookings come from one query that SQLite
// answers from the index of held resources and starts, not a scan of every booking.
func TestStaffCalendarFeedQueryIsIndexed(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	plan, err := store.FeedBookingsPlan(s.app, "abcdefghijklmno", testNow.Add(-30*24*time.Hour), testNow.Add(90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(plan, "\n")
	if !strings.Contains(all, "idx_bookings_resources_start") || strings.Contains(all, "SCAN bookings") {
		t.Errorf("the feed's query plan:\n%s", all)
	}
}
