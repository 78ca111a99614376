package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The collections, by name.
const (
	colVenue           = "venue"
	colOfferings       = "offerings"
	colOpeningHours    = "opening_hours"
	colClosures        = "closures"
	colSpecialHours    = "special_hours"
	colSessions        = "sessions"
	colSessionSeries   = "session_series"
	colCustomers       = "customers"
	colBookings        = "bookings"
	colBookingTokens   = "booking_tokens"
	colAuditLog        = "audit_log"
	colOutbox          = "outbox"
	colSettings        = "settings"
	colBackups         = "backups"
	colStaff           = "staff"
	colStaffSessions   = "staff_sessions"
	colStaffInvites    = "staff_invites"
	colStaffResets     = "staff_password_resets"
	colVisitorLinks    = "visitor_links"
	colVisitorSessions = "visitor_sessions"
	colGDPRRequests    = "gdpr_requests"
	colParticipants    = "participants"
	colPrivacyNotices  = "privacy_notices"
	colWaitlist        = "waitlist"
	colWalkins         = "walkins"
	colResources       = "resources"
	colCombinations    = "resource_combinations"
)

// DBTime is t as PocketBase stores dates (UTC, "2006-01-02 15:04:05.000Z"); the zero time is
// stored as "" (no date), as PocketBase does.
func DBTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(types.DefaultDateLayout)
}

// newID is a fresh record id in PocketBase's own form (15 characters, a-z 0-9).
//
// The id sorts by when it was made: 9 characters of the milliseconds since 1970 in base 36
// (enough until the year 5188), then 6 random ones. Rows written together then sit side by
// side in the indexes on their ids (and on ids they refer to), so a batch of bookings dirties
// a few index pages instead of one page per booking per index, and each commit writes every
// dirty page to the log. Ids are never secrets (tokens are); they only tell staff when a row
// was made, which its created time tells anyway.
func newID() string {
	t := strconv.FormatInt(time.Now().UnixMilli(), 36)
	return strings.Repeat("0", idTimeChars-len(t)) + t +
		security.RandomStringWithAlphabet(core.DefaultIdLength-idTimeChars, core.DefaultIdAlphabet)
}

const idTimeChars = 9

// stamp is the time a row is written, for its created and updated columns: the wall clock, as
// PocketBase's autodate fields use.
func stamp() string { return DBTime(time.Now()) }

// truncate cuts s to at most n bytes, at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Truncate is truncate for callers that store or log text of bounded length.
func Truncate(s string, n int) string { return truncate(s, n) }
