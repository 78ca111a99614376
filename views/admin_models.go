package views

import (
	"net/url"
	"slices"
	"strconv"
	"time"

	"reserva/internal/booking"
)

// NavItem is one entry of the staff navigation.
type NavItem struct {
	Href    string
	Label   Msg
	Current bool
}

// AdminPage is what every staff page needs.
type AdminPage struct {
	L     *Locale
	Venue string
	// Staff is the signed-in person's name; empty on the sign-in pages.
	Staff string
	Role  string
	Nav   []NavItem
	Title Msg
	// Notice is a one-line result of the last action ("Checked in."), Problem an error.
	Notice  Msg
	Problem Msg
	// Banner is a system warning every page shows (a failing backup).
	Banner Msg
}

// LoginData is the view model of LoginPage.
type LoginData struct {
	AdminPage
	Email string
	Next  string
	Error Msg
	// OIDCLabel is the text of the identity provider's sign-in button ("" when it is off).
	OIDCLabel string
}

// TwoFactorData is the view model of TwoFactorPage (the second sign-in step).
type TwoFactorData struct {
	AdminPage
	Error Msg
}

// TOTPSetupData is the view model of TOTPSetupPage.
type TOTPSetupData struct {
	AdminPage
	Secret   string // shown for typing in by hand
	Required bool   // the owner requires 2FA: the person cannot go on without it
	Error    Msg
}

// RecoveryCodesData shows freshly made recovery codes, once.
type RecoveryCodesData struct {
	AdminPage
	Codes []string
}

// TodayBooking is one booking row of the day list.
type TodayBooking struct {
	ID        string
	Reference string
	Start     time.Time
	End       time.Time
	NextDay   bool // starts after midnight, on the night of the day shown
	Party     int
	Name      string
	Phone     string
	Notes     string
	Internal  string
	Status    booking.Status
	Held      string // the names of the resources it holds ("" none)
}

// CoversHour is the number of guests arriving in one hour.
type CoversHour struct {
	Hour    time.Time
	NextDay bool // after midnight of the day shown
	Covers  int
}

// TodayOffering is one offering's part of the day.
type TodayOffering struct {
	Name     string
	Slug     string
	Bookings []TodayBooking
	Covers   []CoversHour
	// Free is the capacity left at each start time of the day.
	Free []TimeOption
	// ID is the offering's id; Pooled says resources serve it (the floor view shows them).
	ID     string
	Pooled bool
}

// TodayData is the view model of TodayPage.
type TodayData struct {
	AdminPage
	Date      time.Time
	DateValue string
	Prev      string
	Next      string
	Offerings []TodayOffering
	CanCancel bool
}

// BookingFilter is the search form of the bookings list.
type BookingFilter struct {
	Q, From, To, Offering string
	Status                booking.Status
	Page                  int
}

