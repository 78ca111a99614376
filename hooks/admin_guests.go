package hooks

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/store"
	"reserva/views"
)

// guestProfile (GET /admin/guests/{id}, manager) shows a guest's profile: an audited view of
// their personal data, the sensitive profile note included.
func (h *handlers) guestProfile(e *core.RequestEvent) error {
	return h.renderGuest(e, http.StatusOK, "", "", nil)
}

// staffGuest loads the guest of the request's {id}; 404 when there is none.
func staffGuest(e *core.RequestEvent) (*store.GuestProfile, error) {
	g, err := store.GuestProfileByID(e.App, e.Request.PathValue("id"))
	if err != nil {
		return nil, notFound(err)
	}
	return g, nil
}

// renderGuest renders the guest's profile with status. A form sent back with errors keeps what
// was typed: tags or note (the other field shows what is stored). Every rendering shows the
// guest's data and is audited as a view.
func (h *handlers) renderGuest(e *core.RequestEvent, status int, tagsSent, noteSent string, errs map[string]views.Msg) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	g, err := staffGuest(e)
	if err != nil {
		return err
	}
	now := h.now()
	stats, err := store.GuestStatsOf(e.App, g, now)
	if err != nil {
		return err
	}
	list, err := store.GuestBookingList(e.App, g, views.GuestBookingsShown)
	if err != nil {
		return err
	}
	offs, err := store.Offerings(e.App, false)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, o := range offs {
		names[o.ID] = o.Name
	}
	d := views.GuestData{AdminPage: h.adminPage(e, views.M("admin.guest.title", g.Name)), ID: g.ID, Name: g.Name, Email: g.Email,
		Phone: g.Phone, Visits: stats.Visits, NoShows: stats.NoShows, Cancellations: stats.Cancellations, Upcoming: stats.Upcoming,
		Total: stats.Total, Tags: g.Tags(), TagsValue: strings.Join(g.Tags(), ", "), HasNote: g.NoteSealed != "",
		NoteNotice: g.NoteNotice, Errors: errs}
	if !stats.LastVisit.IsZero() {
		d.LastVisit = stats.LastVisit.In(v.Loc)
	}
	if !g.NoteConsentAt.IsZero() {
		d.NoteConsentAt = g.NoteConsentAt.Time().In(v.Loc)
	}
	for _, b := range list {
		d.Bookings = append(d.Bookings, views.BookingRow{ID: b.ID, Reference: b.Reference, Offering: names[b.Offering],
			Name: b.Name, Email: b.Email, Status: b.Status, Start: b.Start.Time().In(v.Loc), Party: b.Party})
	}
	if d.HasNote {
		if d.Note, err = store.OpenSensitive(g.NoteSealed); err != nil {
			// The page still works: the note is kept, but this server cannot read it.
			e.App.Logger().Error("guest profile: open the note", "guest", g.ID, "error", err.Error())
			d.Note, d.NoteUnreadable = "", true
		}
	}
	consent, err := store.NoteConsentOf(e.App, g)
	switch {
	case errors.Is(err, store.ErrNoNoteConsent):
		d.NoConsent = true
	case err != nil:
		return err
	default:
		d.Consent, d.ConsentNotice = consent.At.In(v.Loc), consent.Notice
	}
	d.NoKey = !store.SensitiveEnabled()
	d.CanKeepNote = !d.NoConsent && !d.NoKey
	if errs != nil {
		if _, ok := errs["tags"]; ok {
			d.TagsValue = tagsSent
		}
		if _, ok := errs["note"]; ok {
			d.Note = noteSent
		}
	}
	detail := fmt.Sprintf("%d bookings", stats.Total)
	if d.HasNote {
		detail += ", with the sensitive note"
	}
	if err := h.staffAudit(e.App, e, "guest.viewed", "customers/"+g.ID, detail); err != nil {
		return err
	}
	return render(e, status, views.GuestPage(d))
}

// guestTags (POST /admin/guests/{id}/tags, manager) replaces the guest's tags, given as one
// comma-separated field; audited. An empty field removes them all.
func (h *handlers) guestTags(e *core.RequestEvent) error {
	g, err := staffGuest(e)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	sent := e.Request.PostForm.Get("tags")
	tags, problem := parseTags(sent)
	if !problem.IsZero() {
		return h.renderGuest(e, http.StatusUnprocessableEntity, sent, "", map[string]views.Msg{"tags": problem})
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := store.SetGuestTags(tx, g.ID, tags); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "guest.tags", "customers/"+g.ID, fmt.Sprintf("%d tags", len(tags)))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/guests/"+g.ID+"?done=tags_saved")
}

