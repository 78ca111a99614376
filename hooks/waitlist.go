package hooks

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/views"
)

// Waitlists. A visitor who meets a full time joins its waitlist. When a place frees up (a
// cancellation, a change, more capacity, an offer declined or run out) the first entries that
// fit, in the order they joined, are offered it: the place is held for them as a booking with
// status "held", which counts against capacity like any other, so the same place is never
// offered twice and the check and the hold share one transaction. Accepting turns the hold into
// a confirmed booking; an offer not taken in time is released to the next.

// defaultOfferMinutes is how long an offer holds its place unless the venue sets another time.
const defaultOfferMinutes = 30

// waitlistKeep is how long a closed entry (booked, expired, declined, left) is kept: its
// personal data then goes.
const waitlistKeep = 24 * time.Hour

// offerTTL is how long an offer of the venue holds its place.
func (v *venue) offerTTL() time.Duration {
	if m := v.rec.GetInt("waitlist_offer_minutes"); m > 0 {
		return time.Duration(m) * time.Minute
	}
	return defaultOfferMinutes * time.Minute
}

// waitlist is the waitlist's moving part: kick wakes the worker that offers freed places.
type waitlist struct {
	kick chan struct{}
}

// bindWaitlist wakes the waitlist worker after every committed change that may free a place.
func (h *handlers) bindWaitlist(app core.App) {
	h.waitlist.kick = make(chan struct{}, 1)
	wake := func(e *core.RecordEvent) error {
		select {
		case h.waitlist.kick <- struct{}{}:
		default: // a run is already due
		}
		return e.Next()
	}
	app.OnRecordAfterUpdateSuccess("bookings", "offerings", "sessions", "closures", "opening_hours").BindFunc(wake)
	app.OnRecordAfterDeleteSuccess("bookings", "closures").BindFunc(wake)
}

// startWaitlistWorker runs the waitlist whenever it is woken (under serve only).
func (h *handlers) startWaitlistWorker(app core.App, stop <-chan struct{}) {
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-h.waitlist.kick:
				h.runWaitlist(app)
			}
		}
	}()
}

// runWaitlist processes the waitlist now and logs what it did.
func (h *handlers) runWaitlist(app core.App) {
	res, err := h.processWaitlist(app, h.now())
	if err != nil {
		app.Logger().Error("waitlist", "error", err.Error())
		return
	}
	if res != (waitlistResult{}) {
		app.Logger().Info("waitlist", "offered", res.Offered, "expired", res.Expired, "deleted", res.Deleted)
	}
}

// waitlistResult counts what one run of the waitlist did.
type waitlistResult struct{ Offered, Expired, Deleted int }

// waitlistRow is an entry as the worker reads it.
type waitlistRow struct {
	ID           string `db:"id"`
	Offering     string `db:"offering"`
	StartValue   string `db:"start_value"`
	Start        string `db:"start"`
	Party        int    `db:"party"`
	Status       string `db:"status"`
	Booking      string `db:"booking"`
	OfferExpires string `db:"offer_expires"`
}

