package store

// Source is who made a booking.
type Source string

// The sources of a booking.
const (
	SourceWeb   Source = "web"   // a visitor, on the booking site
	SourceStaff Source = "staff" // staff, in the dashboard (a caller on the phone)
	// SourceWalkin is a walk-in seated by staff on a table: it holds the table for its turn time.
	SourceWalkin Source = "walkin"
)

// MailStatus is where an outbox row stands.
type MailStatus string

// The statuses of an outbox row.
const (
	MailQueued MailStatus = "queued" // waiting to be sent, or to be tried again
	MailSent   MailStatus = "sent"
	MailFailed MailStatus = "failed" // given up
)

// MailStatuses are the outbox statuses, in the order the dashboard shows them.
var MailStatuses = []MailStatus{MailQueued, MailSent, MailFailed}

// MailKind is what an outbox row is about.
type MailKind string

// The kinds of mail.
const (
	// About a booking, to its guest: rendered when sent, from the booking as it is then.
	MailConfirmation MailKind = "confirmation"
	MailChange       MailKind = "change"
	MailCancellation MailKind = "cancellation"
	MailReminder     MailKind = "reminder"
	MailFeedback     MailKind = "feedback"
	// About a new, changed or cancelled booking, to the venue's notify address (rendered when
	// sent too; no link, no calendar file).
	MailVenueNotice       MailKind = "venue_notice"
	MailVenueChange       MailKind = "venue_change"
	MailVenueCancellation MailKind = "venue_cancellation"
	// Rendered when queued.
	MailInvite        MailKind = "invite"
	MailStaffReset    MailKind = "staff_reset" // a staff member's link to choose a new password
	MailSignin        MailKind = "signin"
	MailAlert         MailKind = "alert"
	MailWaitlist      MailKind = "waitlist"
	MailWaitlistOffer MailKind = "waitlist_offer"
	MailWalkin        MailKind = "walkin"
)

// AboutBooking reports whether mails of kind k are rendered from their booking when sent.
func (k MailKind) AboutBooking() bool {
	switch k {
	case MailConfirmation, MailChange, MailCancellation, MailReminder, MailFeedback, MailVenueNotice, MailVenueChange, MailVenueCancellation:
		return true
	}
	return false
}

// ToVenue reports whether mails of kind k go to the venue's notify address, not to a guest.
func (k MailKind) ToVenue() bool {
	return k == MailVenueNotice || k == MailVenueChange || k == MailVenueCancellation
}

// VenueCopy is the kind of the venue's notice of a guest's mail of kind k ("" for none).
func (k MailKind) VenueCopy() MailKind {
	switch k {
	case MailConfirmation:
		return MailVenueNotice
	case MailChange:
		return MailVenueChange
	case MailCancellation:
		return MailVenueCancellation
	}
	return ""
}

// Role is a staff member's rank; a higher one may do everything a lower one may.
type Role string

// The roles, lowest first.
const (
	RoleFrontdesk Role = "frontdesk"
	RoleManager   Role = "manager"
	RoleOwner     Role = "owner"
)

// Roles are the roles in ascending rank.
var Roles = []Role{RoleFrontdesk, RoleManager, RoleOwner}

// Rank orders roles: 0 for no role, then frontdesk, manager, owner.
func (r Role) Rank() int {
	switch r {
	case RoleFrontdesk:
		return 1
	case RoleManager:
		return 2
	case RoleOwner:
		return 3
	}
	return 0
}

// Valid reports whether r is a role.
func (r Role) Valid() bool { return r.Rank() > 0 }

// WaitStatus is where a waitlist entry stands.
type WaitStatus string

// The statuses of a waitlist entry.
const (
	WaitWaiting   WaitStatus = "waiting"
	WaitOffered   WaitStatus = "offered"   // a place is held for the entry until the offer expires
	WaitBooked    WaitStatus = "booked"    // the offer was taken
	WaitExpired   WaitStatus = "expired"   // the offer ran out, or the time passed
	WaitDeclined  WaitStatus = "declined"  // the visitor declined an offer
	WaitLeft      WaitStatus = "left"      // the visitor left the list
	WaitCancelled WaitStatus = "cancelled" // the venue cancelled the session
)

// Open reports whether the entry still waits or has an offer out.
func (s WaitStatus) Open() bool { return s == WaitWaiting || s == WaitOffered }

// WalkinStatus is where a party at the door stands.
type WalkinStatus string

// The statuses of a walk-in.
const (
	WalkinWaiting  WalkinStatus = "waiting"
	WalkinNotified WalkinStatus = "notified" // told their table is ready
	WalkinSeated   WalkinStatus = "seated"
	WalkinSkipped  WalkinStatus = "skipped"
	WalkinRemoved  WalkinStatus = "removed"
)

// Queued reports whether the party is still in the queue.
func (s WalkinStatus) Queued() bool { return s == WalkinWaiting || s == WalkinNotified }

// RequestKind is what a data subject asked for.
type RequestKind string

// The kinds of GDPR requests.
const (
	RequestAccess        RequestKind = "access"
	RequestErasure       RequestKind = "erasure"
	RequestRectification RequestKind = "rectification"
)

// RequestKinds are the kinds staff log, in the order the form offers them.
var RequestKinds = []RequestKind{RequestAccess, RequestErasure, RequestRectification}

// Channel is how a request reached the venue.
type Channel string

// The channels of a request.
const (
	ChannelMail        Channel = "mail"
	ChannelPhone       Channel = "phone"
	ChannelLetter      Channel = "letter"
	ChannelInPerson    Channel = "in_person"
	ChannelSelfService Channel = "self_service"
)

// Channels are the channels staff log, in the order the form offers them.
var Channels = []Channel{ChannelMail, ChannelPhone, ChannelLetter, ChannelInPerson}

// RequestStatus is where a GDPR request stands.
type RequestStatus string

// The statuses of a request.
const (
	RequestOpen    RequestStatus = "open"
	RequestDone    RequestStatus = "done"
	RequestRefused RequestStatus = "refused"
)

// BackupStatus is the state of a backup's record.
type BackupStatus string

// The statuses of a backup.
const (
	BackupOK      BackupStatus = "ok"
	BackupFailed  BackupStatus = "failed"
	BackupDeleted BackupStatus = "deleted" // let go by the retention policy
)

// Offsite is the state of a backup's off-site copy.
type Offsite string

// The states of an off-site copy.
const (
	OffsiteNone     Offsite = ""
	OffsitePending  Offsite = "pending"
	OffsiteUploaded Offsite = "uploaded"
	OffsiteFailed   Offsite = "failed"
)
