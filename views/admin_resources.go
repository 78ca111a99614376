package views

import (
	"slices"
	"strconv"
	"time"
)

// ResourceForm is a resource of an offering as listed and edited: a staff member, room or table.
type ResourceForm struct {
	ID, Kind, Name, Hours string
	MinSeats, MaxSeats    int
	Sort                  int
	Active                bool
}

// Seats reads a resource's seats ("2–4", "up to 4", "4 or more"; "" without bounds).
func (r ResourceForm) Seats(l *Locale) string {
	switch {
	case r.MinSeats > 0 && r.MaxSeats > 0:
		return l.T("admin.resources.seats_range", r.MinSeats, r.MaxSeats)
	case r.MaxSeats > 0:
		return l.T("admin.resources.seats_max", r.MaxSeats)
	case r.MinSeats > 0:
		return l.T("admin.resources.seats_min", r.MinSeats)
	}
	return ""
}

// CombinationRow is a combination of tables as listed: its tables' names and seats.
type CombinationRow struct {
	ID, Names          string
	MinSeats, MaxSeats int
}

// ComboForm is the new-combination form as typed.
type ComboForm struct {
	Tables             []string
	MinSeats, MaxSeats string
}

// Has reports whether the form picked table id.
func (c ComboForm) Has(id string) bool { return slices.Contains(c.Tables, id) }

// ResourceData is the page of one resource.
type ResourceData struct {
	AdminPage
	Offering OfferingForm
	Resource ResourceForm
	Errors   map[string]Msg
	Feed     StaffFeedView
}

// StaffFeedView is a staff member's calendar link as their resource's page shows it.
type StaffFeedView struct {
	Staff     bool      // the resource is a person: the page offers a link
	Exists    bool      // a link works now
	Created   time.Time // when it was made
	LastFetch time.Time // when a fetch was last audited (zero: not fetched yet)
	// URL and Webcal are the address of a link just made, shown this once (only its hash is kept).
	URL, Webcal string
}

// ResourceKinds are the kinds of resource, in the order the forms offer them.
var ResourceKinds = []string{"staff", "room", "table"}

func itoa0(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// hasAny reports whether errs has a message for any of fields.
func hasAny(errs map[string]Msg, fields ...string) bool {
	for _, f := range fields {
		if _, ok := errs[f]; ok {
			return true
		}
	}
	return false
}

// activeTables are the tables in service among rs.
func activeTables(rs []ResourceForm) []ResourceForm {
	var out []ResourceForm
	for _, r := range rs {
		if r.Active && r.Kind == "table" {
			out = append(out, r)
		}
	}
	return out
}

// FloorData is the floor view of one day: an offering's resources (rows) over the day's time
// (columns), each booking spanning the columns it takes.
type FloorData struct {
	AdminPage
	Date                  time.Time
	DateValue, Prev, Next string
	Offerings             []Option // the offerings served by resources
	Offering              Option
	Columns               []time.Time // the start of each column, venue-local
	StepMinutes           int
	Rows                  []FloorRow
	Unassigned            []FloorBooking // the day's bookings that hold no resource
	Notice                Msg
}

// FloorRow is one resource's line of the floor view.
type FloorRow struct {
	Name, Seats string
	Cells       []FloorCell
}

// FloorCell is one cell of a row: free (Booking nil) or a booking, over Span columns.
type FloorCell struct {
	Span    int
	Booking *FloorBooking
}

// FloorBooking is a booking as the floor view shows it.
type FloorBooking struct {
	ID, Reference, Name string
	Party               int
	Status              string
	Start, End          time.Time // venue-local
	Walkin              bool
}
