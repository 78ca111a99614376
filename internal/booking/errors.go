package booking

import "errors"

// Domain failures. Check returns exactly one of these values itself (compare
// with == or errors.Is); ParseDate, ParseClock and ParseStart wrap theirs with
// the offending input.
var (
	// ErrClosed means the date is closed: no opening hours on that weekday, the
	// date lies in a Closure, or (sessions) the session's date lies in a Closure.
	ErrClosed = errors.New("booking: closed on that date")
	// ErrClosedTime means the date is open but the booking would take place, at least in
	// part, in a closed part of it (a PartClosure).
	ErrClosedTime = errors.New("booking: closed at that time")
	// ErrTooSoon means the start is before now + LeadTime, including the past.
	ErrTooSoon = errors.New("booking: too soon to book")
	// ErrTooFarAhead means Horizon > 0 and the start is after now + Horizon.
	ErrTooFarAhead = errors.New("booking: too far ahead to book")
	// ErrPartyTooSmall means the party is under the offering's minimum (at least 1).
	ErrPartyTooSmall = errors.New("booking: party too small")
	// ErrPartyTooLarge means the party is over the offering's maximum.
	ErrPartyTooLarge = errors.New("booking: party too large")
	// ErrFull means not enough capacity is left for the party.
	ErrFull = errors.New("booking: no capacity left")
	// ErrInvalidStart means the start is malformed, is a local time that does
	// not exist, is not one of the offering's starts on an open date (off the
	// grid, before opening, or running past closing), or names an unknown
	// session.
	ErrInvalidStart = errors.New("booking: invalid start")
	// ErrInvalidDate means a date is not a real "2006-01-02" date in 1900..9999.
	ErrInvalidDate = errors.New("booking: invalid date")
	// ErrInvalidClock means a clock time is not "HH:MM" in 00:00..47:59.
	ErrInvalidClock = errors.New("booking: invalid clock time")
)
