package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// Booking is one booking: a place at a time (or a session) for a party, and who holds it.
type Booking struct {
	ID             string         `db:"id"`
	Reference      string         `db:"reference"`
	Offering       string         `db:"offering"`
	Session        string         `db:"session"`
	Start          types.DateTime `db:"start"`
	End            types.DateTime `db:"end"`
	Party          int            `db:"party"`
	Status         booking.Status `db:"status"`
	Name           string         `db:"name"`
	Email          string         `db:"email"`
	Phone          string         `db:"phone"`
	Notes          string         `db:"notes"`
	InternalNotes  string         `db:"internal_notes"`
	SensitiveNotes string         `db:"sensitive_notes"` // NB! sealed (OpenSensitive)
	Source         Source         `db:"source"`
	ConsentAt      types.DateTime `db:"consent_at"`
	NoticeVersion  int            `db:"notice_version"`
	Customer       string         `db:"customer"`
	Sequence       int            `db:"sequence"` // iCalendar SEQUENCE: bumped on each change
	CancelledAt    types.DateTime `db:"cancelled_at"`
	CancelReason   string         `db:"cancel_reason"` // "guest" when the guest cancelled
	OverrideReason string         `db:"override_reason"`
	RemindedAt     types.DateTime `db:"reminded_at"`
	FeedbackAt     types.DateTime `db:"feedback_at"`
	CheckedInAt    types.DateTime `db:"checked_in_at"`
	Anonymised     bool           `db:"anonymised"`
	Locale         string         `db:"locale"`    // the guest's language: its mails are in it ("": the venue's)
	Resources      string         `db:"resources"` // the resources it holds, space-separated ids ("": none)
	SMS            bool           `db:"sms"`       // the guest asked for texts (Phone is then a checked number)
	Created        types.DateTime `db:"created"`
	Updated        types.DateTime `db:"updated"`
}

// CancelledByGuest is the cancel reason of a booking its guest cancelled.
const CancelledByGuest = "guest"

// ByVenue reports whether the venue cancelled the booking (it then carries the venue's reason).
func (b *Booking) ByVenue() bool { return b.CancelReason != "" && b.CancelReason != CancelledByGuest }

// placeStatuses is the SQL list of the statuses that hold a place.
var placeStatuses = sqlList(booking.StatusConfirmed, booking.StatusCheckedIn, booking.StatusHeld)

// activeStatuses is the SQL list of the statuses of a visit that stands.
var activeStatuses = sqlList(booking.StatusConfirmed, booking.StatusCheckedIn)

