package hooks

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// addResource stores a resource of the offering directly (the forms are tested on their own).
func (s *testServer) addResource(t testing.TB, offering string, kind booking.ResourceKind, name string, minSeats, maxSeats int, hours string) string {
	t.Helper()
	id, err := store.SaveResource(s.app, store.Resource{Offering: offering, Kind: kind, Name: name, MinSeats: minSeats, MaxSeats: maxSeats, Hours: hours, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// resourceID finds a resource of the offering by name.
func (s *testServer) resourceID(t testing.TB, offering, name string) string {
	t.Helper()
	var id string
	if err := s.app.DB().NewQuery("SELECT id FROM resources WHERE offering = {:o} AND name = {:n}").Bind(dbx.Params{"o": offering, "n": name}).Row(&id); err != nil {
		t.Fatalf("resource %s: %v", name, err)
	}
	return id
}

// TestStaffResources: a manager adds staff members through the offering's form (bad input 422
// beside its field, the front desk refused, sessions have none); visitors then pick one or
// anyone, each booking gets a free staff member in its transaction, a staff member's own hours
// bound the times offered for them, staff reassign a booking, and a retired staff member is
// no longer offered.
func TestStaffResources(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	desk, _ := s.signedIn(t, "frontdesk")
	dinner := s.offering(t, "dinner").ID
	pottery := s.offering(t, "pottery").ID
	add := func(cookie string, f url.Values) response {
		return s.as(t, cookie, http.MethodPost, "/admin/offerings/"+dinner+"/resources", f)
	}
	for field, f := range map[string]url.Values{
		"hours":     {"resource_kind": {"staff"}, "resource_name": {"Anna"}, "resource_hours": {"Mon-Fri 9-17"}},
		"name":      {"resource_kind": {"staff"}, "resource_name": {"  "}},
		"kind":      {"resource_kind": {"robot"}, "resource_name": {"Anna"}},
		"max_seats": {"resource_kind": {"table"}, "resource_name": {"T1"}, "resource_min_seats": {"4"}, "resource_max_seats": {"2"}},
		"min_seats": {"resource_kind": {"table"}, "resource_name": {"T1"}, "resource_min_seats": {"-1"}},
		"sort":      {"resource_kind": {"staff"}, "resource_name": {"Anna"}, "resource_sort": {"x"}},
	} {
		res := add(mgr, f)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad %s = %d, want 422", field, res.status)
		}
		mustContain(t, "bad "+field, res.body, `id="resource_`+field+`-error"`)
	}
	if n := s.count(t, "resources", nil); n != 0 {
		t.Fatalf("refused forms stored %d resources", n)
	}
	if res := add(desk, url.Values{"resource_kind": {"staff"}, "resource_name": {"Anna"}}); res.status != http.StatusForbidden {
		t.Errorf("front desk adding a resource = %d, want 403", res.status)
	}
	if res := s.as(t, mgr, http.MethodPost, "/admin/offerings/"+pottery+"/resources", url.Values{"resource_kind": {"staff"}, "resource_name": {"Anna"}}); res.status != http.StatusNotFound {
		t.Errorf("a resource of a session offering = %d, want 404", res.status)
	}
	if res := add(mgr, url.Values{"resource_kind": {"staff"}, "resource_name": {"Anna"}, "resource_hours": {"Tue-Fri 17:00-20:00"}}); res.status != http.StatusSeeOther {
		t.Fatalf("add Anna = %d\n%s", res.status, snippet(res.body))
	}
	if res := add(mgr, url.Values{"resource_kind": {"staff"}, "resource_name": {"Ben"}, "resource_sort": {"1"}}); res.status != http.StatusSeeOther {
		t.Fatalf("add Ben = %d", res.status)
	}
	anna, ben := s.resourceID(t, dinner, "Anna"), s.resourceID(t, dinner, "Ben")
	page := s.as(t, mgr, http.MethodGet, "/admin/offerings/"+dinner, nil)
	mustContain(t, "offering page", page.body, "Anna", "Tue-Fri 17:00-20:00", "Ben", `data-testid="resources-list"`)

	// The booking page offers Anna, Ben or anyone; for Anna only her hours (the last start
	// that ends by 20:00 is 18:00), for anyone the whole evening.
	book := s.get(t, "/book/dinner?date=2026-11-27&party=2")
	mustContain(t, "booking page", book.body, `name="with"`, `value="`+anna+`"`, "Anyone available")
	withAnna := s.get(t, "/book/dinner?date=2026-11-27&party=2&with="+anna)
	mustContain(t, "with Anna", withAnna.body, `value="2026-11-27T18:00"`)
	mustNotContain(t, "with Anna", withAnna.body, `value="2026-11-27T18:30"`)
	mustContain(t, "anyone", book.body, `value="2026-11-27T21:00"`)
	api := s.get(t, "/api/reserva/availability?offering=dinner&date=2026-11-27&party=2&with="+anna)
	if api.status != http.StatusOK || !strings.Contains(api.body, `"local":"2026-11-27T18:00","remaining":40,"available":true`) ||
		!strings.Contains(api.body, `"local":"2026-11-27T18:30","remaining":0,"available":false`) {
		t.Errorf("availability with Anna = %d\n%s", api.status, api.body)
	}
	if res := s.get(t, "/api/reserva/availability?offering=dinner&date=2026-11-27&party=2&with=nope"); res.status != http.StatusUnprocessableEntity {
		t.Errorf("availability with an unknown staff member = %d, want 422", res.status)
	}

	bookFor := func(start, with string) response {
		f := bookingForm(start, "2")
		if with != "" {
			f.Set("with", with)
		}
		return s.post(t, "/book/dinner", f)
	}
	first := bookFor("2026-11-27T18:00", anna)
	if first.status != http.StatusSeeOther {
		t.Fatalf("booking with Anna = %d\n%s", first.status, snippet(first.body))
	}
	tokFirst := manageLink.FindStringSubmatch(first.header.Get("Location"))[1]
	if b := s.bookingByToken(t, tokFirst); b.Resources != anna {
		t.Fatalf("a booking with Anna holds %q", b.Resources)
	}
	if res := bookFor("2026-11-27T18:30", anna); res.status != http.StatusConflict {
		t.Errorf("Anna at 18:30 (her hours end at 20:00) = %d, want 409", res.status)
	}
	second := bookFor("2026-11-27T18:00", "")
	if second.status != http.StatusSeeOther {
		t.Fatalf("booking anyone = %d", second.status)
	}
	tokSecond := manageLink.FindStringSubmatch(second.header.Get("Location"))[1]
	if b := s.bookingByToken(t, tokSecond); b.Resources != ben {
		t.Fatalf("anyone while Anna is busy holds %q, want Ben", b.Resources)
	}
	// The export names who each booking is with.
	csv := s.as(t, mgr, http.MethodGet, "/admin/export?from=2026-11-27&to=2026-11-27", nil)
	mustContain(t, "export", csv.body, "Staff member, room or table", ",Anna\n", ",Ben\n")
	// Both busy at 18:00: the 40 seats of capacity do not help.
	if res := bookFor("2026-11-27T18:00", ""); res.status != http.StatusConflict {
		t.Errorf("a third at 18:00 = %d, want 409", res.status)
	}
	if res := bookFor("2026-11-27T19:00", anna); res.status != http.StatusConflict {
		t.Errorf("Anna at 19:00 (busy until 20:00) = %d, want 409", res.status)
	}
	// A manager's booking over capacity with a reason is taken though nobody is free: it holds
	// no staff member until one is reassigned.
	over := url.Values{"offering": {dinner}, "start": {"2026-11-27T18:00"}, "party": {"2"}, "name": {"Regulars"},
		"email": {"regulars@example.com"}, "consent": {"yes"}, "override": {"Regulars, squeezed in"}}
	if res := s.as(t, mgr, http.MethodPost, "/admin/bookings/new", over); res.status != http.StatusSeeOther {
		t.Errorf("an override with everyone busy = %d\n%s", res.status, snippet(res.body))
	}
	if n := s.count(t, "bookings", dbx.HashExp{"email": "regulars@example.com", "resources": ""}); n != 1 {
		t.Errorf("override bookings holding nothing: %d", n)
	}

	// Reassign: Ben's 18:00 booking cannot move to Anna (busy); a later booking of Ben's can
	// be given to nobody else either (Anna's hours end), and one at 17:00 on Wednesday can.
	second2 := s.bookingByToken(t, tokSecond)
	detail := s.as(t, desk, http.MethodGet, "/admin/bookings/"+second2.ID, nil)
	mustContain(t, "Ben's booking", detail.body, `data-testid="held"`, "Ben", "Nothing else is free at its time.")
	if res := s.as(t, desk, http.MethodPost, "/admin/bookings/"+second2.ID+"/resources", url.Values{"resources": {anna}}); res.status != http.StatusConflict {
		t.Errorf("reassigning to busy Anna = %d, want 409", res.status)
	}
	wed := s.bookingByToken(t, s.bookWith(t, "dinner", withResource(bookingForm("2026-11-25T17:00", "2"), ben)))
	if wed.Resources != ben {
		t.Fatalf("Wednesday with Ben holds %q", wed.Resources)
	}
	detail = s.as(t, desk, http.MethodGet, "/admin/bookings/"+wed.ID, nil)
	mustContain(t, "Wednesday's booking", detail.body, `data-testid="reassign"`, `value="`+anna+`"`)
	if res := s.as(t, desk, http.MethodPost, "/admin/bookings/"+wed.ID+"/resources", url.Values{"resources": {anna}}); res.status != http.StatusSeeOther {
		t.Fatalf("reassign to Anna = %d\n%s", res.status, snippet(res.body))
	}
	if b := s.bookingByID(t, wed.ID); b.Resources != anna {
		t.Fatalf("after reassigning: %q", b.Resources)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "booking.reassigned", "target": "bookings/" + wed.ID}); n != 1 {
		t.Errorf("reassignments audited: %d", n)
	}
	// A guest moving a booking keeps their staff member where they are free.
	if res := s.post(t, "/b/"+tokFirst+"/change", url.Values{"start": {"2026-11-28T17:00"}, "party": {"2"}}); res.status != http.StatusSeeOther {
		t.Fatalf("moving Anna's booking to Saturday = %d\n%s", res.status, snippet(res.body))
	}
	if b := s.bookingByToken(t, tokFirst); b.Resources != ben {
		// Anna does not work on Saturdays: the move gets anyone free.
		t.Errorf("moved to Saturday, the booking holds %q, want Ben", b.Resources)
	}

	// Retiring Anna: no longer offered; a form still naming her gets a clear 422.
	if res := s.as(t, mgr, http.MethodPost, "/admin/offerings/"+dinner+"/resources/"+anna, url.Values{"resource_name": {"Anna"}, "resource_hours": {"Tue-Fri 17:00-20:00"}}); res.status != http.StatusSeeOther {
		t.Fatalf("retire Anna = %d\n%s", res.status, snippet(res.body))
	}
	mustNotContain(t, "after retiring", s.get(t, "/book/dinner?date=2026-11-26&party=2").body, `value="`+anna+`"`)
	if res := bookFor("2026-11-26T17:00", anna); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "no longer takes bookings") {
		t.Errorf("booking retired Anna = %d", res.status)
	}
	if res := s.as(t, mgr, http.MethodGet, "/admin/offerings/"+dinner+"/resources/nope", nil); res.status != http.StatusNotFound {
		t.Errorf("an unknown resource = %d, want 404", res.status)
	}
}

