package hooks

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/views"
)

// offeringsPage (manager, owner) lists the offerings, active or not.
func (h *handlers) offeringsPage(e *core.RequestEvent) error {
	recs, err := e.App.FindRecordsByFilter("offerings", "", "sort,name", 0, 0)
	if err != nil {
		return err
	}
	d := views.OfferingsData{AdminPage: h.adminPage(e, views.M("admin.nav.offerings"))}
	for _, r := range recs {
		d.Offerings = append(d.Offerings, offeringForm(r))
	}
	return render(e, http.StatusOK, views.OfferingsPage(d))
}

func offeringForm(r *core.Record) views.OfferingForm {
	return views.OfferingForm{ID: r.Id, Name: r.GetString("name"), Slug: r.GetString("slug"), Description: r.GetString("description"),
		Kind: r.GetString("kind"), Mode: r.GetString("capacity_mode"), Duration: r.GetInt("duration"), Interval: r.GetInt("interval"),
		Capacity: r.GetInt("capacity"), MinParty: r.GetInt("min_party"), MaxParty: r.GetInt("max_party"),
		BufferBefore: r.GetInt("buffer_before"), BufferAfter: r.GetInt("buffer_after"), LeadTime: r.GetInt("lead_time"),
		Horizon: r.GetInt("horizon"), CancelCutoff: r.GetInt("cancel_cutoff"), Sort: r.GetInt("sort"), Active: r.GetBool("active"),
		SensitivePrompt: r.GetString("sensitive_prompt"), AskParticipants: r.GetBool("ask_participants")}
}

// offeringPage shows the form of a new offering or of an existing one (with hours or sessions).
func (h *handlers) offeringPage(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if id == "new" {
		return h.renderOffering(e, http.StatusOK, views.OfferingData{New: true, Form: views.OfferingForm{Kind: "slot", Mode: "people",
			Duration: 60, Interval: 30, Capacity: 10, MinParty: 1, MaxParty: 8, Horizon: 90, LeadTime: 60, CancelCutoff: 120, Active: true}})
	}
	rec, err := e.App.FindRecordById("offerings", id)
	if err != nil {
		return notFound(err)
	}
	return h.renderOffering(e, http.StatusOK, views.OfferingData{Form: offeringForm(rec)})
}

func (h *handlers) renderOffering(e *core.RequestEvent, status int, d views.OfferingData) error {
	d.AdminPage = h.adminPage(e, views.M("admin.nav.offerings"))
	if !d.New {
		hours, err := e.App.FindRecordsByFilter("opening_hours", "offering = {:o}", "weekday,opens", 0, 0, dbx.Params{"o": d.Form.ID})
		if err != nil {
			return err
		}
		for _, hr := range hours {
			d.Hours = append(d.Hours, views.HoursRow{ID: hr.Id, Weekday: strconv.Itoa(hr.GetInt("weekday")), Opens: hr.GetString("opens"), Closes: hr.GetString("closes")})
		}
		v, err := h.venueOrUnavailable(e.App)
		if err != nil {
			return err
		}
		sessions, err := e.App.FindRecordsByFilter("sessions", "offering = {:o} && start >= {:from}", "start", 200, 0,
			dbx.Params{"o": d.Form.ID, "from": dbTime(h.now().Add(-24 * time.Hour))})
		if err != nil {
			return err
		}
		for _, s := range sessions {
			var booked int
			_ = e.App.DB().NewQuery("SELECT coalesce(sum(party), 0) FROM bookings WHERE session = {:s} AND status IN ('confirmed', 'checked_in', 'held')").
				Bind(dbx.Params{"s": s.Id}).Row(&booked)
			d.Sessions = append(d.Sessions, views.SessionAdminRow{ID: s.Id, Start: s.GetDateTime("start").Time().In(v.loc),
				Seats: s.GetInt("seats"), Booked: booked, Cancelled: s.GetBool("cancelled")})
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
		SensitivePrompt: strings.TrimSpace(f.Get("sensitive_prompt")), AskParticipants: f.Get("ask_participants") == "yes"}
	ints := map[string]*int{"duration": &form.Duration, "interval": &form.Interval, "capacity": &form.Capacity, "min_party": &form.MinParty,
		"max_party": &form.MaxParty, "buffer_before": &form.BufferBefore, "buffer_after": &form.BufferAfter, "lead_time": &form.LeadTime,
		"horizon": &form.Horizon, "cancel_cutoff": &form.CancelCutoff, "sort": &form.Sort}
	bounds := map[string][2]int{"duration": {5, 1440}, "interval": {0, 1440}, "capacity": {1, 100000}, "min_party": {1, 1000},
		"max_party": {0, 1000}, "buffer_before": {0, 1440}, "buffer_after": {0, 1440}, "lead_time": {0, 100000}, "horizon": {0, 3650},
		"cancel_cutoff": {0, 100000}, "sort": {-1000, 1000}}
	for name, p := range ints {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		b := bounds[name]
		if err != nil || n < b[0] || n > b[1] {
			errs[name] = views.M("admin.number_range", b[0], b[1])
		}
		*p = n
	}
	if form.Name == "" || len(form.Name) > 200 || !cleanText(form.Name, false) {
		errs["name"] = views.M("admin.required")
	}
	if !slugPattern.MatchString(form.Slug) || len(form.Slug) > 80 {
		errs["slug"] = views.M("admin.offerings.slug_bad")
	} else if other, err := e.App.FindFirstRecordByData("offerings", "slug", form.Slug); err == nil && other.Id != id {
		errs["slug"] = views.M("admin.offerings.slug_taken")
	}
	if form.Kind != "slot" && form.Kind != "session" {
		errs["kind"] = views.M("admin.required")
	}
	if form.Mode != "people" && form.Mode != "units" {
		errs["mode"] = views.M("admin.required")
	}
	if form.MaxParty > 0 && form.MaxParty < form.MinParty {
		errs["max_party"] = views.M("admin.offerings.max_below_min")
	}
	if !cleanText(form.Description, true) {
		errs["description"] = views.M("err.text_invalid")
	}
	switch {
	case !cleanText(form.SensitivePrompt, false) || utf8.RuneCountInString(form.SensitivePrompt) > 200:
		errs["sensitive_prompt"] = views.M("err.text_invalid")
	case form.SensitivePrompt != "" && !sensitiveEnabled():
		errs["sensitive_prompt"] = views.M("admin.offerings.sensitive_no_key")
	}
	if len(errs) > 0 {
		return h.renderOffering(e, http.StatusUnprocessableEntity, views.OfferingData{Form: form, New: id == "new", Errors: errs})
	}
	var rec *core.Record
	if id == "new" {
		col, err := e.App.FindCachedCollectionByNameOrId("offerings")
		if err != nil {
			return err
		}
		rec = core.NewRecord(col)
	} else {
		var err error
		if rec, err = e.App.FindRecordById("offerings", id); err != nil {
			return notFound(err)
		}
	}
	rec.Load(map[string]any{"name": form.Name, "slug": form.Slug, "description": form.Description, "kind": form.Kind,
		"capacity_mode": form.Mode, "duration": form.Duration, "interval": form.Interval, "capacity": form.Capacity,
		"min_party": form.MinParty, "max_party": form.MaxParty, "buffer_before": form.BufferBefore, "buffer_after": form.BufferAfter,
		"lead_time": form.LeadTime, "horizon": form.Horizon, "cancel_cutoff": form.CancelCutoff, "sort": form.Sort, "active": form.Active,
		"sensitive_prompt": form.SensitivePrompt, "ask_participants": form.AskParticipants})
	err := e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(rec); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "offering.saved", "offerings/"+rec.Id, form.Slug)
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+rec.Id+"?done=saved")
}

