package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"reserva/internal/store"
)

// The staff's search finds any part of a booking's reference, name, e-mail or phone through the
// search index, a phone written with other spaces and punctuation too; the index follows every
// write (an edit, an erasure) and is made again when a trigger is gone.
func TestSearchFindsPartsOfEveryField(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	form := bookingForm("2026-11-27T19:00", "2")
	form.Set("name", "Ada Lovelace")
	form.Set("phone", "+44 (20) 7946-0000")
	token := s.bookWith(t, "dinner", form)
	b := s.bookingByToken(t, token)
	otherForm := bookingForm("2026-11-27T20:00", "2") // also Ada Lovelace, with another phone
	otherForm.Set("phone", "+49 30 1111 2222")
	other := s.bookingByToken(t, s.bookWith(t, "dinner", otherForm))
	cookie, _ := s.signedIn(t, "frontdesk")

	// listed reports whether the result list links to booking id (the search box echoes the
	// text searched for, so a reference in the page says nothing).
	listed := func(body, id string) bool { return strings.Contains(body, `href="/admin/bookings/`+id+`"`) }
	search := func(q string) string {
		t.Helper()
		res := s.as(t, cookie, http.MethodGet, "/admin/bookings?"+url.Values{"q": {q}}.Encode(), nil)
		if res.status != http.StatusOK {
			t.Fatalf("search %q = %d", q, res.status)
		}
		return res.body
	}
	for _, q := range []string{"ovela", "LOVELACE", "example.c", b.Reference[1:6], strings.ToLower(b.Reference), "7946-0000",
		"20 7946 0000", "(20) 79460000", "4420794600", "Ad"} {
		if body := search(q); !listed(body, b.ID) {
			t.Errorf("searching %q does not find %s", q, b.Reference)
		}
	}
	// A search by this phone finds only this Ada Lovelace.
	if body := search("7946 0000"); listed(body, other.ID) || !listed(body, b.ID) {
		t.Errorf("a phone search does not find %s alone (%s has another phone)", b.Reference, other.Reference)
	}
	for _, q := range []string{"lovelacey", "7946-0001", "zzz", "50%", "_a_"} {
		if body := search(q); listed(body, b.ID) {
			t.Errorf("searching %q finds %s", q, b.Reference)
		}
	}

	// An edit: the old name no longer finds it, the new one does.
	edit := url.Values{"name": {"Grace Hopper"}, "email": {"grace@example.com"}, "phone": {"+1 202 555 0142"}, "notes": {""}}
	if res := s.as(t, cookie, http.MethodPost, "/admin/bookings/"+b.ID, edit); res.status != http.StatusSeeOther {
		t.Fatalf("edit = %d\n%s", res.status, snippet(res.body))
	}
	if body := search("ovelac"); listed(body, b.ID) {
		t.Errorf("the old name still finds the edited booking")
	}
	if body := search("race hop"); !listed(body, b.ID) {
		t.Errorf("the new name does not find the edited booking")
	}
	if body := search("2025550142"); !listed(body, b.ID) {
		t.Errorf("the new phone's digits do not find the edited booking")
	}

	// Anonymised (as the purge and an erasure do): nothing of it is found, nor left in the index.
	if _, _, err := store.AnonymiseBookings(s.app, []string{b.ID}); err != nil {
		t.Fatal(err)
	}
	if body := search("race hop"); listed(body, b.ID) {
		t.Errorf("an anonymised booking is still found by its name")
	}
	var n int
	if err := s.app.DB().NewQuery(`SELECT count(*) FROM bookings_search WHERE bookings_search MATCH '"gra" AND "rac" AND "hop"'`).Row(&n); err != nil || n != 0 {
		t.Errorf("the index still holds the anonymised name: %d rows (%v)", n, err)
	}

	// Every booking is in the index once, and the index is made again when a trigger is gone.
	countsAgree := func(what string) {
		t.Helper()
		var rows, bookings int
		_ = s.app.DB().NewQuery(`SELECT (SELECT count(*) FROM booking_search_rows), (SELECT count(*) FROM bookings)`).Row(&rows, &bookings)
		if rows != bookings {
			t.Errorf("%s: the index keys %d rows for %d bookings", what, rows, bookings)
		}
	}
	countsAgree("after the writes")
	if rebuilt, err := store.EnsureBookingSearch(s.app); err != nil || rebuilt {
		t.Fatalf("EnsureBookingSearch on an intact database = %v, %v; want no rebuild", rebuilt, err)
	}
	if _, err := s.app.DB().NewQuery(`DROP TRIGGER booking_search_insert`).Execute(); err != nil {
		t.Fatal(err)
	}
	late := s.bookingByToken(t, s.book(t, "2026-11-28T19:00", "2")) // written while the trigger is gone
	if body := search(late.Reference); listed(body, late.ID) {
		t.Errorf("a booking missing from the index is found: the search does not read the index")
	}
	if rebuilt, err := store.EnsureBookingSearch(s.app); err != nil || !rebuilt {
		t.Fatalf("EnsureBookingSearch without a trigger = %v, %v; want a rebuild", rebuilt, err)
	}
	countsAgree("after the rebuild")
	if body := search(late.Reference); !listed(body, late.ID) {
		t.Errorf("a booking written while the trigger was gone is not found after the rebuild")
	}
	if _, err := s.app.DB().Delete("bookings", dbx.HashExp{"id": late.ID}).Execute(); err != nil {
		t.Fatal(err)
	}
	countsAgree("after a delete")
}

// The list counts no further than it must: past the limit it says "more than".
func TestCountBookingsUpTo(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, at := range []string{"17:00", "17:30", "18:00", "18:30", "19:00"} {
		s.book(t, "2026-11-27T"+at, "2")
	}
	all, err := store.CountBookings(s.app, store.Filter{})
	if err != nil || all < 5 {
		t.Fatalf("CountBookings = %d, %v; want the 5 bookings made", all, err)
	}
	if n, more, err := store.CountBookingsUpTo(s.app, store.Filter{}, 3); err != nil || n != 3 || !more {
		t.Errorf("CountBookingsUpTo(3) of %d = %d, %v, %v; want 3, more", all, n, more, err)
	}
	if n, more, err := store.CountBookingsUpTo(s.app, store.Filter{}, all); err != nil || n != all || more {
		t.Errorf("CountBookingsUpTo(%d) = %d, %v, %v; want all, no more", all, n, more, err)
	}
}

// Odd search text (quotes, FTS5 syntax, a NUL, very long) is searched for as text: no error.
func TestSearchOddText(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "frontdesk")
	for _, q := range []string{`"ab"c`, `a AND b OR NEAR(x)`, `*:^-`, "ab\x00cd", strings.Repeat("xyz", 300), `{reference}: 1`} {
		if res := s.as(t, cookie, http.MethodGet, "/admin/bookings?"+url.Values{"q": {q}}.Encode(), nil); res.status != http.StatusOK {
			t.Errorf("search %q = %d", q, res.status)
		}
	}
}
