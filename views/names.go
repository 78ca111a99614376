package views

// Names maps a stored value (a status, a role, a kind) to the catalog key of its name. The keys
// are written out, never built from the value, so that a test finds every key the code uses.
type Names map[string]string

// Name is how value reads in l: the message t names it with, or value itself when t has none
// (a value written by a later version, say).
func (l *Locale) Name(t Names, value string) string {
	if key, ok := t[value]; ok {
		return l.T(key)
	}
	return value
}

var (
	// StatusNames name a booking status.
	StatusNames = Names{
		"confirmed":  "status.confirmed",
		"cancelled":  "status.cancelled",
		"checked_in": "status.checked_in",
		"no_show":    "status.no_show",
		"completed":  "status.completed",
		"held":       "status.held",
	}
	// RoleNames name a staff role.
	RoleNames = Names{
		"owner":     "role.owner",
		"manager":   "role.manager",
		"frontdesk": "role.frontdesk",
	}
	// SourceNames name where a booking came from.
	SourceNames = Names{
		"web":    "source.web",
		"staff":  "source.staff",
		"walkin": "source.walkin",
		"api":    "source.api",
	}
	// ScopeNames say what an API key's scope lets a program do.
	ScopeNames = Names{
		"bookings:read":  "admin.apikeys.scope_read",
		"bookings:write": "admin.apikeys.scope_write",
	}
	// PrivacyKindNames name a kind of privacy request.
	PrivacyKindNames = Names{
		"access":        "privacy.kind.access",
		"erasure":       "privacy.kind.erasure",
		"rectification": "privacy.kind.rectification",
	}
	// PrivacyChannelNames name how a privacy request came in.
	PrivacyChannelNames = Names{
		"mail":         "privacy.channel.mail",
		"phone":        "privacy.channel.phone",
		"letter":       "privacy.channel.letter",
		"in_person":    "privacy.channel.in_person",
		"self_service": "privacy.channel.self_service",
	}
	// PrivacyStatusNames name a privacy request's status.
	PrivacyStatusNames = Names{
		"open":    "privacy.status.open",
		"done":    "privacy.status.done",
		"refused": "privacy.status.refused",
	}
	// WaitlistStatusNames name a waitlist entry's status.
	WaitlistStatusNames = Names{
		"waiting":   "waitlist.status.waiting",
		"offered":   "waitlist.status.offered",
		"booked":    "waitlist.status.booked",
		"expired":   "waitlist.status.expired",
		"declined":  "waitlist.status.declined",
		"left":      "waitlist.status.left",
		"cancelled": "waitlist.status.cancelled",
	}
	// WalkinStatusNames name a walk-in's status.
	WalkinStatusNames = Names{
		"waiting":  "walkin.status.waiting",
		"notified": "walkin.status.notified",
		"seated":   "walkin.status.seated",
		"skipped":  "walkin.status.skipped",
		"removed":  "walkin.status.removed",
	}
	// OfferingKindNames name an offering kind.
	OfferingKindNames = Names{
		"slot":    "admin.offerings.kind.slot",
		"session": "admin.offerings.kind.session",
	}
	// OfferingModeNames name how an offering counts capacity.
	OfferingModeNames = Names{
		"people": "admin.offerings.mode.people",
		"units":  "admin.offerings.mode.units",
	}
	// ResourceKindNames name a kind of resource.
	ResourceKindNames = Names{
		"staff": "admin.resources.kind.staff",
		"room":  "admin.resources.kind.room",
		"table": "admin.resources.kind.table",
	}
	// WeekdayNames name a weekday (0 Sunday … 6 Saturday).
	WeekdayNames = Names{
		"0": "weekday.0",
		"1": "weekday.1",
		"2": "weekday.2",
		"3": "weekday.3",
		"4": "weekday.4",
		"5": "weekday.5",
		"6": "weekday.6",
	}
	// TLSNames name a mail relay's TLS mode.
	TLSNames = Names{
		"starttls": "admin.relay.tls.starttls",
		"tls":      "admin.relay.tls.tls",
		"none":     "admin.relay.tls.none",
	}
	// OutboxStatusNames name a mail's status in the outbox.
	OutboxStatusNames = Names{
		"queued": "outbox.status.queued",
		"sent":   "outbox.status.sent",
		"failed": "outbox.status.failed",
	}
	// WebhookStatusNames name a webhook delivery's status.
	WebhookStatusNames = Names{
		"pending":   "webhooks.status.pending",
		"delivered": "webhooks.status.delivered",
		"failed":    "webhooks.status.failed",
	}
	// OutboxKindNames name a kind of mail.
	OutboxKindNames = Names{
		"confirmation":       "outbox.kind.confirmation",
		"change":             "outbox.kind.change",
		"cancellation":       "outbox.kind.cancellation",
		"reminder":           "outbox.kind.reminder",
		"feedback":           "outbox.kind.feedback",
		"venue_notice":       "outbox.kind.venue_notice",
		"venue_change":       "outbox.kind.venue_change",
		"venue_cancellation": "outbox.kind.venue_cancellation",
		"invite":             "outbox.kind.invite",
		"staff_reset":        "outbox.kind.staff_reset",
		"signin":             "outbox.kind.signin",
		"alert":              "outbox.kind.alert",
		"waitlist":           "outbox.kind.waitlist",
		"waitlist_offer":     "outbox.kind.waitlist_offer",
		"walkin":             "outbox.kind.walkin",
	}
	// BackupStatusNames name a backup's status.
	BackupStatusNames = Names{
		"ok":      "backup.status.ok",
		"failed":  "backup.status.failed",
		"skipped": "backup.status.skipped",
		"deleted": "backup.status.deleted",
	}
	// DoneNotices name the notice after a staff action (?done=).
	DoneNotices = Names{
		"saved":                 "admin.done.saved",
		"refunded":              "admin.done.refunded",
		"charged":               "admin.done.charged",
		"charge_failed":         "admin.done.charge_failed",
		"password":              "admin.done.password",
		"password_reset":        "admin.done.password_reset",
		"reset_sent":            "admin.done.reset_sent",
		"reinvited":             "admin.done.reinvited",
		"revoked":               "admin.done.revoked",
		"feed_revoked":          "admin.done.feed_revoked",
		"api_key_revoked":       "admin.apikeys.done_revoked",
		"invited":               "admin.done.invited",
		"status":                "admin.done.status",
		"cancelled":             "admin.done.cancelled",
		"moved":                 "admin.done.moved",
		"created":               "admin.done.created",
		"retry":                 "admin.done.retry",
		"backup":                "admin.done.backup",
		"backup_offsite":        "admin.done.backup_offsite",
		"backup_offsite_failed": "admin.done.backup_offsite_failed",
		"drill":                 "admin.done.drill",
		"drill_failed":          "admin.done.drill_failed",
		"privacy_logged":        "admin.done.privacy_logged",
		"privacy_erased":        "admin.done.privacy_erased",
		"privacy_closed":        "admin.done.privacy_closed",
		"purge_started":         "admin.done.purge_started",
		"purge_running":         "admin.done.purge_running",
		"image_removed":         "admin.done.image_removed",
		"walkin_added":          "admin.done.walkin_added",
		"walkin_notify":         "admin.done.walkin_notify",
		"walkin_seat":           "admin.done.walkin_seat",
		"walkin_skip":           "admin.done.walkin_skip",
		"walkin_remove":         "admin.done.walkin_remove",
		"series_added":          "admin.done.series_added",
		"series_changed":        "admin.done.series_changed",
		"series_ended":          "admin.done.series_ended",
		"session_changed":       "admin.done.session_changed",
		"session_cancelled":     "admin.done.session_cancelled",
		"tags_saved":            "admin.done.tags_saved",
		"note_saved":            "admin.done.note_saved",
		"note_deleted":          "admin.done.note_deleted",
	}
)

