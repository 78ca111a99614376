package booking

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Restaurant controls of a slot offering: pacing and turn times.
//
// Pacing limits the covers (people) whose bookings start within one quarter hour of local time
// (19:00–19:14, 19:15–19:29, …), so that a kitchen is not sent forty covers at 19:00 when the
// room could seat them: Offering.Pacing covers at most, whatever the capacity left. It counts
// people in both modes, the bookings passed as reservations (a booking being moved left out).
//
// Turn times give a booking a length by its party: Offering.TurnTimes lists, by party size, the
// longest party each length is for ("up to 2 people: 90 minutes, up to 4: 2 hours"); a larger
// party takes Duration. ForParty is the offering as a booking of that party sees it.

// PacingSpan is the span of local time Pacing counts covers over.
const PacingSpan = 15 * time.Minute

// TurnTime is how long a booking of a party of up to MaxParty people lasts.
type TurnTime struct {
	MaxParty int
	Duration time.Duration
}

// ErrInvalidTurnTimes means turn times are not "party:minutes" pairs with parties rising from
// 1 to 1000 and lengths of 5 to 1440 minutes (at most 10 pairs).
var ErrInvalidTurnTimes = errors.New("booking: invalid turn times")

// maxTurnTimes bounds how many turn times an offering has.
const maxTurnTimes = 10

// ParseTurnTimes reads turn times as people write them: "2:90, 4:120" (up to 2 people 90
// minutes, up to 4 people 120; larger parties the offering's duration). The parties must rise.
// An empty text is no turn times. The error wraps ErrInvalidTurnTimes.
func ParseTurnTimes(s string) ([]TurnTime, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(fields) > maxTurnTimes {
		return nil, fmt.Errorf("%w: %d pairs (at most %d)", ErrInvalidTurnTimes, len(fields), maxTurnTimes)
	}
	var out []TurnTime
	for _, f := range fields {
		p, m, ok := strings.Cut(f, ":")
		party, err1 := strconv.Atoi(p)
		minutes, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil || party < 1 || party > 1000 || minutes < 5 || minutes > 1440 {
			return nil, fmt.Errorf("%w: %q", ErrInvalidTurnTimes, f)
		}
		if len(out) > 0 && party <= out[len(out)-1].MaxParty {
			return nil, fmt.Errorf("%w: the parties must rise (%q)", ErrInvalidTurnTimes, f)
		}
		out = append(out, TurnTime{MaxParty: party, Duration: time.Duration(minutes) * time.Minute})
	}
	return out, nil
}

// FormatTurnTimes writes turn times as ParseTurnTimes reads them.
func FormatTurnTimes(tt []TurnTime) string {
	parts := make([]string, len(tt))
	for i, t := range tt {
		parts[i] = fmt.Sprintf("%d:%d", t.MaxParty, int(t.Duration/time.Minute))
	}
	return strings.Join(parts, ", ")
}

// DurationFor is how long a booking of party lasts: the turn time of the smallest MaxParty
// that holds party, else Duration.
func (o Offering) DurationFor(party int) time.Duration {
	for _, t := range o.TurnTimes {
		if party <= t.MaxParty {
			return t.Duration
		}
	}
	return o.Duration
}

// ForParty is o as a booking of party sees it: its Duration is the party's turn time. Slots of
// ForParty(party) list the starts with the party's length; Check applies it itself.
func (o Offering) ForParty(party int) Offering {
	o.Duration = o.DurationFor(party)
	o.TurnTimes = nil
	o.party = party
	return o
}

// longest is the longest a booking of o can last (Duration or a turn time).
func (o Offering) longest() time.Duration {
	d := o.Duration
	for _, t := range o.TurnTimes {
		d = max(d, t.Duration)
	}
	return d
}

// paceStart is the first instant of the local quarter hour of t.
func paceStart(t time.Time, loc *time.Location) time.Time {
	local := t.In(orUTC(loc))
	into := time.Duration(local.Minute()%15)*time.Minute + time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	return t.Add(-into)
}

// coversLeft is how many covers may still start in the quarter hour of start under Pacing,
// leaving out the reservation with ID ignore; never negative.
func (o Offering) coversLeft(res []Reservation, ignore string, start time.Time, loc *time.Location) int {
	from := paceStart(start, loc)
	to := from.Add(PacingSpan)
	taken := 0
	for i := range res {
		r := &res[i]
		if (ignore != "" && r.ID == ignore) || r.Start.Before(from) || !r.Start.Before(to) {
			continue
		}
		taken += max(r.Party, 0)
	}
	return max(o.Pacing-taken, 0)
}

// pace sets what Pacing leaves of slot s: the covers that may still start in its quarter hour,
// and in people mode a Remaining no larger than them.
func (o Offering) pace(s *Slot, res []Reservation, ignore string, loc *time.Location) {
	if o.Pacing <= 0 || o.Kind == KindSession {
		return
	}
	s.Paced, s.CoversLeft = true, o.coversLeft(res, ignore, s.Start, loc)
	if o.Mode != ModeUnits {
		s.Remaining = min(s.Remaining, s.CoversLeft)
	}
}
