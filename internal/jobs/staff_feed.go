package jobs

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"reserva/internal/mail"
	"reserva/internal/store"
)

// FeedPast is how far back a staff member's calendar feed reaches.
const FeedPast = 30 * 24 * time.Hour

// feedNoHorizon is how far ahead a feed reaches when the offering takes bookings without limit.
const feedNoHorizon = 366 * 24 * time.Hour

// FeedRefresh is how often a calendar app is asked to fetch a feed again.
const FeedRefresh = 30 * time.Minute

// FeedWindow is the span of starts a feed of owner lists at now: FeedPast back, to the
// offering's booking horizon ahead (a year when it has none).
func FeedWindow(owner *store.FeedOwner, now time.Time) (from, to time.Time) {
	ahead := time.Duration(owner.HorizonDays) * 24 * time.Hour
	if ahead <= 0 {
		ahead = feedNoHorizon
	}
	// A day beyond the horizon: a booking staff made at its very edge is still listed.
	return now.Add(-FeedPast), now.Add(ahead + 24*time.Hour)
}

// ShortName is a guest's name as a staff member's calendar shows it: the first name and the
// initial of the last ("Ada King" → "Ada K."; "Ada" stays "Ada"; "" stays "").
func ShortName(name string) string {
	parts := strings.Fields(name)
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	r, _ := utf8.DecodeRuneInString(parts[len(parts)-1])
	return parts[0] + " " + string(r) + "."
}

// StaffFeedFile is the calendar subscription of a staff member (owner) with their bookings
// bs: one event each, its UID stable for the booking (<id>.staff@reserva, apart from the UID of
// the guest's own file), its SUMMARY the offering, the party and the guest's short name, its
// DESCRIPTION the reference. NB! Contact details and notes never go in: a feed is read by a
// calendar app on a phone, and whoever holds its link.
func StaffFeedFile(v *store.Venue, owner *store.FeedOwner, bs []store.FeedBooking) ([]byte, error) {
	l := Locale(v)
	events := make([]mail.Event, 0, len(bs))
	for _, b := range bs {
		summary := owner.OfferingName + " · " + l.T("party.count", b.Party)
		if n := ShortName(b.Name); n != "" {
			summary += " · " + n
		}
		events = append(events, mail.Event{
			UID:         b.ID + ".staff@reserva",
			Sequence:    b.Sequence,
			Start:       b.Start.Time(),
			End:         b.End.Time(),
			Summary:     summary,
			Description: l.T("booking.reference") + ": " + b.Reference,
			Place:       v.Address,
			Stamp:       b.Updated.Time(),
		})
	}
	ics, err := mail.Feed(owner.Name+" · "+v.Name, FeedRefresh, events)
	if err != nil {
		return nil, fmt.Errorf("staff feed %s: %w", owner.Feed, err)
	}
	return ics, nil
}
