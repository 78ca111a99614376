package store

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// DayRow is a booking as the day's list shows it.
type DayRow struct {
	ID            string         `db:"id"`
	Reference     string         `db:"reference"`
	Start         types.DateTime `db:"start"`
	End           types.DateTime `db:"end"`
	Party         int            `db:"party"`
	Name          string         `db:"name"`
	Phone         string         `db:"phone"`
	Notes         string         `db:"notes"`
	InternalNotes string         `db:"internal_notes"`
	Status        booking.Status `db:"status"`
	Resources     string         `db:"resources"` // the resources it holds, space-separated ids
	Source        Source         `db:"source"`
}

// DayBookings lists an offering's bookings starting in [from, to) that are not cancelled, by
// start. Plain rows, not records: the day's list is the desk's most viewed page.
func DayBookings(app core.App, offering string, from, to time.Time) ([]DayRow, error) {
	var out []DayRow
	err := app.DB().NewQuery(`SELECT id, reference, start, "end", party, name, phone, notes, internal_notes, status, resources, source FROM bookings
		WHERE offering = {:o} AND start >= {:from} AND start < {:to} AND status != {:c} ORDER BY start, id`).
		Bind(dbx.Params{"o": offering, "from": DBTime(from), "to": DBTime(to), "c": string(booking.StatusCancelled)}).All(&out)
	return out, err
}

// Filter selects bookings for the staff's list and the export.
type Filter struct {
	Q        string         // part of the reference, name, e-mail or phone
	From, To time.Time      // start in [From, To); zero: open
	Offering string         // "" for all
	Status   booking.Status // "" for all
}

func (f Filter) where() dbx.Expression {
	exps := []dbx.Expression{dbx.NewExp("1=1")}
	if f.Q != "" {
		exps = append(exps, searchMatch(f.Q))
	}
	if !f.From.IsZero() {
		exps = append(exps, dbx.NewExp("start >= {:from}", dbx.Params{"from": DBTime(f.From)}))
	}
	if !f.To.IsZero() {
		exps = append(exps, dbx.NewExp("start < {:to}", dbx.Params{"to": DBTime(f.To)}))
	}
	if f.Offering != "" {
		exps = append(exps, dbx.HashExp{"offering": f.Offering})
	}
	if f.Status != "" {
		exps = append(exps, dbx.HashExp{"status": string(f.Status)})
	}
	return dbx.And(exps...)
}

// CountBookings counts the bookings f selects.
func CountBookings(app core.App, f Filter) (int, error) {
	var n int
	err := app.DB().Select("count(*)").From(colBookings).Where(f.where()).Row(&n)
	return n, err
}

// CountBookingsUpTo counts the bookings f selects, stopping past limit: it returns limit and
// true when there are more. Counting a million bookings to print a number takes a second; no
// one pages through more than a few thousand.
func CountBookingsUpTo(app core.App, f Filter, limit int) (n int, more bool, err error) {
	q, ok := searchedBookings(app, f, "b.id")
	if !ok {
		q = app.DB().Select("id").From(colBookings).Where(f.where())
	}
	var ids []string
	err = q.Limit(int64(limit) + 1).Column(&ids)
	if n = len(ids); n > limit {
		return limit, true, err
	}
	return n, false, err
}

// ListBookings returns one page of the bookings f selects, the latest start first.
func ListBookings(app core.App, f Filter, offset, limit int) ([]*Booking, error) {
	q, ok := searchedBookings(app, f, "b.*")
	if !ok {
		q = app.DB().Select("*").From(colBookings).Where(f.where()).OrderBy("start DESC")
	}
	var out []*Booking
	err := q.Limit(int64(limit)).Offset(int64(offset)).All(&out)
	return out, err
}

// ExportRow is a booking as the CSV export writes it.
type ExportRow struct {
	ID        string         `db:"id"`
	Reference string         `db:"reference"`
	Offering  string         `db:"offering"`
	Start     types.DateTime `db:"start"`
	End       types.DateTime `db:"end"`
	Party     int            `db:"party"`
	Status    booking.Status `db:"status"`
	Name      string         `db:"name"`
	Email     string         `db:"email"`
	Phone     string         `db:"phone"`
	Notes     string         `db:"notes"`
	Source    Source         `db:"source"`
	Resources string         `db:"resources"` // the staff member, room or tables it holds (ids)
	Created   types.DateTime `db:"created"`
}

// ExportPage returns up to limit of the bookings f selects, by (start, id), after the row
// after (nil: from the first): pages that neither shift nor repeat while bookings are made.
func ExportPage(app core.App, f Filter, after *ExportRow, limit int) ([]ExportRow, error) {
	var rows []ExportRow
	err := exportPageQuery(app, f, after, limit).All(&rows)
	return rows, err
}

func exportPageQuery(app core.App, f Filter, after *ExportRow, limit int) *dbx.SelectQuery {
	q := app.DB().Select("id", "reference", "offering", "start", "end", "party", "status", "name", "email", "phone", "notes", "source",
		"resources", "created").
		From(colBookings).Where(f.where())
	if after != nil {
		// A row value: the index of (start, id) starts at the row after. Written as "start > s
		// OR (start = s AND id > id)" it scanned the index from its first row on every page,
		// so a million bookings took two minutes to export instead of seconds.
		q = q.AndWhere(dbx.NewExp("(start, id) > ({:s}, {:id})", dbx.Params{"s": after.Start.String(), "id": after.ID}))
	}
	return q.OrderBy("start", "id").Limit(int64(limit))
}
