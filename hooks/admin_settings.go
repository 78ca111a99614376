package hooks

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// settingsPage (owner) shows the venue's settings, the mail relays and the access rules.
func (h *handlers) settingsPage(e *core.RequestEvent) error {
	return h.renderSettings(e, http.StatusOK, views.SettingsData{})
}

func (h *handlers) renderSettings(e *core.RequestEvent, status int, d views.SettingsData) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	d.AdminPage = h.adminPage(e, views.M("admin.nav.settings"))
	if d.Form.Name == "" {
		d.Form = views.SettingsForm{Name: v.Name, TimeZone: v.TimeZone, Address: v.Address,
			Email: v.Email, Phone: v.Phone, Locale: v.Locale, Policy: v.BookingPolicy,
			Notice: v.PrivacyNotice, GDPREmail: v.GDPREmail, NotifyEmail: v.NotifyEmail,
			FeedbackURL: v.FeedbackURL, ReminderHours: v.ReminderHours, FeedbackHours: v.FeedbackHours,
			RetentionDays: v.RetentionDays(), OfferMinutes: int(v.OfferTTL() / time.Minute)}
	}
	d.Form.NoticeVersion = v.NoticeVersion()
	d.Languages = views.Languages()
	if jobs.RelaysFromEnv() {
		d.MailFromEnv = true
	} else if d.Primary.Host == "" {
		var s store.MailSettings
		var sec store.MailSecrets
		if _, err := store.LoadSetting(e.App, store.SettingMail, &s, &sec); err != nil {
			d.Problem = views.M("admin.settings.mail_unreadable")
		}
		d.Primary, d.Secondary = relayForm(s.Primary, sec.Primary != ""), relayForm(s.Secondary, sec.Secondary != "")
	}
	a := h.access(e.App)
	if d.AccessErrors == nil {
		d.Allow, d.Require2FA = strings.Join(a.Allow, "\n"), a.Require2FA
	}
	d.YourIP = e.RealIP()
	d.Proxy, d.ProxyHeader = h.proxy.String(), h.proxy.Header
	if d.EmbedErrors == nil {
		d.EmbedOrigins = strings.Join(v.EmbedOrigins(), "\n")
	}
	d.EmbedSnippet = h.embedSnippet(e, v)
	d.Photo, d.Logo = imageSetting(v.Photo, store.ImagePhoto), imageSetting(v.Logo, store.ImageLogo)
	if d.ImageErrors == nil && v.Photo != nil {
		d.PhotoAlt = v.Photo.Alt
	}
	return render(e, status, views.SettingsPage(d))
}

// imageSetting is the venue's picture of kind (nil: none) as the settings page shows it.
func imageSetting(img *store.Image, kind string) views.ImageSetting {
	s := views.ImageSetting{Current: imageView(img, ""), MaxBytes: store.MaxImageBytes(kind)}
	if img != nil {
		s.Size = img.Size
	}
	return s
}

func relayForm(r store.Relay, hasPassword bool) views.RelayForm {
	port := ""
	if r.Port > 0 {
		port = strconv.Itoa(r.Port)
	}
	tls := r.TLS
	if tls == "" {
		tls = "starttls"
	}
	return views.RelayForm{Host: r.Host, Port: port, Username: r.Username, TLS: tls, FromName: r.FromName,
		FromAddress: r.FromAddress, HasPassword: hasPassword}
}

