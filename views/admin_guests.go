package views

import "time"

// Limits of a guest profile's tags and sensitive note.
const (
	// MaxTags is how many tags a guest may have; MaxTagLength the characters of one.
	MaxTags      = 10
	MaxTagLength = 24
	// MaxProfileNote is the longest sensitive profile note.
	MaxProfileNote = 2000
	// GuestBookingsShown is how many of a guest's bookings the profile lists (the latest).
	GuestBookingsShown = 100
)

// GuestData is the view model of GuestPage: a guest's profile for managers and owners.
type GuestData struct {
	AdminPage
	ID, Name, Email, Phone string
	// Visits (checked in or completed), NoShows, Cancellations and Upcoming (confirmed, not yet
	// over) count their bookings; Total is every booking of theirs that keeps their data.
	Visits, NoShows, Cancellations, Upcoming, Total int
	LastVisit                                       time.Time // zero: none yet
	// Bookings are their latest bookings (at most GuestBookingsShown).
	Bookings []BookingRow
	Tags     []string
	// TagsValue is the tags field as the form shows it ("regular, vip", or what was sent).
	TagsValue string
	// Note is the sensitive profile note in clear, as the form shows it; NoteUnreadable says a
	// note is kept that cannot be opened (the encryption key is missing or another).
	Note           string
	HasNote        bool
	NoteUnreadable bool
	// NoteConsentAt and NoteNotice are the consent the kept note rests on.
	NoteConsentAt time.Time
	NoteNotice    int
	// CanKeepNote says a note may be stored: the guest consented to a sensitive note (Consent,
	// ConsentNotice) and the server has its encryption key (NoKey otherwise).
	CanKeepNote   bool
	NoConsent     bool
	NoKey         bool
	Consent       time.Time
	ConsentNotice int
	Errors        map[string]Msg
}
