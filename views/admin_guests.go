package views

import (
	"net/url"
	"strconv"
	"time"
)

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

// GuestsData is the view model of GuestsPage: the guest list (managers and owners).
type GuestsData struct {
	AdminPage
	// Q and Tag are the search: a part of a name, address or phone, and a tag.
	Q, Tag      string
	Rows        []GuestRow
	Total       int
	Page, Pages int
}

// GuestRow is one guest of the list.
type GuestRow struct {
	ID, Name, Email, Phone string
	Tags                   []string
	LastActivity           time.Time // zero: unknown
}

// Query is the list's search as a query string for page p.
func (d GuestsData) Query(p int) string {
	v := url.Values{}
	if d.Q != "" {
		v.Set("q", d.Q)
	}
	if d.Tag != "" {
		v.Set("tag", d.Tag)
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// TagQuery is the list's query string for the guests with tag.
func TagQuery(tag string) string { return "?" + url.Values{"tag": {tag}}.Encode() }