// settingsSave saves the venue's settings; a changed privacy notice gets the next version (old
// consents keep theirs).
func (h *handlers) settingsSave(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	f := e.Request.PostForm
	form := views.SettingsForm{Name: strings.TrimSpace(f.Get("name")), TimeZone: strings.TrimSpace(f.Get("timezone")),
		Address: strings.TrimSpace(f.Get("address")), Email: strings.TrimSpace(f.Get("email")), Phone: strings.TrimSpace(f.Get("phone")),
		Locale: f.Get("locale"), Policy: strings.TrimSpace(f.Get("policy")), Notice: strings.TrimSpace(strings.ReplaceAll(f.Get("notice"), "\r\n", "\n")),
		GDPREmail: strings.TrimSpace(f.Get("gdpr_email")), NotifyEmail: strings.TrimSpace(f.Get("notify_email")),
		FeedbackURL: strings.TrimSpace(f.Get("feedback_url"))}
	errs := map[string]views.Msg{}
	var herr error
	form.ReminderHours, herr = strconv.Atoi(f.Get("reminder_hours"))
	if herr != nil || form.ReminderHours < 0 || form.ReminderHours > 336 {
		errs["reminder_hours"] = views.M("admin.number_range", 0, 336)
	}
	form.FeedbackHours, herr = strconv.Atoi(f.Get("feedback_hours"))
	if herr != nil || form.FeedbackHours < 0 || form.FeedbackHours > 336 {
		errs["feedback_hours"] = views.M("admin.number_range", 0, 336)
	}
	form.RetentionDays, herr = strconv.Atoi(f.Get("retention_days"))
	if herr != nil || form.RetentionDays < 1 || form.RetentionDays > 3650 {
		errs["retention_days"] = views.M("admin.number_range", 1, 3650)
	}
	form.OfferMinutes, herr = strconv.Atoi(f.Get("waitlist_offer_minutes"))
	if herr != nil || form.OfferMinutes < 5 || form.OfferMinutes > 1440 {
		errs["waitlist_offer_minutes"] = views.M("admin.number_range", 5, 1440)
	}
	if form.Name == "" || len(form.Name) > 200 || !cleanText(form.Name, false) {
		errs["name"] = views.M("admin.required")
	}
	if _, err := time.LoadLocation(form.TimeZone); err != nil || form.TimeZone == "" || form.TimeZone == "Local" {
		errs["timezone"] = views.M("admin.settings.timezone_bad")
	}
	for field, val := range map[string]string{"email": form.Email, "gdpr_email": form.GDPREmail, "notify_email": form.NotifyEmail} {
		if val != "" && is.EmailFormat.Validate(val) != nil {
			errs[field] = views.M("err.email_invalid")
		}
	}
	if form.Phone != "" && !validPhone(form.Phone) {
		errs["phone"] = views.M("err.phone_invalid")
	}
	if u, err := url.Parse(form.FeedbackURL); form.FeedbackURL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		errs["feedback_url"] = views.M("admin.settings.url_bad")
	}
	for field, val := range map[string]string{"address": form.Address, "policy": form.Policy, "notice": form.Notice} {
		if !cleanText(val, true) {
			errs[field] = views.M("err.text_invalid")
		}
	}
	if !slices.Contains(views.Languages(), form.Locale) {
		form.Locale = views.NewLocale(form.Locale).Lang() // the closest catalog ("de-DE": de), else the default
	}
	if len(errs) > 0 {
		return h.renderSettings(e, http.StatusUnprocessableEntity, views.SettingsData{Form: form, Errors: errs})
	}
	fields := v.Fields()
	fields.Name, fields.TimeZone, fields.Address, fields.Email, fields.Phone = form.Name, form.TimeZone, form.Address, form.Email, form.Phone
	fields.Locale, fields.Policy, fields.Notice, fields.GDPREmail = form.Locale, form.Policy, form.Notice, form.GDPREmail
	fields.NotifyEmail, fields.FeedbackURL = form.NotifyEmail, form.FeedbackURL
	fields.ReminderHours, fields.FeedbackHours, fields.RetentionDays = form.ReminderHours, form.FeedbackHours, form.RetentionDays
	fields.WaitlistOfferMinutes = form.OfferMinutes
	err = e.App.RunInTransaction(func(tx core.App) error {
		changed, err := store.SaveVenue(tx, fields)
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "settings.venue", "venue", strings.Join(sortedCopy(changed), ", "))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/settings?done=saved")
}

// mailSave saves the relays; a blank password keeps the stored one. Passwords are sealed with
// RESERVA_ENCRYPTION_KEY (refused without it).
func (h *handlers) mailSave(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	var old store.MailSettings
	var oldSec store.MailSecrets
	_, _ = store.LoadSetting(e.App, store.SettingMail, &old, &oldSec)
	errs := map[string]views.Msg{}
	read := func(prefix string, oldPass string) (store.Relay, string) {
		r := store.Relay{Host: strings.TrimSpace(f.Get(prefix + "_host")), Username: strings.TrimSpace(f.Get(prefix + "_username")),
			TLS: f.Get(prefix + "_tls"), FromName: strings.TrimSpace(f.Get(prefix + "_from_name")),
			FromAddress: strings.TrimSpace(f.Get(prefix + "_from_address"))}
		if p := strings.TrimSpace(f.Get(prefix + "_port")); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				errs[prefix+"_port"] = views.M("admin.number_range", 1, 65535)
			}
			r.Port = n
		}
		pass := f.Get(prefix + "_password")
		if pass == "" {
			pass = oldPass
		}
		if r.Host == "" {
			return r, ""
		}
		if err := jobs.RelayConfig(r, pass).Validate(); err != nil {
			errs[prefix+"_host"] = views.M("admin.relay.invalid", err.Error())
		}
		return r, pass
	}
	var s store.MailSettings
	var sec store.MailSecrets
	s.Primary, sec.Primary = read("primary", oldSec.Primary)
	s.Secondary, sec.Secondary = read("secondary", oldSec.Secondary)
	if s.Primary.Host == "" && s.Secondary.Host != "" {
		errs["primary_host"] = views.M("admin.relay.primary_first")
	}
	if len(errs) > 0 {
		return h.renderSettings(e, http.StatusUnprocessableEntity, views.SettingsData{MailErrors: errs,
			Primary: relayForm(s.Primary, sec.Primary != ""), Secondary: relayForm(s.Secondary, sec.Secondary != "")})
	}
	var secrets any = sec
	if sec.Primary == "" && sec.Secondary == "" {
		secrets = nil
	}
	if err := store.SaveSetting(e.App, store.SettingMail, s, secrets); err != nil {
		if errors.Is(err, store.ErrNoKey) {
			return h.renderSettings(e, http.StatusUnprocessableEntity, views.SettingsData{
				MailErrors: map[string]views.Msg{"primary_host": views.M("admin.relay.no_key")},
				Primary:    relayForm(s.Primary, false), Secondary: relayForm(s.Secondary, false)})
		}
		return err
	}
	if err := h.staffAudit(e.App, e, "settings.mail", "settings/mail", s.Primary.Host+" "+s.Secondary.Host); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/settings?done=saved")
}

