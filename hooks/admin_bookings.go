package hooks

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
	"reserva/views"
)

// todayRow is a booking as the day's list shows it.
type todayRow struct {
	ID            string         `db:"id"`
	Reference     string         `db:"reference"`
	Start         types.DateTime `db:"start"`
	End           types.DateTime `db:"end"`
	Party         int            `db:"party"`
	Name          string         `db:"name"`
	Phone         string         `db:"phone"`
	Notes         string         `db:"notes"`
	InternalNotes string         `db:"internal_notes"`
	Status        string         `db:"status"`
}

// exportRow is a booking as the CSV export writes it.
type exportRow struct {
	ID        string         `db:"id"`
	Reference string         `db:"reference"`
	Offering  string         `db:"offering"`
	Start     types.DateTime `db:"start"`
	End       types.DateTime `db:"end"`
	Party     int            `db:"party"`
	Status    string         `db:"status"`
	Name      string         `db:"name"`
	Email     string         `db:"email"`
	Phone     string         `db:"phone"`
	Notes     string         `db:"notes"`
	Source    string         `db:"source"`
	Created   types.DateTime `db:"created"`
}

// today is the front desk's landing page: each offering's bookings of a day (default today).
// Showing it is a view of those bookings' personal data, and audited as one.
func (h *handlers) today(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	now := h.now()
	day := v.today(now)
	if s := e.Request.URL.Query().Get("date"); s != "" {
		if d, err := booking.ParseDate(s); err == nil {
			day = d
		}
	}
	from := midnight(day, v.loc)
	to := midnight(day.AddDays(1), v.loc)
	offs, err := e.App.FindRecordsByFilter("offerings", "active = true", "sort,name", 0, 0)
	if err != nil {
		return err
	}
	d := views.TodayData{AdminPage: h.adminPage(e, views.M("admin.nav.today")), Date: from, DateValue: day.String(),
		Prev: day.AddDays(-1).String(), Next: day.AddDays(1).String(), CanCancel: true}
	total := 0
	for _, off := range offs {
		// Plain rows, not records: the day's list is the desk's most viewed page.
		var recs []todayRow
		err := e.App.DB().Select("id", "reference", "start", "end", "party", "name", "phone", "notes", "internal_notes", "status").
			From("bookings").Where(dbx.NewExp("offering = {:o} AND start >= {:from} AND start < {:to} AND status != 'cancelled'",
			dbx.Params{"o": off.Id, "from": dbTime(from), "to": dbTime(to)})).OrderBy("start", "id").All(&recs)
		if err != nil {
			return err
		}
		to := views.TodayOffering{Name: off.GetString("name"), Slug: off.GetString("slug")}
		covers := map[int]int{}
		for _, r := range recs {
			start := r.Start.Time().In(v.loc)
			to.Bookings = append(to.Bookings, views.TodayBooking{ID: r.ID, Reference: r.Reference, Start: start,
				End: r.End.Time().In(v.loc), Party: r.Party, Name: r.Name, Phone: r.Phone,
				Notes: r.Notes, Internal: r.InternalNotes, Status: r.Status})
			covers[start.Hour()] += r.Party
		}
		for hour := 0; hour < 24; hour++ {
			if c := covers[hour]; c > 0 {
				at, _, _ := booking.Resolve(day, booking.Clock(hour*60), v.loc)
				to.Covers = append(to.Covers, views.CoversHour{Hour: at.In(v.loc), Covers: c})
			}
		}
		cal, err := loadCalendar(e.App, off, day, v.loc, "")
		if err != nil {
			return err
		}
		r := rules(off)
		r.LeadTime, r.Horizon = 0, 0 // the desk sees the whole day
		to.Free = timeOptions(r, r.Slots(cal.Calendar, day, now, v.loc), 1, v.loc)
		d.Offerings = append(d.Offerings, to)
		total += len(recs)
	}
	if err := h.staffAudit(e.App, e, "booking.list_viewed", "today/"+day.String(), fmt.Sprintf("%d bookings", total)); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.TodayPage(d))
}

