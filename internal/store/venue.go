package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// ErrNoVenue means the database holds no venue yet: the site answers "not set up yet".
var ErrNoVenue = errors.New("venue: not set up")

// Venue is the venue record, with its time zone loaded.
type Venue struct {
	ID                   string         `db:"id"`
	Name                 string         `db:"name"`
	TimeZone             string         `db:"timezone"`
	Address              string         `db:"address"`
	Email                string         `db:"email"`
	Phone                string         `db:"phone"`
	Locale               string         `db:"locale"`
	PrivacyNotice        string         `db:"privacy_notice"`
	NoticeVersionField   int            `db:"notice_version"`
	GDPREmail            string         `db:"gdpr_email"`
	BookingPolicy        string         `db:"booking_policy"`
	ReminderHours        int            `db:"reminder_hours"`
	FeedbackHours        int            `db:"feedback_hours"`
	FeedbackURL          string         `db:"feedback_url"`
	NotifyEmail          string         `db:"notify_email"`
	RetentionDaysField   int            `db:"retention_days"`
	WaitlistOfferMinutes int            `db:"waitlist_offer_minutes"`
	EmbedOriginsField    string         `db:"embed_origins"`
	Created              types.DateTime `db:"created"`

	// Loc is the venue's time zone.
	Loc *time.Location `db:"-"`
	// Photo and Logo are the venue's pictures (without their bytes; shared by the copies Store.Venue
	// hands out, read them only); nil: none.
	Photo, Logo *Image `db:"-"`
}

// Venue returns the one venue: ErrNoVenue when none exists, an error when its time zone is not
// a valid IANA name. Outside transactions it is kept in memory until a venue record changes;
// each caller gets its own copy.
func (s *Store) Venue(app core.App) (*Venue, error) {
	if c := s.venue.Load(); c != nil && !app.IsTransactional() {
		v := *c
		return &v, nil
	}
	v, err := LoadVenue(app)
	if err != nil {
		return nil, err
	}
	if !app.IsTransactional() {
		c := *v
		s.venue.Store(&c)
	}
	return v, nil
}

