package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// How far ahead a series makes sessions: as far as its offering may be booked (its horizon),
// at most a year; half a year for an offering without a horizon. The daily run moves the reach
// on by a day.
const (
	seriesMaxAhead     = 366
	seriesDefaultAhead = 183
)

// SeriesAhead is the number of days after today up to which the series of o make sessions.
func SeriesAhead(o *store.Offering) int {
	h := o.Rules().Horizon
	if h <= 0 {
		return seriesDefaultAhead
	}
	return min(int((h+24*time.Hour-1)/(24*time.Hour)), seriesMaxAhead)
}

// MakeSessions adds the sessions rule (stored as series) of offering o makes from today up to
// its reach, leaving the dates it has a session for already (made before, edited or cancelled
// since) alone; it returns how many it added.
func MakeSessions(tx core.App, v *store.Venue, o *store.Offering, series string, rule booking.Series, today booking.Date) (int, error) {
	n := 0
	for _, oc := range rule.Occurrences(today, today.AddDays(SeriesAhead(o)), v.Loc) {
		added, err := store.AddSeriesSession(tx, o.ID, series, oc.Date, oc.Start, oc.Start.Add(o.Rules().Duration), rule.Seats)
		if err != nil {
			return n, err
		}
		if added {
			n++
		}
	}
	return n, nil
}

