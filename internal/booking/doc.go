// Package booking holds the booking rules of Reserva: which times of a date
// can be booked, how much capacity each has left, and whether a requested
// booking is allowed.
//
// The package is pure. It imports the standard library only, never reads the
// clock, the environment or a database, and takes the current instant (now)
// and the venue's *time.Location as arguments. Every function is safe for
// concurrent use.
//
// # Time
//
// Instants are time.Time values; callers store them in UTC. People speak in
// venue-local calendar dates (Date) and wall-clock times (Clock). Resolve
// turns the one into the other and is where daylight-saving time is handled:
//
//   - a wall-clock time that does not exist (the spring-forward gap) is never
//     offered as a start, and resolves to the instant shifted forward by the gap;
//   - a wall-clock time that occurs twice (the fall-back overlap) is offered
//     once, as its first occurrence, and flagged Slot.Ambiguous;
//   - durations, buffers, lead times and horizons are real elapsed time, so a
//     2 h booking lasts two real hours even across a transition.
//
// # Opening hours and business dates
//
// Hours are weekly rules; SpecialHours replace them on the dates they cover
// (Calendar.HoursOn: an offering's own over the venue's), with the same
// limits. A rule may close after midnight (Close up to 47:59), and the starts
// it produces after midnight belong to the date the rule opens on: a Friday 18:00–26:00 rule lists its 00:30 start among Friday's slots,
// and a Closure of that Friday closes it. Check therefore accepts a start on
// date D from D's own rules or from D-1's rules that run past midnight.
// Calendar.OpeningDay and Calendar.DayStart tell which opening day a start
// belongs to, for pages that group bookings by day.
//
// # Closures
//
// A Closure closes whole opening days: the starts that belong to them, a
// Friday night's 00:30 included, while a booking of an open evening may run
// on into a closed date. A PartClosure closes instants instead, the span of
// each of its dates resolved like opening times: no booking may take place in
// it, so a slot whose [Start, End) overlaps it is not offered and Check
// answers ErrClosedTime (sessions alike; buffers may reach into it).
//
// # Capacity
//
// Slot offerings share a capacity over time. A reservation blocks
// [Start-BufferBefore, End+BufferAfter) and a candidate start blocks
// [start-BufferBefore, start+Duration+BufferAfter). The capacity left at a
// start is Capacity minus the highest concurrent usage within the candidate's
// blocked interval, so two reservations that each overlap the candidate but
// not each other do not add up. Session offerings have a fixed number of seats
// per dated session.
//
// # Loading data
//
// A caller loads the rows a date needs with Window, lists the date with
// Slots, and validates a submitted form with ParseStart (to learn the date)
// and Check. Check returns the sentinel errors of this package themselves.
package booking