// setStatus moves a booking to status from the day list or its page: check in, no-show, back
// to confirmed. Cancelling has its own handler (a reason and a mail).
func (h *handlers) setStatus(status string) func(*core.RequestEvent) error {
	allowed := map[string][]string{
		"checked_in": {"confirmed"},
		"no_show":    {"confirmed"},
		"confirmed":  {"checked_in", "no_show"},
	}
	return func(e *core.RequestEvent) error {
		if err := e.Request.ParseForm(); err != nil {
			return formError(err)
		}
		rec, err := e.App.FindRecordById("bookings", e.Request.PathValue("id"))
		if err != nil {
			return notFound(err)
		}
		if !contains(allowed[status], rec.GetString("status")) {
			return &pageError{status: http.StatusConflict, heading: "admin.status_conflict", body: "admin.status_conflict_body"}
		}
		old := rec.GetString("status")
		rec.Set("status", status)
		if status == "checked_in" {
			rec.Set("checked_in_at", h.now().UTC())
		}
		err = e.App.RunInTransaction(func(tx core.App) error {
			if err := tx.Save(rec); err != nil {
				return err
			}
			return h.staffAudit(tx, e, "booking.status", "bookings/"+rec.Id, old+" → "+status)
		})
		if err != nil {
			return err
		}
		return e.Redirect(http.StatusSeeOther, backTo(e, "/admin/")+doneParam(e, "status"))
	}
}

// staffCancel cancels a booking for the venue, with the reason the guest is told by mail.
func (h *handlers) staffCancel(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(e.Request.PostForm.Get("reason"))
	if reason == "" || len(reason) > 500 || !cleanText(reason, false) {
		return &pageError{status: http.StatusUnprocessableEntity, heading: "admin.cancel_reason_missing", body: "admin.cancel_reason_missing_body"}
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		rec, err := tx.FindRecordById("bookings", e.Request.PathValue("id"))
		if err != nil {
			return notFound(err)
		}
		if rec.GetString("status") != "confirmed" {
			return &pageError{status: http.StatusConflict, heading: "admin.status_conflict", body: "admin.status_conflict_body"}
		}
		off, err := bookingOffering(tx, rec)
		if err != nil {
			return err
		}
		rec.Set("status", "cancelled")
		rec.Set("cancelled_at", h.now().UTC())
		rec.Set("cancel_reason", reason)
		rec.Set("sequence", rec.GetInt("sequence")+1)
		if err := tx.Save(rec); err != nil {
			return err
		}
		if err := h.staffAudit(tx, e, "booking.cancel", "bookings/"+rec.Id, "by the venue"); err != nil {
			return err
		}
		return h.bookingMail(tx, v, off, rec, views.MailCancellation, reason)
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, backTo(e, "/admin/")+doneParam(e, "cancelled"))
}

// backTo is the local page an action returns to (a form's "back" field), else def.
func backTo(e *core.RequestEvent, def string) string {
	b := e.Request.PostForm.Get("back")
	if strings.HasPrefix(b, "/admin/") && !strings.HasPrefix(b, "//") && !strings.ContainsAny(b, "\\\r\n") {
		return b
	}
	return def
}