// processWaitlist, in one write transaction: releases the offers that ran out and the entries
// whose time has passed, offers the freed places to the first entries that fit, and deletes
// entries closed more than a day ago.
func (h *handlers) processWaitlist(app core.App, now time.Time) (waitlistResult, error) {
	var res waitlistResult
	v, err := h.venue(app)
	if errors.Is(err, errNoVenue) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	err = app.RunInTransaction(func(tx core.App) error {
		res = waitlistResult{}
		var expired []waitlistRow
		if err := tx.DB().NewQuery(`SELECT id, offering, start_value, start, party, status, booking, offer_expires FROM waitlist
			WHERE (status = 'offered' AND offer_expires <= {:now}) OR (status IN ('waiting', 'offered') AND start <= {:now})`).
			Bind(dbx.Params{"now": dbTime(now)}).All(&expired); err != nil {
			return err
		}
		for _, w := range expired {
			if err := closeEntry(tx, w, "expired", now); err != nil {
				return err
			}
			res.Expired++
		}
		var waiting []waitlistRow
		if err := tx.DB().NewQuery(`SELECT id, offering, start_value, start, party, status, booking, offer_expires FROM waitlist
			WHERE status = 'waiting' ORDER BY created, rowid LIMIT 1000`).All(&waiting); err != nil {
			return err
		}
		offerings := map[string]*core.Record{}
		for _, w := range waiting {
			off, ok := offerings[w.Offering]
			if !ok {
				if off, err = tx.FindRecordById("offerings", w.Offering); err != nil {
					return err
				}
				offerings[w.Offering] = off
			}
			offered, err := h.offer(tx, v, off, w, now)
			if err != nil {
				return err
			}
			if offered {
				res.Offered++
			}
		}
		del, err := tx.DB().Delete("waitlist", dbx.NewExp("status IN ('booked', 'expired', 'declined', 'left') AND closed_at < {:before}",
			dbx.Params{"before": dbTime(now.Add(-waitlistKeep))})).Execute()
		if err != nil {
			return err
		}
		n, _ := del.RowsAffected()
		walkins, err := deleteOldWalkins(tx, v, now)
		if err != nil {
			return err
		}
		res.Deleted = int(n + walkins)
		return nil
	})
	if res.Expired > 0 {
		h.cache.version.Add(1) // released holds were deleted by plain SQL: no record hook saw them
	}
	return res, err
}

// offer offers w a place if one fits now: a held booking, the entry offered, the offer mailed
// with a fresh link. An entry whose time can no longer be booked at all (closed, too soon) is
// expired; a full time leaves it waiting.
func (h *handlers) offer(tx core.App, v *venue, off *core.Record, w waitlistRow, now time.Time) (bool, error) {
	r := rules(off)
	date, err := h.startDate(tx, v, off, w.StartValue)
	if err != nil {
		return false, closeEntry(tx, w, "expired", now)
	}
	cal, err := loadCalendar(tx, off, date, v.loc, "")
	if err != nil {
		return false, err
	}
	slot, err := r.Check(cal.Calendar, booking.Request{Start: w.StartValue, Party: w.Party}, now, v.loc)
	if errors.Is(err, booking.ErrFull) {
		return false, nil
	}
	if err != nil {
		return false, closeEntry(tx, w, "expired", now)
	}
	entry, err := tx.FindRecordById("waitlist", w.ID)
	if err != nil {
		return false, err
	}
	ref, err := uniqueReference(tx)
	if err != nil {
		return false, err
	}
	col, err := tx.FindCachedCollectionByNameOrId("bookings")
	if err != nil {
		return false, err
	}
	hold := core.NewRecord(col)
	hold.Load(map[string]any{"reference": ref, "offering": off.Id, "session": slot.Session, "start": slot.Start.UTC(),
		"end": slot.End.UTC(), "party": w.Party, "status": "held", "name": entry.GetString("name"), "email": entry.GetString("email"),
		"phone": entry.GetString("phone"), "source": "web", "consent_at": entry.GetDateTime("consent_at"),
		"notice_version": entry.GetInt("notice_version")})
	if err := tx.Save(hold); err != nil {
		return false, fmt.Errorf("waitlist: hold: %w", err)
	}
	token, hash := newToken()
	expires := now.Add(v.offerTTL())
	entry.Load(map[string]any{"status": "offered", "booking": hold.Id, "offered_at": now.UTC(), "offer_expires": expires.UTC(),
		"offer_token_hash": hash})
	if err := tx.Save(entry); err != nil {
		return false, fmt.Errorf("waitlist: offer: %w", err)
	}
	l, b := v.locale, bookingView(v, off, hold)
	when := l.Date(b.Start) + " " + l.Time(b.Start)
	if err := h.enqueue(tx, outMail{kind: "waitlist_offer", to: entry.GetString("email"), toName: entry.GetString("name"),
		subject: l.T("mail.subject.waitlist_offer", off.GetString("name"), when),
		text: l.T("mail.waitlist_offer", v.rec.GetString("name"), off.GetString("name"), when, l.T("party.count", w.Party),
			h.absURL("/w/"+token), l.Time(expires.In(v.loc)))}); err != nil {
		return false, err
	}
	return true, audit(tx, "", actorSystem, "waitlist.offered", "waitlist/"+w.ID, "bookings/"+hold.Id)
}

