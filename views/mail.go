package views

import (
	"strings"
	"time"
)

// Mail kinds, as the outbox records them.
const (
	MailConfirmation = "confirmation"
	MailChange       = "change"
	MailCancellation = "cancellation"
	MailReminder     = "reminder"
	MailFeedback     = "feedback"
	MailVenueNotice  = "venue_notice"
	// The venue's notices of a change and of a cancellation.
	MailVenueChange       = "venue_change"
	MailVenueCancellation = "venue_cancellation"
)

// toVenue reports whether d goes to the venue's notify address: no greeting, the guest's
// contact in the details, no link.
func (d MailData) toVenue() bool {
	return d.Kind == MailVenueNotice || d.Kind == MailVenueChange || d.Kind == MailVenueCancellation
}

// MailData is the view model of every e-mail about a booking.
type MailData struct {
	L     *Locale
	Kind  string
	Venue Venue
	// Booking is in venue-local time.
	Booking   Booking
	ManageURL string    // absolute link to the manage page (with a token); empty for venue notices
	Deadline  time.Time // last moment to change or cancel online (zero: not shown)
	// Reason is why the venue cancelled (cancellations by the venue only).
	Reason      string
	ByVenue     bool
	FeedbackURL string
}

// MailSubject is the subject line of d.
func MailSubject(d MailData) string {
	when := d.L.ShortDate(d.Booking.Start) + " " + timeLabel(d.L, d.Booking)
	switch d.Kind {
	case MailChange:
		return d.L.T("mail.subject.change", d.Booking.Offering, when, d.Venue.Name)
	case MailCancellation:
		return d.L.T("mail.subject.cancellation", d.Booking.Offering, when, d.Venue.Name)
	case MailReminder:
		return d.L.T("mail.subject.reminder", d.Booking.Offering, when, d.Venue.Name)
	case MailFeedback:
		return d.L.T("mail.subject.feedback", d.Venue.Name)
	case MailVenueNotice:
		return d.L.T("mail.subject.venue_notice", d.Booking.Reference, d.Booking.Offering, when, d.L.T("party.count", d.Booking.Party))
	case MailVenueChange:
		return d.L.T("mail.subject.venue_change", d.Booking.Reference, d.Booking.Offering, when, d.L.T("party.count", d.Booking.Party))
	case MailVenueCancellation:
		return d.L.T("mail.subject.venue_cancellation", d.Booking.Reference, d.Booking.Offering, when, d.L.T("party.count", d.Booking.Party))
	}
	return d.L.T("mail.subject.confirmation", d.Booking.Offering, when, d.Venue.Name)
}

func timeLabel(l *Locale, b Booking) string {
	if b.Ambiguous {
		return l.TimeZone(b.Start)
	}
	return l.Time(b.Start)
}

// mailIntro is the opening sentence of d.
func mailIntro(d MailData) Msg {
	switch d.Kind {
	case MailChange:
		return M("mail.intro.change", d.Venue.Name)
	case MailCancellation:
		if d.ByVenue {
			return M("mail.intro.cancelled_by_venue", d.Venue.Name)
		}
		return M("mail.intro.cancellation", d.Venue.Name)
	case MailReminder:
		return M("mail.intro.reminder", d.Venue.Name)
	case MailFeedback:
		return M("mail.intro.feedback", d.Venue.Name)
	case MailVenueNotice:
		return M("mail.intro.venue_notice")
	case MailVenueChange:
		return M("mail.intro.venue_change")
	case MailVenueCancellation:
		if d.ByVenue {
			return M("mail.intro.venue_cancellation_by_venue")
		}
		return M("mail.intro.venue_cancellation")
	}
	return M("mail.intro.confirmation", d.Venue.Name)
}

// showsDetails reports whether the mail lists the booking (all but feedback requests).
func (d MailData) showsDetails() bool { return d.Kind != MailFeedback }

// showsCalendarNote reports whether a calendar file is attached.
func (d MailData) showsCalendarNote() bool {
	switch d.Kind {
	case MailConfirmation, MailChange, MailReminder, MailCancellation:
		return true
	}
	return false
}

// MailText is the plain-text body of d: the same content as MailHTML, for mail programs that
// show text only.
func MailText(d MailData) string {
	var b strings.Builder
	l := d.L
	line := func(s string) { b.WriteString(s + "\n") }
	if !d.toVenue() {
		line(l.T("mail.greeting", d.Booking.Name))
		line("")
	}
	line(l.M(mailIntro(d)))
	if d.ByVenue && d.Reason != "" {
		line("")
		line(l.T("mail.reason", d.Reason))
	}
	if d.showsDetails() {
		line("")
		for _, row := range detailRows(d) {
			line("  " + row[0] + ": " + row[1])
		}
	}
	if d.Kind == MailFeedback && d.FeedbackURL != "" {
		line("")
		line(l.T("mail.feedback_link"))
		line(d.FeedbackURL)
	}
	if d.ManageURL != "" && d.Kind != MailCancellation {
		line("")
		line(l.T("mail.manage"))
		line(d.ManageURL)
		if !d.Deadline.IsZero() {
			line(l.T("manage.deadline", l.Date(d.Deadline), l.Time(d.Deadline)))
		}
	}
	if d.showsCalendarNote() {
		line("")
		line(l.T(calendarNote(d)))
	}
	line("")
	line("-- ")
	line(d.Venue.Name)
	for _, s := range []string{d.Venue.Address, d.Venue.Phone, d.Venue.Email} {
		if s != "" {
			line(s)
		}
	}
	return b.String()
}

func calendarNote(d MailData) string {
	if d.Kind == MailCancellation {
		return "mail.calendar_cancel"
	}
	return "mail.calendar"
}

// detailRows are the booking's label/value pairs shown in both parts of a mail.
func detailRows(d MailData) [][2]string {
	l, bk := d.L, d.Booking
	rows := [][2]string{
		{l.T("booking.reference"), bk.Reference},
		{l.T("booking.what"), bk.Offering},
		{l.T("booking.when"), Span(l, bk.Start, bk.End, bk.Ambiguous)},
		{l.T("booking.party"), l.T("party.count", bk.Party)},
	}
	if d.toVenue() {
		rows = append(rows, [2]string{l.T("form.name"), bk.Name})
		if bk.Email != "" { // a booking taken by phone has none
			rows = append(rows, [2]string{l.T("form.email"), bk.Email})
		}
		if bk.Phone != "" {
			rows = append(rows, [2]string{l.T("form.phone"), bk.Phone})
		}
		if bk.Notes != "" {
			rows = append(rows, [2]string{l.T("form.notes"), bk.Notes})
		}
	}
	return rows
}
