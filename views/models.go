// Package views holds Reserva's templ components: pages, partials and (later) e-mails. Each page
// takes one typed view model built by a handler; templates never reach the database, and every
// text a person reads comes from the message catalog in locales/.
package views

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"reserva/internal/booking"
)

// Page is what every page needs: the language, the venue, and the page's own title.
type Page struct {
	L     *Locale
	Venue Venue
	// Title is a catalog key; the layout appends the venue's name.
	Title Msg
	// Languages are the links to this page in each language, for the header's switch (none
	// when there is one language).
	Languages []LanguageLink
	// Embed marks a page shown in a frame on the venue's own site (under /embed/): a compact
	// layout without the site's header and footer, links that leave the flow open outside the
	// frame. EmbedOrigins are the sites that may frame it, space-separated, to which its height
	// script reports the page's height.
	Embed        bool
	EmbedOrigins string
}

// LanguageLink is this page in one language.
type LanguageLink struct {
	Code    string // "de"
	Name    string // in its own language: "Deutsch"
	URL     string // this page with ?lang=
	Current bool
}

// Venue is the venue as visitors see it.
type Venue struct {
	Name    string
	Address string
	Email   string
	Phone   string
	// Logo is shown beside the name at the top of every visitor page; zero: none.
	Logo Image
}

// Image is one of the venue's pictures as a page shows it; the zero value is none.
type Image struct {
	URL           string // on the site's own origin; it changes with the picture's content
	Alt           string
	Width, Height int // in pixels, so the browser keeps its room before it has loaded
}

// IsZero reports whether there is no picture.
func (i Image) IsZero() bool { return i.URL == "" }

// DayHours is one weekday's opening times as the home page lists them.
type DayHours struct {
	Weekday time.Weekday
	Spans   []booking.Hours // merged and in order (booking.MergeHours); none: closed that day
	Today   bool            // the venue's today
}

// Offering is one bookable thing as listed to visitors.
type Offering struct {
	Name        string
	Slug        string
	Description string
	Session     bool // a class or tour at fixed dated times, rather than a free choice of time
	Duration    time.Duration
	MinParty    int
	MaxParty    int
	// SensitivePrompt is the offering's question for special-category notes ("Allergies or
	// access needs?"); empty when it asks none (or no encryption key is set).
	SensitivePrompt string
	// AskParticipants: the form asks for the names of the other people of the party, each with
	// their own consent.
	AskParticipants bool
	// Paid: a booking is paid for through Stripe when it is made, so full times have no
	// waitlist (an offer could not wait for a payment).
	Paid bool
}

// MaxGuests is the most other people the booking form names (larger parties name up to it).
const MaxGuests = 20

// GuestRows is how many other people the form for a party of party names.
func GuestRows(party int) int { return max(0, min(party-1, MaxGuests)) }

// Guest is another person of the party, named on the booking form.
type Guest struct {
	Name    string
	Consent bool
}

// BookURL is the offering's booking page.
func (o Offering) BookURL() string { return "/book/" + o.Slug }

// HomeData is the view model of HomePage.
type HomeData struct {
	Page
	Photo Image // the venue's cover photo; zero: none
	// Hours are the venue's opening times, the offerings' weekly hours together, one entry per
	// weekday in the order of the locale's week; empty when no offering has weekly hours.
	Hours []DayHours
	// Ahead are the special hours and closures of the coming days (AheadDays), by first date.
	Ahead     []AheadItem
	Offerings []Offering
}

// AheadDays is how many days ahead, today included, the home page tells special hours and
// closures.
const AheadDays = 14

// AheadItem is special hours or a closure of the coming days, as the home page tells it.
type AheadItem struct {
	From, To time.Time // the first and last date (local midnights)
	// Offering is the offering's name when the item is its own ("" for the whole venue).
	Offering string
	// Special holds the special opening times; Closed a part-day closure's span (Open < Close)
	// or, zero, a closure of the whole dates.
	Special []booking.Span
	Closed  booking.Span
	Reason  string
}

// TimeOption is one start time a visitor can pick.
type TimeOption struct {
	Value     string // form value: local "2006-01-02T15:04", or a session id
	Start     time.Time
	End       time.Time
	Ambiguous bool // the local time occurs twice that night: show its zone
	NextDay   bool // after midnight, on the day after the one listed
	Remaining int
	Full      bool // listed, but without room for this party
}

