package hooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
)

// TestSpecialHoursAdmin: a manager sets special hours for a date (venue-wide, then the
// dinner's own over them), the booking page and the availability API list times from them at
// once (the kept pages follow) and tell them, a booking outside them is refused, and deleting
// them brings the weekly hours back; each change is audited. The demo dinner opens Tuesday to
// Sunday 17:00–23:00 with 2-hour tables every 30 minutes; 2026-11-26 is a Thursday.
func TestSpecialHoursAdmin(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	page := "/book/dinner?date=2026-11-26&party=2"
	api := "/api/reserva/availability?offering=dinner&date=2026-11-26&party=2"
	before := s.get(t, page)
	mustContain(t, "weekly hours", before.body, `value="2026-11-26T17:00"`)
	mustNotContain(t, "weekly hours", before.body, `data-testid="special-hours"`)
	s.get(t, api) // kept for a second: the change below must still show at once

	res := s.as(t, cookie, http.MethodPost, "/admin/special-hours", url.Values{"special_from": {"2026-11-26"}, "special_to": {"2026-11-26"},
		"opens_1": {"12:00"}, "closes_1": {"15:00"}, "special_reason": {"Thanksgiving lunch"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/closures?done=saved" {
		t.Fatalf("POST /admin/special-hours = %d to %q\n%s", res.status, res.header.Get("Location"), snippet(res.body))
	}
	if n := s.count(t, "audit_log", dbx.NewExp("action = 'special_hours.added' AND detail LIKE '2026-11-26 – 2026-11-26, 12:00-15:00'")); n != 1 {
		t.Errorf("%d audit entries special_hours.added, want 1", n)
	}
	list := s.as(t, cookie, http.MethodGet, "/admin/closures", nil)
	mustContain(t, "closures page", list.body, `data-testid="special-hours"`, "2026-11-26–2026-11-26", "12:00–15:00", "Thanksgiving lunch")

	after := s.get(t, page)
	mustContain(t, "special hours", after.body, `data-testid="special-hours"`, "Special hours on Thu 26 Nov: 12:00–15:00", "Thanksgiving lunch",
		`value="2026-11-26T12:00"`, `value="2026-11-26T13:00"`)
	mustNotContain(t, "special hours", after.body, `value="2026-11-26T13:30"`, `value="2026-11-26T17:00"`)
	if res := s.get(t, api); !strings.Contains(res.body, `"2026-11-26T12:00"`) || strings.Contains(res.body, `"2026-11-26T17:00"`) {
		t.Errorf("the availability API does not follow the special hours:\n%s", res.body)
	}
	token := s.book(t, "2026-11-26T12:30", "2")
	// The guest changing a booking, and staff taking one, see them as the booking page tells them.
	change := s.get(t, "/b/"+token+"/change?date=2026-11-26&party=2")
	mustContain(t, "change page", change.body, "Special hours on Thu 26 Nov: 12:00–15:00", "Thanksgiving lunch")
	staffNew := s.as(t, cookie, http.MethodGet, "/admin/bookings/new?offering="+s.offering(t, "dinner").ID+"&date=2026-11-26", nil)
	mustContain(t, "staff new booking", staffNew.body, "Special hours on Thu 26 Nov: 12:00–15:00", "Thanksgiving lunch")
	if res := s.post(t, "/book/dinner", bookingForm("2026-11-26T17:00", "2")); res.status != http.StatusUnprocessableEntity {
		t.Errorf("booking the weekly 17:00 on a special day = %d, want 422", res.status)
	}

	// The dinner's own special hours on the same date replace the venue's.
	dinner := s.offering(t, "dinner").ID
	res = s.as(t, cookie, http.MethodPost, "/admin/special-hours", url.Values{"special_from": {"2026-11-26"}, "special_to": {"2026-11-27"},
		"special_offering": {dinner}, "opens_1": {"18:00"}, "closes_1": {"20:00"}, "opens_2": {"21:00"}, "closes_2": {"25:00"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("POST /admin/special-hours for the dinner = %d\n%s", res.status, snippet(res.body))
	}
	own := s.get(t, page)
	mustContain(t, "own special hours", own.body, "18:00–20:00, 21:00–01:00", `value="2026-11-26T18:00"`, `value="2026-11-26T21:00"`, `value="2026-11-26T23:00"`)
	mustNotContain(t, "own special hours", own.body, `value="2026-11-26T12:00"`, "Thanksgiving lunch")
	// 23:00 runs until 01:00, past midnight: it belongs to Thursday.
	s.book(t, "2026-11-26T23:00", "2")

	// Deleting gives the dates their hours back.
	var ids []string
	if err := s.app.DB().Select("id").From("special_hours").Column(&ids); err != nil || len(ids) != 2 {
		t.Fatalf("special_hours rows %v, %v", ids, err)
	}
	for _, id := range ids {
		if res := s.as(t, cookie, http.MethodPost, "/admin/special-hours/"+id+"/delete", url.Values{}); res.status != http.StatusSeeOther {
			t.Errorf("delete special hours = %d", res.status)
		}
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "special_hours.deleted"}); n != 2 {
		t.Errorf("%d audit entries special_hours.deleted, want 2", n)
	}
	mustContain(t, "after deleting", s.get(t, page).body, `value="2026-11-26T17:00"`)
	if res := s.as(t, cookie, http.MethodPost, "/admin/special-hours/"+ids[0]+"/delete", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("deleting deleted special hours = %d, want 404", res.status)
	}

	// The front desk may not set them.
	desk, _ := s.signedIn(t, "frontdesk")
	res = s.as(t, desk, http.MethodPost, "/admin/special-hours", url.Values{"special_from": {"2026-11-28"}, "special_to": {"2026-11-28"},
		"opens_1": {"12:00"}, "closes_1": {"15:00"}})
	if res.status != http.StatusForbidden || s.count(t, "special_hours", nil) != 0 {
		t.Errorf("front desk POST /admin/special-hours = %d, %d rows; want 403 and none", res.status, s.count(t, "special_hours", nil))
	}
}

// TestSpecialHoursAdminRefusesBadInput: every bad form answers 422 with the message beside
// its field and the values kept, and stores nothing.
func TestSpecialHoursAdminRefusesBadInput(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	good := func(change func(url.Values)) url.Values {
		v := url.Values{"special_from": {"2026-12-24"}, "special_to": {"2026-12-24"}, "opens_1": {"12:00"}, "closes_1": {"15:00"}}
		change(v)
		return v
	}
	for _, tc := range []struct {
		name  string
		form  url.Values
		field string // the error's data-testid
		text  string
	}{
		{"to before from", good(func(v url.Values) { v.Set("special_to", "2026-12-23") }), "special_dates-error", "end date on or after it"},
		{"a date that does not exist", good(func(v url.Values) { v.Set("special_from", "2026-02-30") }), "special_dates-error", "end date on or after it"},
		{"no times", good(func(v url.Values) { v.Del("opens_1"); v.Del("closes_1") }), "spans-error", "at least one opening"},
		{"overlapping times", good(func(v url.Values) { v.Set("opens_2", "14:00"); v.Set("closes_2", "16:00") }), "spans-error", "These times overlap"},
		{"closing before opening", good(func(v url.Values) { v.Set("closes_1", "11:00") }), "span_1-error", "a later closing time"},
		{"opening past midnight", good(func(v url.Values) { v.Set("opens_1", "24:30"); v.Set("closes_1", "26:00") }), "span_1-error", "before 24:00"},
		{"not a time", good(func(v url.Values) { v.Set("opens_3", "noon"); v.Set("closes_3", "15:00") }), "span_3-error", "HH:MM"},
		{"only a closing time", good(func(v url.Values) { v.Set("closes_2", "18:00") }), "span_2-error", "HH:MM"},
		{"closing after 47:59", good(func(v url.Values) { v.Set("closes_1", "48:00") }), "span_1-error", "47:59"},
		{"an unknown offering", good(func(v url.Values) { v.Set("special_offering", "nosuchoffering1") }), "special_dates-error", "Please fill this in"},
		{"a control character in the note", good(func(v url.Values) { v.Set("special_reason", "Eve\x07") }), "special_reason-error", "unusual characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.as(t, cookie, http.MethodPost, "/admin/special-hours", tc.form)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("POST = %d, want 422\n%s", res.status, snippet(res.body))
			}
			mustContain(t, tc.name, res.body, `data-testid="`+tc.field+`"`, tc.text, `value="`+tc.form.Get("special_from")+`"`)
			mustNotContain(t, tc.name, res.body, "Internal", "runtime.")
		})
	}
	if n := s.count(t, "special_hours", nil); n != 0 {
		t.Errorf("%d special hours stored from bad forms", n)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "special_hours.added"}); n != 0 {
		t.Errorf("%d audit entries for refused forms", n)
	}
}

