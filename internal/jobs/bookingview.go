package jobs

import (
	"fmt"
	"time"

	"reserva/internal/booking"
	"reserva/internal/mail"
	"reserva/internal/store"
	"reserva/views"
)

// GuestLocale is the language of a guest's mails: the one they booked in (lang), or the
// venue's when they booked in none we still have.
func GuestLocale(v *store.Venue, lang string) *views.Locale {
	if views.HasLanguage(lang) {
		return views.NewLocale(lang)
	}
	return Locale(v)
}

// Locale is the venue's language for what people read.
func Locale(v *store.Venue) *views.Locale { return views.NewLocale(v.Locale) }

// VenueView is the venue as pages and mails show it.
func VenueView(v *store.Venue) views.Venue {
	return views.Venue{Name: v.Name, Address: v.Address, Email: v.Email, Phone: v.Phone}
}

// BookingView is a booking as its guest sees it, in venue-local time.
func BookingView(v *store.Venue, o *store.Offering, b *store.Booking) views.Booking {
	start := b.Start.Time().In(v.Loc)
	return views.Booking{
		Reference: b.Reference,
		Offering:  o.Name,
		Start:     start,
		End:       b.End.Time().In(v.Loc),
		Ambiguous: Ambiguous(start, v.Loc),
		Party:     b.Party,
		Status:    b.Status,
		Name:      b.Name,
		Email:     b.Email,
		Phone:     b.Phone,
		Notes:     b.Notes,
		Cancelled: b.CancelledAt.Time(),
		SMS:       b.SMS,
	}
}

// Ambiguous reports whether t's local wall time occurs twice that night.
func Ambiguous(t time.Time, loc *time.Location) bool {
	local := t.In(loc)
	_, _, amb := booking.Resolve(booking.DateOf(local, loc), booking.Clock(local.Hour()*60+local.Minute()), loc)
	return amb
}

// CalendarFile is the booking's calendar file: the manage page's download and the mails'
// attachment are the same file (stable UID, SEQUENCE = the booking's change count, CANCEL once
// cancelled).
func CalendarFile(v *store.Venue, o *store.Offering, b *store.Booking) ([]byte, error) {
	bv := BookingView(v, o, b)
	l := GuestLocale(v, b.Locale)
	ics, err := mail.Calendar(mail.Event{
		UID:            b.ID + "@reserva",
		Sequence:       b.Sequence,
		Start:          bv.Start,
		End:            bv.End,
		Location:       v.Loc,
		StartAmbiguous: bv.Ambiguous,
		EndAmbiguous:   Ambiguous(bv.End, v.Loc),
		Summary:        bv.Offering + " · " + v.Name,
		Description:    l.T("booking.reference") + ": " + bv.Reference + "\n" + l.T("party.count", bv.Party),
		Place:          v.Address,
		Organizer:      v.Email,
		Cancelled:      b.Status == booking.StatusCancelled,
		Stamp:          b.Updated.Time(),
	})
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	return ics, nil
}
