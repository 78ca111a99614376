package store

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
)

// SeriesRow is a weekly rule of a session offering as stored (migration 1795720000).
type SeriesRow struct {
	ID         string `db:"id"`
	Offering   string `db:"offering"`
	Days       int    `db:"days"`
	Time       string `db:"time"`
	Seats      int    `db:"seats"`
	FromDate   string `db:"from_date"`
	UntilDate  string `db:"until_date"`
	Exceptions string `db:"exceptions"`
}

const seriesColumns = "id, offering, days, time, seats, from_date, until_date, exceptions"

// Rule is the rule r stores; an error when a row was written by hand and does not parse.
func (r SeriesRow) Rule() (booking.Series, error) {
	c, err := booking.ParseClock(r.Time)
	if err != nil {
		return booking.Series{}, fmt.Errorf("series %s: %w", r.ID, err)
	}
	from, err := booking.ParseDate(r.FromDate)
	if err != nil {
		return booking.Series{}, fmt.Errorf("series %s: %w", r.ID, err)
	}
	s := booking.Series{Days: booking.Weekdays(r.Days), Time: c, Seats: r.Seats, From: from}
	if r.UntilDate != "" {
		if s.Until, err = booking.ParseDate(r.UntilDate); err != nil {
			return booking.Series{}, fmt.Errorf("series %s: %w", r.ID, err)
		}
	}
	if s.Except, err = booking.ParseDates(r.Exceptions); err != nil {
		return booking.Series{}, fmt.Errorf("series %s: %w", r.ID, err)
	}
	return s, s.Validate()
}

// seriesParams are the columns that store rule s.
func seriesParams(s booking.Series) dbx.Params {
	until := ""
	if !s.Until.IsZero() {
		until = s.Until.String()
	}
	return dbx.Params{"days": int(s.Days), "time": s.Time.String(), "seats": s.Seats, "from_date": s.From.String(),
		"until_date": until, "exceptions": booking.FormatDates(s.Except)}
}

// AddSeries stores rule s of offering; it returns the rule's id.
func AddSeries(app core.App, offering string, s booking.Series) (string, error) {
	fields := map[string]any{"offering": offering}
	for k, v := range seriesParams(s) {
		fields[k] = v
	}
	rec, err := createRecord(app, colSessionSeries, fields)
	if err != nil {
		return "", err
	}
	return rec.Id, nil
}

// UpdateSeries stores rule s as series id.
func UpdateSeries(app core.App, id string, s booking.Series) error {
	cols := seriesParams(s)
	cols["updated"] = stamp()
	_, err := app.DB().Update(colSessionSeries, cols, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("series: update: %w", err)
	}
	return nil
}

// OfferingSeries lists the rules of an offering, those that end last first.
func OfferingSeries(app core.App, offering string) ([]SeriesRow, error) {
	var out []SeriesRow
	err := app.DB().NewQuery("SELECT " + seriesColumns + " FROM session_series WHERE offering = {:o} ORDER BY until_date = '' DESC, until_date DESC, from_date DESC").
		Bind(dbx.Params{"o": offering}).All(&out)
	return out, err
}