// hoursAdd adds a weekly opening rule to a slot offering.
func (h *handlers) hoursAdd(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	off, err := e.App.FindRecordById("offerings", e.Request.PathValue("id"))
	if err != nil {
		return notFound(err)
	}
	f := e.Request.PostForm
	wd, werr := strconv.Atoi(f.Get("weekday"))
	opens, oerr := booking.ParseClock(f.Get("opens"))
	closes, cerr := booking.ParseClock(f.Get("closes"))
	if hr := (booking.Hours{Weekday: time.Weekday(wd), Open: opens, Close: closes}); werr != nil || oerr != nil || cerr != nil || !hr.Valid() {
		return h.renderOffering(e, http.StatusUnprocessableEntity, views.OfferingData{Form: offeringForm(off),
			Errors: map[string]views.Msg{"hours": views.M("admin.hours.bad")}})
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if _, err := create(tx, "opening_hours", map[string]any{"offering": off.Id, "weekday": wd, "opens": opens.String(), "closes": closes.String()}); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "offering.hours_added", "offerings/"+off.Id, fmt.Sprintf("%d %s-%s", wd, opens, closes))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.Id+"?done=saved")
}

// hoursDelete removes an opening rule (existing bookings stay).
func (h *handlers) hoursDelete(e *core.RequestEvent) error {
	rec, err := e.App.FindRecordById("opening_hours", e.Request.PathValue("hid"))
	if err != nil || rec.GetString("offering") != e.Request.PathValue("id") {
		return notFound(err)
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Delete(rec); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "offering.hours_deleted", "offerings/"+rec.GetString("offering"), "")
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+rec.GetString("offering")+"?done=saved")
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
	off, err := e.App.FindRecordById("offerings", e.Request.PathValue("id"))
	if err != nil {
		return notFound(err)
	}
	f := e.Request.PostForm
	d, derr := booking.ParseDate(f.Get("date"))
	c, cerr := booking.ParseClock(f.Get("time"))
	seats, serr := strconv.Atoi(f.Get("seats"))
	start, exists, _ := booking.Resolve(d, c, v.loc)
	if derr != nil || cerr != nil || serr != nil || seats < 1 || seats > 100000 || c >= 24*60 || !exists {
		return h.renderOffering(e, http.StatusUnprocessableEntity, views.OfferingData{Form: offeringForm(off),
			Errors: map[string]views.Msg{"sessions": views.M("admin.sessions_bad")}})
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		s, err := create(tx, "sessions", map[string]any{"offering": off.Id, "start": start.UTC(),
			"end": start.Add(time.Duration(off.GetInt("duration")) * time.Minute).UTC(), "seats": seats})
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "session.added", "sessions/"+s.Id, start.In(v.loc).Format(localLayout))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.Id+"?done=saved")
}

