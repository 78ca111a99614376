package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// offeringsPage (manager, owner) lists the offerings, active or not.
func (h *handlers) offeringsPage(e *core.RequestEvent) error {
	offs, err := store.Offerings(e.App, false)
	if err != nil {
		return err
	}
	d := views.OfferingsData{AdminPage: h.adminPage(e, views.M("admin.nav.offerings"))}
	for _, o := range offs {
		d.Offerings = append(d.Offerings, offeringForm(o))
	}
	return render(e, http.StatusOK, views.OfferingsPage(d))
}

func offeringForm(o *store.Offering) views.OfferingForm {
	return views.OfferingForm{ID: o.ID, Name: o.Name, Slug: o.Slug, Description: o.Description,
		Kind: string(o.Kind), Mode: string(o.Mode), Duration: o.Duration, Interval: o.Interval,
		Capacity: o.Capacity, MinParty: o.MinParty, MaxParty: o.MaxParty,
		BufferBefore: o.BufferBefore, BufferAfter: o.BufferAfter, LeadTime: o.LeadTime,
		Horizon: o.Horizon, CancelCutoff: o.CancelCutoff, Sort: o.Sort, Active: o.Active,
		SensitivePrompt: o.SensitivePrompt, AskParticipants: o.AskParticipants, Policy: o.Policy,
		Pacing: o.Pacing, TurnTimes: o.TurnTimes, PaymentMode: string(o.PaymentMode), PaymentAmount: formatMinor(o.PaymentAmount)}
}

// formatMinor writes an amount in minor units as typed into a form ("20.00"; "" for none).
func formatMinor(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%02d", n/100, n%100)
}

// parseMinor reads an amount typed into a form ("20", "20.5", "20,50") in minor units; ok is
// false for anything else, or more than 100,000.
func parseMinor(s string) (int, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if s == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" || strings.Trim(whole+frac, "0123456789") != "" || len(whole) > 6 {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.Atoi(whole)
	f, _ := strconv.Atoi(frac)
	n := w*100 + f
	return n, n <= 100000*100
}

// offeringPage shows the form of a new offering or of an existing one (with hours or sessions).
func (h *handlers) offeringPage(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if id == "new" {
		return h.renderOffering(e, http.StatusOK, views.OfferingData{New: true, Form: views.OfferingForm{Kind: string(booking.KindSlot),
			Mode: string(booking.ModePeople), Duration: 60, Interval: 30, Capacity: 10, MinParty: 1, MaxParty: 8, Horizon: 90,
			LeadTime: 60, CancelCutoff: 120, Active: true}})
	}
	o, err := store.OfferingByID(e.App, id)
	if err != nil {
		return notFound(err)
	}
	return h.renderOffering(e, http.StatusOK, views.OfferingData{Form: offeringForm(o)})
}