// DayLink is a date a visitor can jump to.
type DayLink struct {
	Date     time.Time // local midnight
	Value    string    // "2006-01-02"
	Selected bool
}

// Picker is the date and party-size control shared by the booking and change pages. It is a
// plain GET form, so it works without JavaScript.
type Picker struct {
	Action       string
	Date         time.Time // local midnight of the chosen date
	DateValue    string
	MinDate      string
	MaxDate      string
	Prev         string // "" when the previous date cannot be booked
	Next         string
	Days         []DayLink
	Party        int
	PartyOptions []int
	// NoParty leaves the party size out of the picker: the page's own form asks for it.
	NoParty bool
	// Keep are further query fields the picker carries along (name, value), e.g. the offering
	// on the staff's new-booking page.
	Keep [][2]string
	// With are the staff members or rooms a visitor may pick (none: the offering has none to
	// pick); WithValue is the one picked ("" is any).
	With      []WithOption
	WithValue string
}

// WithName is the name of the staff member or room picked ("" for any).
func (p Picker) WithName() string {
	for _, w := range p.With {
		if w.ID == p.WithValue {
			return w.Name
		}
	}
	return ""
}

// WithOption is a staff member or room a visitor may pick.
type WithOption struct {
	ID, Name string
}

// DayURL is the picker's link to another date, keeping the party size.
func (p Picker) DayURL(date string) string {
	u := p.Action + "?date=" + date + "&party=" + strconv.Itoa(p.Party)
	if p.WithValue != "" {
		u += "&with=" + url.QueryEscape(p.WithValue)
	}
	for _, kv := range p.Keep {
		u += "&" + url.QueryEscape(kv[0]) + "=" + url.QueryEscape(kv[1])
	}
	return u
}

// BookForm holds the visitor's details, echoed back when the form is re-rendered.
type BookForm struct {
	Name    string
	Email   string
	Phone   string
	Notes   string
	Consent bool
	// Sensitive answers the offering's sensitive question; SensitiveConsent is the explicit
	// consent such data needs.
	Sensitive        string
	SensitiveConsent bool
	// Guests are the other people of the party, when the offering asks for them (index i is
	// form fields guest_(i+1) and guest_consent_(i+1)).
	Guests []Guest
	// SMS asks for text messages about the booking (to Phone).
	SMS bool
}

// Guest returns the i-th other person (0-based) as entered, or an empty one.
func (f BookForm) Guest(i int) Guest {
	if i < len(f.Guests) {
		return f.Guests[i]
	}
	return Guest{}
}

// BookData is the view model of BookPage.
type BookData struct {
	Page
	Offering Offering
	Picker   Picker
	Times    []TimeOption
	// Chosen is the picked start; the details form is shown once a time is picked, or when the
	// form comes back with alternatives (Chosen nil, Times offered as choices inside the form).
	Chosen   *TimeOption
	ShowForm bool
	Form     BookForm
	Errors   map[string]Msg
	Notice   Msg
	// Closed says why the date has no times (a closure's reason, or closed that weekday).
	Closed Msg
	// Special is the date's special hours when they replace the weekly ones (nil otherwise).
	Special *SpecialNote
	// PartClosed are the closed parts of the date.
	PartClosed    []ClosedSpan
	Policy        string
	NoticeVersion int
	// Texts offers the guest text messages about the booking (a gateway is set up).
	Texts bool
	// Payment says what the offering asks to be paid through Stripe (zero: nothing).
	Payment Msg
	// Stamp is the signed moment the form was shown (hidden field "t"), against bots.
	Stamp string
}

// SpecialNote is a date's special opening hours, with the reasons staff gave.
type SpecialNote struct {
	Spans   []booking.Span
	Reasons []string
}

// ClosedSpan is a closed part of a date, with the reason staff gave ("" for none).
type ClosedSpan struct {
	booking.Span
	Reason string
}

// HasErrors reports whether any field has a message.
func (d BookData) HasErrors() bool { return len(d.Errors) > 0 }