func doneParam(e *core.RequestEvent, what string) string {
	if strings.Contains(backTo(e, "/admin/"), "?") {
		return "&done=" + what
	}
	return "?done=" + what
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// bookingsPageSize is the number of bookings per page of the list.
const bookingsPageSize = 50

// bookingFilter reads the list's filter from the query; bad dates are ignored.
func bookingFilter(q url.Values) views.BookingFilter {
	f := views.BookingFilter{Q: strings.TrimSpace(q.Get("q")), From: q.Get("from"), To: q.Get("to"),
		Offering: q.Get("offering"), Status: q.Get("status")}
	if _, err := booking.ParseDate(f.From); err != nil {
		f.From = ""
	}
	if _, err := booking.ParseDate(f.To); err != nil {
		f.To = ""
	}
	if !contains([]string{"confirmed", "checked_in", "no_show", "completed", "cancelled"}, f.Status) {
		f.Status = ""
	}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	if f.Page < 1 || f.Page > 100000 {
		f.Page = 1
	}
	if len(f.Q) > 200 {
		f.Q = f.Q[:200]
	}
	return f
}

// filterExpr turns the filter into a WHERE expression over bookings.
func filterExpr(f views.BookingFilter, loc *time.Location) dbx.Expression {
	exps := []dbx.Expression{dbx.NewExp("1=1")}
	if f.Q != "" {
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(f.Q) + "%"
		exps = append(exps, dbx.NewExp("(reference LIKE {:q} OR name LIKE {:q} OR email LIKE {:q} OR phone LIKE {:q})", dbx.Params{"q": like}))
	}
	if d, err := booking.ParseDate(f.From); err == nil {
		exps = append(exps, dbx.NewExp("start >= {:from}", dbx.Params{"from": dbTime(midnight(d, loc))}))
	}
	if d, err := booking.ParseDate(f.To); err == nil {
		exps = append(exps, dbx.NewExp("start < {:to}", dbx.Params{"to": dbTime(midnight(d.AddDays(1), loc))}))
	}
	if f.Offering != "" {
		exps = append(exps, dbx.HashExp{"offering": f.Offering})
	}
	if f.Status != "" {
		exps = append(exps, dbx.HashExp{"status": f.Status})
	}
	return dbx.And(exps...)
}

// bookingsList searches bookings. Searching shows personal data: audited (without the query).
func (h *handlers) bookingsList(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	f := bookingFilter(e.Request.URL.Query())
	where := filterExpr(f, v.loc)
	var total int
	if err := e.App.DB().Select("count(*)").From("bookings").Where(where).Row(&total); err != nil {
		return err
	}
	recs := []*core.Record{}
	err = e.App.RecordQuery("bookings").Where(where).OrderBy("start DESC").
		Limit(bookingsPageSize).Offset(int64((f.Page - 1) * bookingsPageSize)).All(&recs)
	if err != nil {
		return err
	}
	names := map[string]string{}
	d := views.BookingsData{AdminPage: h.adminPage(e, views.M("admin.bookings.title")), Filter: f, Total: total,
		Pages: (total + bookingsPageSize - 1) / bookingsPageSize, CanExport: roleOf(staffOf(e)) >= roleManager}
	offs, err := e.App.FindRecordsByFilter("offerings", "", "sort,name", 0, 0)
	if err != nil {
		return err
	}
	for _, o := range offs {
		names[o.Id] = o.GetString("name")
		d.Offerings = append(d.Offerings, views.Option{Value: o.Id, Label: o.GetString("name")})
	}
	for _, r := range recs {
		d.Rows = append(d.Rows, views.BookingRow{ID: r.Id, Reference: r.GetString("reference"), Offering: names[r.GetString("offering")],
			Name: r.GetString("name"), Email: r.GetString("email"), Status: r.GetString("status"),
			Start: r.GetDateTime("start").Time().In(v.loc), Party: r.GetInt("party")})
	}
	detail := fmt.Sprintf("%d results, page %d", total, f.Page)
	if f.Q != "" {
		detail += ", with a search text"
	}
	if err := h.staffAudit(e.App, e, "booking.list_viewed", "bookings", detail); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.BookingsPage(d))
}

// bookingAdmin shows one booking to staff: an audited view of its personal data.
func (h *handlers) bookingAdmin(e *core.RequestEvent) error {
	return h.renderBookingAdmin(e, http.StatusOK, nil, "")
}

// staffBooking loads the venue, the booking of the request's {id} (404 when there is none) and
// its offering.
func (h *handlers) staffBooking(e *core.RequestEvent) (*venue, *core.Record, *core.Record, error) {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return nil, nil, nil, err
	}
	rec, err := e.App.FindRecordById("bookings", e.Request.PathValue("id"))
	if err != nil {
		return nil, nil, nil, notFound(err)
	}
	off, err := bookingOffering(e.App, rec)
	if err != nil {
		return nil, nil, nil, err
	}
	return v, rec, off, nil
}