func (h *handlers) renderOffering(e *core.RequestEvent, status int, d views.OfferingData) error {
	d.AdminPage = h.adminPage(e, views.M("admin.nav.offerings"))
	if !d.New {
		hours, err := store.OfferingHours(e.App, d.Form.ID)
		if err != nil {
			return err
		}
		for _, hr := range hours {
			d.Hours = append(d.Hours, views.HoursRow{ID: hr.ID, Weekday: strconv.Itoa(hr.Weekday), Opens: hr.Opens, Closes: hr.Closes})
		}
		v, err := h.venueOrUnavailable(e.App)
		if err != nil {
			return err
		}
		now := h.now()
		sessions, err := store.OfferingSessions(e.App, d.Form.ID, now.Add(-24*time.Hour), 200)
		if err != nil {
			return err
		}
		for _, s := range sessions {
			d.Sessions = append(d.Sessions, sessionAdminRow(s, v.Loc))
		}
		series, err := store.OfferingSeries(e.App, d.Form.ID)
		if err != nil {
			return err
		}
		for _, r := range series {
			d.Series = append(d.Series, seriesForm(r, v.Today(now)))
		}
		if d.NewSeries.From == "" {
			d.NewSeries = views.SeriesForm{From: v.Today(now).String(), Seats: d.Form.Capacity, Time: "18:00"}
		}
		if d.Form.Kind != string(booking.KindSession) {
			if err := offeringResources(e.App, &d); err != nil {
				return err
			}
		}
	}
	return render(e, status, views.OfferingPage(d))
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// offeringSave creates or updates an offering from the form.
func (h *handlers) offeringSave(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	id := e.Request.PathValue("id")
	f := e.Request.PostForm
	errs := map[string]views.Msg{}
	form := views.OfferingForm{ID: id, Name: strings.TrimSpace(f.Get("name")), Slug: strings.TrimSpace(f.Get("slug")),
		Description: strings.TrimSpace(f.Get("description")), Kind: f.Get("kind"), Mode: f.Get("mode"), Active: f.Get("active") == "yes",
		SensitivePrompt: strings.TrimSpace(f.Get("sensitive_prompt")), AskParticipants: f.Get("ask_participants") == "yes",
		Policy: strings.TrimSpace(f.Get("policy")), TurnTimes: strings.TrimSpace(f.Get("turn_times")),
		PaymentMode: f.Get("payment_mode"), PaymentAmount: strings.TrimSpace(f.Get("payment_amount"))}
	ints := map[string]*int{"duration": &form.Duration, "interval": &form.Interval, "capacity": &form.Capacity, "min_party": &form.MinParty,
		"max_party": &form.MaxParty, "buffer_before": &form.BufferBefore, "buffer_after": &form.BufferAfter, "lead_time": &form.LeadTime,
		"horizon": &form.Horizon, "cancel_cutoff": &form.CancelCutoff, "sort": &form.Sort, "pacing": &form.Pacing}
	bounds := map[string][2]int{"duration": {5, 1440}, "interval": {0, 1440}, "capacity": {1, 100000}, "min_party": {1, 1000},
		"max_party": {0, 1000}, "buffer_before": {0, 1440}, "buffer_after": {0, 1440}, "lead_time": {0, 100000}, "horizon": {0, 3650},
		"cancel_cutoff": {0, 100000}, "sort": {-1000, 1000}, "pacing": {0, 100000}}
	for name, p := range ints {
		v := strings.TrimSpace(f.Get(name))
		if v == "" && name == "pacing" {
			v = "0" // optional: no pacing
		}
		n, err := strconv.Atoi(v)
		b := bounds[name]
		if err != nil || n < b[0] || n > b[1] {
			errs[name] = views.M("admin.number_range", b[0], b[1])
		}
		*p = n
	}
	if form.Name == "" || len(form.Name) > 200 || !cleanText(form.Name, false) {
		errs["name"] = views.M("admin.required")
	}
	selfID := id
	if id == "new" {
		selfID = ""
	}
	if !slugPattern.MatchString(form.Slug) || len(form.Slug) > 80 {
		errs["slug"] = views.M("admin.offerings.slug_bad")
	} else if taken, err := store.SlugTaken(e.App, form.Slug, selfID); err != nil {
		return err
	} else if taken {
		errs["slug"] = views.M("admin.offerings.slug_taken")
	}
	if k := booking.Kind(form.Kind); k != booking.KindSlot && k != booking.KindSession {
		errs["kind"] = views.M("admin.required")
	}
	if m := booking.Mode(form.Mode); m != booking.ModePeople && m != booking.ModeUnits {
		errs["mode"] = views.M("admin.required")
	}
	if tt, err := booking.ParseTurnTimes(form.TurnTimes); err != nil {
		errs["turn_times"] = views.M("admin.offerings.turn_times_bad")
	} else {
		form.TurnTimes = booking.FormatTurnTimes(tt)
	}
	if form.MaxParty > 0 && form.MaxParty < form.MinParty {
		errs["max_party"] = views.M("admin.offerings.max_below_min")
	}
	if !cleanText(form.Description, true) {
		errs["description"] = views.M("err.text_invalid")
	}
	if !cleanText(form.Policy, true) || utf8.RuneCountInString(form.Policy) > 2000 {
		errs["policy"] = views.M("err.text_invalid")
	}
	switch {
	case !cleanText(form.SensitivePrompt, false) || utf8.RuneCountInString(form.SensitivePrompt) > 200:
		errs["sensitive_prompt"] = views.M("err.text_invalid")
	case form.SensitivePrompt != "" && !store.SensitiveEnabled():
		errs["sensitive_prompt"] = views.M("admin.offerings.sensitive_no_key")
	}
	amount, ok := parseMinor(form.PaymentAmount)
	switch mode := store.PaymentMode(form.PaymentMode); {
	case !ok:
		errs["payment_amount"] = views.M("admin.offerings.payment_amount_bad")
	case mode != "" && mode != store.PayDeposit && mode != store.PayPrepay && mode != store.PayCard:
		errs["payment_mode"] = views.M("admin.required")
	case mode != "" && amount == 0:
		errs["payment_amount"] = views.M("admin.offerings.payment_amount_missing")
	case mode != "":
		if acct, err := store.LoadPaymentAccount(e.App); err != nil || !acct.Ready() {
			errs["payment_mode"] = views.M("admin.offerings.payment_no_account")
		}
	}
	if form.PaymentMode == "" {
		amount = 0
	}
	if len(errs) > 0 {
		return h.renderOffering(e, http.StatusUnprocessableEntity, views.OfferingData{Form: form, New: id == "new", Errors: errs})
	}
	if selfID != "" {
		if _, err := store.OfferingByID(e.App, selfID); err != nil {
			return notFound(err)
		}
	}
	o := store.Offering{ID: selfID, Name: form.Name, Slug: form.Slug, Description: form.Description, Kind: booking.Kind(form.Kind),
		Mode: booking.Mode(form.Mode), Duration: form.Duration, Interval: form.Interval, Capacity: form.Capacity,
		MinParty: form.MinParty, MaxParty: form.MaxParty, BufferBefore: form.BufferBefore, BufferAfter: form.BufferAfter,
		LeadTime: form.LeadTime, Horizon: form.Horizon, CancelCutoff: form.CancelCutoff, Sort: form.Sort, Active: form.Active,
		SensitivePrompt: form.SensitivePrompt, AskParticipants: form.AskParticipants, Policy: form.Policy,
		Pacing: form.Pacing, TurnTimes: form.TurnTimes, PaymentMode: store.PaymentMode(form.PaymentMode), PaymentAmount: amount}
	var saved string
	err := e.App.RunInTransaction(func(tx core.App) error {
		var err error
		if saved, err = store.SaveOffering(tx, o); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "offering.saved", "offerings/"+saved, form.Slug)
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+saved+"?done=saved")
}

// hoursAdd adds a weekly opening rule to a slot offering.
func (h *handlers) hoursAdd(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	off, err := store.OfferingByID(e.App, e.Request.PathValue("id"))
	if err != nil {
		return notFound(err)
	}
	f := e.Request.PostForm
	wd, werr := strconv.Atoi(f.Get("weekday"))
	opens, oerr := booking.ParseClock(f.Get("opens"))
	closes, cerr := booking.ParseClock(f.Get("closes"))
	hr := booking.Hours{Weekday: time.Weekday(wd), Open: opens, Close: closes}
	if werr != nil || oerr != nil || cerr != nil || !hr.Valid() {
		return h.renderOffering(e, http.StatusUnprocessableEntity, views.OfferingData{Form: offeringForm(off),
			Errors: map[string]views.Msg{"hours": views.M("admin.hours.bad")}})
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if _, err := store.AddHours(tx, off.ID, hr); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "offering.hours_added", "offerings/"+off.ID, fmt.Sprintf("%d %s-%s", wd, opens, closes))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=saved")
}

// hoursDelete removes an opening rule (existing bookings stay).
func (h *handlers) hoursDelete(e *core.RequestEvent) error {
	off := e.Request.PathValue("id")
	err := e.App.RunInTransaction(func(tx core.App) error {
		if err := store.DeleteHours(tx, off, e.Request.PathValue("hid")); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "offering.hours_deleted", "offerings/"+off, "")
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off+"?done=saved")
}

// sessionAdd adds a dated session (local date and time) to a session offering.
func (h *handlers) sessionAdd(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	off, err := sessionOffering(e)
	if err != nil {
		return err
	}
	f := e.Request.PostForm
	d, derr := booking.ParseDate(f.Get("date"))
	c, cerr := booking.ParseClock(f.Get("time"))
	seats, serr := strconv.Atoi(f.Get("seats"))
	start, exists, _ := booking.Resolve(d, c, v.Loc)
	if derr != nil || cerr != nil || serr != nil || seats < 1 || seats > 100000 || c >= 24*60 || !exists {
		return h.renderOffering(e, http.StatusUnprocessableEntity, views.OfferingData{Form: offeringForm(off),
			Errors: map[string]views.Msg{"sessions": views.M("admin.sessions_bad")}})
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		id, err := store.AddSession(tx, off.ID, start, start.Add(off.Rules().Duration), seats)
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "session.added", "sessions/"+id, start.In(v.Loc).Format(localLayout))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=saved")
}

// closuresPage lists the closures and special hours from a week ago on.
func (h *handlers) closuresPage(e *core.RequestEvent) error {
	return h.renderClosures(e, http.StatusOK, nil, views.ClosureRow{}, views.SpecialHoursRow{})
}

func (h *handlers) renderClosures(e *core.RequestEvent, status int, errs map[string]views.Msg, form views.ClosureRow, special views.SpecialHoursRow) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	d := views.ClosuresData{AdminPage: h.adminPage(e, views.M("admin.nav.closures")), Errors: errs, Form: form, SpecialForm: special}
	offs, err := store.Offerings(e.App, false)
	if err != nil {
		return err
	}
	names := map[string]string{"": jobs.Locale(v).T("admin.closures.venue")}
	for _, o := range offs {
		names[o.ID] = o.Name
		d.Offerings = append(d.Offerings, views.Option{Value: o.ID, Label: o.Name})
	}
	closures, err := store.ClosuresFrom(e.App, v.Today(h.now()).AddDays(-7))
	if err != nil {
		return err
	}
	for _, c := range closures {
		d.Closures = append(d.Closures, views.ClosureRow{ID: c.ID, From: c.StartDate, To: c.EndDate, Offering: names[c.Offering],
			Reason: c.Reason, Opens: c.Opens, Closes: c.Closes})
	}
	specials, err := store.SpecialHoursFrom(e.App, v.Today(h.now()).AddDays(-7))
	if err != nil {
		return err
	}
	for _, sh := range specials {
		spans, err := store.ParseSpans(sh.Spans)
		if err != nil {
			e.App.Logger().Warn("closures: malformed special hours", "id", sh.ID)
		}
		d.Special = append(d.Special, views.SpecialHoursRow{ID: sh.ID, From: sh.StartDate, To: sh.EndDate, Offering: names[sh.Offering],
			Reason: sh.Reason, Spans: spans})
	}
	return render(e, status, views.ClosuresPage(d))
}

