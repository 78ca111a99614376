package hooks

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"

	"reserva/internal/booking"
	"reserva/internal/store"
	"reserva/views"
)

// FuzzParseBookForm checks the visitor's booking form parser: whatever the body, a form it
// accepts has a name, a valid e-mail address, consent, a party of 1 to 10,000 and a start, all
// within their lengths and free of control characters; a field it refuses has a message.
func FuzzParseBookForm(f *testing.F) {
	f.Add("start=2026-11-27T19%3A00&party=2&name=Ada+Lovelace&email=ada%40example.com&phone=%2B44+20+7946+0000&notes=Window&consent=yes")
	f.Add("start=abc&party=-1&name=%00&email=x&consent=no")
	f.Add("party=99999999999999999999&name=" + strings.Repeat("%C3%A9", 200) + "&notes=a%0D%0Ab%E2%80%A8")
	f.Add("party=+3+&name=+Zo%C3%AB+&email=+zoe%40example.org+&consent=on&start=+x+")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // not a form: the router answers 400 before the parser runs
		}
		in, errs := parseBookForm(form)
		for field, msg := range errs {
			if msg.Key == "" {
				t.Errorf("field %q refused without a message", field)
			}
		}
		if len(errs) > 0 {
			return
		}
		switch {
		case in.form.Name == "" || utf8.RuneCountInString(in.form.Name) > views.MaxName || !cleanText(in.form.Name, false):
			t.Errorf("accepted name %q", in.form.Name)
		case in.form.Email == "" || len(in.form.Email) > views.MaxEmail || !strings.Contains(in.form.Email, "@") || !cleanText(in.form.Email, false):
			t.Errorf("accepted e-mail %q", in.form.Email)
		case in.form.Phone != "" && !validPhone(in.form.Phone):
			t.Errorf("accepted phone %q", in.form.Phone)
		case utf8.RuneCountInString(in.form.Notes) > views.MaxNotes || !cleanText(in.form.Notes, true):
			t.Errorf("accepted notes %q", in.form.Notes)
		case !in.form.Consent:
			t.Errorf("accepted without consent")
		case in.party < 1 || in.party > 10000:
			t.Errorf("accepted party %d", in.party)
		case in.start == "" || in.start != strings.TrimSpace(in.start):
			t.Errorf("accepted start %q", in.start)
		}
		if in.form.Name != strings.TrimSpace(in.form.Name) || strings.Contains(in.form.Notes, "\r\n") {
			t.Errorf("fields not normalised: %q, %q", in.form.Name, in.form.Notes)
		}
	})
}

// fuzzRoute is a route FuzzForms sends fuzzed input to: a POST gets the input as its
// url-encoded body, a GET as its query string. Paths are filled from the fixtures.
type fuzzRoute struct {
	method, path string
	staff        bool     // sent with the owner's session cookie
	seeds        []string // valid inputs
}

