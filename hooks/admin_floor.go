package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// floorStep is the width of one column of the floor view.
const floorStep = 30 * time.Minute

// maxFloorColumns bounds the floor view's columns (a day of half hours, and a night).
const maxFloorColumns = 72

// floorPage (GET /admin/floor?offering=&date=, front desk) shows which resource holds which
// booking over a day: one row per resource, one column per half hour of the opening day.
func (h *handlers) floorPage(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	q := e.Request.URL.Query()
	day, status, notice := v.Today(h.now()), http.StatusOK, views.Msg{}
	if s := q.Get("date"); s != "" {
		if d, err := booking.ParseDate(s); err == nil {
			day = d
		} else {
			status, notice = http.StatusBadRequest, views.M("err.date_invalid")
		}
	}
	offs, err := store.Offerings(e.App, false)
	if err != nil {
		return err
	}
	d := views.FloorData{AdminPage: h.adminPage(e, views.M("admin.nav.today")), Date: v.Midnight(day), DateValue: day.String(),
		Prev: day.AddDays(-1).String(), Next: day.AddDays(1).String(), StepMinutes: int(floorStep / time.Minute), Notice: notice}
	var off *store.Offering
	var pool []store.Resource
	for _, o := range offs {
		if o.IsSession() {
			continue
		}
		res, err := store.OfferingResources(e.App, o.ID, false)
		if err != nil {
			return err
		}
		if len(res) == 0 {
			continue
		}
		d.Offerings = append(d.Offerings, views.Option{Value: o.ID, Label: o.Name})
		if off == nil || o.ID == q.Get("offering") {
			off, pool = o, res
		}
	}
	if off == nil {
		return notFound(fmt.Errorf("floor: no offering is served by resources"))
	}
	if want := q.Get("offering"); want != "" && want != off.ID {
		return notFound(fmt.Errorf("floor: offering %s has no resources", want))
	}
	d.Offering = views.Option{Value: off.ID, Label: off.Name}
	cal, err := h.st.LoadCalendar(e.App, off, day, v.Loc, "")
	if err != nil {
		return err
	}
	rows, err := store.DayBookings(e.App, off.ID, cal.DayStart(day, v.Loc), cal.DayStart(day.AddDays(1), v.Loc))
	if err != nil {
		return err
	}
	var bookings []floorBooking
	for _, r := range rows {
		if !r.Status.HoldsPlace() && r.Status != booking.StatusCompleted {
			continue // a no-show holds nothing on the floor
		}
		bookings = append(bookings, floorBooking{FloorBooking: views.FloorBooking{ID: r.ID, Reference: r.Reference, Name: r.Name,
			Party: r.Party, Status: string(r.Status), Start: r.Start.Time().In(v.Loc), End: r.End.Time().In(v.Loc),
			Walkin: r.Source == store.SourceWalkin}, resources: strings.Fields(r.Resources)})
	}
	d.Columns = floorColumns(cal.Calendar, day, v.Loc, bookings)
	for _, res := range pool {
		held := false
		for _, b := range bookings {
			held = held || slices.Contains(b.resources, res.ID)
		}
		if !res.Active && !held {
			continue // retired and holding nothing this day
		}
		d.Rows = append(d.Rows, views.FloorRow{Name: res.Name, Seats: resourceView(res).Seats(d.L), Cells: floorCells(d.Columns, res.ID, bookings)})
	}
	for _, b := range bookings {
		if len(b.resources) == 0 {
			d.Unassigned = append(d.Unassigned, b.FloorBooking)
		}
	}
	if err := h.staffAudit(e.App, e, "booking.list_viewed", "floor/"+day.String(), fmt.Sprintf("%d bookings", len(bookings))); err != nil {
		return err
	}
	return render(e, status, views.FloorPage(d))
}

// floorBooking is a booking on the floor with the resources it holds.
type floorBooking struct {
	views.FloorBooking
	resources []string
}

// floorColumns are the starts of the floor view's columns: every half hour (real time) from the
// day's first opening to its last closing, widened to hold the day's bookings; none when the
// day has neither hours nor bookings. The first column starts on the half hour.
func floorColumns(cal booking.Calendar, day booking.Date, loc *time.Location, bookings []floorBooking) []time.Time {
	var from, to time.Time
	widen := func(a, b time.Time) {
		if from.IsZero() || a.Before(from) {
			from = a
		}
		if to.IsZero() || b.After(to) {
			to = b
		}
	}
	for _, sp := range cal.HoursOn(day) {
		open, _, _ := booking.Resolve(day, sp.Open, loc)
		close, _, _ := booking.Resolve(day, sp.Close, loc)
		widen(open, close)
	}
	for _, b := range bookings {
		widen(b.Start, b.End)
	}
	if from.IsZero() {
		return nil
	}
	from = from.Truncate(floorStep) // whole half hours of UTC are whole half hours of every zone but a few
	var out []time.Time
	for c := from; c.Before(to) && len(out) < maxFloorColumns; c = c.Add(floorStep) {
		out = append(out, c.In(loc))
	}
	return out
}

// floorCells lays out resource id's row: each booking holding it over the columns it overlaps,
// free cells between. A booking that overlaps one already laid out starts after it.
func floorCells(cols []time.Time, id string, bookings []floorBooking) []views.FloorCell {
	var out []views.FloorCell
	for i := 0; i < len(cols); {
		colEnd := cols[i].Add(floorStep)
		var at *floorBooking
		for k := range bookings {
			b := &bookings[k]
			if slices.Contains(b.resources, id) && b.Start.Before(colEnd) && b.End.After(cols[i]) {
				at = b
				break
			}
		}
		if at == nil {
			out = append(out, views.FloorCell{Span: 1})
			i++
			continue
		}
		span := 1
		for i+span < len(cols) && at.End.After(cols[i+span]) {
			span++
		}
		fb := at.FloorBooking
		out = append(out, views.FloorCell{Span: span, Booking: &fb})
		i += span
	}
	return out
}