// parseSpan reads an opening (or closed-from) and a closing time as typed: HH:MM, the opening
// before 24:00, the closing after it and at most 47:59 (past midnight: 25:30). ok is false
// otherwise.
func parseSpan(opens, closes string) (booking.Span, bool) {
	o, err1 := booking.ParseClock(strings.TrimSpace(opens))
	c, err2 := booking.ParseClock(strings.TrimSpace(closes))
	sp := booking.Span{Open: o, Close: c}
	return sp, err1 == nil && err2 == nil && sp.Valid()
}

// validDates reads a From..To range of venue-local dates, To not before From.
func validDates(from, to string) (booking.Date, booking.Date, bool) {
	f, ferr := booking.ParseDate(strings.TrimSpace(from))
	t, terr := booking.ParseDate(strings.TrimSpace(to))
	return f, t, ferr == nil && terr == nil && t.Compare(f) >= 0
}

// closureAdd closes dates (venue-wide or one offering); bookings already made stay, and the
// form says so.
func (h *handlers) closureAdd(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	form := views.ClosureRow{From: f.Get("from"), To: f.Get("to"), Offering: f.Get("offering"), Reason: strings.TrimSpace(f.Get("reason")),
		Opens: strings.TrimSpace(f.Get("opens")), Closes: strings.TrimSpace(f.Get("closes"))}
	from, to, ok := validDates(form.From, form.To)
	errs := map[string]views.Msg{}
	if !ok {
		errs["dates"] = views.M("admin.closures.bad_dates")
	}
	// Both times empty: the whole dates; otherwise the part of each date between them.
	var span booking.Span
	partDay := form.Opens != "" || form.Closes != ""
	if partDay {
		if span, ok = parseSpan(form.Opens, form.Closes); !ok {
			errs["times"] = views.M("admin.closures.bad_times")
		}
	}
	if len(form.Reason) > 500 || !cleanText(form.Reason, false) {
		errs["reason"] = views.M("err.text_invalid")
	}
	if form.Offering != "" {
		if _, err := store.OfferingByID(e.App, form.Offering); err != nil {
			errs["dates"] = views.M("admin.required")
		}
	}
	if len(errs) > 0 {
		return h.renderClosures(e, http.StatusUnprocessableEntity, errs, form, views.SpecialHoursRow{})
	}
	err := e.App.RunInTransaction(func(tx core.App) error {
		if partDay {
			id, err := store.AddPartClosure(tx, form.Offering, from, to, span, form.Reason)
			if err != nil {
				return err
			}
			return h.staffAudit(tx, e, "closure.added", "closures/"+id,
				from.String()+" – "+to.String()+", "+span.Open.String()+"–"+span.Close.String())
		}
		id, err := store.AddClosure(tx, form.Offering, from, to, form.Reason)
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "closure.added", "closures/"+id, from.String()+" – "+to.String())
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/closures?done=saved")
}

// closureDelete reopens the dates of a closure.
func (h *handlers) closureDelete(e *core.RequestEvent) error {
	err := e.App.RunInTransaction(func(tx core.App) error {
		c, err := store.DeleteClosure(tx, e.Request.PathValue("id"))
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "closure.deleted", "closures/"+c.ID, "")
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/closures?done=saved")
}

// specialHoursAdd sets special opening hours for dates (venue-wide or one offering): one to
// views.SpanRows spans that do not overlap. Bookings already made stay, as with closures.
func (h *handlers) specialHoursAdd(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	form := views.SpecialHoursRow{From: f.Get("special_from"), To: f.Get("special_to"), Offering: f.Get("special_offering"),
		Reason: strings.TrimSpace(f.Get("special_reason"))}
	errs := map[string]views.Msg{}
	from, to, ok := validDates(form.From, form.To)
	if !ok {
		errs["special_dates"] = views.M("admin.closures.bad_dates")
	}
	var spans []booking.Span
	badRow := false
	for i := 1; i <= views.SpanRows; i++ {
		opens, closes := strings.TrimSpace(f.Get(fmt.Sprintf("opens_%d", i))), strings.TrimSpace(f.Get(fmt.Sprintf("closes_%d", i)))
		form.Opens, form.Closes = append(form.Opens, opens), append(form.Closes, closes)
		if opens == "" && closes == "" {
			continue
		}
		sp, ok := parseSpan(opens, closes)
		if !ok {
			errs[fmt.Sprintf("span_%d", i)] = views.M("admin.special.bad_span")
			badRow = true
			continue
		}
		spans = append(spans, sp)
	}
	switch {
	case len(spans) == 0 && !badRow:
		errs["spans"] = views.M("admin.special.no_spans")
	case spansOverlap(spans):
		errs["spans"] = views.M("admin.special.overlap")
	}
	if len(form.Reason) > 500 || !cleanText(form.Reason, false) {
		errs["special_reason"] = views.M("err.text_invalid")
	}
	if form.Offering != "" {
		if _, err := store.OfferingByID(e.App, form.Offering); err != nil {
			errs["special_dates"] = views.M("admin.required")
		}
	}
	if len(errs) > 0 {
		return h.renderClosures(e, http.StatusUnprocessableEntity, errs, views.ClosureRow{}, form)
	}
	err := e.App.RunInTransaction(func(tx core.App) error {
		id, err := store.AddSpecialHours(tx, form.Offering, from, to, spans, form.Reason)
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "special_hours.added", "special_hours/"+id, from.String()+" – "+to.String()+", "+store.FormatSpans(spans))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/closures?done=saved")
}

// spansOverlap reports whether two of spans share a minute (touching ends do not).
func spansOverlap(spans []booking.Span) bool {
	for i := range spans {
		for j := i + 1; j < len(spans); j++ {
			if spans[i].Open < spans[j].Close && spans[j].Open < spans[i].Close {
				return true
			}
		}
	}
	return false
}

// specialHoursDelete gives dates their weekly hours back.
func (h *handlers) specialHoursDelete(e *core.RequestEvent) error {
	err := e.App.RunInTransaction(func(tx core.App) error {
		sh, err := store.DeleteSpecialHours(tx, e.Request.PathValue("id"))
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "special_hours.deleted", "special_hours/"+sh.ID, "")
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/closures?done=saved")
}