// PaymentModeNames name what an offering asks to be paid ("" none).
var PaymentModeNames = Names{
	"":        "payments.mode.none",
	"deposit": "payments.mode.deposit",
	"prepay":  "payments.mode.prepay",
	"card":    "payments.mode.card",
}

// PaymentKindNames name a kind of money movement of a booking.
var PaymentKindNames = Names{
	"deposit":     "payments.kind.deposit",
	"prepay":      "payments.kind.prepay",
	"card":        "payments.kind.card",
	"refund":      "payments.kind.refund",
	"no_show_fee": "payments.kind.no_show_fee",
}

// PaymentStatusNames name where a payment stands.
var PaymentStatusNames = Names{
	"pending": "payments.status.pending",
	"paid":    "payments.status.paid",
	"expired": "payments.status.expired",
	"failed":  "payments.status.failed",
}

// ExportSectionNames name the parts of a person's export (data.html), by collection.
var ExportSectionNames = Names{
	"customers":        "export.section.customers",
	"bookings":         "export.section.bookings",
	"outbox":           "export.section.outbox",
	"visitor_links":    "export.section.visitor_links",
	"visitor_sessions": "export.section.visitor_sessions",
	"gdpr_requests":    "export.section.gdpr_requests",
	"participants":     "export.section.participants",
	"sms_outbox":       "export.section.sms_outbox",
	"payments":         "export.section.payments",
	"waitlist":         "export.section.waitlist",
	"walkins":          "export.section.walkins",
	"privacy_notices":  "export.section.privacy_notices",
}

// WalkinActions are the desk's actions on a waiting walk-in, in the order the buttons stand,
// with the catalog key of each button.
var WalkinActions = []struct{ Action, Key string }{
	{"notify", "admin.walkins.notify"}, {"seat", "admin.walkins.seat"}, {"skip", "admin.walkins.skip"}, {"remove", "admin.walkins.remove"},
}

// The names of the days and months, by time.Weekday (0 Sunday) and time.Month - 1.
var (
	weekdayKeys      = [7]string{"weekday.0", "weekday.1", "weekday.2", "weekday.3", "weekday.4", "weekday.5", "weekday.6"}
	weekdayShortKeys = [7]string{"weekday_short.0", "weekday_short.1", "weekday_short.2", "weekday_short.3", "weekday_short.4", "weekday_short.5", "weekday_short.6"}
	monthKeys        = [12]string{"month.1", "month.2", "month.3", "month.4", "month.5", "month.6", "month.7", "month.8", "month.9", "month.10", "month.11", "month.12"}
	monthShortKeys   = [12]string{"month_short.1", "month_short.2", "month_short.3", "month_short.4", "month_short.5", "month_short.6",
		"month_short.7", "month_short.8", "month_short.9", "month_short.10", "month_short.11", "month_short.12"}
)
