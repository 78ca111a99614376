package hooks

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// selection is the date and party size a visitor asked to see, after defaults and corrections.
type selection struct {
	date   booking.Date
	party  int
	with   string    // the staff member or room picked ("": any)
	notice views.Msg // why the request was corrected, if it was
	bad    bool      // the query could not be read as given (answer 400, still with a usable page)
}

// selection reads the date and party query values. An empty date means the first useful one
// (today, or the day of the next session); a past date becomes today; a date past the booking
// horizon becomes the last bookable date. The party defaults to the smallest allowed.
func (h *handlers) selection(app core.App, v *store.Venue, off *store.Offering, dateStr, partyStr string, now time.Time) (selection, error) {
	r := off.Rules()
	sel := selection{party: defaultParty(r)}
	if partyStr = strings.TrimSpace(partyStr); partyStr != "" {
		n, err := strconv.Atoi(partyStr)
		switch {
		case err != nil || n < 1:
			sel.notice, sel.bad = views.M("err.party_invalid"), true
		case r.CheckParty(n) != nil:
			sel.notice, sel.bad = partyMsg(r, r.CheckParty(n)), true
		default:
			sel.party = n
		}
	}

	today := v.Today(now)
	last, hasLast := lastDate(r, v, now)
	switch dateStr = strings.TrimSpace(dateStr); {
	case dateStr == "":
		d, err := firstDate(app, v, off, now)
		if err != nil {
			return sel, err
		}
		sel.date = d
	default:
		d, err := booking.ParseDate(dateStr)
		switch {
		case err != nil:
			sel.date, sel.notice, sel.bad = today, views.M("err.date_invalid"), true
		case d.Compare(today) < 0:
			sel.date, sel.notice = today, views.M("book.date_past")
		case hasLast && d.Compare(last) > 0:
			sel.date, sel.notice = last, views.M("book.date_too_far", jobs.Locale(v).Date(v.Midnight(last)))
		default:
			sel.date = d
		}
	}
	return sel, nil
}

// lastDate is the last local date on which a start can be booked, when the offering has a horizon.
func lastDate(r booking.Offering, v *store.Venue, now time.Time) (booking.Date, bool) {
	if r.Horizon <= 0 {
		return booking.Date{}, false
	}
	return booking.DateOf(now.Add(r.Horizon), v.Loc), true
}

// firstDate is the date a booking page opens on: today, or for sessions the day of the next one.
func firstDate(app core.App, v *store.Venue, off *store.Offering, now time.Time) (booking.Date, error) {
	if !off.IsSession() {
		return v.Today(now), nil
	}
	days, err := store.SessionDays(app, off.ID, now.Add(off.Rules().LeadTime), v.Loc, 1)
	if err != nil || len(days) == 0 {
		return v.Today(now), err
	}
	return days[0], nil
}

// bookData builds the booking page for a selection: free times, closures, the picker.
func (h *handlers) bookData(e *core.RequestEvent, v *store.Venue, off *store.Offering, sel selection, now time.Time) (views.BookData, error) {
	app := e.App
	cal, err := h.st.LoadCalendar(app, off, sel.date, v.Loc, "")
	if err != nil {
		return views.BookData{}, err
	}
	r := off.Rules()
	picker, err := h.picker(app, v, off, bookPath(e.Request, off.Slug), sel, now)
	if err != nil {
		return views.BookData{}, err
	}
	if picker.With, err = pickable(app, off, cal); err != nil {
		return views.BookData{}, err
	}
	if sel.with != "" && !slices.ContainsFunc(picker.With, func(w views.WithOption) bool { return w.ID == sel.with }) {
		sel.with = "" // no longer one to pick: any
	}
	picker.WithValue = sel.with
	p := page(e, v, views.M("title.book", off.Name))
	if p.Embed {
		// No cookie reaches a frame on another site: the picker carries the language along.
		picker.Keep = append(picker.Keep, [2]string{"lang", p.L.Lang()})
	}
	return views.BookData{
		Page:          p,
		Offering:      offeringView(off),
		Picker:        picker,
		Times:         timeOptions(r, r.ForParty(sel.party).Preferring(sel.with).Slots(cal.Calendar, sel.date, now, v.Loc), sel.date, sel.party, v.Loc),
		Closed:        closedMsg(cal, off, sel.date),
		Special:       specialView(cal, off, sel.date),
		PartClosed:    partClosedView(cal, sel.date),
		Policy:        policyOf(v, off),
		NoticeVersion: v.NoticeVersion(),
		Stamp:         h.stamps.stamp(now),
		Texts:         h.jobs.Texts() != nil,
		Payment:       paymentNote(e.App, off),
	}, nil
}