// sessionCancel cancels a session: it is no longer offered; its bookings are cancelled by the
// venue, each guest mailed.
func (h *handlers) sessionCancel(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	s, err := e.App.FindRecordById("sessions", e.Request.PathValue("sid"))
	if err != nil || s.GetString("offering") != e.Request.PathValue("id") {
		return notFound(err)
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		s.Set("cancelled", true)
		if err := tx.Save(s); err != nil {
			return err
		}
		off, err := tx.FindRecordById("offerings", s.GetString("offering"))
		if err != nil {
			return err
		}
		recs, err := tx.FindRecordsByFilter("bookings", "session = {:s} && status = 'confirmed'", "", 0, 0, dbx.Params{"s": s.Id})
		if err != nil {
			return err
		}
		reason := v.locale.T("admin.sessions_cancel_reason")
		for _, rec := range recs {
			rec.Set("status", "cancelled")
			rec.Set("cancelled_at", h.now().UTC())
			rec.Set("cancel_reason", reason)
			rec.Set("sequence", rec.GetInt("sequence")+1)
			if err := tx.Save(rec); err != nil {
				return err
			}
			if err := h.bookingMail(tx, v, off, rec, views.MailCancellation, reason); err != nil {
				return err
			}
		}
		return h.staffAudit(tx, e, "session.cancelled", "sessions/"+s.Id, fmt.Sprintf("%d bookings cancelled", len(recs)))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+s.GetString("offering")+"?done=saved")
}

// closuresPage lists the closures from a week ago on.
func (h *handlers) closuresPage(e *core.RequestEvent) error {
	return h.renderClosures(e, http.StatusOK, nil, views.ClosureRow{})
}

func (h *handlers) renderClosures(e *core.RequestEvent, status int, errs map[string]views.Msg, form views.ClosureRow) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	d := views.ClosuresData{AdminPage: h.adminPage(e, views.M("admin.nav.closures")), Errors: errs, Form: form}
	offs, err := e.App.FindRecordsByFilter("offerings", "", "sort,name", 0, 0)
	if err != nil {
		return err
	}
	names := map[string]string{"": v.locale.T("admin.closures.venue")}
	for _, o := range offs {
		names[o.Id] = o.GetString("name")
		d.Offerings = append(d.Offerings, views.Option{Value: o.Id, Label: o.GetString("name")})
	}
	recs, err := e.App.FindRecordsByFilter("closures", "end_date >= {:d}", "start_date", 0, 0,
		dbx.Params{"d": v.today(h.now()).AddDays(-7).String()})
	if err != nil {
		return err
	}
	for _, c := range recs {
		d.Closures = append(d.Closures, views.ClosureRow{ID: c.Id, From: c.GetString("start_date"), To: c.GetString("end_date"),
			Offering: names[c.GetString("offering")], Reason: c.GetString("reason")})
	}
	return render(e, status, views.ClosuresPage(d))
}

// closureAdd closes dates (venue-wide or one offering); bookings already made stay, and the
// form says so.
func (h *handlers) closureAdd(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	form := views.ClosureRow{From: f.Get("from"), To: f.Get("to"), Offering: f.Get("offering"), Reason: strings.TrimSpace(f.Get("reason"))}
	from, ferr := booking.ParseDate(form.From)
	to, terr := booking.ParseDate(form.To)
	errs := map[string]views.Msg{}
	if ferr != nil || terr != nil || to.Compare(from) < 0 {
		errs["dates"] = views.M("admin.closures.bad_dates")
	}
	if len(form.Reason) > 500 || !cleanText(form.Reason, false) {
		errs["reason"] = views.M("err.text_invalid")
	}
	if form.Offering != "" {
		if _, err := e.App.FindRecordById("offerings", form.Offering); err != nil {
			errs["dates"] = views.M("admin.required")
		}
	}
	if len(errs) > 0 {
		return h.renderClosures(e, http.StatusUnprocessableEntity, errs, form)
	}
	err := e.App.RunInTransaction(func(tx core.App) error {
		c, err := create(tx, "closures", map[string]any{"offering": form.Offering, "start_date": from.String(), "end_date": to.String(), "reason": form.Reason})
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "closure.added", "closures/"+c.Id, from.String()+" – "+to.String())
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/closures?done=saved")
}

// closureDelete reopens the dates of a closure.
func (h *handlers) closureDelete(e *core.RequestEvent) error {
	rec, err := e.App.FindRecordById("closures", e.Request.PathValue("id"))
	if err != nil {
		return notFound(err)
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Delete(rec); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "closure.deleted", "closures/"+rec.Id, "")
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/closures?done=saved")
}