func (h *handlers) renderBookingAdmin(e *core.RequestEvent, status int, errs map[string]views.Msg, moveDate string) error {
	v, rec, off, err := h.staffBooking(e)
	if err != nil {
		return err
	}
	b := bookingView(v, off, rec)
	d := views.BookingAdminData{AdminPage: h.adminPage(e, views.M("admin.booking.title", b.Reference)), ID: rec.Id, Booking: b,
		Internal: rec.GetString("internal_notes"), Source: rec.GetString("source"), Override: rec.GetString("override_reason"),
		Consent: rec.GetDateTime("consent_at").Time(), Notice: rec.GetInt("notice_version"), Errors: errs,
		Active: b.Status == "confirmed", HasSensitive: rec.GetString("sensitive_notes") != "",
		CanSeeSensitive: roleOf(staffOf(e)) >= roleManager}
	if !d.Consent.IsZero() {
		d.Consent = d.Consent.In(v.loc)
	}
	if err := e.App.DB().Select("name").From("participants").Where(dbx.HashExp{"booking": rec.Id}).OrderBy("created").
		Column(&d.Guests); err != nil {
		return err
	}
	if errs != nil {
		if f := e.Request.PostForm; f != nil && f.Has("name") {
			d.Booking.Name, d.Booking.Email, d.Booking.Phone, d.Booking.Notes = f.Get("name"), f.Get("email"), f.Get("phone"), f.Get("notes")
			d.Internal = f.Get("internal_notes")
		}
	}
	if d.Active {
		q := e.Request.URL.Query()
		dateStr := q.Get("date")
		if moveDate != "" {
			dateStr = moveDate
		}
		if dateStr == "" {
			dateStr = booking.DateOf(rec.GetDateTime("start").Time(), v.loc).String()
		}
		partyStr := q.Get("party")
		if partyStr == "" {
			partyStr = strconv.Itoa(rec.GetInt("party"))
		}
		staffRules := rules(off)
		staffRules.LeadTime = 0
		sel, err := h.selection(e.App, v, off, dateStr, partyStr, h.now())
		if err != nil {
			return err
		}
		cal, err := loadCalendar(e.App, off, sel.date, v.loc, rec.Id)
		if err != nil {
			return err
		}
		d.Picker, err = h.picker(e.App, v, off, "/admin/bookings/"+rec.Id, sel, h.now())
		if err != nil {
			return err
		}
		d.Times = timeOptions(staffRules, staffRules.Slots(cal.Calendar, sel.date, h.now(), v.loc), sel.party, v.loc)
	}
	entries, err := e.App.FindRecordsByFilter("audit_log", "target = {:t}", "-created", 100, 0, dbx.Params{"t": "bookings/" + rec.Id})
	if err != nil {
		return err
	}
	staffNames := map[string]string{}
	for _, a := range entries {
		who := a.GetString("actor")
		if id, ok := strings.CutPrefix(who, "staff:"); ok {
			if _, seen := staffNames[id]; !seen {
				if s, err := e.App.FindRecordById("staff", id); err == nil {
					staffNames[id] = s.GetString("name")
				}
			}
			who = staffNames[id]
		}
		d.History = append(d.History, views.HistoryEntry{When: a.GetDateTime("created").Time().In(v.loc), Actor: who,
			Action: a.GetString("action"), Detail: a.GetString("detail")})
	}
	if err := h.staffAudit(e.App, e, "booking.viewed", "bookings/"+rec.Id, ""); err != nil {
		return err
	}
	return render(e, status, views.BookingAdminPage(d))
}

