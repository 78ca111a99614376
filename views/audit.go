package views

import "strings"

// auditActions are the catalog keys of the audit log's actions, for people: the booking history
// and the audit page say "Booking viewed", not booking.viewed. Keys are written out (never built
// from the action) so that a catalog check finds each.
var auditActions = map[string]string{
	"backup.created":                  "audit.backup.created",
	"backup.drill":                    "audit.backup.drill",
	"booking.cancel":                  "audit.booking.cancel",
	"booking.change":                  "audit.booking.change",
	"booking.create":                  "audit.booking.create",
	"booking.edited":                  "audit.booking.edited",
	"booking.exported":                "audit.booking.exported",
	"booking.list_viewed":             "audit.booking.list_viewed",
	"booking.sensitive_viewed":        "audit.booking.sensitive_viewed",
	"booking.status":                  "audit.booking.status",
	"booking.texts_stopped":           "audit.booking.texts_stopped",
	"payment.expired":                 "audit.payment.expired",
	"payment.no_show_fee":             "audit.payment.no_show_fee",
	"payment.paid":                    "audit.payment.paid",
	"payment.refunded":                "audit.payment.refunded",
	"payments.saved":                  "audit.payments.saved",
	"booking.viewed":                  "audit.booking.viewed",
	"closure.added":                   "audit.closure.added",
	"closure.deleted":                 "audit.closure.deleted",
	"special_hours.added":             "audit.special_hours.added",
	"special_hours.deleted":           "audit.special_hours.deleted",
	"guest.list_viewed":               "audit.guest.list_viewed",
	"guest.note_deleted":              "audit.guest.note_deleted",
	"guest.note_saved":                "audit.guest.note_saved",
	"guest.tags":                      "audit.guest.tags",
	"guest.viewed":                    "audit.guest.viewed",
	"gdpr.erase":                      "audit.gdpr.erase",
	"gdpr.export":                     "audit.gdpr.export",
	"gdpr.purge":                      "audit.gdpr.purge",
	"gdpr.purge_now":                  "audit.gdpr.purge_now",
	"gdpr.rectify":                    "audit.gdpr.rectify",
	"gdpr.signin":                     "audit.gdpr.signin",
	"offering.hours_added":            "audit.offering.hours_added",
	"offering.hours_deleted":          "audit.offering.hours_deleted",
	"offering.saved":                  "audit.offering.saved",
	"outbox.retry":                    "audit.outbox.retry",
	"outbox.viewed":                   "audit.outbox.viewed",
	"privacy.erased":                  "audit.privacy.erased",
	"privacy.export":                  "audit.privacy.export",
	"privacy.request_done":            "audit.privacy.request_done",
	"privacy.request_logged":          "audit.privacy.request_logged",
	"privacy.request_refused":         "audit.privacy.request_refused",
	"privacy.viewed":                  "audit.privacy.viewed",
	"security.backup_failed":          "audit.security.backup_failed",
	"security.password_check_backoff": "audit.security.password_check_backoff",
	"security.password_check_failed":  "audit.security.password_check_failed",
	"security.signin_backoff":         "audit.security.signin_backoff",
	"security.signin_failed":          "audit.security.signin_failed",
	"resource.added":                  "audit.resource.added",
	"resource.changed":                "audit.resource.changed",
	"resource.retired":                "audit.resource.retired",
	"resource.combination_added":      "audit.resource.combination_added",
	"resource.combination_deleted":    "audit.resource.combination_deleted",
	"booking.reassigned":              "audit.booking.reassigned",
	"walkin.seated_table":             "audit.walkin.seated_table",
	"calendar_feed.created":           "audit.calendar_feed.created",
	"calendar_feed.revoked":           "audit.calendar_feed.revoked",
	"calendar_feed.fetched":           "audit.calendar_feed.fetched",
	"webhook.added":                   "audit.webhook.added",
	"webhook.changed":                 "audit.webhook.changed",
	"webhook.rotated":                 "audit.webhook.rotated",
	"webhook.deleted":                 "audit.webhook.deleted",
	"webhook.retried":                 "audit.webhook.retried",
	"api_key.created":                 "audit.api_key.created",
	"api_key.revoked":                 "audit.api_key.revoked",
	"api.bookings_listed":             "audit.api.bookings_listed",
	"api.booking_read":                "audit.api.booking_read",
	"staff.oidc_linked":               "audit.staff.oidc_linked",
	"staff.oidc_unlinked":             "audit.staff.oidc_unlinked",
	"settings.oidc":                   "audit.settings.oidc",
	"session.added":                   "audit.session.added",
	"session.cancelled":               "audit.session.cancelled",
	"session.changed":                 "audit.session.changed",
	"series.added":                    "audit.series.added",
	"series.changed":                  "audit.series.changed",
	"series.ended":                    "audit.series.ended",
	"settings.access":                 "audit.settings.access",
	"settings.embed":                  "audit.settings.embed",
	"settings.logo":                   "audit.settings.logo",
	"settings.mail":                   "audit.settings.mail",
	"settings.photo":                  "audit.settings.photo",
	"settings.venue":                  "audit.settings.venue",
	"staff.activated":                 "audit.staff.activated",
	"staff.created":                   "audit.staff.created",
	"staff.deactivated":               "audit.staff.deactivated",
	"staff.invite_accepted":           "audit.staff.invite_accepted",
	"staff.invited":                   "audit.staff.invited",
	"staff.password_changed":          "audit.staff.password_changed",
	"staff.password_reset":            "audit.staff.password_reset",
	"staff.password_reset_requested":  "audit.staff.password_reset_requested",
	"staff.reinvite_accepted":         "audit.staff.reinvite_accepted",
	"staff.reinvited":                 "audit.staff.reinvited",
	"staff.recovery_codes":            "audit.staff.recovery_codes",
	"staff.role_changed":              "audit.staff.role_changed",
	"staff.session_revoked":           "audit.staff.session_revoked",
	"staff.sessions_revoked":          "audit.staff.sessions_revoked",
	"staff.signin":                    "audit.staff.signin",
	"staff.signout":                   "audit.staff.signout",
	"waitlist.accepted":               "audit.waitlist.accepted",
	"waitlist.joined":                 "audit.waitlist.joined",
	"waitlist.offered":                "audit.waitlist.offered",
	"waitlist.viewed":                 "audit.waitlist.viewed",
	"walkin.added":                    "audit.walkin.added",
	"walkin.notify":                   "audit.walkin.notify",
	"walkins.viewed":                  "audit.walkins.viewed",
}