// LoadVenue reads the venue, with its pictures, from the database (Store.Venue keeps it).
func LoadVenue(app core.App) (*Venue, error) {
	var rows []Venue
	if err := app.DB().NewQuery("SELECT * FROM venue ORDER BY created LIMIT 1").All(&rows); err != nil {
		return nil, fmt.Errorf("venue: load: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrNoVenue
	}
	v := rows[0]
	loc, err := time.LoadLocation(v.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("venue: time zone: %w", err)
	}
	v.Loc = loc
	images, err := Images(app)
	if err != nil {
		return nil, fmt.Errorf("venue: %w", err)
	}
	v.Photo, v.Logo = images[ImagePhoto], images[ImageLogo]
	return &v, nil
}

// NoticeVersion is the privacy notice's version (1 until it is first changed).
func (v *Venue) NoticeVersion() int {
	if v.NoticeVersionField > 0 {
		return v.NoticeVersionField
	}
	return 1
}

// DefaultRetentionDays is how long a visit's personal data is kept when the venue sets no
// period: 548 days, about eighteen months.
const DefaultRetentionDays = 548

// RetentionDays is the venue's retention period in days.
func (v *Venue) RetentionDays() int {
	if v.RetentionDaysField > 0 {
		return v.RetentionDaysField
	}
	return DefaultRetentionDays
}

// defaultOfferMinutes is how long a waitlist offer holds its place unless the venue sets
// another time.
const defaultOfferMinutes = 30

// OfferTTL is how long a waitlist offer of the venue holds its place.
func (v *Venue) OfferTTL() time.Duration {
	if v.WaitlistOfferMinutes > 0 {
		return time.Duration(v.WaitlistOfferMinutes) * time.Minute
	}
	return defaultOfferMinutes * time.Minute
}

// EmbedOrigins are the sites whose pages may frame the booking pages under /embed/ (origins
// such as "https://www.example.com", as SaveEmbedOrigins checked them); none: no site may.
func (v *Venue) EmbedOrigins() []string { return strings.Fields(v.EmbedOriginsField) }

// SaveEmbedOrigins writes the sites that may frame the booking pages (origins the caller
// checked) to the venue, through its record, so the kept copy and the kept pages follow. It
// reports whether the list changed.
func SaveEmbedOrigins(app core.App, origins []string) (bool, error) {
	recs, err := app.FindRecordsByFilter(colVenue, "", "created", 1, 0)
	if err != nil {
		return false, fmt.Errorf("venue: %w", err)
	}
	if len(recs) == 0 {
		return false, ErrNoVenue
	}
	rec := recs[0]
	value := strings.Join(origins, "\n")
	if rec.GetString("embed_origins") == value {
		return false, nil
	}
	rec.Set("embed_origins", value)
	if err := app.Save(rec); err != nil {
		return false, fmt.Errorf("venue: save embed origins: %w", err)
	}
	return true, nil
}

// Today is the venue-local date of now.
func (v *Venue) Today(now time.Time) booking.Date { return booking.DateOf(now, v.Loc) }

// Midnight is the first instant of local date d.
func (v *Venue) Midnight(d booking.Date) time.Time { return Midnight(d, v.Loc) }

// Midnight is the start of local date d (or the first instant of it on a DST night).
func Midnight(d booking.Date, loc *time.Location) time.Time {
	t, _, _ := booking.Resolve(d, 0, loc)
	return t.In(loc)
}

// ReminderMark is what a booking made or moved at now to start at start gets as reminded_at:
// now when its reminder time has passed already (its confirmation is fresh), else zero (it is
// reminded in time, of its new time when it moved).
func (v *Venue) ReminderMark(start, now time.Time) time.Time {
	if h := v.ReminderHours; h > 0 && !start.Add(-time.Duration(h)*time.Hour).After(now) {
		return now
	}
	return time.Time{}
}

// VenueFields are the venue's settings as the owner edits them.
type VenueFields struct {
	Name, TimeZone, Address, Email, Phone, Locale, Policy, Notice string
	GDPREmail, NotifyEmail, FeedbackURL                           string
	ReminderHours, FeedbackHours, RetentionDays                   int
	WaitlistOfferMinutes                                          int // 0: the default (30)
}

// Fields are the venue's editable settings as they stand.
func (v *Venue) Fields() VenueFields {
	return VenueFields{Name: v.Name, TimeZone: v.TimeZone, Address: v.Address, Email: v.Email, Phone: v.Phone,
		Locale: v.Locale, Policy: v.BookingPolicy, Notice: v.PrivacyNotice, GDPREmail: v.GDPREmail,
		NotifyEmail: v.NotifyEmail, FeedbackURL: v.FeedbackURL, ReminderHours: v.ReminderHours,
		FeedbackHours: v.FeedbackHours, RetentionDays: v.RetentionDaysField, WaitlistOfferMinutes: v.WaitlistOfferMinutes}
}

// SaveVenue writes f to the venue (through its record, so the kept copy and the pages follow)
// and returns the names of the fields that changed. A changed privacy notice gets the next
// version: consents already given keep theirs.
func SaveVenue(app core.App, f VenueFields) ([]string, error) {
	recs, err := app.FindRecordsByFilter(colVenue, "", "created", 1, 0)
	if err != nil {
		return nil, fmt.Errorf("venue: %w", err)
	}
	if len(recs) == 0 {
		return nil, ErrNoVenue
	}
	rec := recs[0]
	var changed []string
	values := []struct {
		field string
		value any
	}{{"name", f.Name}, {"timezone", f.TimeZone}, {"address", f.Address}, {"email", f.Email}, {"phone", f.Phone},
		{"locale", f.Locale}, {"booking_policy", f.Policy}, {"gdpr_email", f.GDPREmail}, {"notify_email", f.NotifyEmail},
		{"feedback_url", f.FeedbackURL}, {"reminder_hours", f.ReminderHours}, {"feedback_hours", f.FeedbackHours},
		{"retention_days", f.RetentionDays}, {"waitlist_offer_minutes", f.WaitlistOfferMinutes}}
	for _, fv := range values {
		if fmt.Sprint(rec.Get(fv.field)) != fmt.Sprint(fv.value) {
			changed = append(changed, fv.field)
		}
		rec.Set(fv.field, fv.value)
	}
	if rec.GetString("privacy_notice") != f.Notice {
		version := max(rec.GetInt("notice_version"), 1)
		rec.Set("privacy_notice", f.Notice)
		rec.Set("notice_version", version+1)
		changed = append(changed, "privacy_notice")
	}
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("venue: save: %w", err)
	}
	return changed, nil
}

// NewVenue is a venue to create (the demo's, or a first set-up).
type NewVenue struct {
	VenueFields
	NoticeVersion int
}

// CreateVenue creates the venue record.
func CreateVenue(app core.App, v NewVenue) error {
	_, err := createRecord(app, colVenue, map[string]any{
		"name": v.Name, "timezone": v.TimeZone, "address": v.Address, "email": v.Email, "phone": v.Phone,
		"locale": v.Locale, "privacy_notice": v.Notice, "notice_version": max(v.NoticeVersion, 1), "gdpr_email": v.GDPREmail,
		"booking_policy": v.Policy, "notify_email": v.NotifyEmail, "feedback_url": v.FeedbackURL,
		"reminder_hours": v.ReminderHours, "feedback_hours": v.FeedbackHours, "retention_days": v.RetentionDays,
		"waitlist_offer_minutes": v.WaitlistOfferMinutes,
	})
	return err
}

// createRecord saves a new record of collection with fields, through PocketBase (validation
// and record hooks run).
func createRecord(app core.App, collection string, fields map[string]any) (*core.Record, error) {
	col, err := app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", collection, err)
	}
	rec := core.NewRecord(col)
	rec.Load(fields)
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("create %s: %w", collection, err)
	}
	return rec, nil
}