// parseTags reads the tags field: tags separated by commas, each trimmed (invisible format
// characters taken out, inner spaces joined to one), empty ones skipped, repeats (in any case)
// kept once in the spelling first given. A problem is returned for more than views.MaxTags
// tags, a tag longer than views.MaxTagLength characters, or a control character.
func parseTags(s string) ([]string, views.Msg) {
	if !utf8.ValidString(s) || !cleanText(s, false) {
		return nil, views.M("err.text_invalid")
	}
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		tag := strings.Join(strings.Fields(cleanName(part)), " ")
		if tag == "" || seen[strings.ToLower(tag)] {
			continue
		}
		if utf8.RuneCountInString(tag) > views.MaxTagLength {
			return nil, views.M("err.tag_long", views.MaxTagLength)
		}
		seen[strings.ToLower(tag)] = true
		out = append(out, tag)
	}
	if len(out) > views.MaxTags {
		return nil, views.M("err.tags_many", views.MaxTags)
	}
	return out, views.Msg{}
}

// guestNote (POST /admin/guests/{id}/note, manager) stores the guest's sensitive profile note,
// sealed, under the consent the guest gave to a sensitive note when booking; audited. Without
// that consent, or without the encryption key, a note is refused (422) and nothing is stored.
// An empty note deletes the kept one, which needs neither.
func (h *handlers) guestNote(e *core.RequestEvent) error {
	g, err := staffGuest(e)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	sent := e.Request.PostForm.Get("note")
	note := strings.TrimSpace(strings.ReplaceAll(sent, "\r\n", "\n"))
	refuse := func(m views.Msg) error {
		return h.renderGuest(e, http.StatusUnprocessableEntity, "", sent, map[string]views.Msg{"note": m})
	}
	switch {
	case !cleanText(note, true):
		return refuse(views.M("err.text_invalid"))
	case utf8.RuneCountInString(note) > views.MaxProfileNote:
		return refuse(views.M("err.notes_long", views.MaxProfileNote))
	}
	action := "guest.note_saved"
	if note == "" {
		action = "guest.note_deleted"
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		var consent store.NoteConsent
		if note != "" {
			// The consent is read in the write: a purge or erasure in between leaves none.
			var err error
			if consent, err = store.NoteConsentOf(tx, g); err != nil {
				return err
			}
		}
		if err := store.SetGuestNote(tx, g.ID, note, consent); err != nil {
			return err
		}
		return h.staffAudit(tx, e, action, "customers/"+g.ID, "")
	})
	switch {
	case errors.Is(err, store.ErrNoNoteConsent):
		return refuse(views.M("err.note_no_consent"))
	case errors.Is(err, store.ErrNoKey):
		return refuse(views.M("admin.offerings.sensitive_no_key"))
	}
	if err != nil {
		return err
	}
	done := "note_saved"
	if note == "" {
		done = "note_deleted"
	}
	return e.Redirect(http.StatusSeeOther, "/admin/guests/"+g.ID+"?done="+done)
}

// guestsPageSize is how many guests a page of the guest list shows.
const guestsPageSize = 50

// guestsList (GET /admin/guests, manager) lists the guests, the latest active first, found by a
// part of their name, address or phone and by a tag; 50 a page. Audited as a view of a list.
func (h *handlers) guestsList(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	q := e.Request.URL.Query()
	f := store.GuestFilter{Q: searchText(q.Get("q")), Tag: searchText(q.Get("tag"))}
	page, _ := strconv.Atoi(q.Get("page"))
	if page < 1 || page > 100000 {
		page = 1
	}
	total, err := store.CountGuests(e.App, f)
	if err != nil {
		return err
	}
	rows, err := store.ListGuests(e.App, f, (page-1)*guestsPageSize, guestsPageSize)
	if err != nil {
		return err
	}
	d := views.GuestsData{AdminPage: h.adminPage(e, views.M("admin.guests.title")), Q: f.Q, Tag: f.Tag, Page: page, Total: total,
		Pages: (total + guestsPageSize - 1) / guestsPageSize}
	for _, r := range rows {
		row := views.GuestRow{ID: r.ID, Name: r.Name, Email: r.Email, Phone: r.Phone, Tags: r.Tags()}
		if !r.LastActivity.IsZero() {
			row.LastActivity = r.LastActivity.Time().In(v.Loc)
		}
		d.Rows = append(d.Rows, row)
	}
	detail := fmt.Sprintf("%d results, page %d", total, page)
	if f.Q != "" || f.Tag != "" {
		detail += ", with a search text"
	}
	if err := h.staffAudit(e.App, e, "guest.list_viewed", "guests", detail); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.GuestsPage(d))
}

// searchText is what a search field sent, trimmed and at most 200 bytes (at a character's
// boundary), control characters left out: they cannot be in what is searched for.
func searchText(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "")))
	for len(s) > 200 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