// closeEntry ends an entry with status, releasing its held place if it has one.
func closeEntry(tx core.App, w waitlistRow, status string, now time.Time) error {
	if w.Status == "offered" && w.Booking != "" {
		if _, err := tx.DB().Delete("bookings", dbx.HashExp{"id": w.Booking, "status": "held"}).Execute(); err != nil {
			return fmt.Errorf("waitlist: release: %w", err)
		}
	}
	_, err := tx.DB().Update("waitlist", dbx.Params{"status": status, "closed_at": dbTime(now)}, dbx.HashExp{"id": w.ID}).Execute()
	return err
}

// waitlistPage (GET /waitlist/{slug}?date=&party=&start=) is the form to join a full time's
// waitlist.
func (h *handlers) waitlistPage(e *core.RequestEvent) error {
	v, off, t, party, err := h.fullTime(e, e.Request.URL.Query().Get("start"), e.Request.URL.Query().Get("party"))
	if err != nil {
		return err
	}
	return render(e, http.StatusOK, views.WaitlistJoinPage(views.WaitlistJoinData{Page: v.page(views.M("title.waitlist")),
		Offering: offeringView(off), Time: *t, Party: party, Form: views.BookForm{}}))
}

// fullTime finds the time start of the route's offering for party and requires it to be full:
// a time with room answers 409 (book it instead), an unknown one 404.
func (h *handlers) fullTime(e *core.RequestEvent, start, partyStr string) (*venue, *core.Record, *views.TimeOption, int, error) {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	off, err := findOffering(e.App, e.Request.PathValue("slug"))
	if err != nil {
		return nil, nil, nil, 0, notFound(err)
	}
	now := h.now()
	date, err := h.startDate(e.App, v, off, strings.TrimSpace(start))
	if err != nil {
		return nil, nil, nil, 0, notFound(err)
	}
	sel, err := h.selection(e.App, v, off, date.String(), partyStr, now)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	d, err := h.bookData(e.App, v, off, sel, now)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	t := findTime(d.Times, strings.TrimSpace(start))
	if t == nil {
		return nil, nil, nil, 0, notFound(fmt.Errorf("waitlist: no time %q", start))
	}
	if !t.Full {
		return nil, nil, nil, 0, &pageError{status: http.StatusConflict, heading: "waitlist.has_room", body: "waitlist.has_room_body"}
	}
	return v, off, t, sel.party, nil
}

