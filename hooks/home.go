package hooks

import (
	"fmt"
	"net/http"
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
	return render(e, http.StatusOK, views.HomePage(d))
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