// withResource sets the staff member or room a booking form picks.
func withResource(f url.Values, id string) url.Values {
	f.Set("with", id)
	return f
}

// TestTablesFloorAndWalkins: a restaurant's tables and a combination (added through the form),
// each party given the smallest table that holds it or the combination, the floor view showing
// who sits where, and a walk-in seated on a free table taking it from the bookings.
func TestTablesFloorAndWalkins(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	mgr, _ := s.signedIn(t, "manager")
	desk, _ := s.signedIn(t, "frontdesk")
	dinner := s.offering(t, "dinner").ID
	t2 := s.addResource(t, dinner, booking.ResourceTable, "T2", 1, 2, "")
	t4 := s.addResource(t, dinner, booking.ResourceTable, "T4", 2, 4, "")
	t6 := s.addResource(t, dinner, booking.ResourceTable, "T6", 3, 6, "")
	combo := func(f url.Values) response {
		return s.as(t, mgr, http.MethodPost, "/admin/offerings/"+dinner+"/combinations", f)
	}
	for what, f := range map[string]url.Values{
		"one table":     {"table": {t4}, "min_seats": {"7"}, "max_seats": {"10"}},
		"unknown table": {"table": {t4, "nope"}, "min_seats": {"7"}, "max_seats": {"10"}},
		"seats":         {"table": {t4, t6}, "min_seats": {"11"}, "max_seats": {"10"}},
	} {
		if res := combo(f); res.status != http.StatusUnprocessableEntity {
			t.Errorf("combination with %s = %d, want 422", what, res.status)
		}
	}
	if res := combo(url.Values{"table": {t4, t6}, "min_seats": {"7"}, "max_seats": {"10"}}); res.status != http.StatusSeeOther {
		t.Fatalf("add the combination = %d\n%s", res.status, snippet(res.body))
	}
	mustContain(t, "offering page", s.as(t, mgr, http.MethodGet, "/admin/offerings/"+dinner, nil).body, `data-testid="combos-list"`, "T4 + T6")
	mustNotContain(t, "tables are not picked", s.get(t, "/book/dinner?date=2026-11-27&party=2").body, `name="with"`)

	held := func(start, party string) string {
		t.Helper()
		return s.bookingByToken(t, s.book(t, start, party)).Resources
	}
	if r := held("2026-11-27T19:00", "2"); r != t2 {
		t.Fatalf("two at 19:00 hold %q, want T2", r)
	}
	if r := held("2026-11-27T19:00", "8"); r != t4+" "+t6 {
		t.Fatalf("eight at 19:00 hold %q, want T4 and T6", r)
	}
	if res := s.post(t, "/book/dinner", bookingForm("2026-11-27T19:30", "3")); res.status != http.StatusConflict {
		t.Errorf("three at 19:30 with every table held = %d, want 409", res.status)
	}
	floor := s.as(t, desk, http.MethodGet, "/admin/floor?offering="+dinner+"&date=2026-11-27", nil)
	if floor.status != http.StatusOK {
		t.Fatalf("floor = %d\n%s", floor.status, snippet(floor.body))
	}
	mustContain(t, "floor", floor.body, `data-testid="floor"`, `<th scope="row">T2`, `<th scope="row">T6`, "Ada Lovelace")
	// Two hours are four half-hour columns, in each table's row the combination holds.
	if n := len(regexp.MustCompile(`<td colspan="4" class="held status-confirmed"`).FindAllString(floor.body, -1)); n != 3 {
		t.Errorf("floor cells spanning the two hours: %d, want 3 (T2, T4, T6)", n)
	}
	mustContain(t, "today", s.as(t, desk, http.MethodGet, "/admin/?date=2026-11-27", nil).body, `data-testid="floor-link"`, "T4 + T6")
	if res := s.as(t, desk, http.MethodGet, "/admin/floor?offering=nope", nil); res.status != http.StatusNotFound {
		t.Errorf("floor of an unknown offering = %d, want 404", res.status)
	}
	if res := s.as(t, desk, http.MethodGet, "/admin/floor?offering="+dinner+"&date=2026-13-01", nil); res.status != http.StatusBadRequest {
		t.Errorf("floor of a bad date = %d, want 400", res.status)
	}

	// A walk-in of three at the desk's now: T4 and T6 are free now, T2 is too small.
	if res := s.as(t, desk, http.MethodPost, "/admin/walkins", url.Values{"name": {"Walk In"}, "party": {"3"}, "wait": {"10"}}); res.status != http.StatusSeeOther {
		t.Fatalf("add walk-in = %d\n%s", res.status, snippet(res.body))
	}
	page := s.as(t, desk, http.MethodGet, "/admin/walkins", nil)
	mustContain(t, "walk-ins", page.body, `data-testid="walkin-seat-table"`, `value="`+dinner+`:`+t4+`"`)
	mustNotContain(t, "walk-ins", page.body, `value="`+dinner+`:`+t2+`"`)
	var walkin string
	if err := s.app.DB().NewQuery("SELECT id FROM walkins").Row(&walkin); err != nil {
		t.Fatal(err)
	}
	seat := func(id, table string) response {
		return s.as(t, desk, http.MethodPost, "/admin/walkins/"+id+"/seat", url.Values{"table": {dinner + ":" + table}})
	}
	if res := seat(walkin, t2); res.status != http.StatusConflict {
		t.Errorf("seating three at T2 = %d, want 409", res.status)
	}
	if res := seat(walkin, t4); res.status != http.StatusSeeOther {
		t.Fatalf("seat at T4 = %d\n%s", res.status, snippet(res.body))
	}
	var b store.Booking
	if err := s.app.DB().NewQuery("SELECT * FROM bookings WHERE source = 'walkin'").One(&b); err != nil {
		t.Fatal(err)
	}
	if b.Status != booking.StatusCheckedIn || b.Resources != t4 || b.Party != 3 || !b.Start.Time().Equal(testNow) || b.End.Time().Sub(testNow).Minutes() != 120 {
		t.Fatalf("the walk-in's booking: %+v", b)
	}
	if n := s.count(t, "walkins", dbx.HashExp{"status": "seated"}); n != 1 {
		t.Errorf("seated walk-ins: %d", n)
	}
	if res := seat(walkin, t6); res.status != http.StatusConflict {
		t.Errorf("seating a seated walk-in again = %d, want 409", res.status)
	}
	// T4 is held now: a second walk-in of three gets T6 only.
	s.as(t, desk, http.MethodPost, "/admin/walkins", url.Values{"name": {"Second"}, "party": {"3"}, "wait": {"5"}})
	var second string
	if err := s.app.DB().NewQuery("SELECT id FROM walkins WHERE status = 'waiting'").Row(&second); err != nil {
		t.Fatal(err)
	}
	if res := seat(second, t4); res.status != http.StatusConflict {
		t.Errorf("seating on the walk-in's table = %d, want 409", res.status)
	}
	if res := s.as(t, desk, http.MethodPost, "/admin/walkins/"+second+"/seat", url.Values{"table": {"garbage"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("seating on garbage = %d, want 422", res.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "walkin.seated_table"}); n != 1 {
		t.Errorf("seatings audited: %d", n)
	}
}
