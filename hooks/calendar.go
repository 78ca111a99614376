package hooks

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// activeStatuses are the booking statuses that hold a place.
var activeStatuses = []any{"confirmed", "checked_in"}

// maxBookingLength bounds how long before a window a booking that overlaps it can start
// (offering durations are at most a day; sessions are at most two).
const maxBookingLength = 48 * time.Hour

func dbTime(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

// dayCalendar is what the booking rules need for one offering on one local date, plus the
// closures found (their reasons are shown to visitors).
type dayCalendar struct {
	booking.Calendar
	closures []*core.Record
}

// loadCalendar reads the opening hours, closures, sessions and active bookings that can affect
// offering off on local date d. Inside a transaction pass txApp: the check and the insert must
// see the same rows.
func loadCalendar(app core.App, off *core.Record, d booking.Date, loc *time.Location) (dayCalendar, error) {
	var cal dayCalendar
	r := rules(off)
	from, to := r.Window(d, loc)

	hours, err := app.FindRecordsByFilter("opening_hours", "offering = {:o}", "", 0, 0, dbx.Params{"o": off.Id})
	if err != nil {
		return cal, fmt.Errorf("calendar: opening hours: %w", err)
	}
	for _, rec := range hours {
		open, err1 := booking.ParseClock(rec.GetString("opens"))
		closes, err2 := booking.ParseClock(rec.GetString("closes"))
		if err1 != nil || err2 != nil {
			// The schema's patterns make this unreachable; a bad row closes that rule, not the page.
			app.Logger().Warn("calendar: skipping malformed opening hours", "id", rec.Id)
			continue
		}
		cal.Hours = append(cal.Hours, booking.Hours{Weekday: time.Weekday(rec.GetInt("weekday")), Open: open, Close: closes})
	}

	// Closures are stored as local dates, so the window's local dates bound the query; the day
	// before counts too, since a rule that closes after midnight belongs to the day it opens.
	firstDay, lastDay := booking.DateOf(from, loc).AddDays(-1).String(), booking.DateOf(to, loc).String()
	cal.closures, err = app.FindRecordsByFilter("closures",
		"(offering = '' || offering = {:o}) && start_date <= {:last} && end_date >= {:first}",
		"start_date", 0, 0, dbx.Params{"o": off.Id, "first": firstDay, "last": lastDay})
	if err != nil {
		return cal, fmt.Errorf("calendar: closures: %w", err)
	}
	for _, rec := range cal.closures {
		f, err1 := booking.ParseDate(rec.GetString("start_date"))
		t, err2 := booking.ParseDate(rec.GetString("end_date"))
		if err1 != nil || err2 != nil {
			app.Logger().Warn("calendar: skipping malformed closure", "id", rec.Id)
			continue
		}
		cal.Closures = append(cal.Closures, booking.Closure{From: f, To: t})
	}

	if r.Kind == booking.KindSession {
		sessions, err := app.FindRecordsByFilter("sessions",
			"offering = {:o} && cancelled = false && start >= {:from} && start < {:to}",
			"start", 0, 0, dbx.Params{"o": off.Id, "from": dbTime(from), "to": dbTime(to)})
		if err != nil {
			return cal, fmt.Errorf("calendar: sessions: %w", err)
		}
		for _, rec := range sessions {
			cal.Sessions = append(cal.Sessions, booking.Session{
				ID:    rec.Id,
				Start: rec.GetDateTime("start").Time(),
				End:   rec.GetDateTime("end").Time(),
				Seats: rec.GetInt("seats"),
			})
		}
	}

	var rows []struct {
		ID      string         `db:"id"`
		Start   types.DateTime `db:"start"`
		End     types.DateTime `db:"end"`
		Party   int            `db:"party"`
		Session string         `db:"session"`
	}
	err = app.DB().
		Select("id", "start", "end", "party", "session").
		From("bookings").
		Where(dbx.HashExp{"offering": off.Id}).
		AndWhere(dbx.In("status", activeStatuses...)).
		AndWhere(dbx.NewExp("[[start]] >= {:lo} AND [[start]] < {:to} AND [[end]] > {:from}",
			dbx.Params{"lo": dbTime(from.Add(-maxBookingLength)), "to": dbTime(to), "from": dbTime(from)})).
		All(&rows)
	if err != nil {
		return cal, fmt.Errorf("calendar: bookings: %w", err)
	}
	cal.Reservations = make([]booking.Reservation, len(rows))
	for i, row := range rows {
		cal.Reservations[i] = booking.Reservation{
			ID: row.ID, Start: row.Start.Time(), End: row.End.Time(), Party: row.Party, Session: row.Session,
		}
	}
	return cal, nil
}

// without returns cal minus the reservation with id: a booking being moved frees its own place.
func (cal dayCalendar) without(id string) dayCalendar {
	out := cal
	out.Reservations = make([]booking.Reservation, 0, len(cal.Reservations))
	for _, r := range cal.Reservations {
		if r.ID != id {
			out.Reservations = append(out.Reservations, r)
		}
	}
	return out
}