var fuzzRoutes = []fuzzRoute{
	{"POST", "/book/dinner", false, []string{"start=2026-11-27T19%3A00&party=2&name=Ada&email=ada%40example.com&consent=yes"}},
	{"POST", "/book/pottery", false, []string{"start={session}&party=2&name=Ada&email=ada%40example.com&consent=yes"}},
	{"GET", "/book/dinner", false, []string{"date=2026-11-27&party=2", "date=2026-11-27&party=2&start=2026-11-27T19%3A00"}},
	{"GET", "/api/reserva/availability", false, []string{"offering=dinner&date=2026-11-27&party=2", "offering=pottery&party=1"}},
	{"GET", "/b/{token}/change", false, []string{"date=2026-11-28&party=3"}},
	{"POST", "/b/{token}/change", false, []string{"start=2026-11-28T20%3A00&party=3"}},
	{"POST", "/b/{token}/texts/stop", false, []string{""}},
	{"POST", "/admin/login", false, []string{"email=owner%40demo.invalid&password=violet-harbour-lantern"}},
	{"POST", "/admin/forgot", false, []string{"email=owner%40demo.invalid", "email=nobody%40example.org"}},
	{"POST", "/admin/settings/images/photo", true, []string{"photo_alt=The+terrace+at+dusk"}},
	{"POST", "/admin/bookings/new", true, []string{"offering={dinner}&start=2026-11-25T19%3A00&party=2&name=Ada&email=ada%40example.com&consent=yes",
		"offering={dinner}&start=2026-11-25T19%3A00&party=8&name=Ada&email=ada%40example.com&consent=yes&override=Regulars%2C+extra+table"}},
	{"POST", "/admin/bookings/{id}", true, []string{"name=Ada+King&email=ada%40example.com&phone=%2B49+30+1234567&notes=x&internal_notes=y"}},
	{"POST", "/admin/bookings/{id}/move", true, []string{"start=2026-11-26T20%3A00&party=3"}},
	{"POST", "/admin/bookings/{id}/cancel", true, []string{"reason=Closed+tonight"}},
	{"GET", "/admin/bookings", true, []string{"q=ada&from=2026-11-01&to=2026-12-31&status=confirmed&after=x"}},
	{"GET", "/admin/export", true, []string{"from=2026-11-01&to=2026-12-31"}},
	{"GET", "/admin/audit", true, []string{"action=booking&from=2026-11-01&to=2026-12-31&staff=x"}},
	{"POST", "/admin/offerings/new", true, []string{"name=Brunch&slug=brunch&kind=slot&mode=people&active=yes&duration=90&interval=30&capacity=20&min_party=1&max_party=6&buffer_before=0&buffer_after=0&lead_time=60&horizon=60&cancel_cutoff=120&sort=5"}},
	{"POST", "/admin/offerings/{dinner}", true, []string{"name=Dinner&slug=dinner&kind=slot&mode=people&active=yes&duration=120&interval=30&capacity=40&min_party=1&max_party=8&buffer_before=0&buffer_after=0&lead_time=60&horizon=60&cancel_cutoff=120&sort=1",
		"name=Dinner&slug=dinner&kind=slot&mode=people&active=yes&duration=120&interval=30&capacity=40&min_party=1&max_party=8&buffer_before=0&buffer_after=0&lead_time=60&horizon=60&cancel_cutoff=120&sort=1&pacing=6&turn_times=2%3A90%2C+4%3A105"}},
	{"POST", "/admin/offerings/{dinner}/hours", true, []string{"weekday=1&opens=12%3A00&closes=14%3A00", "weekday=6&opens=22%3A00&closes=02%3A00"}},
	{"POST", "/admin/offerings/{pottery}/sessions", true, []string{"date=2026-12-05&time=10%3A00&seats=8", "date=2026-03-29&time=02%3A30&seats=1"}},
	{"POST", "/admin/offerings/{pottery}/sessions/{session}", true, []string{"date=2026-12-05&time=11%3A00&seats=10"}},
	{"POST", "/admin/offerings/{pottery}/series", true, []string{"day=1&day=4&time=18%3A00&seats=8&from=2026-11-30&until=2027-01-31&except=2026-12-24",
		"day=0&time=02%3A30&seats=1&from=2027-03-28"}},
	{"POST", "/admin/offerings/{pottery}/series/{series}", true, []string{"day=1&time=19%3A00&seats=9&from=2026-12-10&reason=Moved"}},
	{"POST", "/admin/offerings/{pottery}/series/{series}/end", true, []string{"date=2027-01-10&reason=Winter+break"}},
	{"POST", "/admin/offerings/{dinner}/resources", true, []string{"resource_kind=staff&resource_name=Anna&resource_hours=Mon-Fri+17%3A00-23%3A00&resource_sort=2", "resource_kind=table&resource_name=T9&resource_min_seats=2&resource_max_seats=4"}},
	{"POST", "/admin/offerings/{dinner}/resources/{resource}", true, []string{"resource_name=T1&resource_min_seats=1&resource_max_seats=2&resource_hours=Fri-Sun+18%3A00-26%3A00&resource_active=yes"}},
	{"POST", "/admin/offerings/{dinner}/combinations", true, []string{"table={resource}&table={resource2}&min_seats=3&max_seats=4"}},
	{"POST", "/admin/bookings/{id}/resources", true, []string{"resources={resource2}"}},
	{"POST", "/admin/walkins/{walkin}/seat", true, []string{"table={dinner}%3A{resource}"}},
	{"GET", "/admin/floor", true, []string{"offering={dinner}&date=2026-11-24"}},
	{"GET", "/book/dinner", false, []string{"date=2026-11-27&party=2&with={resource}"}},
	{"POST", "/admin/closures", true, []string{"from=2026-12-24&to=2026-12-26&reason=Christmas"}},
	{"POST", "/admin/settings", true, []string{"name=Demo+Bistro&timezone=Europe%2FBerlin&address=Main+St+1&email=hello%40demo.invalid&phone=%2B49+30+1234567&locale=en&policy=Cancel+free&notice=We+keep+data&gdpr_email=privacy%40demo.invalid&notify_email=&feedback_url=&reminder_hours=24&feedback_hours=0"}},
	{"POST", "/admin/settings/mail", true, []string{"primary_host=smtp.example.com&primary_port=587&primary_tls=starttls&primary_from_name=Demo&primary_from_address=a%40b.c&secondary_host=&secondary_port="}},
	{"POST", "/embed/dinner", false, []string{"start=2026-11-27T19%3A00&party=2&name=Ada&email=ada%40example.com&consent=yes&lang=de"}},
	{"GET", "/embed/dinner", false, []string{"date=2026-11-27&party=2&lang=fr", "date=2026-11-27&party=2&start=2026-11-27T19%3A00"}},
	{"POST", "/admin/webhooks", true, []string{"url=https%3A%2F%2Fhooks.example%2Freserva&events=booking.created&events=waitlist.offered&active=yes&include_contact=yes"}},
	{"POST", "/admin/payments", true, []string{"currency=eur&secret_key=sk_test_123&webhook_secret=whsec_123"}},
	{"POST", "/admin/bookings/{id}/refund", true, []string{""}},
	{"POST", "/admin/bookings/{id}/charge", true, []string{""}},
	{"POST", "/stripe/webhook", false, []string{"{}"}},
	{"POST", "/admin/api-keys", true, []string{"name=Till+at+the+bar&scopes=bookings%3Aread&scopes=bookings%3Awrite", "name=Reports&scopes=bookings%3Aread"}},
	{"POST", "/admin/oidc", true, []string{"issuer=https%3A%2F%2Fidp.example&client_id=reserva&client_secret=s3cret&label=Sign+in+with+Example&enabled=yes&password_off=yes"}},
	{"GET", "/admin/login/oidc", false, []string{"next=%2Fadmin%2Fbookings"}},
	{"GET", "/admin/oidc/callback", false, []string{"state=x&code=y", "error=access_denied&state=x"}},
	{"POST", "/admin/staff/{colleague}/oidc-unlink", true, []string{""}},
	{"POST", "/admin/settings/embed", true, []string{"embed_origins=https%3A%2F%2Fwww.example.com%0Ahttp%3A%2F%2Flocalhost%3A8080"}},
	{"POST", "/admin/settings/access", true, []string{"allow=192.0.2.0%2F24%0A10.0.0.1%0A2001%3Adb8%3A%3A%2F32&require_2fa=no"}},
	{"POST", "/admin/staff/invite", true, []string{"email=new%40demo.invalid&role=frontdesk"}},
	{"POST", "/admin/staff/{colleague}/role", true, []string{"role=manager"}},
	{"POST", "/account", false, []string{"email=ada%40example.com", "email=nobody%40example.org"}},
	{"GET", "/waitlist/dinner", false, []string{"start=2026-11-27T19%3A00&party=2"}},
	{"POST", "/waitlist/dinner", false, []string{"start=2026-11-27T19%3A00&party=2&name=Wanda&email=w%40example.com&consent=yes"}},
	{"POST", "/admin/privacy", true, []string{"kind=erasure&subject=ada%40example.com&channel=phone&received=2026-11-23&notes=x"}},
	{"POST", "/admin/walkins", true, []string{"name=Door&party=3&wait=20&phone=%2B47+912+34+567&email=d%40example.com"}},
	{"GET", "/admin/waitlist", true, []string{"date=2026-11-27"}},
	{"GET", "/admin/guests", true, []string{"q=ada&tag=vip&page=2"}},
	{"POST", "/admin/guests/{guest}/tags", true, []string{"tags=regular%2C+vip", "tags="}},
	{"POST", "/admin/guests/{guest}/note", true, []string{"note=Nut+allergy", "note="}},
	{"POST", "/admin/offerings/{dinner}/resources/{staffres}/feed", true, []string{"", "x=1"}},
	{"POST", "/admin/offerings/{dinner}/resources/{staffres}/feed/revoke", true, []string{""}},
	{"GET", "/feeds/{feed}.ics", false, []string{"", "lang=de"}},
}