// pickable lists the staff members and rooms of an offering's pool that a visitor may pick.
func pickable(app core.App, off *store.Offering, cal store.DayCalendar) ([]views.WithOption, error) {
	if cal.Calendar.Pool.Empty() {
		return nil, nil
	}
	res, err := store.OfferingResources(app, off.ID, true)
	if err != nil {
		return nil, err
	}
	var out []views.WithOption
	for _, r := range res {
		if r.Kind.Pickable() {
			out = append(out, views.WithOption{ID: r.ID, Name: r.Name})
		}
	}
	return out, nil
}

// timeOptions turns the rules' slots into what the pages show, marking those too full for party.
// Slots are of opening day day: a start after midnight is marked as on the next day.
func timeOptions(r booking.Offering, slots []booking.Slot, day booking.Date, party int, loc *time.Location) []views.TimeOption {
	out := make([]views.TimeOption, len(slots))
	for i, s := range slots {
		value := s.Session
		if value == "" {
			value = s.Start.In(loc).Format(localLayout)
		}
		out[i] = views.TimeOption{
			Value:     value,
			Start:     s.Start.In(loc),
			End:       s.End.In(loc),
			Ambiguous: s.Ambiguous,
			NextDay:   booking.DateOf(s.Start, loc) != day,
			Remaining: s.Remaining,
			Full:      !s.Fits(r, party),
		}
	}
	return out
}

// closedMsg says why a date has no times: a closure (with its reason) or no opening hours that
// weekday. Zero when the date is open.
func closedMsg(cal store.DayCalendar, off *store.Offering, d booking.Date) views.Msg {
	c, closed := cal.ClosedMessage(off, d)
	switch {
	case !closed:
		return views.Msg{}
	case c != nil && c.Reason != "":
		return views.M("book.closed_reason", c.Reason)
	}
	return views.M("book.closed_day")
}

// specialView is the special hours that replace the weekly ones on d (slot offerings only:
// sessions keep their own times), for the booking page; nil when the weekly hours apply.
func specialView(cal store.DayCalendar, off *store.Offering, d booking.Date) *views.SpecialNote {
	if off.IsSession() || !cal.Calendar.SpecialOn(d) {
		return nil
	}
	note := &views.SpecialNote{Spans: cal.HoursOn(d)}
	for _, sh := range cal.SpecialOn(d) {
		if sh.Reason != "" {
			note.Reasons = append(note.Reasons, sh.Reason)
		}
	}
	return note
}

// partClosedView is the closed parts of date d, for the booking page.
func partClosedView(cal store.DayCalendar, d booking.Date) []views.ClosedSpan {
	var out []views.ClosedSpan
	for _, c := range cal.PartClosedOn(d) {
		open, err1 := booking.ParseClock(c.Opens)
		shut, err2 := booking.ParseClock(c.Closes)
		if err1 == nil && err2 == nil {
			out = append(out, views.ClosedSpan{Span: booking.Span{Open: open, Close: shut}, Reason: c.Reason})
		}
	}
	return out
}

// picker builds the date and party control for action (a booking or change page).
func (h *handlers) picker(app core.App, v *store.Venue, off *store.Offering, action string, sel selection, now time.Time) (views.Picker, error) {
	r := off.Rules()
	today := v.Today(now)
	last, hasLast := lastDate(r, v, now)
	p := views.Picker{
		Action:    action,
		Date:      v.Midnight(sel.date),
		DateValue: sel.date.String(),
		MinDate:   today.String(),
		Party:     sel.party,
	}
	if hasLast {
		p.MaxDate = last.String()
	}
	// Sessions are reached through the strip of their dates; day-by-day steps would mostly land
	// on days without one.
	if prev := sel.date.AddDays(-1); r.Kind != booking.KindSession && prev.Compare(today) >= 0 {
		p.Prev = prev.String()
	}
	if next := sel.date.AddDays(1); r.Kind != booking.KindSession && (!hasLast || next.Compare(last) <= 0) {
		p.Next = next.String()
	}

	var days []booking.Date
	if r.Kind == booking.KindSession {
		var err error
		if days, err = store.SessionDays(app, off.ID, now.Add(r.LeadTime), v.Loc, 7); err != nil {
			return p, err
		}
	} else {
		start := sel.date.AddDays(-2)
		if start.Compare(today) < 0 {
			start = today
		}
		for d := start; len(days) < 7 && (!hasLast || d.Compare(last) <= 0); d = d.AddDays(1) {
			days = append(days, d)
		}
	}
	for _, d := range days {
		p.Days = append(p.Days, views.DayLink{Date: v.Midnight(d), Value: d.String(), Selected: d == sel.date})
	}

	maxParty := r.MaxParty
	if maxParty == 0 || maxParty > defaultParty(r)+19 {
		maxParty = defaultParty(r) + 19
	}
	for n := defaultParty(r); n <= maxParty; n++ {
		p.PartyOptions = append(p.PartyOptions, n)
	}
	return p, nil
}

// policyOf is the booking policy shown for an offering: its own, or else the venue's.
func policyOf(v *store.Venue, off *store.Offering) string {
	if off.Policy != "" {
		return off.Policy
	}
	return v.BookingPolicy
}
