package booking

// Status is where a booking stands. The values are what the database stores.
type Status string

// The statuses of a booking.
const (
	StatusConfirmed Status = "confirmed"  // booked; the guest is expected
	StatusCheckedIn Status = "checked_in" // the guest arrived
	StatusNoShow    Status = "no_show"    // the guest did not come
	StatusCompleted Status = "completed"  // the visit is over
	StatusCancelled Status = "cancelled"  // by the guest or the venue
	// StatusHeld is a place kept for a waitlist offer until it is accepted or runs out.
	StatusHeld Status = "held"
)

// Statuses are the statuses staff filter the bookings list by, in the order they are offered.
var Statuses = []Status{StatusConfirmed, StatusCheckedIn, StatusNoShow, StatusCompleted, StatusCancelled}

// HoldsPlace reports whether a booking with status s counts against capacity.
func (s Status) HoldsPlace() bool {
	return s == StatusConfirmed || s == StatusCheckedIn || s == StatusHeld
}

// Active reports whether the guest's visit stands: confirmed or checked in.
func (s Status) Active() bool { return s == StatusConfirmed || s == StatusCheckedIn }

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case StatusConfirmed, StatusCheckedIn, StatusNoShow, StatusCompleted, StatusCancelled, StatusHeld:
		return true
	}
	return false
}