// contractStatuses are the statuses Reserva's contract allows for a fuzzed request.
var contractStatuses = map[int]bool{200: true, 301: true, 303: true, 400: true, 401: true, 403: true, 404: true,
	405: true, 409: true, 413: true, 415: true, 422: true, 429: true}

// leaks are what an answer must never show: a stack trace, a Go source path, a raw SQL error.
var leaks = regexp.MustCompile(`goroutine \d|\.go:\d+|panic:|runtime error|SQL logic error|constraint failed|sql: `)

// FuzzForms sends fuzzed bodies and query strings to every form and search of the visitor pages
// and the dashboard (as the owner, the role that may use them all), through the real router
// and database. Whatever the input: the status is one the contract allows (never a 500), the
// answer leaks no internals, and booking_usage still equals the bookings it summarises, so no
// half-written change stays behind. Run longer with
//
//	go test -run='^$' -fuzz=FuzzForms -fuzztime=10m ./hooks
func FuzzForms(f *testing.F) {
	s := newServerOpts(f, func(o *options) { o.transport = nil }) // invites show their link instead of mailing it
	cookie, _ := s.signedIn(f, "owner")
	fill := map[string]string{}
	var id string
	for _, slug := range []string{"dinner", "pottery"} {
		if err := s.app.DB().Select("id").From("offerings").Where(dbx.HashExp{"slug": slug}).Row(&id); err != nil {
			f.Fatal(err)
		}
		fill["{"+slug+"}"] = id
	}
	if err := s.app.DB().Select("id").From("sessions").OrderBy("start").Limit(1).Row(&id); err != nil {
		f.Fatal(err)
	}
	fill["{session}"] = id
	from, _ := booking.ParseDate("2026-11-30")
	var err error
	if fill["{series}"], err = store.AddSeries(s.app, fill["{pottery}"], booking.Series{Days: booking.WeekdaysOf(time.Tuesday), Time: 17 * 60, Seats: 6, From: from}); err != nil {
		f.Fatal(err)
	}
	fill["{token}"] = s.book(f, "2026-11-28T19:00", "2")
	rec := s.bookingByToken(f, s.book(f, "2026-11-24T19:00", "2"))
	fill["{id}"] = rec.ID
	fill["{guest}"] = rec.Customer
	fill["{colleague}"] = s.staffAccount(f, "colleague@demo.invalid", "frontdesk").Id
	fill["{resource}"] = s.addResource(f, fill["{dinner}"], booking.ResourceTable, "T1", 1, 4, "")
	fill["{resource2}"] = s.addResource(f, fill["{dinner}"], booking.ResourceTable, "T2", 1, 4, "")
	fill["{staffres}"] = s.addResource(f, fill["{dinner}"], booking.ResourceStaff, "Anna", 0, 0, "")
	staffRes, err := store.ResourceByID(s.app, fill["{dinner}"], fill["{staffres}"])
	if err != nil {
		f.Fatal(err)
	}
	if fill["{feed}"], _, err = store.NewStaffFeed(s.app, staffRes, "console"); err != nil {
		f.Fatal(err)
	}
	if fill["{walkin}"], err = store.AddWalkin(s.app, booking.DateOf(testNow, time.UTC), "Door", 2, "", "", 10, testNow); err != nil {
		f.Fatal(err)
	}
	expand := func(p string) string {
		for k, v := range fill {
			p = strings.ReplaceAll(p, k, url.QueryEscape(v))
		}
		return p
	}
	for i, r := range fuzzRoutes {
		for _, seed := range r.seeds {
			f.Add(uint8(i), expand(seed))
		}
		f.Add(uint8(i), "")
	}
	f.Fuzz(func(t *testing.T, route uint8, input string) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		target := expand(r.path)
		var req *http.Request
		if r.method == http.MethodGet {
			req = httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL.Path, req.URL.RawQuery = target, input
			req.RequestURI = req.URL.RequestURI()
		} else {
			req = httptest.NewRequest(http.MethodPost, target, strings.NewReader(input))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if r.staff {
			req.Header.Set("Cookie", cookie)
		}
		res := s.serve(req)
		where := fmt.Sprintf("%s %s %q", r.method, r.path, input)
		if !contractStatuses[res.status] {
			t.Fatalf("%s = %d, a status outside the contract\n%s", where, res.status, snippet(res.body))
		}
		if leaks.MatchString(res.body) {
			t.Fatalf("%s = %d leaks internals:\n%s", where, res.status, snippet(res.body))
		}
		var bad int
		err := s.app.DB().NewQuery(`SELECT count(*) FROM (` + usageFromBookings + `) b
			LEFT JOIN booking_usage u USING (offering, start, "end", session)
			WHERE u.party IS NOT b.party OR u.n IS NOT b.n`).Row(&bad)
		if err != nil || bad != 0 {
			t.Fatalf("after %s booking_usage differs from the bookings in %d rows (%v)", where, bad, err)
		}
	})
}