// GenerateSessions runs every live series up to its reach (daily, and at start); it returns
// how many sessions it added.
func (j *Jobs) GenerateSessions(now time.Time) (int, error) {
	v, err := j.st.Venue(j.app)
	if errors.Is(err, store.ErrNoVenue) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	today := v.Today(now)
	if rows, err := store.LiveSeries(j.app, today); err != nil || len(rows) == 0 {
		return 0, err // nothing to make: no write
	}
	added := 0
	err = j.st.Writer().Do(context.Background(), func(tx *store.Tx) error {
		added = 0
		// Read again in the write: a series changed since is made by its rule as it stands.
		rows, err := store.LiveSeries(tx.App, today)
		if err != nil {
			return err
		}
		offerings := map[string]*store.Offering{}
		for _, r := range rows {
			o, ok := offerings[r.Offering]
			if !ok {
				if o, err = store.OfferingByID(tx.App, r.Offering); err != nil {
					return err
				}
				offerings[r.Offering] = o
			}
			rule, err := r.Rule()
			if err != nil || !o.IsSession() {
				j.app.Logger().Warn("sessions: a series makes nothing", "series", r.ID, "error", fmt.Sprint(err))
				continue
			}
			n, err := MakeSessions(tx.App, v, o, r.ID, rule, today)
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	return added, err
}

func (j *Jobs) runSessions() {
	n, err := j.GenerateSessions(j.now())
	if err != nil {
		j.app.Logger().Error("sessions: series run failed", "error", err.Error())
	}
	if n > 0 {
		j.app.Logger().Info("sessions: series made sessions", "added", n)
	}
}

// SeatsTakenError refuses to give a session fewer seats than its bookings take.
type SeatsTakenError struct {
	Start  time.Time
	Booked int
}

func (e *SeatsTakenError) Error() string {
	return fmt.Sprintf("sessions: the session of %s has %d seats booked", e.Start.Format(time.RFC3339), e.Booked)
}

// CancelSession cancels session s of offering o for reason: its confirmed bookings are
// cancelled by the venue, each guest mailed the reason with their cancellation, and its open
// waitlist entries closed as cancelled (a held place released), each mailed too. It returns
// how many people were told. Call it inside the writer's transaction.
func CancelSession(tx *store.Tx, v *store.Venue, o *store.Offering, s *store.Session, reason string, now time.Time) (int, error) {
	if err := store.CancelSession(tx.App, s.ID, reason); err != nil {
		return 0, err
	}
	bookings, err := store.SessionBookings(tx.App, s.ID)
	if err != nil {
		return 0, err
	}
	for _, b := range bookings {
		if err := store.CancelBooking(tx.App, b, reason, now); err != nil {
			return 0, err
		}
		if err := QueueBookingMail(tx.App, v, store.MailCancellation, b, "", now); err != nil {
			return 0, err
		}
		if err := QueueEvent(tx.App, v, store.EventBookingCancelled, b.ID, now); err != nil {
			return 0, err
		}
	}
	waiting, err := store.SessionWaitlist(tx.App, s.ID)
	if err != nil {
		return 0, err
	}
	for i := range waiting {
		w := &waiting[i]
		if err := store.CloseEntry(tx.App, w, store.WaitCancelled, now); err != nil {
			return 0, err
		}
		if w.Email == "" {
			continue
		}
		l := GuestLocale(v, w.Locale)
		start := s.Start.Time().In(v.Loc)
		when := l.Date(start) + " " + l.Time(start)
		if err := store.QueueMail(tx.App, store.NewMail{Kind: store.MailWaitlist, To: w.Email, ToName: w.Name,
			Subject: l.T("mail.subject.waitlist_cancelled", o.Name, when),
			Text:    l.T("mail.waitlist_cancelled", v.Name, o.Name, when, reason)}, now); err != nil {
			return 0, err
		}
	}
	return len(bookings) + len(waiting), nil
}

// MoveSession gives session s of offering o a new start and seats (its end follows from the
// offering's duration); detach marks it edited on its own. Its confirmed bookings move with it,
// each guest mailed the change; its waitlist entries keep their places. It refuses with
// *SeatsTakenError fewer seats than booked, and returns how many bookings moved.
func MoveSession(tx *store.Tx, v *store.Venue, o *store.Offering, s *store.SessionRow, start time.Time, seats int, detach bool, now time.Time) (int, error) {
	if seats < s.Booked {
		return 0, &SeatsTakenError{Start: s.Start.Time(), Booked: s.Booked}
	}
	end := start.Add(o.Rules().Duration)
	if err := store.UpdateSession(tx.App, s.ID, start, end, seats, detach); err != nil {
		return 0, err
	}
	if start.Equal(s.Start.Time()) {
		return 0, nil
	}
	bookings, err := store.SessionBookings(tx.App, s.ID)
	if err != nil {
		return 0, err
	}
	for _, b := range bookings {
		slot := booking.Slot{Start: start, End: end, Session: s.ID}
		if err := store.MoveBooking(tx.App, b, slot, b.Party, v.ReminderMark(start, now)); err != nil {
			return 0, err
		}
		if err := QueueBookingMail(tx.App, v, store.MailChange, b, "", now); err != nil {
			return 0, err
		}
		if err := QueueEvent(tx.App, v, store.EventBookingChanged, b.ID, now); err != nil {
			return 0, err
		}
	}
	return len(bookings), nil
}

// SeriesResult is what applying a series rule did to its sessions.
type SeriesResult struct {
	Added, Moved, Cancelled, Removed int
	Told                             int // guests and waitlist entries mailed
}

// ApplySeries brings the sessions that series made on date from on in line with rule, and
// makes those it lacks up to its reach: a session on a date the rule no longer covers is
// removed if nobody ever booked or waited for it, and otherwise cancelled for reason (see
// CancelSession); one whose time or seats changed is moved (see MoveSession) unless it was
// edited on its own. Cancelled sessions stay cancelled. Call it inside the writer's
// transaction: a *SeatsTakenError leaves it half done, for the transaction to undo.
func ApplySeries(tx *store.Tx, v *store.Venue, o *store.Offering, series string, rule booking.Series, from booking.Date,
	reason string, now time.Time) (SeriesResult, error) {
	var res SeriesResult
	sessions, err := store.SeriesSessions(tx.App, series, from)
	if err != nil {
		return res, err
	}
	for i := range sessions {
		s := &sessions[i]
		d, err := booking.ParseDate(s.Occurs)
		if s.Cancelled || err != nil {
			continue
		}
		if !rule.On(d) {
			removed, err := store.DeleteUnusedSession(tx.App, s.ID)
			if err != nil {
				return res, err
			}
			if removed {
				res.Removed++
				continue
			}
			told, err := CancelSession(tx, v, o, &s.Session, reason, now)
			if err != nil {
				return res, err
			}
			res.Cancelled++
			res.Told += told
			continue
		}
		start, _, _ := booking.Resolve(d, rule.Time, v.Loc)
		if s.Detached || (start.Equal(s.Start.Time()) && rule.Seats == s.Seats) {
			continue
		}
		moved, err := MoveSession(tx, v, o, s, start, rule.Seats, false, now)
		if err != nil {
			return res, err
		}
		res.Moved++
		res.Told += moved
	}
	today := v.Today(now)
	if from.Compare(today) > 0 {
		today = from
	}
	if res.Added, err = MakeSessions(tx.App, v, o, series, rule, today); err != nil {
		return res, err
	}
	tx.Freed()
	return res, nil
}
