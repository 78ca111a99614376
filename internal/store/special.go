package store

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
)

// SpecialHours replaces the weekly opening hours of the venue (Offering "": every offering's) or
// of one offering on the local dates StartDate..EndDate with Spans ("12:00-15:00 18:00-22:00").
type SpecialHours struct {
	ID        string `db:"id"`
	Offering  string `db:"offering"`
	StartDate string `db:"start_date"`
	EndDate   string `db:"end_date"`
	Spans     string `db:"spans"`
	Reason    string `db:"reason"`
}

// specialColumns are the columns a SpecialHours is read from.
const specialColumns = "id, offering, start_date, end_date, spans, reason"

// MaxSpans is how many spans one entry of special hours holds (the schema's limit).
const MaxSpans = 4

// FormatSpans writes spans as they are stored: "12:00-15:00 18:00-25:30".
func FormatSpans(spans []booking.Span) string {
	parts := make([]string, len(spans))
	for i, sp := range spans {
		parts[i] = sp.Open.String() + "-" + sp.Close.String()
	}
	return strings.Join(parts, " ")
}

// ParseSpans reads stored spans; the error names the first that cannot be read or is not valid
// (booking.Span.Valid).
func ParseSpans(s string) ([]booking.Span, error) {
	var out []booking.Span
	for _, part := range strings.Fields(s) {
		open, close, ok := strings.Cut(part, "-")
		o, err1 := booking.ParseClock(open)
		c, err2 := booking.ParseClock(close)
		sp := booking.Span{Open: o, Close: c}
		if !ok || err1 != nil || err2 != nil || !sp.Valid() {
			return nil, fmt.Errorf("special hours: span %q", part)
		}
		out = append(out, sp)
	}
	return out, nil
}

// Rules is s as the booking rules take it; ok is false when its dates or spans cannot be read.
func (s SpecialHours) Rules() (booking.SpecialHours, bool) {
	from, err1 := booking.ParseDate(s.StartDate)
	to, err2 := booking.ParseDate(s.EndDate)
	spans, err3 := ParseSpans(s.Spans)
	if err1 != nil || err2 != nil || err3 != nil {
		return booking.SpecialHours{}, false
	}
	return booking.SpecialHours{From: from, To: to, Spans: spans, Own: s.Offering != ""}, true
}

// SpecialHoursFrom lists the special hours that end on or after date, by start date.
func SpecialHoursFrom(app core.App, date booking.Date) ([]SpecialHours, error) {
	var out []SpecialHours
	err := app.DB().NewQuery("SELECT " + specialColumns + " FROM special_hours WHERE end_date >= {:d} ORDER BY start_date, offering").
		Bind(dbx.Params{"d": date.String()}).All(&out)
	return out, err
}

// AddSpecialHours sets the opening hours of the dates from to to (venue-wide when offering is
// "") to spans, of which there are 1 to MaxSpans; it returns its id.
func AddSpecialHours(app core.App, offering string, from, to booking.Date, spans []booking.Span, reason string) (string, error) {
	rec, err := createRecord(app, colSpecialHours, map[string]any{"offering": offering, "start_date": from.String(),
		"end_date": to.String(), "spans": FormatSpans(spans), "reason": reason})
	if err != nil {
		return "", err
	}
	return rec.Id, nil
}

// DeleteSpecialHours removes special hours (the weekly hours apply again); sql.ErrNoRows when
// there are none such.
func DeleteSpecialHours(app core.App, id string) (*SpecialHours, error) {
	rec, err := app.FindRecordById(colSpecialHours, id)
	if err != nil {
		return nil, sql.ErrNoRows
	}
	s := &SpecialHours{ID: rec.Id, Offering: rec.GetString("offering"), StartDate: rec.GetString("start_date"),
		EndDate: rec.GetString("end_date"), Spans: rec.GetString("spans"), Reason: rec.GetString("reason")}
	if err := app.Delete(rec); err != nil {
		return nil, err
	}
	return s, nil
}

// specialHoursOf reads the special hours of offering o (its own and the venue's) that cover a
// date from first to last.
func specialHoursOf(db dbx.Builder, o, first, last string) ([]SpecialHours, error) {
	var out []SpecialHours
	err := db.NewQuery(`SELECT ` + specialColumns + ` FROM special_hours
		WHERE (offering = '' OR offering = CAST({:o} AS TEXT)) AND start_date <= CAST({:last} AS TEXT) AND end_date >= CAST({:first} AS TEXT)
		ORDER BY start_date`).
		Bind(dbx.Params{"o": o, "first": first, "last": last}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("calendar: special hours: %w", err)
	}
	return out, nil
}