// seatTables lists the tables (and table combinations) free from now for a walk-in party, over
// every offering served by tables: the value is "offering:id id", the label names them.
func (h *handlers) seatTables(app core.App, v *store.Venue, party int, now time.Time) ([]views.Option, error) {
	offs, err := store.Offerings(app, true)
	if err != nil {
		return nil, err
	}
	names, err := store.ResourceNames(app)
	if err != nil {
		return nil, err
	}
	var out []views.Option
	for _, off := range offs {
		free, _, err := h.freeTables(app, v, off, party, now)
		if err != nil {
			return nil, err
		}
		for _, ids := range free {
			label := store.NamesOf(names, strings.Join(ids, " "))
			if len(offs) > 1 {
				label = off.Name + " · " + label
			}
			out = append(out, views.Option{Value: off.ID + ":" + strings.Join(ids, " "), Label: label})
		}
	}
	return out, nil
}

// freeTables lists the tables and combinations of off free for a party seated at now, for the
// party's turn time; the slot is what a walk-in seated there books.
func (h *handlers) freeTables(app core.App, v *store.Venue, off *store.Offering, party int, now time.Time) ([][]string, booking.Slot, error) {
	if off.IsSession() {
		return nil, booking.Slot{}, nil
	}
	r := off.Rules()
	start := now.Truncate(time.Minute)
	slot := booking.Slot{Start: start, End: start.Add(r.DurationFor(party))}
	cal, err := h.st.LoadCalendar(app, off, booking.DateOf(start, v.Loc), v.Loc, "")
	if err != nil || cal.Calendar.Pool.Empty() {
		return nil, slot, err
	}
	var tables booking.Pool
	for _, res := range cal.Calendar.Pool.Resources {
		if res.Kind == booking.ResourceTable {
			tables.Resources = append(tables.Resources, res)
		}
	}
	tables.Combinations = cal.Calendar.Pool.Combinations
	// The day's calendar holds what runs into the evening; a turn past midnight reads the next.
	if booking.DateOf(slot.End, v.Loc) != booking.DateOf(start, v.Loc) {
		next, err := h.st.LoadCalendar(app, off, booking.DateOf(slot.End, v.Loc), v.Loc, "")
		if err != nil {
			return nil, slot, err
		}
		cal.Calendar.Reservations = append(cal.Calendar.Reservations, next.Calendar.Reservations...)
	}
	var out [][]string
	for _, t := range r.FreeResources(tables, cal.Calendar.Reservations, "", party, slot.Start, slot.End, v.Loc) {
		out = append(out, []string{t.ID})
	}
	for _, c := range r.FreeCombinations(tables, cal.Calendar.Reservations, "", party, slot.Start, slot.End, v.Loc) {
		out = append(out, c.Tables)
	}
	return out, slot, nil
}

// errTableTaken refuses seating a walk-in on a table that is not free for its party (any more).
var errTableTaken = errors.New("walk-in: the table is not free")

// walkinSeatTable seats walk-in id on the tables value names ("offering:id id"): in the booking
// writer, a booking of the walk-in's party from now for its turn time, checked in, holding the
// tables (so it takes their capacity), and the walk-in leaves the queue as seated.
func (h *handlers) walkinSeatTable(e *core.RequestEvent, id, value string) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	offID, ids, ok := strings.Cut(value, ":")
	off, err := store.OfferingByID(e.App, offID)
	if !ok || err != nil {
		return h.renderWalkins(e, http.StatusUnprocessableEntity, views.WalkinForm{}, map[string]views.Msg{"table": views.M("admin.walkins.table_bad")})
	}
	want := strings.Join(strings.Fields(ids), " ")
	now := h.now()
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		w, err := store.WalkinByID(tx.App, id)
		if err != nil {
			return err
		}
		if w.Status != store.WalkinWaiting && w.Status != store.WalkinNotified {
			return errStatusConflict
		}
		free, slot, err := h.freeTables(tx.App, v, off, w.Party, now)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(free, func(t []string) bool { return strings.Join(t, " ") == want })
		if i < 0 {
			return errTableTaken
		}
		slot.Resources = free[i]
		tx.Only(off.Slug)
		in, err := store.InsertBooking(tx.App, store.NewBooking{Offering: off.ID, Slot: slot, Party: w.Party, Status: booking.StatusCheckedIn,
			Name: w.Name, Email: w.Email, Phone: w.Phone, Source: store.SourceWalkin, Now: now})
		if err != nil {
			return err
		}
		if err := store.CloseWalkin(tx.App, id, store.WalkinSeated, now); err != nil {
			return err
		}
		if err := h.staffAudit(tx.App, e, "walkin.seated_table", "bookings/"+in.ID, want); err != nil {
			return err
		}
		return jobs.QueueEvent(tx.App, v, store.EventBookingCreated, in.ID, now)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound(err)
	case errors.Is(err, errTableTaken):
		return h.renderWalkins(e, http.StatusConflict, views.WalkinForm{}, map[string]views.Msg{"table": views.M("admin.walkins.table_taken")})
	case err != nil:
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/walkins?done=walkin_seat")
}