// bookingEdit saves a booking's contact details and internal notes.
func (h *handlers) bookingEdit(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	rec, err := e.App.FindRecordById("bookings", e.Request.PathValue("id"))
	if err != nil {
		return notFound(err)
	}
	f := e.Request.PostForm
	form := url.Values{"name": {f.Get("name")}, "email": {f.Get("email")}, "phone": {f.Get("phone")}, "notes": {f.Get("notes")},
		"consent": {"yes"}, "party": {"1"}, "start": {"x"}}
	in, errs := parseBookForm(form)
	internal := strings.TrimSpace(strings.ReplaceAll(f.Get("internal_notes"), "\r\n", "\n"))
	if !cleanText(internal, true) || len([]rune(internal)) > 5000 {
		errs["internal_notes"] = views.M("err.text_invalid")
	}
	if len(errs) > 0 {
		return h.renderBookingAdmin(e, http.StatusUnprocessableEntity, errs, "")
	}
	changed := []string{}
	for field, val := range map[string]string{"name": in.form.Name, "email": in.form.Email, "phone": in.form.Phone,
		"notes": in.form.Notes, "internal_notes": internal} {
		if rec.GetString(field) != val {
			changed = append(changed, field)
			rec.Set(field, val)
		}
	}
	if len(changed) == 0 {
		return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+rec.Id)
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(rec); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "booking.edited", "bookings/"+rec.Id, strings.Join(sortedCopy(changed), ", "))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+rec.Id+"?done=saved")
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// bookingMove moves a booking for staff, under the visitors' rules but without the lead time
// (the desk may seat a guest now) and without the cut-off; the guest gets the change mail.
func (h *handlers) bookingMove(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, rec, off, err := h.staffBooking(e)
	if err != nil {
		return err
	}
	start := e.Request.PostForm.Get("start")
	party, perr := strconv.Atoi(e.Request.PostForm.Get("party"))
	r := rules(off)
	r.LeadTime = 0
	if perr != nil || r.CheckParty(party) != nil {
		return h.renderBookingAdmin(e, http.StatusUnprocessableEntity, map[string]views.Msg{"start": views.M("err.party_invalid")}, "")
	}
	date, err := h.startDate(e.App, v, off, start)
	if err != nil {
		return h.renderBookingAdmin(e, http.StatusUnprocessableEntity, map[string]views.Msg{"start": views.M("err.start_invalid")}, "")
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		cur, err := tx.FindRecordById("bookings", rec.Id)
		if err != nil {
			return err
		}
		if cur.GetString("status") != "confirmed" {
			return &pageError{status: http.StatusConflict, heading: "admin.status_conflict", body: "admin.status_conflict_body"}
		}
		cal, err := loadCalendar(tx, off, date, v.loc, cur.Id)
		if err != nil {
			return err
		}
		slot, err := r.Check(cal.Calendar, booking.Request{Start: start, Party: party}, h.now(), v.loc)
		if err != nil {
			return err
		}
		old := cur.GetDateTime("start").Time().In(v.loc).Format(localLayout)
		cur.Set("start", slot.Start.UTC())
		cur.Set("end", slot.End.UTC())
		cur.Set("session", slot.Session)
		cur.Set("party", party)
		cur.Set("sequence", cur.GetInt("sequence")+1)
		markReminder(v, cur, h.now())
		if err := tx.Save(cur); err != nil {
			return err
		}
		if err := h.staffAudit(tx, e, "booking.change", "bookings/"+cur.Id, old+" → "+slot.Start.In(v.loc).Format(localLayout)); err != nil {
			return err
		}
		return h.bookingMail(tx, v, off, cur, views.MailChange, "")
	})
	switch {
	case err == nil:
		return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+rec.Id+"?done=moved")
	case errors.Is(err, booking.ErrFull):
		return h.renderBookingAdmin(e, http.StatusConflict, map[string]views.Msg{"start": views.M("book.just_taken")}, date.String())
	case isStartError(err) || errors.Is(err, booking.ErrPartyTooLarge) || errors.Is(err, booking.ErrPartyTooSmall):
		return h.renderBookingAdmin(e, http.StatusUnprocessableEntity, map[string]views.Msg{"start": startMsg(err)}, date.String())
	}
	return err
}

// newBookingPage is the form for a booking taken by staff (a caller on the phone).
func (h *handlers) newBookingPage(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	return h.renderNewBooking(e, http.StatusOK, q.Get("offering"), q.Get("date"), q.Get("party"), bookInput{start: q.Get("start")}, nil, "")
}