// AuditAction is how an audit action reads ("Booking viewed"); an action without a name (one
// written by a later version, say) shows as recorded.
func AuditAction(l *Locale, action string) string {
	if key, ok := auditActions[action]; ok {
		return l.T(key)
	}
	return action
}

// AuditActor is how the author of an audit entry reads: the guest, Reserva itself, someone not
// signed in, or a staff member by the name staff gives (staff:ID → name; an unknown or removed
// account shows as "staff member").
func AuditActor(l *Locale, actor string, staff map[string]string) string {
	switch {
	case actor == "visitor":
		return l.T("audit.actor.visitor")
	case actor == "system":
		return l.T("audit.actor.system")
	case actor == "anonymous":
		return l.T("audit.actor.anonymous")
	case strings.HasPrefix(actor, "api:"):
		return l.T("audit.actor.api", strings.TrimPrefix(actor, "api:"))
	case strings.HasPrefix(actor, "staff:"):
		if name := staff[strings.TrimPrefix(actor, "staff:")]; name != "" {
			return name
		}
		return l.T("audit.actor.staff")
	}
	return actor
}

// bookingFields name the fields of a booking that a "booking.edited" entry lists.
var bookingFields = Names{
	"email":          "form.email",
	"internal_notes": "admin.booking.internal",
	"name":           "form.name",
	"notes":          "form.notes",
	"phone":          "form.phone",
}

// AuditDetail is how the detail of an entry of a booking's history reads: its statuses, fields
// and who booked in words ("Confirmed → Checked in", "Name, Phone"); other details (times, a
// stated reason) as recorded.
func AuditDetail(l *Locale, action, detail string) string {
	switch action {
	case "booking.status":
		if from, to, ok := strings.Cut(detail, " → "); ok {
			return l.Name(StatusNames, from) + " → " + l.Name(StatusNames, to)
		}
	case "booking.edited":
		fields := strings.Split(detail, ", ")
		for i, f := range fields {
			fields[i] = l.Name(bookingFields, f)
		}
		return strings.Join(fields, ", ")
	case "booking.cancel":
		if detail == "by the venue" {
			return l.T("audit.detail.by_venue")
		}
	case "booking.create":
		if detail == "by staff" {
			return l.T("audit.detail.by_staff")
		}
		if reason, ok := strings.CutPrefix(detail, "over capacity: "); ok {
			return l.T("audit.detail.over_capacity", reason)
		}
	}
	return detail
}