// Query is the filter as a query string, with page p.
func (f BookingFilter) Query(p int) string {
	v := url.Values{}
	for k, val := range map[string]string{"q": f.Q, "from": f.From, "to": f.To, "offering": f.Offering, "status": string(f.Status)} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// BookingRow is one row of the bookings list.
type BookingRow struct {
	ID, Reference, Offering, Name, Email string
	Status                               booking.Status
	Start                                time.Time
	Party                                int
}

// BookingsData is the view model of BookingsPage.
type BookingsData struct {
	AdminPage
	Filter    BookingFilter
	Offerings []Option
	Rows      []BookingRow
	Total     int
	More      bool // there are more than Total (the list counts no further)
	Pages     int
	CanExport bool
}

// HistoryEntry is one audit entry about a booking.
type HistoryEntry struct {
	When   time.Time
	Actor  string // as people read it: "The guest", a staff member's name
	Action string // as recorded: AuditAction names it
	Detail string
}

// BookingAdminData is the view model of BookingAdminPage.
type BookingAdminData struct {
	AdminPage
	ID       string
	Booking  Booking
	Internal string
	Source   string
	Override string
	Consent  time.Time
	Notice   int
	History  []HistoryEntry
	Errors   map[string]Msg
	// Move holds the times for moving the booking on Picker's date.
	Picker Picker
	Times  []TimeOption
	Active bool
	// HasSensitive says the booking holds a special-category note; CanSeeSensitive that the
	// signed-in role may open it (each opening is audited).
	HasSensitive, CanSeeSensitive bool
	// GuestID is the customer whose profile a manager may open from the booking ("": none, or
	// the role may not).
	GuestID string
	// Guests are the other people of the party named on the booking form.
	Guests []string
	// Held names the resources the booking holds ("" none); Pooled says its offering has a
	// pool, and Reassign are what staff may give it instead (value: the ids, space-separated).
	Held     string
	Pooled   bool
	Reassign []Option
	// Texts are the text messages about the booking, the oldest first.
	Texts []TextEntry
	// Payments are its money movements; CanRefund and CanCharge offer a manager a refund of
	// what is left paid, and the no-show fee to the card kept.
	Payments             []PaymentEntry
	CanRefund, CanCharge bool
}

// PaymentEntry is one money movement of a booking (kinds and statuses: PaymentKindNames,
// PaymentStatusNames), its amount as people read it, and Stripe's last error.
type PaymentEntry struct {
	When                 time.Time
	Kind, Status, Amount string
	Error                string
	Card                 bool // a card kept, not money taken
}

// TextEntry is one text message about a booking: its kind and status as in the mail outbox
// (OutboxKindNames, OutboxStatusNames), and the gateway's last error.
type TextEntry struct {
	When         time.Time
	Kind, Status string
	Error        string
}

// NewBookingData is the view model of NewBookingPage (a booking taken by staff).
type NewBookingData struct {
	AdminPage
	Offerings   []Option
	Offering    string
	Picker      Picker
	Times       []TimeOption
	Form        BookForm
	Start       string
	Errors      map[string]Msg
	CanOverride bool
	Override    string
	// Special and PartClosed are the date's special hours and closed parts, as on BookPage.
	Special    *SpecialNote
	PartClosed []ClosedSpan
}

// InviteData is the view model of InvitePage (accepting an invite or setting a first password).
type InviteData struct {
	AdminPage
	Email  string
	Role   string
	Name   string
	Errors map[string]Msg
	// Existing is set when the invite brings back an account that had a password of its own
	// (deactivated, or its owner locked out): accepting it sets a new one.
	Existing bool
}

// ForgotData is the view model of ForgotPage (asking for a link to choose a new password).
type ForgotData struct {
	AdminPage
	Email  string
	Errors map[string]Msg
}

// ResetData is the view model of ResetPage (choosing a new password through a mailed link).
type ResetData struct {
	AdminPage
	Email  string
	Errors map[string]Msg
}

// SessionRow is one signed-in session.
type SessionRow struct {
	ID        string
	Created   time.Time
	LastSeen  time.Time
	IP        string
	UserAgent string
	Current   bool
}

// AccountData is the view model of AccountPage: one's own password, 2FA and sessions.
type AccountData struct {
	AdminPage
	Email        string
	TOTP         bool
	RecoveryLeft int
	Sessions     []SessionRow
	Errors       map[string]Msg
}

// StaffRow is one staff member on the staff page.
type StaffRow struct {
	ID, Name, Email, Role string
	Active, TOTP          bool
	Sessions              int
	Self                  bool
	OIDC                  bool // linked to a person at the identity provider
}

// InviteRow is an open invite.
type InviteRow struct {
	ID, Email, Role string
	Expires         time.Time
}

// StaffData is the view model of StaffPage (owner only).
type StaffData struct {
	AdminPage
	Staff      []StaffRow
	Invites    []InviteRow
	InviteLink string // shown once after inviting when no mail relay could take it
	Errors     map[string]Msg
	Email      string
	Role       string
}

// OfferingForm is an offering as the staff edit it (minutes, days).
type OfferingForm struct {
	ID, Name, Slug, Description, Kind, Mode, SensitivePrompt, Policy string
	Duration, Interval, Capacity, MinParty, MaxParty,
	BufferBefore, BufferAfter, LeadTime, Horizon, CancelCutoff, Sort int
	Active, AskParticipants bool
	Pacing                  int    // covers per quarter hour (0: no limit)
	TurnTimes               string // "2:90, 4:120"
	PaymentMode             string // "", deposit, prepay, card
	PaymentAmount           string // per person, as typed ("20.00")
}

// HoursRow is one weekly opening rule.
type HoursRow struct {
	ID, Weekday, Opens, Closes string
}

// SessionAdminRow is one dated session of a session offering.
type SessionAdminRow struct {
	ID        string
	Start     time.Time
	Seats     int
	Booked    int
	Cancelled bool
	Reason    string // why it was cancelled
	Series    bool   // made by a weekly series
	Detached  bool   // edited on its own
}

// SeriesForm is a weekly series as listed, or as typed into its form. Days holds weekday
// numbers ("0" Sunday … "6" Saturday), Monday first; From is, on the form of a change, the date
// the change applies from.
type SeriesForm struct {
	ID, Time, From, Until, Except string
	Days                          []string
	Seats                         int
	Reason                        string
	Live                          bool // it may still make sessions
}

// HasDay reports whether day ("0" … "6") is one of the series' days.
func (f SeriesForm) HasDay(day string) bool { return slices.Contains(f.Days, day) }

// SeriesData is the view model of SeriesPage: one series, the forms to change or end it from a
// date on, and its sessions from today on.
type SeriesData struct {
	AdminPage
	Offering OfferingForm
	Series   SeriesForm // as stored
	Change   SeriesForm // the change form as typed
	EndDate  string
	Reason   string // the end form's reason as typed
	Errors   map[string]Msg
	Sessions []SessionAdminRow
}

// SessionData is the view model of SessionPage: one session, and the forms to change or cancel it.
type SessionData struct {
	AdminPage
	Offering              OfferingForm
	Session               SessionAdminRow
	Date, Time, SeatsForm string // the change form as typed
	Reason                string
	Errors                map[string]Msg
}

// OfferingsData is the view model of OfferingsPage.
type OfferingsData struct {
	AdminPage
	Offerings []OfferingForm
}

// OfferingData is the view model of OfferingPage (new or edit).
type OfferingData struct {
	AdminPage
	Form      OfferingForm
	New       bool
	Errors    map[string]Msg
	Hours     []HoursRow
	Sessions  []SessionAdminRow
	Series    []SeriesForm
	NewSeries SeriesForm // the new-series form as typed
	// Resources and Combos serve a slot offering's bookings (resources: retired ones too).
	Resources   []ResourceForm
	Combos      []CombinationRow
	NewResource ResourceForm // the new-resource form as typed
	NewCombo    ComboForm
}

// ClosureRow is one closure: whole dates, or with Opens and Closes ("14:00", "17:00") that part
// of each date.
type ClosureRow struct {
	ID, From, To, Offering, Reason string
	Opens, Closes                  string
}

// SpecialHoursRow is one entry of special hours. Listed, Spans holds its times; as a form,
// Opens and Closes hold the rows as typed (SpanRows of them).
type SpecialHoursRow struct {
	ID, From, To, Offering, Reason string
	Spans                          []booking.Span
	Opens, Closes                  []string
}

// SpanRows is how many rows of times the special hours form offers.
const SpanRows = 4

// Row returns the i-th typed opening and closing time of the form ("" past the end).
func (r SpecialHoursRow) Row(i int) (opens, closes string) {
	if i < len(r.Opens) {
		opens = r.Opens[i]
	}
	if i < len(r.Closes) {
		closes = r.Closes[i]
	}
	return opens, closes
}

// ClosuresData is the view model of ClosuresPage: closures (whole-day and part-day) and
// special hours, each with its form. Errors holds the messages of both forms, by field.
type ClosuresData struct {
	AdminPage
	Closures    []ClosureRow
	Special     []SpecialHoursRow
	Offerings   []Option
	Errors      map[string]Msg
	Form        ClosureRow
	SpecialForm SpecialHoursRow
}

// SettingsForm is the venue's settings as the owner edits them.
type SettingsForm struct {
	Name, TimeZone, Address, Email, Phone, Locale, Policy, Notice, GDPREmail, NotifyEmail, FeedbackURL string
	ReminderHours, FeedbackHours, RetentionDays                                                        int
	OfferMinutes                                                                                       int // how long a waitlist offer holds its place
	NoticeVersion                                                                                      int
}

// RelayForm is one SMTP relay as the owner edits it (the password is never shown).
type RelayForm struct {
	Host, Port, Username, TLS, FromName, FromAddress string
	HasPassword                                      bool
}

// SettingsData is the view model of SettingsPage.
type SettingsData struct {
	AdminPage
	Form         SettingsForm
	Errors       map[string]Msg
	Languages    []string
	Primary      RelayForm
	Secondary    RelayForm
	MailFromEnv  bool
	MailErrors   map[string]Msg
	Allow        string
	Require2FA   bool
	AccessErrors map[string]Msg
	YourIP       string
	// Proxy is the trusted reverse proxy's addresses and ProxyHeader its header; empty: none.
	Proxy, ProxyHeader string
	// Photo and Logo are the venue's pictures; ImageErrors the upload forms' problems, by
	// field ("photo", "photo_alt", "logo"); PhotoAlt the photo's alt text, as stored or as sent.
	Photo, Logo ImageSetting
	ImageErrors map[string]Msg
	PhotoAlt    string
	// EmbedOrigins are the sites that may frame the booking pages, one per line, as stored or as
	// sent; EmbedErrors the form's problem ("embed_origins"); EmbedSnippet the HTML to paste
	// into the venue's site.
	EmbedOrigins string
	EmbedErrors  map[string]Msg
	EmbedSnippet string
}

// ImageSetting is one of the venue's pictures on the settings page.
type ImageSetting struct {
	Current  Image // zero: none yet
	Size     int   // of the current one, bytes
	MaxBytes int   // the largest file accepted
}

// OutboxRow is one outbox message for staff (no body).
type OutboxRow struct {
	ID, Kind, To, Subject, Status, Error, Relay string
	Attempts                                    int
	Created, Next, Sent                         time.Time
}

// OutboxData is the view model of OutboxPage.
type OutboxData struct {
	AdminPage
	Rows   []OutboxRow
	Status string
	Counts map[string]int
	Relay  string
}

// BackupRow is one backup for the owner.
type BackupRow struct {
	File, Status, Error, Verify, Offsite string
	Taken, Verified                      time.Time
	Size                                 int64
	Bookings                             int64
}

// BackupsData is the view model of BackupsPage.
type BackupsData struct {
	AdminPage
	On       bool
	Identity bool
	Offsite  bool
	Dir      string
	Rows     []BackupRow
}

// AuditRow is one audit entry.
type AuditRow struct {
	When                                       time.Time
	Actor, Action, Target, IP, Request, Detail string
	ActorName                                  string // the actor as people read it (a staff member's name)
}

// AuditData is the view model of AuditPage.
type AuditData struct {
	AdminPage
	Rows          []AuditRow
	Actor, Action string
	From, To      string
	Page, Pages   int
	Query         string
}

// SensitiveData is the view model of SensitivePage.
type SensitiveData struct {
	AdminPage
	BookingID, Reference, Note string
}

// WebhooksData is the owner's webhooks page: the endpoints, a form for a new one and the
// recent deliveries.
type WebhooksData struct {
	AdminPage
	// Enabled is false without RESERVA_ENCRYPTION_KEY: secrets are only stored sealed.
	Enabled    bool
	Endpoints  []WebhookEndpoint
	Deliveries []WebhookDelivery
	Events     []string
	// Form is the new endpoint's form (kept after an error); Errors are its messages, or those
	// of the endpoint ErrorsFor names.
	Form      WebhookEndpoint
	Errors    map[string]Msg
	ErrorsFor string
}

// WebhookEndpoint is one endpoint as the owner sees it, with its signing secret.
type WebhookEndpoint struct {
	ID, URL, Secret        string
	Events                 []string
	Active, IncludeContact bool
}

// Takes reports whether the endpoint takes event.
func (w WebhookEndpoint) Takes(event string) bool { return slices.Contains(w.Events, event) }

// WebhookDelivery is one delivery in the list.
type WebhookDelivery struct {
	ID, URL, Event, EventID, Status, Error string
	Attempts, LastStatus                   int
	Created, Next                          time.Time
}

// PaymentsForm is the Stripe account's form: the currency, and whether keys are stored (they
// are never shown back).
type PaymentsForm struct {
	Currency                 string
	HasKey, HasWebhookSecret bool
}

// PaymentsData is the view model of PaymentsPage.
type PaymentsData struct {
	AdminPage
	Form       PaymentsForm
	Errors     map[string]Msg
	WebhookURL string   // the address to give Stripe for its events
	Currencies []string // those payments may be taken in
	KeyOK      bool     // RESERVA_ENCRYPTION_KEY is set: keys can be stored
}

// APIKeysData is the owner's API keys page: the keys, a form for a new one, and the key just
// made (shown this once).
type APIKeysData struct {
	AdminPage
	Keys   []APIKeyRow
	Scopes []string
	// Form is the new key's form (kept after an error); Errors are its messages.
	Form   APIKeyForm
	Errors map[string]Msg
	// NewKey is the key just made, NewKeyName its name: shown once, never stored.
	NewKey, NewKeyName string
}

// APIKeyForm is the new key's fields.
type APIKeyForm struct {
	Name   string
	Scopes []string
}

// Takes reports whether the form asks for scope.
func (f APIKeyForm) Takes(scope string) bool { return slices.Contains(f.Scopes, scope) }

// APIKeyRow is one key in the list.
type APIKeyRow struct {
	ID, Name, PublicID         string
	Scopes                     []string
	Created, LastUsed, Revoked time.Time
}

// OIDCForm is the identity provider's form (kept as posted after an error).
type OIDCForm struct {
	Enabled, PasswordOff    bool
	Issuer, ClientID, Label string
	HasSecret               bool // a client secret is stored (a blank field keeps it)
}

// OIDCData is the owner's page of staff sign-in through an OpenID Connect provider.
type OIDCData struct {
	AdminPage
	// Enabled is false without RESERVA_ENCRYPTION_KEY: the client secret is only stored sealed.
	Enabled bool
	Form    OIDCForm
	Errors  map[string]Msg
	// Redirect is the address to register at the provider.
	Redirect string
	// Linked counts the staff accounts linked to a person at the provider.
	Linked int
}

// hintIf is id when on, else "" (an optional hint's id for aria-describedby).
func hintIf(on bool, id string) string {
	if on {
		return id
	}
	return ""
}