// accessSave saves the IP allow-list and the 2FA requirement. It refuses a list that would
// shut out the owner's own address, and requiring 2FA before the owner has it.
func (h *handlers) accessSave(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	var list []string
	for _, line := range strings.FieldsFunc(f.Get("allow"), func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		if line = strings.TrimSpace(line); line != "" {
			list = append(list, line)
		}
	}
	a := store.Access{Allow: list, Require2FA: f.Get("require_2fa") == "yes"}
	errs := map[string]views.Msg{}
	nets, err := ParseNets(strings.Join(list, ","))
	switch {
	case err != nil:
		errs["allow"] = views.M("admin.settings.allow_bad", err.Error())
	case len(nets) > 0 && !containsIP(nets, e.RealIP()):
		errs["allow"] = views.M("admin.settings.allow_lockout", e.RealIP())
	}
	if a.Require2FA && !staffOf(e).HasTOTP() {
		errs["require_2fa"] = views.M("admin.settings.require_2fa_first")
	}
	if len(errs) > 0 {
		return h.renderSettings(e, http.StatusUnprocessableEntity, views.SettingsData{AccessErrors: errs,
			Allow: f.Get("allow"), Require2FA: a.Require2FA})
	}
	if err := store.SaveSetting(e.App, store.SettingAccess, a, nil); err != nil {
		return err
	}
	if err := h.staffAudit(e.App, e, "settings.access", "settings/access",
		fmt.Sprintf("%d networks, 2FA required %v", len(list), a.Require2FA)); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/settings?done=saved")
}

// outboxPage (manager, owner) lists the latest mail by status, without bodies.
func (h *handlers) outboxPage(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	status := store.MailStatus(e.Request.URL.Query().Get("status"))
	if !slices.Contains(store.MailStatuses, status) {
		status = store.MailQueued
	}
	d := views.OutboxData{AdminPage: h.adminPage(e, views.M("admin.nav.outbox")), Status: string(status), Counts: map[string]int{},
		Relay: h.jobs.ActiveRelay()}
	counts, err := store.MailCounts(e.App)
	if err != nil {
		return err
	}
	for _, s := range store.MailStatuses {
		d.Counts[string(s)] = counts[s]
	}
	rows, err := store.MailList(e.App, status, 200)
	if err != nil {
		return err
	}
	for _, r := range rows {
		d.Rows = append(d.Rows, views.OutboxRow{ID: r.ID, Kind: string(r.Kind), To: r.To, Subject: r.Subject,
			Status: string(r.Status), Error: r.LastError, Relay: r.Relay, Attempts: r.Attempts,
			Created: r.Created.Time().In(v.Loc), Next: r.NextAttempt.Time().In(v.Loc), Sent: r.SentAt.Time().In(v.Loc)})
	}
	if err := h.staffAudit(e.App, e, "outbox.viewed", "outbox", string(status)); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.OutboxPage(d))
}

// outboxRetry makes a waiting or failed message due now.
func (h *handlers) outboxRetry(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := store.RetryNow(e.App, id, h.now()); err != nil {
		return notFound(err)
	}
	if err := h.staffAudit(e.App, e, "outbox.retry", "outbox/"+id, ""); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/outbox?done=retry")
}