// sqlList is values as an SQL list of string literals: ('a', 'b'). Only for constants.
func sqlList[T ~string](values ...T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = "'" + strings.ReplaceAll(string(v), "'", "''") + "'"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// BookingByID returns a booking; sql.ErrNoRows when there is none.
func BookingByID(app core.App, id string) (*Booking, error) {
	if id == "" {
		return nil, sql.ErrNoRows
	}
	var b Booking
	if err := app.DB().NewQuery("SELECT * FROM bookings WHERE id = {:id} LIMIT 1").Bind(dbx.Params{"id": id}).One(&b); err != nil {
		return nil, errNotFound(err)
	}
	return &b, nil
}

// BookingByToken returns the booking a manage token opens; sql.ErrNoRows for malformed and
// unknown tokens alike.
func BookingByToken(app core.App, token string) (*Booking, error) {
	id, err := BookingIDByToken(app, token)
	if err != nil {
		return nil, err
	}
	b, err := BookingByID(app, id)
	if err != nil {
		return nil, fmt.Errorf("booking %s: %w", id, err)
	}
	return b, nil
}

// Guest is a named member of a party, with their own consent.
type Guest struct {
	Name    string
	Consent bool
}

// NewBooking is a booking to insert: the place the rules accepted and who holds it.
type NewBooking struct {
	Offering string
	Slot     booking.Slot
	Party    int
	// Status is confirmed, or held for a waitlist offer (then no customer is recorded).
	Status                    booking.Status
	Name, Email, Phone, Notes string
	Sensitive                 string // plain text; sealed here (needs RESERVA_ENCRYPTION_KEY)
	Guests                    []Guest
	Source                    Source
	Override                  string // why staff booked past the capacity
	ConsentAt                 time.Time
	NoticeVersion             int
	NoticeText                string // the notice consented to, kept word for word once per version
	RemindedAt                time.Time
	// Token asks for a manage token ("web"): the link the visitor is sent to.
	Token bool
	// Locale is the language the guest booked in, which every mail about the booking is
	// written in ("" for the venue's).
	Locale string
	// SMS records that the guest asked for text messages (Phone is a checked number).
	SMS bool
	// AwaitsPayment marks a place held (Status held) until the guest pays: the guest's consents
	// are kept now, their customer row when it is paid (ConfirmPaid).
	AwaitsPayment bool
	Now           time.Time
}

// Inserted is what InsertBooking wrote.
type Inserted struct {
	ID, Reference string
	Token         string // the manage token, when asked for
}

// InsertBooking writes a booking for the place the rules accepted, in plain SQL: the guest's
// customer row (created or refreshed), the booking, the privacy notice consented to, the named
// guests and, when asked, a manage token. Call it inside the transaction that checked capacity.
func InsertBooking(tx core.App, nb NewBooking) (Inserted, error) {
	var in Inserted
	db := tx.DB()
	customer := ""
	if nb.Status != booking.StatusHeld && nb.Email != "" {
		var err error
		if customer, err = UpsertCustomer(tx, nb.Name, nb.Email, nb.Phone, nb.Now); err != nil {
			return in, err
		}
	}
	sealed := ""
	if nb.Sensitive != "" {
		var err error
		if sealed, err = SealSensitive(nb.Sensitive); err != nil {
			return in, fmt.Errorf("book: seal the sensitive note: %w", err)
		}
	}
	in.ID = newID()
	// Made at the handler's clock (the wall clock, or a test's): the reminder rule compares it
	// with the start (DueForReminder).
	now := stamp()
	if !nb.Now.IsZero() {
		now = DBTime(nb.Now)
	}
	params := dbx.Params{"id": in.ID, "offering": nb.Offering, "session": nb.Slot.Session, "start": DBTime(nb.Slot.Start),
		"end": DBTime(nb.Slot.End), "party": nb.Party, "status": string(nb.Status), "name": nb.Name, "email": nb.Email,
		"phone": nb.Phone, "notes": nb.Notes, "sensitive": sealed, "source": string(nb.Source), "consent": DBTime(nb.ConsentAt),
		"notice": nb.NoticeVersion, "customer": customer, "reminded": DBTime(nb.RemindedAt), "override": nb.Override, "locale": nb.Locale, "resources": strings.Join(nb.Slot.Resources, " "), "sms": nb.SMS, "now": now}
	insert := db.NewQuery(`INSERT INTO bookings (id, reference, offering, session, start, "end", party, status, name, email,
		phone, notes, sensitive_notes, source, consent_at, notice_version, customer, reminded_at, override_reason, locale, resources, sms, created, updated)
		VALUES ({:id}, {:ref}, {:offering}, {:session}, {:start}, {:end}, {:party}, {:status}, {:name}, {:email},
		{:phone}, {:notes}, {:sensitive}, {:source}, {:consent}, {:notice}, {:customer}, {:reminded}, {:override}, {:locale}, {:resources}, {:sms}, {:now}, {:now})`)
	for try := 0; ; try++ {
		in.Reference = newReference()
		params["ref"] = in.Reference
		_, err := insert.Bind(params).Execute()
		if err == nil {
			break
		}
		// A reference drawn twice fails only this statement; draw again.
		if !strings.Contains(err.Error(), "bookings.reference") || try == 9 {
			return in, fmt.Errorf("book: save booking: %w", err)
		}
	}
	if nb.Status != booking.StatusHeld || nb.AwaitsPayment {
		if err := keepConsents(tx, in.ID, nb); err != nil {
			return in, err
		}
	}
	if nb.Token {
		t, err := IssueBookingToken(tx, in.ID, purposeWeb)
		if err != nil {
			return in, err
		}
		in.Token = t
	}
	return in, nil
}

// keepConsents keeps, in the booking's transaction, the notice version its consents were given
// to (word for word, the first time anyone consents to it) and each named guest with their own
// consent.
func keepConsents(tx core.App, bookingID string, nb NewBooking) error {
	db := tx.DB()
	_, err := db.NewQuery(`INSERT OR IGNORE INTO privacy_notices (id, version, text, created) VALUES ({:id}, {:v}, {:text}, {:now})`).
		Bind(dbx.Params{"id": newID(), "v": nb.NoticeVersion, "text": nb.NoticeText, "now": stamp()}).Execute()
	if err != nil {
		return fmt.Errorf("book: keep the notice: %w", err)
	}
	for _, g := range nb.Guests {
		if g.Name == "" {
			continue
		}
		_, err := db.NewQuery(`INSERT INTO participants (id, booking, name, consent_at, notice_version, created)
			VALUES ({:id}, {:b}, {:name}, {:consent}, {:v}, {:now})`).
			Bind(dbx.Params{"id": newID(), "b": bookingID, "name": g.Name, "consent": DBTime(nb.ConsentAt),
				"v": nb.NoticeVersion, "now": stamp()}).Execute()
		if err != nil {
			return fmt.Errorf("book: save a guest: %w", err)
		}
	}
	return nil
}

// UpsertCustomer finds the customer by e-mail address (case-insensitively) or creates one,
// records the latest name, phone (when given) and activity, and returns the customer's id.
func UpsertCustomer(tx core.App, name, email, phone string, now time.Time) (string, error) {
	var id string
	err := tx.DB().NewQuery(`INSERT INTO customers (id, email, name, phone, last_activity, created, updated)
		VALUES ({:id}, {:email}, {:name}, {:phone}, {:at}, {:now}, {:now})
		ON CONFLICT (email) DO UPDATE SET name = excluded.name,
			phone = CASE WHEN excluded.phone != '' THEN excluded.phone ELSE customers.phone END,
			last_activity = excluded.last_activity, updated = excluded.updated
		RETURNING id`).
		Bind(dbx.Params{"id": newID(), "email": strings.ToLower(email), "name": name, "phone": phone,
			"at": DBTime(now), "now": stamp()}).Row(&id)
	if err != nil {
		return "", fmt.Errorf("book: save customer: %w", err)
	}
	return id, nil
}

// updateBooking sets cols of booking id (and its updated time); sql.ErrNoRows when there is no
// such booking.
func updateBooking(tx core.App, id string, cols dbx.Params) error {
	cols["updated"] = stamp()
	res, err := tx.DB().Update(colBookings, cols, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("booking %s: update: %w", id, err)
	}
	if rowsAffected(res) == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// CancelBooking cancels booking b at now for reason (CancelledByGuest, or the venue's words
// the guest is told). The calendar file's sequence moves on.
func CancelBooking(tx core.App, b *Booking, reason string, now time.Time) error {
	b.Status, b.CancelReason, b.Sequence = booking.StatusCancelled, reason, b.Sequence+1
	b.CancelledAt, _ = types.ParseDateTime(now)
	return updateBooking(tx, b.ID, dbx.Params{"status": string(b.Status), "cancelled_at": DBTime(now),
		"cancel_reason": reason, "sequence": b.Sequence})
}

// MoveBooking moves booking b to slot for party, with the reminder mark the venue gives it.
func MoveBooking(tx core.App, b *Booking, slot booking.Slot, party int, remindedAt time.Time) error {
	b.Start, _ = types.ParseDateTime(slot.Start)
	b.End, _ = types.ParseDateTime(slot.End)
	b.Session, b.Party, b.Sequence = slot.Session, party, b.Sequence+1
	b.RemindedAt, _ = types.ParseDateTime(remindedAt)
	b.Resources = strings.Join(slot.Resources, " ")
	return updateBooking(tx, b.ID, dbx.Params{"start": DBTime(slot.Start), "end": DBTime(slot.End), "session": slot.Session,
		"party": party, "sequence": b.Sequence, "reminded_at": DBTime(remindedAt), "resources": b.Resources})
}

// SetBookingStatus moves booking b to status (checking in stamps the time).
func SetBookingStatus(tx core.App, b *Booking, status booking.Status, now time.Time) error {
	cols := dbx.Params{"status": string(status)}
	if status == booking.StatusCheckedIn {
		cols["checked_in_at"] = DBTime(now)
	}
	b.Status = status
	return updateBooking(tx, b.ID, cols)
}

// Contact is what staff may correct of a booking: the guest's details and the notes.
type Contact struct {
	Name, Email, Phone, Notes, InternalNotes string
}

// Contact is the booking's contact details as they stand.
func (b *Booking) Contact() Contact {
	return Contact{Name: b.Name, Email: b.Email, Phone: b.Phone, Notes: b.Notes, InternalNotes: b.InternalNotes}
}

// EditContact writes c to booking id and returns the names of the fields that changed (none:
// nothing is written).
func EditContact(tx core.App, b *Booking, c Contact) ([]string, error) {
	cols := dbx.Params{}
	for _, f := range []struct {
		col      string
		old, new string
	}{{"email", b.Email, c.Email}, {"internal_notes", b.InternalNotes, c.InternalNotes}, {"name", b.Name, c.Name},
		{"notes", b.Notes, c.Notes}, {"phone", b.Phone, c.Phone}} {
		if f.old != f.new {
			cols[f.col] = f.new
		}
	}
	changed := make([]string, 0, len(cols))
	for _, c := range []string{"email", "internal_notes", "name", "notes", "phone"} {
		if _, ok := cols[c]; ok {
			changed = append(changed, c)
		}
	}
	if len(cols) == 0 {
		return nil, nil
	}
	return changed, updateBooking(tx, b.ID, cols)
}

// ConfirmHold turns a place held for a waitlist offer into a confirmed booking of its guest:
// their customer row, the notice they consented to, a manage token ("web"), returned.
func ConfirmHold(tx core.App, b *Booking, noticeText string, remindedAt, now time.Time) (string, error) {
	customer, err := UpsertCustomer(tx, b.Name, b.Email, b.Phone, now)
	if err != nil {
		return "", err
	}
	if err := updateBooking(tx, b.ID, dbx.Params{"status": string(booking.StatusConfirmed), "customer": customer,
		"reminded_at": DBTime(remindedAt)}); err != nil {
		return "", err
	}
	b.Status, b.Customer = booking.StatusConfirmed, customer
	if err := keepConsents(tx, b.ID, NewBooking{NoticeVersion: b.NoticeVersion, NoticeText: noticeText, ConsentAt: b.ConsentAt.Time()}); err != nil {
		return "", err
	}
	return IssueBookingToken(tx, b.ID, purposeWeb)
}

// ReleaseHold deletes the place held as booking id for a waitlist offer (only while it is held).
func ReleaseHold(tx core.App, id string) error {
	_, err := tx.DB().Delete(colBookings, dbx.HashExp{"id": id, "status": string(booking.StatusHeld)}).Execute()
	if err != nil {
		return fmt.Errorf("waitlist: release: %w", err)
	}
	return nil
}

// WebBookingsSince counts the bookings made on the booking site with email (any case) since
// since: the per-address daily cap.
func WebBookingsSince(tx core.App, email string, since time.Time) (int, error) {
	var n int
	err := tx.DB().NewQuery(`SELECT count(*) FROM bookings b JOIN customers c ON c.id = b.customer
		WHERE c.email = {:email} AND b.created >= {:since} AND b.source = {:web}`).
		Bind(dbx.Params{"email": strings.ToLower(email), "since": DBTime(since), "web": string(SourceWeb)}).Row(&n)
	if err != nil {
		return 0, fmt.Errorf("book: daily cap: %w", err)
	}
	return n, nil
}

// GuestNames lists the named guests of a booking, in the order given.
func GuestNames(app core.App, bookingID string) ([]string, error) {
	var names []string
	err := app.DB().NewQuery("SELECT name FROM participants WHERE booking = {:b} ORDER BY created").
		Bind(dbx.Params{"b": bookingID}).Column(&names)
	return names, err
}

// SessionBookings lists the confirmed bookings of a session.
func SessionBookings(tx core.App, session string) ([]*Booking, error) {
	var out []*Booking
	err := tx.DB().NewQuery("SELECT * FROM bookings WHERE session = {:s} AND session != '' AND status = {:c}").
		Bind(dbx.Params{"s": session, "c": string(booking.StatusConfirmed)}).All(&out)
	return out, err
}

// CancelSession marks a session cancelled for reason: it is no longer offered.
func CancelSession(tx core.App, id, reason string) error {
	_, err := tx.DB().Update(colSessions, dbx.Params{"cancelled": true, "cancel_reason": reason, "updated": stamp()}, hashExp("id", id)).Execute()
	return err
}

// Bookings lists the bookings of the ids (in no particular order).
func Bookings(app core.App, ids []string) ([]*Booking, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []*Booking
	err := app.DB().Select("*").From(colBookings).Where(dbx.In("id", anys(ids)...)).All(&out)
	return out, err
}

// isNoRows reports whether err means absence.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// DueForReminder lists up to limit ids of confirmed bookings with an address and no reminder
// yet that start in (now, now+lead], leaving out those made after their reminder time (less
// than lead before their start): their confirmation is fresh. That matters when the venue raises
// its reminder hours, which puts bookings made a moment ago inside the new window.
func DueForReminder(app core.App, now time.Time, lead time.Duration, limit int) ([]string, error) {
	var ids []string
	err := app.DB().NewQuery(`SELECT id FROM bookings WHERE status = {:c} AND email != '' AND reminded_at = ''
		AND start > {:now} AND start <= {:until} AND julianday(created) <= julianday(start) - {:days}
		ORDER BY start LIMIT {:n}`).
		Bind(dbx.Params{"c": string(booking.StatusConfirmed), "now": DBTime(now), "until": DBTime(now.Add(lead)),
			"days": lead.Hours() / 24, "n": limit}).Column(&ids)
	return ids, err
}

// DueForFeedback lists up to limit ids of attended bookings with an address and no feedback
// request yet that ended in (since, until].
func DueForFeedback(app core.App, since, until time.Time, limit int) ([]string, error) {
	var ids []string
	err := app.DB().NewQuery(`SELECT id FROM bookings WHERE status IN ` + sqlList(booking.StatusConfirmed, booking.StatusCheckedIn, booking.StatusCompleted) + `
		AND email != '' AND feedback_at = '' AND "end" <= {:until} AND "end" > {:since} ORDER BY start LIMIT {:n}`).
		Bind(dbx.Params{"since": DBTime(since), "until": DBTime(until), "n": limit}).Column(&ids)
	return ids, err
}

// MarkReminded records that b's reminder was queued at now.
func MarkReminded(tx core.App, b *Booking, now time.Time) error {
	return updateBooking(tx, b.ID, dbx.Params{"reminded_at": DBTime(now)})
}

// MarkFeedbackAsked records that b's feedback request was queued at now.
func MarkFeedbackAsked(tx core.App, b *Booking, now time.Time) error {
	return updateBooking(tx, b.ID, dbx.Params{"feedback_at": DBTime(now)})
}
