package jobs

import (
	"context"
	"errors"
	"time"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// Waitlists. A visitor who meets a full time joins its waitlist. When a place frees up (a
// cancellation, a change, more capacity, an offer declined or run out) the first entries that
// fit, in the order they joined, are offered it: the place is held for them as a booking with
// status "held", which counts against capacity like any other, so the same place is never
// offered twice and the check and the hold share one transaction (one write of the booking
// writer). Accepting turns the hold into a confirmed booking; an offer not taken in time is
// released to the next.

// waitlistKeep is how long a closed entry (booked, expired, declined, left) is kept: its
// personal data then goes.
const waitlistKeep = 24 * time.Hour

// WaitlistResult counts what one run of the waitlist did.
type WaitlistResult struct{ Offered, Expired, Deleted int }

// RunWaitlist processes the waitlist now and logs what it did.
func (j *Jobs) RunWaitlist() {
	res, err := j.ProcessWaitlist(j.now())
	if err != nil {
		j.app.Logger().Error("waitlist", "error", err.Error())
		return
	}
	if res != (WaitlistResult{}) {
		j.app.Logger().Info("waitlist", "offered", res.Offered, "expired", res.Expired, "deleted", res.Deleted)
	}
}

// ProcessWaitlist, in one write: releases the offers that ran out and the entries whose time
// has passed, offers the freed places to the first entries that fit, and deletes entries (and
// walk-ins) closed more than a day ago.
func (j *Jobs) ProcessWaitlist(now time.Time) (WaitlistResult, error) {
	var res WaitlistResult
	v, err := j.st.Venue(j.app)
	if errors.Is(err, store.ErrNoVenue) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	err = j.st.Writer().Do(context.Background(), func(tx *store.Tx) error {
		res = WaitlistResult{}
		expired, err := store.ExpiringEntries(tx.App, now)
		if err != nil {
			return err
		}
		for i := range expired {
			if err := store.CloseEntry(tx.App, &expired[i], store.WaitExpired, now); err != nil {
				return err
			}
			res.Expired++
		}
		waiting, err := store.WaitingEntries(tx.App, 1000)
		if err != nil {
			return err
		}
		offerings := map[string]*store.Offering{}
		for i := range waiting {
			w := &waiting[i]
			o, ok := offerings[w.Offering]
			if !ok {
				if o, err = store.OfferingByID(tx.App, w.Offering); err != nil {
					return err
				}
				offerings[w.Offering] = o
			}
			offered, err := j.offer(tx, v, o, w, now)
			if err != nil {
				return err
			}
			if offered {
				res.Offered++
			}
		}
		n, err := store.DeleteClosedEntries(tx.App, now.Add(-waitlistKeep))
		if err != nil {
			return err
		}
		walkins, err := store.DeleteOldWalkins(tx.App, now.Add(-waitlistKeep), v.Today(now).AddDays(-1))
		if err != nil {
			return err
		}
		res.Deleted = int(n + walkins)
		return nil
	})
	return res, err
}

// offer offers w a place if one fits now: a held booking, the entry offered, the offer mailed
// with a fresh link. An entry whose time can no longer be booked at all (closed, too soon, or
// the offering now paid for when booked) is expired; a full time leaves it waiting.
func (j *Jobs) offer(tx *store.Tx, v *store.Venue, o *store.Offering, w *store.WaitEntry, now time.Time) (bool, error) {
	if o.PaymentMode != "" {
		// Paid for when booked since the entry was made: an offer could not wait for a payment.
		return false, store.CloseEntry(tx.App, w, store.WaitExpired, now)
	}
	r := o.Rules()
	date, err := store.StartDate(tx.App, o, w.StartValue, v.Loc)
	if err != nil {
		return false, store.CloseEntry(tx.App, w, store.WaitExpired, now)
	}
	cal, err := j.st.LoadCalendar(tx.App, o, date, v.Loc, "")
	if err != nil {
		return false, err
	}
	slot, err := r.Check(cal.Calendar, booking.Request{Start: w.StartValue, Party: w.Party}, now, v.Loc)
	if errors.Is(err, booking.ErrFull) {
		return false, nil
	}
	if err != nil {
		return false, store.CloseEntry(tx.App, w, store.WaitExpired, now)
	}
	hold, err := store.InsertBooking(tx.App, store.NewBooking{Offering: o.ID, Slot: slot, Party: w.Party, Status: booking.StatusHeld,
		Name: w.Name, Email: w.Email, Phone: w.Phone, Source: store.SourceWeb, ConsentAt: w.ConsentAt.Time(),
		NoticeVersion: w.NoticeVersion, Locale: w.Locale, Now: now})
	if err != nil {
		return false, err
	}
	expires := now.Add(v.OfferTTL())
	token, err := store.OfferEntry(tx.App, w, hold.ID, now, expires)
	if err != nil {
		return false, err
	}
	l := GuestLocale(v, w.Locale)
	start := slot.Start.In(v.Loc)
	when := l.Date(start) + " " + l.Time(start)
	if err := store.QueueMail(tx.App, store.NewMail{Kind: store.MailWaitlistOffer, To: w.Email, ToName: w.Name,
		Subject: l.T("mail.subject.waitlist_offer", o.Name, when),
		Text: l.T("mail.waitlist_offer", v.Name, o.Name, when, l.T("party.count", w.Party), j.AbsURL("/w/"+token),
			l.Time(expires.In(v.Loc)))}, now); err != nil {
		return false, err
	}
	if err := store.Audit(tx.App, store.Entry{Actor: store.ActorSystem, Action: "waitlist.offered", Target: "waitlist/" + w.ID,
		Detail: "bookings/" + hold.ID}); err != nil {
		return false, err
	}
	return true, QueueEvent(tx.App, v, store.EventWaitlistOffered, hold.ID, now)
}

// StartWaitlistWorker runs the waitlist whenever the store says a place may have freed up,
// until stop is closed (under serve only).
func (j *Jobs) StartWaitlistWorker(stop <-chan struct{}) {
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-j.st.Freed():
				j.RunWaitlist()
			}
		}
	}()
}
