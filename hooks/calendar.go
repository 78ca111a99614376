package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// activeStatuses are the booking statuses that hold a place ("held": a place offered to the
// waitlist, until the offer is taken or runs out).
var activeStatuses = []any{"confirmed", "checked_in", "held"}

// maxBookingLength bounds how long before a window a booking that overlaps it can start
// (offering durations are at most a day; sessions are at most two).
const maxBookingLength = 48 * time.Hour

func dbTime(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

// dayCalendar is what the booking rules need for one offering on one local date, plus the
// closures found (their reasons are shown to visitors).
type dayCalendar struct {
	booking.Calendar
	closures []closureRow
}

// closureRow is a closure as the booking pages need it.
type closureRow struct {
	ID        string `db:"id"`
	StartDate string `db:"start_date"`
	EndDate   string `db:"end_date"`
	Reason    string `db:"reason"`
}

// loadCalendar reads the opening hours, closures, sessions and active bookings that can affect
// offering off on local date d, leaving out the booking with id ignore ("" for none). Inside a
// transaction pass txApp: the check and the insert must see the same rows.
func loadCalendar(app core.App, off *core.Record, d booking.Date, loc *time.Location, ignore string) (dayCalendar, error) {
	var cal dayCalendar
	r := rules(off)
	from, to := r.Window(d, loc)

	var hours []struct {
		ID      string `db:"id"`
		Weekday int    `db:"weekday"`
		Opens   string `db:"opens"`
		Closes  string `db:"closes"`
	}
	err := app.DB().Select("id", "weekday", "opens", "closes").From("opening_hours").
		Where(dbx.HashExp{"offering": off.Id}).All(&hours)
	if err != nil {
		return cal, fmt.Errorf("calendar: opening hours: %w", err)
	}
	for _, h := range hours {
		open, err1 := booking.ParseClock(h.Opens)
		closes, err2 := booking.ParseClock(h.Closes)
		if err1 != nil || err2 != nil {
			// The schema's patterns make this unreachable; a bad row closes that rule, not the page.
			app.Logger().Warn("calendar: skipping malformed opening hours", "id", h.ID)
			continue
		}
		cal.Hours = append(cal.Hours, booking.Hours{Weekday: time.Weekday(h.Weekday), Open: open, Close: closes})
	}

	// Closures are stored as local dates, so the window's local dates bound the query; the day
	// before counts too, since a rule that closes after midnight belongs to the day it opens.
	firstDay, lastDay := booking.DateOf(from, loc).AddDays(-1).String(), booking.DateOf(to, loc).String()
	err = app.DB().Select("id", "start_date", "end_date", "reason").From("closures").
		Where(dbx.NewExp("(offering = '' OR offering = {:o}) AND start_date <= {:last} AND end_date >= {:first}",
			dbx.Params{"o": off.Id, "first": firstDay, "last": lastDay})).OrderBy("start_date").All(&cal.closures)
	if err != nil {
		return cal, fmt.Errorf("calendar: closures: %w", err)
	}
	for _, c := range cal.closures {
		f, err1 := booking.ParseDate(c.StartDate)
		t, err2 := booking.ParseDate(c.EndDate)
		if err1 != nil || err2 != nil {
			app.Logger().Warn("calendar: skipping malformed closure", "id", c.ID)
			continue
		}
		cal.Closures = append(cal.Closures, booking.Closure{From: f, To: t})
	}

	if r.Kind == booking.KindSession {
		var sessions []struct {
			ID    string         `db:"id"`
			Start types.DateTime `db:"start"`
			End   types.DateTime `db:"end"`
			Seats int            `db:"seats"`
		}
		err := app.DB().Select("id", "start", "end", "seats").From("sessions").
			Where(dbx.NewExp("offering = {:o} AND cancelled = FALSE AND start >= {:from} AND start < {:to}",
				dbx.Params{"o": off.Id, "from": dbTime(from), "to": dbTime(to)})).OrderBy("start").All(&sessions)
		if err != nil {
			return cal, fmt.Errorf("calendar: sessions: %w", err)
		}
		for _, s := range sessions {
			cal.Sessions = append(cal.Sessions, booking.Session{ID: s.ID, Start: s.Start.Time(), End: s.End.Time(), Seats: s.Seats})
		}
	}

	// The active bookings, merged by start, end and session (their parties summed, counted), as
	// the booking_usage triggers keep them: a busy time is one row, however many bookings it
	// holds. ignore (a booking being moved) is taken out again: it frees its own place.
	var rows []struct {
		Start   types.DateTime `db:"start"`
		End     types.DateTime `db:"end"`
		Party   int            `db:"party"`
		Count   int            `db:"n"`
		Session string         `db:"session"`
	}
	err = app.DB().
		Select("start", "end", "session", "party", "n").
		From("booking_usage").
		Where(dbx.HashExp{"offering": off.Id}).
		AndWhere(dbx.NewExp("[[start]] >= {:lo} AND [[start]] < {:to} AND [[end]] > {:from}",
			dbx.Params{"lo": dbTime(from.Add(-maxBookingLength)), "to": dbTime(to), "from": dbTime(from)})).
		All(&rows)
	if err != nil {
		return cal, fmt.Errorf("calendar: bookings: %w", err)
	}
	var own struct {
		Start   types.DateTime `db:"start"`
		End     types.DateTime `db:"end"`
		Party   int            `db:"party"`
		Session string         `db:"session"`
	}
	if ignore != "" {
		err := app.DB().Select("start", "end", "party", "session").From("bookings").
			Where(dbx.HashExp{"id": ignore, "offering": off.Id}).AndWhere(dbx.In("status", activeStatuses...)).One(&own)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return cal, fmt.Errorf("calendar: booking: %w", err)
		}
	}
	cal.Reservations = make([]booking.Reservation, 0, len(rows))
	for _, row := range rows {
		if own.Party > 0 && row.Start.Equal(own.Start) && row.End.Equal(own.End) && row.Session == own.Session {
			row.Party -= own.Party
			row.Count--
			if row.Count <= 0 {
				continue
			}
		}
		cal.Reservations = append(cal.Reservations, booking.Reservation{
			Start: row.Start.Time(), End: row.End.Time(), Party: row.Party, Count: row.Count, Session: row.Session,
		})
	}
	return cal, nil
}