// SeriesOf returns offering's rule id; sql.ErrNoRows when it has none such.
func SeriesOf(app core.App, offering, id string) (*SeriesRow, error) {
	var r SeriesRow
	err := app.DB().NewQuery("SELECT " + seriesColumns + " FROM session_series WHERE id = {:id} AND offering = {:o} LIMIT 1").
		Bind(dbx.Params{"id": id, "o": offering}).One(&r)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// LiveSeries lists the rules that may still make sessions on or after date, of every offering.
func LiveSeries(app core.App, date booking.Date) ([]SeriesRow, error) {
	var out []SeriesRow
	err := app.DB().NewQuery("SELECT " + seriesColumns + " FROM session_series WHERE until_date = '' OR until_date >= {:d} ORDER BY offering, from_date").
		Bind(dbx.Params{"d": date.String()}).All(&out)
	return out, err
}

// AddSeriesSession adds the session rule series makes on date, unless it has one for that date
// already (made before, cancelled or edited since); it reports whether it added one.
func AddSeriesSession(app core.App, offering, series string, date booking.Date, start, end time.Time, seats int) (bool, error) {
	res, err := app.DB().NewQuery(`INSERT INTO sessions (id, offering, start, end, seats, cancelled, series, occurs, detached, cancel_reason, created, updated)
		VALUES ({:id}, {:o}, {:start}, {:end}, {:seats}, FALSE, {:series}, {:occurs}, FALSE, '', {:now}, {:now})
		ON CONFLICT (series, occurs) WHERE series != '' DO NOTHING`).
		Bind(dbx.Params{"id": newID(), "o": offering, "start": DBTime(start), "end": DBTime(end), "seats": seats, "series": series,
			"occurs": date.String(), "now": stamp()}).Execute()
	if err != nil {
		return false, fmt.Errorf("series: add session: %w", err)
	}
	return rowsAffected(res) == 1, nil
}

// SeriesSessions lists the sessions rule series made on date from on, cancelled ones included,
// by date, each with the seats its bookings take.
func SeriesSessions(app core.App, series string, from booking.Date) ([]SessionRow, error) {
	var out []SessionRow
	err := app.DB().NewQuery(`SELECT ` + sessionColumns + `, ` + bookedColumn + ` FROM sessions s
		WHERE s.series = {:series} AND s.series != '' AND s.occurs >= {:from} ORDER BY s.occurs`).
		Bind(dbx.Params{"series": series, "from": from.String()}).All(&out)
	return out, err
}

// MoveSeriesSessions hands the sessions rule from made on date on, and what they count as made
// on, to rule to: the part of a series an edit "from a date on" split off.
func MoveSeriesSessions(app core.App, from, to string, date booking.Date) error {
	_, err := app.DB().NewQuery("UPDATE sessions SET series = {:to}, updated = {:now} WHERE series = {:from} AND series != '' AND occurs >= {:d}").
		Bind(dbx.Params{"from": from, "to": to, "d": date.String(), "now": stamp()}).Execute()
	if err != nil {
		return fmt.Errorf("series: hand over sessions: %w", err)
	}
	return nil
}

// UpdateSession gives session id a new start, end and seats, and the bookings and waitlist
// entries of it the new times; detach marks it edited on its own. It does not check the seats
// against the bookings: the caller does, in the same transaction.
func UpdateSession(app core.App, id string, start, end time.Time, seats int, detach bool) error {
	cols := dbx.Params{"start": DBTime(start), "end": DBTime(end), "seats": seats, "updated": stamp()}
	if detach {
		cols["detached"] = true
	}
	if _, err := app.DB().Update(colSessions, cols, hashExp("id", id)).Execute(); err != nil {
		return fmt.Errorf("session: update: %w", err)
	}
	// The places held for waitlist offers move too; the confirmed bookings move one by one, each
	// guest told (MoveBooking).
	if _, err := app.DB().NewQuery("UPDATE bookings SET start = {:start}, `end` = {:end} WHERE session = {:s} AND session != '' AND status = 'held'").
		Bind(dbx.Params{"start": DBTime(start), "end": DBTime(end), "s": id}).Execute(); err != nil {
		return fmt.Errorf("session: update held places: %w", err)
	}
	if _, err := app.DB().NewQuery("UPDATE waitlist SET start = {:start} WHERE session = {:s} AND session != ''").
		Bind(dbx.Params{"start": DBTime(start), "s": id}).Execute(); err != nil {
		return fmt.Errorf("session: update waitlist: %w", err)
	}
	return nil
}

// DeleteUnusedSession deletes session id when no booking or waitlist entry (of any status) names
// it; it reports whether it did. A session that was ever booked is cancelled instead, so that
// its bookings keep their session.
func DeleteUnusedSession(app core.App, id string) (bool, error) {
	res, err := app.DB().NewQuery(`DELETE FROM sessions WHERE id = {:id}
		AND NOT EXISTS (SELECT 1 FROM bookings WHERE session = {:id})
		AND NOT EXISTS (SELECT 1 FROM waitlist WHERE session = {:id})`).Bind(dbx.Params{"id": id}).Execute()
	if err != nil {
		return false, fmt.Errorf("session: delete: %w", err)
	}
	return rowsAffected(res) == 1, nil
}

// SessionWaitlist lists the open entries (waiting, or with an offer out) of a session.
func SessionWaitlist(tx core.App, session string) ([]WaitEntry, error) {
	var out []WaitEntry
	err := tx.DB().NewQuery("SELECT " + waitColumns + " FROM waitlist WHERE session = {:s} AND session != '' AND status IN ({:waiting}, {:offered}) ORDER BY created").
		Bind(dbx.Params{"s": session, "waiting": string(WaitWaiting), "offered": string(WaitOffered)}).All(&out)
	return out, err
}

// DeleteSeries deletes rule id; the sessions it made that remain (cancelled ones: the others
// were removed) stay as sessions on their own.
func DeleteSeries(app core.App, id string) error {
	if _, err := app.DB().NewQuery("UPDATE sessions SET series = '', updated = {:now} WHERE series = {:id} AND series != ''").
		Bind(dbx.Params{"id": id, "now": stamp()}).Execute(); err != nil {
		return fmt.Errorf("series: delete: %w", err)
	}
	if _, err := app.DB().Delete(colSessionSeries, hashExp("id", id)).Execute(); err != nil {
		return fmt.Errorf("series: delete: %w", err)
	}
	return nil
}