// FreeTimes are the times with room for the chosen party.
func (d BookData) FreeTimes() []TimeOption { return freeTimes(d.Times) }

func freeTimes(times []TimeOption) []TimeOption {
	out := make([]TimeOption, 0, len(times))
	for _, t := range times {
		if !t.Full {
			out = append(out, t)
		}
	}
	return out
}

// Booking is one booking as its holder sees it.
type Booking struct {
	Reference string
	Offering  string
	Start     time.Time // venue-local
	End       time.Time
	Ambiguous bool
	Party     int
	Status    booking.Status
	Name      string
	Email     string
	Phone     string
	Notes     string
	Cancelled time.Time
	// SMS says that texts about the booking go to Phone.
	SMS bool
	// AwaitsPayment says the place is held until the guest pays (Status held).
	AwaitsPayment bool
}

// Active reports whether the booking still holds a place.
func (b Booking) Active() bool { return b.Status.Active() }

// ManageData is the view model of ManagePage.
type ManageData struct {
	Page
	Base      string // "/b/{token}": the manage page's own address
	Booking   Booking
	CanChange bool
	Deadline  time.Time // last moment to change or cancel online
	Notice    Msg
	Problem   Msg // an error to show (e.g. too late to cancel)
	// BookAgain is the booking page of the same offering and party, offered once the booking
	// is cancelled ("" when the offering is no longer bookable).
	BookAgain string
	// PayURL is Stripe's page to pay on while the place is held for its payment; PayBy the
	// hold's end.
	PayURL string
	PayBy  time.Time
	// Payments are what the guest paid and got back.
	Payments []PaymentEntry
}

// EmbedBookedData is the view model of EmbedBookedPage.
type EmbedBookedData struct {
	Page
	Booking   Booking
	ManageURL string // the booking's private page, "/b/{token}"
	Notice    Msg
	// BookAgain is the framed booking page of the same offering ("" when it is not bookable).
	BookAgain string
}

// ChangeData is the view model of ChangePage.
type ChangeData struct {
	Page
	Base    string
	Booking Booking
	Picker  Picker
	Times   []TimeOption
	Current string      // the booked time's value, marked in Times
	Confirm *TimeOption // the time picked, waiting for the guest's confirmation
	Notice  Msg
	Errors  map[string]Msg
	Closed  Msg
	// Special and PartClosed are the date's special hours and closed parts, as on BookPage.
	Special    *SpecialNote
	PartClosed []ClosedSpan
}

// FreeTimes are the times with room for the chosen party.
func (d ChangeData) FreeTimes() []TimeOption { return freeTimes(d.Times) }

// PrivacyData is the view model of PrivacyPage.
type PrivacyData struct {
	Page
	Paragraphs []string
	Version    int
	Contact    string
	// What Reserva itself keeps, and for how long (from the settings).
	RetentionDays int
	BackupDays    int      // 0: no backups configured
	Relays        []string // the SMTP relays mail leaves by
	Offsite       string   // the S3 endpoint of off-site backup copies, if any
}

// ErrorData is the view model of ErrorPage.
type ErrorData struct {
	Page
	Status  int
	Heading Msg
	Body    Msg
	// Staff: the error is on a staff page (below /admin/): the way back is the dashboard (or
	// its sign-in), not the booking site's start page.
	Staff bool
}

// Field limits, shared by the forms (maxlength) and the handlers' validation.
const (
	MaxName  = 200
	MaxEmail = 254
	MaxPhone = 50
	MaxNotes = 2000
	// MaxSensitive is the longest answer to an offering's sensitive question.
	MaxSensitive = 1000
)

// StylesheetURL is the one stylesheet every page loads (served from static/, revalidated by ETag).
const StylesheetURL = "/static/style.css"

// EmbedFrameScriptURL is the script of a framed page (Page.Embed) that tells the framing page
// its height; EmbedScriptURL the one the venue's site includes to set the frame's height.
const (
	EmbedFrameScriptURL = "/static/embed-frame.js"
	EmbedScriptURL      = "/static/embed.js"
)

// TelURL is a tel: link for a phone number as people write it (spaces and brackets dropped).
func TelURL(phone string) string {
	return "tel:" + strings.Map(func(r rune) rune {
		if r == '+' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phone)
}