func (h *handlers) renderNewBooking(e *core.RequestEvent, status int, offID, dateStr, partyStr string, in bookInput,
	errs map[string]views.Msg, override string) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	offs, err := e.App.FindRecordsByFilter("offerings", "active = true", "sort,name", 0, 0)
	if err != nil {
		return err
	}
	if len(offs) == 0 {
		return notFound(errors.New("no active offering"))
	}
	d := views.NewBookingData{AdminPage: h.adminPage(e, views.M("admin.bookings.new")), Form: in.form, Start: in.start,
		Errors: errs, CanOverride: roleOf(staffOf(e)) >= roleManager, Override: override}
	off := offs[0]
	for _, o := range offs {
		d.Offerings = append(d.Offerings, views.Option{Value: o.Id, Label: o.GetString("name")})
		if o.Id == offID {
			off = o
		}
	}
	d.Offering = off.Id
	sel, err := h.selection(e.App, v, off, dateStr, partyStr, h.now())
	if err != nil {
		return err
	}
	d.Picker, err = h.picker(e.App, v, off, "/admin/bookings/new", sel, h.now())
	if err != nil {
		return err
	}
	d.Picker.Keep = [][2]string{{"offering", off.Id}}
	cal, err := loadCalendar(e.App, off, sel.date, v.loc, "")
	if err != nil {
		return err
	}
	r := rules(off)
	r.LeadTime = 0
	for _, t := range timeOptions(r, r.Slots(cal.Calendar, sel.date, h.now(), v.loc), sel.party, v.loc) {
		if !t.Full || d.CanOverride {
			d.Times = append(d.Times, t)
		}
	}
	return render(e, status, views.NewBookingPage(d))
}

// newBooking stores a booking taken by staff: the visitors' rules without the lead time; a
// manager or owner may exceed the capacity with a stated reason, which is audited.
func (h *handlers) newBooking(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	f := e.Request.PostForm
	off, err := e.App.FindRecordById("offerings", f.Get("offering"))
	if err != nil {
		return notFound(err)
	}
	in, errs := parseBookForm(f)
	override := strings.TrimSpace(f.Get("override"))
	if override != "" && (roleOf(staffOf(e)) < roleManager || !cleanText(override, false) || len(override) > 500) {
		errs["override"] = views.M("admin.book.override_refused")
	}
	r := rules(off)
	r.LeadTime = 0
	if _, bad := errs["party"]; !bad {
		if perr := r.CheckParty(in.party); perr != nil {
			errs["party"] = partyMsg(r, perr)
		}
	}
	date, derr := h.startDate(e.App, v, off, in.start)
	if derr != nil && errs["start"].IsZero() {
		errs["start"] = views.M("err.start_invalid")
	}
	redo := func(status int, errs map[string]views.Msg) error {
		return h.renderNewBooking(e, status, off.Id, date.String(), strconv.Itoa(max(in.party, 1)), in, errs, override)
	}
	if len(errs) > 0 {
		return redo(http.StatusUnprocessableEntity, errs)
	}
	now := h.now()
	var id string
	err = e.App.RunInTransaction(func(tx core.App) error {
		cal, err := loadCalendar(tx, off, date, v.loc, "")
		if err != nil {
			return err
		}
		slot, err := r.Check(cal.Calendar, booking.Request{Start: in.start, Party: in.party}, now, v.loc)
		if errors.Is(err, booking.ErrFull) && override != "" {
			// Over capacity on purpose: the slot itself is valid, only the room is not.
			roomy := r
			roomy.Capacity = 1 << 30
			bigCal := cal.Calendar
			for i := range bigCal.Sessions {
				bigCal.Sessions[i].Seats = 1 << 30
			}
			slot, err = roomy.Check(bigCal, booking.Request{Start: in.start, Party: in.party}, now, v.loc)
		} else if err == nil {
			override = ""
		}
		if err != nil {
			return err
		}
		_, rec, err := insertBooking(tx, reqID(e), v, off, slot, in, now)
		if err != nil {
			return err
		}
		rec.Set("source", "staff")
		rec.Set("override_reason", override)
		if err := tx.Save(rec); err != nil {
			return err
		}
		id = rec.Id
		detail := "by staff"
		if override != "" {
			detail = "over capacity: " + override
		}
		if err := h.staffAudit(tx, e, "booking.create", "bookings/"+rec.Id, detail); err != nil {
			return err
		}
		return h.bookingMail(tx, v, off, rec, views.MailConfirmation, "")
	})
	switch {
	case err == nil:
		return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+id+"?done=created")
	case errors.Is(err, booking.ErrFull):
		msg := views.M("book.just_taken")
		if roleOf(staffOf(e)) >= roleManager {
			msg = views.M("admin.book.full_override")
		}
		return redo(http.StatusConflict, map[string]views.Msg{"start": msg})
	case isStartError(err):
		return redo(http.StatusUnprocessableEntity, map[string]views.Msg{"start": startMsg(err)})
	}
	return err
}

