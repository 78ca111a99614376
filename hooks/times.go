package hooks

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
	"reserva/views"
)

// selection is the date and party size a visitor asked to see, after defaults and corrections.
type selection struct {
	date   booking.Date
	party  int
	notice views.Msg // why the request was corrected, if it was
	bad    bool      // the query could not be read as given (answer 400, still with a usable page)
}

// selection reads the date and party query values. An empty date means the first useful one
// (today, or the day of the next session); a past date becomes today; a date past the booking
// horizon becomes the last bookable date. The party defaults to the smallest allowed.
func (h *handlers) selection(app core.App, v *venue, off *core.Record, dateStr, partyStr string, now time.Time) (selection, error) {
	r := rules(off)
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

	today := v.today(now)
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
			sel.date, sel.notice = last, views.M("book.date_too_far", v.locale.Date(midnight(last, v.loc)))
		default:
			sel.date = d
		}
	}
	return sel, nil
}

// lastDate is the last local date on which a start can be booked, when the offering has a horizon.
func lastDate(r booking.Offering, v *venue, now time.Time) (booking.Date, bool) {
	if r.Horizon <= 0 {
		return booking.Date{}, false
	}
	return booking.DateOf(now.Add(r.Horizon), v.loc), true
}

// firstDate is the date a booking page opens on: today, or for sessions the day of the next one.
func firstDate(app core.App, v *venue, off *core.Record, now time.Time) (booking.Date, error) {
	r := rules(off)
	if r.Kind != booking.KindSession {
		return v.today(now), nil
	}
	days, err := sessionDays(app, off, now.Add(r.LeadTime), v.loc, 1)
	if err != nil || len(days) == 0 {
		return v.today(now), err
	}
	return days[0], nil
}

// sessionDays lists up to n local dates, from the one of after on, that have a session.
func sessionDays(app core.App, off *core.Record, after time.Time, loc *time.Location, n int) ([]booking.Date, error) {
	var starts []string
	err := app.DB().Select("start").From("sessions").
		Where(dbx.HashExp{"offering": off.Id, "cancelled": false}).
		AndWhere(dbx.NewExp("[[start]] >= {:after}", dbx.Params{"after": dbTime(after)})).
		OrderBy("start").Limit(int64(n * 8)).Column(&starts)
	if err != nil {
		return nil, fmt.Errorf("sessions: days: %w", err)
	}
	var days []booking.Date
	for _, s := range starts {
		t, err := types.ParseDateTime(s)
		if err != nil {
			continue
		}
		d := booking.DateOf(t.Time(), loc)
		if len(days) == 0 || days[len(days)-1] != d {
			days = append(days, d)
		}
		if len(days) == n {
			break
		}
	}
	return days, nil
}

// midnight is the start of local date d (or the first instant of it on a DST night).
func midnight(d booking.Date, loc *time.Location) time.Time {
	t, _, _ := booking.Resolve(d, 0, loc)
	return t.In(loc)
}

// bookData builds the booking page for a selection: free times, closures, the picker.
func (h *handlers) bookData(app core.App, v *venue, off *core.Record, sel selection, now time.Time) (views.BookData, error) {
	cal, err := loadCalendar(app, off, sel.date, v.loc, "")
	if err != nil {
		return views.BookData{}, err
	}
	r := rules(off)
	picker, err := h.picker(app, v, off, "/book/"+off.GetString("slug"), sel, now)
	if err != nil {
		return views.BookData{}, err
	}
	return views.BookData{
		Page:          v.page(views.M("title.book", off.GetString("name"))),
		Offering:      offeringView(off),
		Picker:        picker,
		Times:         timeOptions(r, r.Slots(cal.Calendar, sel.date, now, v.loc), sel.party, v.loc),
		Closed:        closedMsg(cal, r, sel.date),
		Policy:        v.rec.GetString("booking_policy"),
		NoticeVersion: v.noticeVersion(),
		Stamp:         h.stamps.stamp(now),
	}, nil
}

// timeOptions turns the rules' slots into what the pages show, marking those too full for party.
func timeOptions(r booking.Offering, slots []booking.Slot, party int, loc *time.Location) []views.TimeOption {
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
			Remaining: s.Remaining,
			Full:      !s.Fits(r, party),
		}
	}
	return out
}

// localLayout is the form value of a slot start: venue-local wall time.
const localLayout = "2006-01-02T15:04"

// closedMsg says why a date has no times: a closure (with its reason) or no opening hours that
// weekday. Zero when the date is open.
func closedMsg(cal dayCalendar, r booking.Offering, d booking.Date) views.Msg {
	day := d.String()
	for _, c := range cal.closures {
		if c.StartDate <= day && day <= c.EndDate {
			if reason := c.Reason; reason != "" {
				return views.M("book.closed_reason", reason)
			}
			return views.M("book.closed_day")
		}
	}
	if r.Kind == booking.KindSession {
		return views.Msg{}
	}
	for _, hr := range cal.Hours {
		if hr.Weekday == d.Weekday() {
			return views.Msg{}
		}
	}
	return views.M("book.closed_day")
}

// picker builds the date and party control for action (a booking or change page).
func (h *handlers) picker(app core.App, v *venue, off *core.Record, action string, sel selection, now time.Time) (views.Picker, error) {
	r := rules(off)
	today := v.today(now)
	last, hasLast := lastDate(r, v, now)
	p := views.Picker{
		Action:    action,
		Date:      midnight(sel.date, v.loc),
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
		if days, err = sessionDays(app, off, now.Add(r.LeadTime), v.loc, 7); err != nil {
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
		p.Days = append(p.Days, views.DayLink{Date: midnight(d, v.loc), Value: d.String(), Selected: d == sel.date})
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
