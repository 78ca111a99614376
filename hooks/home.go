package hooks

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/store"
	"reserva/views"
)

// home is the venue's front page: its photo, address, contact and opening hours, and its
// active offerings.
func (h *handlers) home(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	offs, err := store.Offerings(e.App, true)
	if err != nil {
		return fmt.Errorf("home: %w", err)
	}
	d := views.HomeData{Page: page(e, v, views.M("title.home"))}
	if v.Photo != nil {
		alt := v.Photo.Alt
		if alt == "" {
			alt = v.Name
		}
		d.Photo = imageView(v.Photo, alt)
	}
	var rules []booking.Hours
	for _, o := range offs {
		d.Offerings = append(d.Offerings, offeringView(o))
		hours, err := store.OfferingHours(e.App, o.ID)
		if err != nil {
			return fmt.Errorf("home: hours: %w", err)
		}
		for _, hr := range hours {
			open, err1 := booking.ParseClock(hr.Opens)
			closing, err2 := booking.ParseClock(hr.Closes)
			if err1 == nil && err2 == nil {
				rules = append(rules, booking.Hours{Weekday: time.Weekday(hr.Weekday), Open: open, Close: closing})
			}
		}
	}
	d.Hours = weekHours(d.L, booking.MergeHours(rules), v.Today(h.now()).Weekday())
	if d.Ahead, err = aheadItems(e.App, v, offs, v.Today(h.now())); err != nil {
		return fmt.Errorf("home: %w", err)
	}
	return render(e, http.StatusOK, views.HomePage(d))
}

// aheadItems are the special hours and closures of the venue and of the active offerings offs
// that cover a date of the views.AheadDays from today on, by first date (the venue's first).
func aheadItems(app core.App, v *store.Venue, offs []*store.Offering, today booking.Date) ([]views.AheadItem, error) {
	names := map[string]string{"": ""}
	for _, o := range offs {
		names[o.ID] = o.Name
	}
	last := today.AddDays(views.AheadDays - 1).String()
	var out []views.AheadItem
	add := func(offering, from, to string, item views.AheadItem) {
		name, active := names[offering]
		f, err1 := booking.ParseDate(from)
		t, err2 := booking.ParseDate(to)
		if !active || err1 != nil || err2 != nil || from > last || t.Compare(f) < 0 {
			return
		}
		item.From, item.To, item.Offering = v.Midnight(f), v.Midnight(t), name
		out = append(out, item)
	}
	special, err := store.SpecialHoursFrom(app, today)
	if err != nil {
		return nil, fmt.Errorf("special hours: %w", err)
	}
	for _, sh := range special {
		spans, err := store.ParseSpans(sh.Spans)
		if err != nil || len(spans) == 0 {
			continue
		}
		add(sh.Offering, sh.StartDate, sh.EndDate, views.AheadItem{Special: spans, Reason: sh.Reason})
	}
	closures, err := store.ClosuresFrom(app, today)
	if err != nil {
		return nil, fmt.Errorf("closures: %w", err)
	}
	for _, c := range closures {
		item := views.AheadItem{Reason: c.Reason}
		if c.PartDay() {
			open, err1 := booking.ParseClock(c.Opens)
			shut, err2 := booking.ParseClock(c.Closes)
			if err1 != nil || err2 != nil {
				continue
			}
			item.Closed = booking.Span{Open: open, Close: shut}
		}
		add(c.Offering, c.StartDate, c.EndDate, item)
	}
	slices.SortStableFunc(out, func(a, b views.AheadItem) int {
		return cmp.Or(a.From.Compare(b.From), cmp.Compare(a.Offering, b.Offering))
	})
	return out, nil
}

// weekHours lays merged opening rules out as the week of locale l, today marked; none when
// there are no rules (a venue of sessions only has no weekly hours to show).
func weekHours(l *views.Locale, merged []booking.Hours, today time.Weekday) []views.DayHours {
	if len(merged) == 0 {
		return nil
	}
	var out []views.DayHours
	for _, wd := range l.Weekdays() {
		day := views.DayHours{Weekday: wd, Today: wd == today}
		for _, hr := range merged {
			if hr.Weekday == wd {
				day.Spans = append(day.Spans, hr)
			}
		}
		out = append(out, day)
	}
	return out
}