// TestPartDayClosureAdmin: a closure with times closes that part of the date: the booking
// page says so and lists no booking that would run in it, a booking in it is refused with 422
// and the reason why, the times around it stay bookable; bad times are refused beside the field.
// 2026-11-27 is a Friday; the dinner's tables last 2 hours.
func TestPartDayClosureAdmin(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, _ := s.signedIn(t, "manager")
	page := "/book/dinner?date=2026-11-27&party=2"
	mustContain(t, "before", s.get(t, page).body, `value="2026-11-27T18:00"`)

	res := s.as(t, cookie, http.MethodPost, "/admin/closures", url.Values{"from": {"2026-11-27"}, "to": {"2026-11-27"},
		"opens": {"19:00"}, "closes": {"21:00"}, "reason": {"Private event"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("POST /admin/closures with times = %d\n%s", res.status, snippet(res.body))
	}
	if n := s.count(t, "audit_log", dbx.NewExp("action = 'closure.added' AND detail = '2026-11-27 – 2026-11-27, 19:00–21:00'")); n != 1 {
		t.Errorf("%d audit entries of the part-day closure, want 1", n)
	}
	mustContain(t, "closures page", s.as(t, cookie, http.MethodGet, "/admin/closures", nil).body, "19:00–21:00 only", "Private event")

	body := s.get(t, page).body
	mustContain(t, "part-day closure", body, `data-testid="part-closed"`, "Closed on Fri 27 Nov from 19:00 to 21:00", "Private event",
		`value="2026-11-27T17:00"`, `value="2026-11-27T21:00"`)
	staffNew := s.as(t, cookie, http.MethodGet, "/admin/bookings/new?offering="+s.offering(t, "dinner").ID+"&date=2026-11-27", nil)
	mustContain(t, "staff new booking", staffNew.body, "Closed on Fri 27 Nov from 19:00 to 21:00", "Private event")
	mustNotContain(t, "part-day closure", body, `data-testid="closed"`, `value="2026-11-27T17:30"`, `value="2026-11-27T19:00"`, `value="2026-11-27T20:30"`)

	// 18:00 would run until 20:00, into the closed time.
	res = s.post(t, "/book/dinner", bookingForm("2026-11-27T18:00", "2"))
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("booking into the part-day closure = %d, want 422", res.status)
	}
	mustContain(t, "refused booking", res.body, `data-testid="start-error"`, "The venue is closed at that time. Please pick another time.")
	s.book(t, "2026-11-27T21:00", "2")
	s.book(t, "2026-11-27T17:00", "2")

	for _, tc := range []struct {
		name          string
		opens, closes string
	}{
		{"only a start", "19:00", ""},
		{"only an end", "", "21:00"},
		{"end before start", "21:00", "19:00"},
		{"not a time", "7pm", "21:00"},
		{"start past midnight", "24:00", "25:00"},
	} {
		res := s.as(t, cookie, http.MethodPost, "/admin/closures", url.Values{"from": {"2026-11-28"}, "to": {"2026-11-28"},
			"opens": {tc.opens}, "closes": {tc.closes}})
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: POST /admin/closures = %d, want 422", tc.name, res.status)
			continue
		}
		mustContain(t, tc.name, res.body, `data-testid="times-error"`, "Please give both times as HH:MM", `value="2026-11-28"`)
	}
	if n := s.count(t, "closures", nil); n != 1 {
		t.Errorf("%d closures stored, want the one", n)
	}
}