// backupsPage (owner) lists the backups with their drills and off-site state.
func (h *handlers) backupsPage(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	cfg := h.jobs.BackupConfig()
	d := views.BackupsData{AdminPage: h.adminPage(e, views.M("admin.nav.backups")), On: cfg.On(), Identity: cfg.IdentityFile != "",
		Offsite: cfg.S3 != nil, Dir: cfg.Directory(e.App.DataDir())}
	recs, err := store.RecentBackups(e.App)
	if err != nil {
		return err
	}
	for _, r := range recs {
		d.Rows = append(d.Rows, views.BackupRow{File: r.File, Status: string(r.Status), Error: r.Error,
			Verify: r.VerifyResult, Offsite: string(r.Offsite), Taken: r.Taken.Time().In(v.Loc), Size: r.Size,
			Bookings: r.Rows()["bookings"]})
	}
	return render(e, http.StatusOK, views.BackupsPage(d))
}

// backupNow takes a backup at once (owner).
func (h *handlers) backupNow(e *core.RequestEvent) error {
	if !h.jobs.BackupConfig().On() {
		return e.Redirect(http.StatusSeeOther, "/admin/backups")
	}
	snap, err := h.jobs.TakeBackupFresh()
	if err != nil {
		return &pageError{status: http.StatusConflict, heading: "admin.backups.failed", body: "admin.backups.failed_body", err: err}
	}
	if err := h.staffAudit(e.App, e, "backup.created", "backups", "on demand"); err != nil {
		return err
	}
	done := "backup"
	if h.jobs.BackupConfig().S3 != nil {
		done = "backup_offsite"
		if snap.Offsite != nil {
			done = "backup_offsite_failed"
		}
	}
	return e.Redirect(http.StatusSeeOther, "/admin/backups?done="+done)
}

// backupDrillNow runs the restore drill at once (owner).
func (h *handlers) backupDrillNow(e *core.RequestEvent) error {
	if !h.jobs.BackupConfig().On() {
		return e.Redirect(http.StatusSeeOther, "/admin/backups")
	}
	_, err := h.jobs.Drill(h.now())
	if aerr := h.staffAudit(e.App, e, "backup.drill", "backups", fmt.Sprint(err == nil)); aerr != nil {
		return aerr
	}
	if err != nil {
		return e.Redirect(http.StatusSeeOther, "/admin/backups?done=drill_failed")
	}
	return e.Redirect(http.StatusSeeOther, "/admin/backups?done=drill")
}

// purgeNow (POST /admin/purge/now, owner) starts the retention purge at once, as the nightly
// job would, in the background: a large one takes minutes (it pauses between its batches for
// the bookings), longer than a browser waits for an answer. The purge audits its own counts.
func (h *handlers) purgeNow(e *core.RequestEvent) error {
	started := h.jobs.StartPurge(h.now())
	detail, done := "started", "purge_started"
	if !started {
		detail, done = "already running", "purge_running"
	}
	if err := h.staffAudit(e.App, e, "gdpr.purge_now", "", detail); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/settings?done="+done)
}

// auditPage (owner) shows the audit log, newest first, filtered by actor, action and dates.
func (h *handlers) auditPage(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	q := e.Request.URL.Query()
	d := views.AuditData{AdminPage: h.adminPage(e, views.M("admin.nav.audit")), Actor: strings.TrimSpace(q.Get("actor")),
		Action: strings.TrimSpace(q.Get("action")), From: q.Get("from"), To: q.Get("to")}
	d.Page, _ = strconv.Atoi(q.Get("page"))
	if d.Page < 1 || d.Page > 100000 {
		d.Page = 1
	}
	f := store.AuditFilter{Actor: d.Actor, Action: d.Action}
	if from, err := booking.ParseDate(d.From); err == nil {
		f.From = v.Midnight(from)
	}
	if to, err := booking.ParseDate(d.To); err == nil {
		f.To = v.Midnight(to.AddDays(1))
	}
	const per = 100
	entries, total, err := store.AuditPage(e.App, f, (d.Page-1)*per, per)
	if err != nil {
		return err
	}
	d.Pages = (total + per - 1) / per
	names, err := staffNames(e.App)
	if err != nil {
		return err
	}
	for _, a := range entries {
		d.Rows = append(d.Rows, views.AuditRow{When: a.Created.Time().In(v.Loc), Actor: a.Actor, Action: a.Action, Target: a.Target,
			IP: a.IP, Request: a.RequestID, Detail: a.Detail, ActorName: views.AuditActor(d.L, a.Actor, names)})
	}
	qs := url.Values{}
	for k, val := range map[string]string{"actor": d.Actor, "action": d.Action, "from": d.From, "to": d.To} {
		if val != "" {
			qs.Set(k, val)
		}
	}
	if len(qs) > 0 {
		d.Query = "&" + qs.Encode()
	}
	return render(e, http.StatusOK, views.AuditPage(d))
}