// exportCSV (manager, owner) streams the bookings matching the list's filter as CSV, in pages
// so that memory stays flat; audited with the filter and the count.
func (h *handlers) exportCSV(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	f := bookingFilter(e.Request.URL.Query())
	where := filterExpr(f, v.loc)
	names := map[string]string{}
	offs, err := e.App.FindRecordsByFilter("offerings", "", "", 0, 0)
	if err != nil {
		return err
	}
	for _, o := range offs {
		names[o.Id] = o.GetString("name")
	}
	// The export is audited before a byte leaves: an export that cannot be logged is not sent.
	var total int
	if err := e.App.DB().Select("count(*)").From("bookings").Where(where).Row(&total); err != nil {
		return err
	}
	detail := fmt.Sprintf("%d bookings, from %q to %q, offering %q, status %q", total, f.From, f.To, f.Offering, f.Status)
	if f.Q != "" {
		detail += ", with a search text"
	}
	if err := h.staffAudit(e.App, e, "booking.exported", "bookings", detail); err != nil {
		return err
	}
	e.Response.Header().Set("Content-Type", "text/csv; charset=utf-8")
	e.Response.Header().Set("Content-Disposition", `attachment; filename="bookings-`+h.now().In(v.loc).Format("20060102-1504")+`.csv"`)
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.WriteHeader(http.StatusOK)
	w := csv.NewWriter(e.Response)
	_ = w.Write([]string{"reference", "offering", "start", "end", "party", "status", "name", "email", "phone", "notes", "source", "booked"})
	// Streamed in pages of 1000 by (start, id) after the last row sent: memory stays flat, and a
	// booking made meanwhile neither shifts nor repeats a row.
	const page = 1000
	after := dbx.NewExp("1=1")
	for {
		var rows []exportRow
		err := e.App.DB().Select("id", "reference", "offering", "start", "end", "party", "status", "name", "email", "phone", "notes", "source", "created").
			From("bookings").Where(where).AndWhere(after).OrderBy("start", "id").Limit(page).All(&rows)
		if err != nil {
			// The header is sent: the CSV ends short and the log says why.
			e.App.Logger().Error("export: read bookings", "error", err.Error())
			return nil
		}
		for _, r := range rows {
			if err := w.Write([]string{r.Reference, names[r.Offering], r.Start.Time().In(v.loc).Format(localLayout),
				r.End.Time().In(v.loc).Format(localLayout), strconv.Itoa(r.Party), r.Status, csvSafe(r.Name), csvSafe(r.Email),
				csvSafe(r.Phone), csvSafe(r.Notes), r.Source, r.Created.Time().In(v.loc).Format(localLayout)}); err != nil {
				return nil // the client went away
			}
		}
		w.Flush()
		if len(rows) < page || w.Error() != nil {
			return nil // done, or the client went away
		}
		last := rows[len(rows)-1]
		after = dbx.NewExp("(start > {:s} OR (start = {:s} AND id > {:id}))", dbx.Params{"s": last.Start.String(), "id": last.ID})
	}
}

// csvSafe defuses spreadsheet formulas in a value a guest typed (=, +, -, @ at the start).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