// waitlistJoin (POST /waitlist/{slug}) puts the visitor on a full time's waitlist: the same
// fields, rules and consent as a booking.
func (h *handlers) waitlistJoin(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	v, off, t, party, err := h.fullTime(e, f.Get("start"), f.Get("party"))
	if err != nil {
		return err
	}
	in, errs := parseBookForm(f)
	in.form.Notes, in.form.Sensitive, in.form.Guests = "", "", nil
	for k := range errs {
		if k != "name" && k != "email" && k != "phone" && k != "consent" && k != "party" {
			delete(errs, k)
		}
	}
	if len(errs) > 0 {
		return render(e, http.StatusUnprocessableEntity, views.WaitlistJoinPage(views.WaitlistJoinData{Page: v.page(views.M("title.waitlist")),
			Offering: offeringView(off), Time: *t, Party: party, Form: in.form, Errors: errs}))
	}
	now := h.now()
	token, hash := newToken()
	err = e.App.RunInTransaction(func(tx core.App) error {
		col, err := tx.FindCachedCollectionByNameOrId("waitlist")
		if err != nil {
			return err
		}
		rec := core.NewRecord(col)
		session := ""
		if rules(off).Kind == booking.KindSession {
			session = t.Value
		}
		rec.Load(map[string]any{"offering": off.Id, "session": session, "start_value": t.Value, "start": t.Start.UTC(),
			"party": party, "name": in.form.Name, "email": strings.ToLower(in.form.Email), "phone": in.form.Phone,
			"consent_at": now.UTC(), "notice_version": v.noticeVersion(), "status": "waiting", "token_hash": hash})
		if err := tx.Save(rec); err != nil {
			return err
		}
		l := v.locale
		when := l.Date(t.Start) + " " + l.Time(t.Start)
		if err := h.enqueue(tx, outMail{kind: "waitlist", to: rec.GetString("email"), toName: in.form.Name,
			subject: l.T("mail.subject.waitlist", off.GetString("name"), when),
			text: l.T("mail.waitlist", v.rec.GetString("name"), off.GetString("name"), when, l.T("party.count", party),
				h.absURL("/w/"+token))}); err != nil {
			return err
		}
		return audit(tx, reqID(e), actorVisitor, "waitlist.joined", "waitlist/"+rec.Id, "")
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/w/"+token+"?m=joined")
}

// findEntry finds the waitlist entry of a link token (the join link or the offer link).
func findEntry(app core.App, token string) (*core.Record, error) {
	if !wellFormedToken(token) {
		return nil, notFound(errors.New("waitlist: malformed token"))
	}
	hash := hashToken(token)
	rec, err := app.FindFirstRecordByFilter("waitlist", "token_hash = {:h} || offer_token_hash = {:h}", dbx.Params{"h": hash})
	if err != nil {
		return nil, notFound(err)
	}
	return rec, nil
}

// waitlistEntry (GET /w/{token}) shows the entry: its place in the queue, or the offer with its
// deadline, and what the visitor can do.
func (h *handlers) waitlistEntry(e *core.RequestEvent) error {
	return h.renderEntry(e, http.StatusOK, views.Msg{})
}

func (h *handlers) renderEntry(e *core.RequestEvent, status int, problem views.Msg) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	rec, err := findEntry(e.App, token)
	if err != nil {
		return err
	}
	off, err := e.App.FindRecordById("offerings", rec.GetString("offering"))
	if err != nil {
		return err
	}
	d := views.WaitlistEntryData{Page: v.page(views.M("title.waitlist")), Base: "/w/" + token, Offering: off.GetString("name"),
		Start: rec.GetDateTime("start").Time().In(v.loc), Party: rec.GetInt("party"), Status: rec.GetString("status"),
		Expires: rec.GetDateTime("offer_expires").Time().In(v.loc), Problem: problem}
	if d.Status == "waiting" {
		_ = e.App.DB().Select("count(*)").From("waitlist").Where(dbx.HashExp{"status": "waiting", "offering": rec.GetString("offering"),
			"start": rec.GetString("start")}).AndWhere(dbx.NewExp("created < {:c} OR (created = {:c} AND rowid <= (SELECT rowid FROM waitlist WHERE id = {:id}))",
			dbx.Params{"c": rec.GetString("created"), "id": rec.Id})).Row(&d.Position)
	}
	switch e.Request.URL.Query().Get("m") {
	case "joined":
		d.Notice = views.M("waitlist.joined")
	case "left":
		d.Notice = views.M("waitlist.left_done")
	}
	return render(e, status, views.WaitlistEntryPage(d))
}

// waitlistAccept (POST /w/{token}/accept) books the held place: the hold becomes a confirmed
// booking with its manage link and confirmation mail, in one transaction. An offer that ran
// out or was never made answers 409.
func (h *handlers) waitlistAccept(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token := e.Request.PathValue("token")
	now := h.now()
	var manage string
	err = e.App.RunInTransaction(func(tx core.App) error {
		entry, err := findEntry(tx, token)
		if err != nil {
			return err
		}
		if entry.GetString("status") != "offered" || !now.Before(entry.GetDateTime("offer_expires").Time()) {
			return errNotActive
		}
		hold, err := tx.FindRecordById("bookings", entry.GetString("booking"))
		if err != nil || hold.GetString("status") != "held" {
			return errNotActive
		}
		off, err := bookingOffering(tx, hold)
		if err != nil {
			return err
		}
		cust, err := upsertCustomer(tx, views.BookForm{Name: hold.GetString("name"), Email: hold.GetString("email"),
			Phone: hold.GetString("phone")}, now)
		if err != nil {
			return err
		}
		hold.Set("status", "confirmed")
		hold.Set("customer", cust.Id)
		markReminder(v, hold, now)
		if err := tx.Save(hold); err != nil {
			return err
		}
		if err := recordConsents(tx, v, hold, nil, now); err != nil {
			return err
		}
		if manage, err = issueToken(tx, hold.Id, "web"); err != nil {
			return err
		}
		if _, err := tx.DB().Update("waitlist", dbx.Params{"status": "booked", "closed_at": dbTime(now)},
			dbx.HashExp{"id": entry.Id}).Execute(); err != nil {
			return err
		}
		if err := audit(tx, reqID(e), actorVisitor, "waitlist.accepted", "waitlist/"+entry.Id, "bookings/"+hold.Id); err != nil {
			return err
		}
		return h.bookingMail(tx, v, off, hold, views.MailConfirmation, "")
	})
	if errors.Is(err, errNotActive) {
		return h.renderEntry(e, http.StatusConflict, views.M("waitlist.offer_gone"))
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/b/"+manage+"?m=booked")
}

// waitlistLeave (POST /w/{token}/leave, also "decline" of an offer) takes the visitor off the
// waitlist; a held place goes to the next entry.
func (h *handlers) waitlistLeave(e *core.RequestEvent) error {
	token := e.Request.PathValue("token")
	now := h.now()
	err := e.App.RunInTransaction(func(tx core.App) error {
		entry, err := findEntry(tx, token)
		if err != nil {
			return err
		}
		w := waitlistRow{ID: entry.Id, Status: entry.GetString("status"), Booking: entry.GetString("booking")}
		switch w.Status {
		case "waiting":
			return closeEntry(tx, w, "left", now)
		case "offered":
			return closeEntry(tx, w, "declined", now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	h.cache.version.Add(1)
	h.runWaitlist(e.App) // the released place goes on at once
	return e.Redirect(http.StatusSeeOther, "/w/"+token+"?m=left")
}

// waitlistAdmin (GET /admin/waitlist?date=, front desk) lists a day's waitlists per offering and
// time: who waits in which order, the offers out, and how many offers became bookings.
func (h *handlers) waitlistAdmin(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	now := h.now()
	date := v.today(now)
	if s := e.Request.URL.Query().Get("date"); s != "" {
		if date, err = booking.ParseDate(s); err != nil {
			return badRequest(err)
		}
	}
	from, to := midnight(date, v.loc), midnight(date.AddDays(1), v.loc)
	var rows []struct {
		ID, Offering, Name, Email, Phone, Status string
		Start                                    string `db:"start"`
		Party                                    int
		OfferExpires                             string `db:"offer_expires"`
	}
	err = e.App.DB().NewQuery(`SELECT w.id, o.name AS offering, w.name, w.email, w.phone, w.status, w.start, w.party, w.offer_expires
		FROM waitlist w JOIN offerings o ON o.id = w.offering WHERE w.start >= {:from} AND w.start < {:to}
		ORDER BY o.sort, o.name, w.start, w.created, w.rowid`).Bind(dbx.Params{"from": dbTime(from), "to": dbTime(to)}).All(&rows)
	if err != nil {
		return err
	}
	d := views.WaitlistAdminData{AdminPage: h.adminPage(e, views.M("admin.nav.waitlist")), Date: date.String()}
	pos := map[string]int{}
	for _, r := range rows {
		start, _ := time.Parse("2006-01-02 15:04:05.000Z", r.Start)
		row := views.WaitlistAdminRow{Offering: r.Offering, Start: start.In(v.loc), Name: r.Name, Email: r.Email, Phone: r.Phone,
			Party: r.Party, Status: r.Status}
		if r.Status == "waiting" {
			key := r.Offering + r.Start
			pos[key]++
			row.Position = pos[key]
		}
		if t, err := time.Parse("2006-01-02 15:04:05.000Z", r.OfferExpires); err == nil {
			row.Expires = t.In(v.loc)
		}
		switch r.Status {
		case "offered":
			d.Offers++
		case "booked":
			d.Booked++
		}
		if r.Status != "waiting" {
			d.Closed++
		}
		d.Rows = append(d.Rows, row)
	}
	if err := h.staffAudit(e.App, e, "waitlist.viewed", "waitlist", date.String()); err != nil {
		return err
	}
	return render(e, http.StatusOK, views.WaitlistAdminPage(d))
}
