package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"reserva/internal/booking"
)

// Offering is something that can be booked: a slot offering (capacity shared over time) or a
// session offering (seats at dated sessions). Durations are whole minutes; Horizon is days.
type Offering struct {
	ID              string       `db:"id"`
	Name            string       `db:"name"`
	Slug            string       `db:"slug"`
	Description     string       `db:"description"`
	Kind            booking.Kind `db:"kind"`
	Duration        int          `db:"duration"`
	Interval        int          `db:"interval"`
	Capacity        int          `db:"capacity"`
	Mode            booking.Mode `db:"capacity_mode"`
	MinParty        int          `db:"min_party"`
	MaxParty        int          `db:"max_party"`
	BufferBefore    int          `db:"buffer_before"`
	BufferAfter     int          `db:"buffer_after"`
	LeadTime        int          `db:"lead_time"`
	Horizon         int          `db:"horizon"`
	CancelCutoff    int          `db:"cancel_cutoff"`
	Active          bool         `db:"active"`
	Sort            int          `db:"sort"`
	SensitivePrompt string       `db:"sensitive_prompt"`
	AskParticipants bool         `db:"ask_participants"`
	Policy          string       `db:"policy"`         // shown instead of the venue's booking policy when set
	Pacing          int          `db:"pacing"`         // covers per quarter hour (0: no limit)
	TurnTimes       string       `db:"turn_times"`     // "2:90, 4:120" (booking.ParseTurnTimes)
	PaymentMode     PaymentMode  `db:"payment_mode"`   // "": no payment
	PaymentAmount   int          `db:"payment_amount"` // per person, in minor units
}

// Rules is the offering as the booking rules take it.
func (o *Offering) Rules() booking.Offering {
	min := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	return booking.Offering{
		Kind:         o.Kind,
		Duration:     min(o.Duration),
		Interval:     min(o.Interval),
		Capacity:     o.Capacity,
		Mode:         o.Mode,
		MinParty:     o.MinParty,
		MaxParty:     o.MaxParty,
		BufferBefore: min(o.BufferBefore),
		BufferAfter:  min(o.BufferAfter),
		LeadTime:     min(o.LeadTime),
		Horizon:      time.Duration(o.Horizon) * 24 * time.Hour,
		CancelCutoff: min(o.CancelCutoff),
		Pacing:       o.Pacing,
		TurnTimes:    o.turnTimes(),
	}
}

// turnTimes are the offering's turn times; none when the stored text does not parse (the form
// and the field's pattern refuse such text, so only a hand-edited row gets there).
func (o *Offering) turnTimes() []booking.TurnTime {
	if o.TurnTimes == "" {
		return nil
	}
	tt, err := booking.ParseTurnTimes(o.TurnTimes)
	if err != nil {
		return nil
	}
	return tt
}

// IsSession reports whether the offering is booked by dated session.
func (o *Offering) IsSession() bool { return o.Kind == booking.KindSession }

// FindOffering returns the active offering with slug; sql.ErrNoRows when there is none.
func FindOffering(app core.App, slug string) (*Offering, error) {
	if slug == "" || len(slug) > 80 {
		return nil, sql.ErrNoRows
	}
	var o Offering
	err := app.DB().NewQuery("SELECT * FROM offerings WHERE slug = {:s} AND active = TRUE LIMIT 1").
		Bind(dbx.Params{"s": slug}).One(&o)
	if err != nil {
		return nil, fmt.Errorf("offering %q: %w", slug, err)
	}
	return &o, nil
}

// offeringCache is the active offerings by slug, as read at a moment.
type offeringCache struct {
	bySlug map[string]Offering
	at     time.Time
}

// offeringsFresh bounds how long the kept offerings are used: changes through PocketBase's
// records drop them at once, this catches those written by another process.
const offeringsFresh = time.Second

// Offering is FindOffering answered from the active offerings kept in memory (every visitor
// request looks one up; they change rarely). Inside a transaction it reads the database.
func (s *Store) Offering(app core.App, slug string) (*Offering, error) {
	if app.IsTransactional() {
		return FindOffering(app, slug)
	}
	c := s.offerings.Load()
	if c == nil || time.Since(c.at) >= offeringsFresh {
		var all []Offering
		at, gen := time.Now(), s.offeringsGen.Load()
		if err := app.DB().NewQuery("SELECT * FROM offerings WHERE active = TRUE").All(&all); err != nil {
			return nil, fmt.Errorf("offerings: %w", err)
		}
		c = &offeringCache{bySlug: make(map[string]Offering, len(all)), at: at}
		for _, o := range all {
			c.bySlug[o.Slug] = o
		}
		s.offeringsMu.Lock()
		if s.offeringsGen.Load() == gen { // not changed while it was read
			s.offerings.Store(c)
		}
		s.offeringsMu.Unlock()
	}
	o, ok := c.bySlug[slug]
	if !ok {
		return nil, fmt.Errorf("offering %q: %w", slug, sql.ErrNoRows)
	}
	return &o, nil
}

// OfferingByID returns an offering, active or not (a booking outlives a retired offering);
// sql.ErrNoRows when there is none.
func OfferingByID(app core.App, id string) (*Offering, error) {
	var o Offering
	err := app.DB().NewQuery("SELECT * FROM offerings WHERE id = {:id} LIMIT 1").Bind(dbx.Params{"id": id}).One(&o)
	if err != nil {
		return nil, fmt.Errorf("offering %s: %w", id, err)
	}
	return &o, nil
}

// Offerings lists the offerings in the venue's order (sort, then name); only the active ones
// when activeOnly.
func Offerings(app core.App, activeOnly bool) ([]*Offering, error) {
	q := "SELECT * FROM offerings ORDER BY sort, name"
	if activeOnly {
		q = "SELECT * FROM offerings WHERE active = TRUE ORDER BY sort, name"
	}
	var out []*Offering
	if err := app.DB().NewQuery(q).All(&out); err != nil {
		return nil, fmt.Errorf("offerings: %w", err)
	}
	return out, nil
}

// OfferingNames maps every offering's id to its name.
func OfferingNames(app core.App) (map[string]string, error) {
	all, err := Offerings(app, false)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(all))
	for _, o := range all {
		names[o.ID] = o.Name
	}
	return names, nil
}

// SlugTaken reports whether another offering than id uses slug.
func SlugTaken(app core.App, slug, id string) (bool, error) {
	var n int
	err := app.DB().NewQuery("SELECT count(*) FROM offerings WHERE slug = {:s} AND id != {:id}").
		Bind(dbx.Params{"s": slug, "id": id}).Row(&n)
	return n > 0, err
}

// SaveOffering creates (o.ID == "") or updates an offering through its record, so its
// validation and the pages' invalidation run; it returns the id.
func SaveOffering(app core.App, o Offering) (string, error) {
	var rec *core.Record
	if o.ID == "" {
		col, err := app.FindCachedCollectionByNameOrId(colOfferings)
		if err != nil {
			return "", fmt.Errorf("offering: %w", err)
		}
		rec = core.NewRecord(col)
	} else {
		var err error
		if rec, err = app.FindRecordById(colOfferings, o.ID); err != nil {
			return "", fmt.Errorf("offering %s: %w", o.ID, err)
		}
	}
	rec.Load(map[string]any{"name": o.Name, "slug": o.Slug, "description": o.Description, "kind": string(o.Kind),
		"capacity_mode": string(o.Mode), "duration": o.Duration, "interval": o.Interval, "capacity": o.Capacity,
		"min_party": o.MinParty, "max_party": o.MaxParty, "buffer_before": o.BufferBefore, "buffer_after": o.BufferAfter,
		"lead_time": o.LeadTime, "horizon": o.Horizon, "cancel_cutoff": o.CancelCutoff, "sort": o.Sort, "active": o.Active,
		"sensitive_prompt": o.SensitivePrompt, "ask_participants": o.AskParticipants, "policy": o.Policy,
		"pacing": o.Pacing, "turn_times": o.TurnTimes, "payment_mode": string(o.PaymentMode), "payment_amount": o.PaymentAmount})
	if err := app.Save(rec); err != nil {
		return "", fmt.Errorf("offering: save: %w", err)
	}
	return rec.Id, nil
}

// HoursRule is one weekly opening rule of an offering, as stored ("17:00", "25:30").
type HoursRule struct {
	ID       string `db:"id"`
	Offering string `db:"offering"`
	Weekday  int    `db:"weekday"`
	Opens    string `db:"opens"`
	Closes   string `db:"closes"`
}

// OfferingHours lists an offering's opening rules by weekday and opening time.
func OfferingHours(app core.App, offering string) ([]HoursRule, error) {
	var out []HoursRule
	err := app.DB().NewQuery("SELECT id, offering, weekday, opens, closes FROM opening_hours WHERE offering = {:o} ORDER BY weekday, opens").
		Bind(dbx.Params{"o": offering}).All(&out)
	return out, err
}

// AddHours adds a weekly opening rule to an offering; it returns the rule's id.
func AddHours(app core.App, offering string, h booking.Hours) (string, error) {
	rec, err := createRecord(app, colOpeningHours, map[string]any{"offering": offering, "weekday": int(h.Weekday),
		"opens": h.Open.String(), "closes": h.Close.String()})
	if err != nil {
		return "", err
	}
	return rec.Id, nil
}

// DeleteHours removes offering's rule id; sql.ErrNoRows when the offering has no such rule.
func DeleteHours(app core.App, offering, id string) error {
	rec, err := app.FindRecordById(colOpeningHours, id)
	if err != nil || rec.GetString("offering") != offering {
		return sql.ErrNoRows
	}
	return app.Delete(rec)
}

// Session is a dated occurrence of a session offering.
type Session struct {
	ID           string         `db:"id"`
	Offering     string         `db:"offering"`
	Start        types.DateTime `db:"start"`
	End          types.DateTime `db:"end"`
	Seats        int            `db:"seats"`
	Cancelled    bool           `db:"cancelled"`
	Series       string         `db:"series"`        // the weekly rule that made it ("": added on its own)
	Occurs       string         `db:"occurs"`        // the date its rule made it on
	Detached     bool           `db:"detached"`      // edited on its own: edits of its series leave it alone
	CancelReason string         `db:"cancel_reason"` // why it was cancelled, as the guests were told
}

// sessionColumns are the columns a Session is read from (as s).
const sessionColumns = "s.id, s.offering, s.start, s.end, s.seats, s.cancelled, s.series, s.occurs, s.detached, s.cancel_reason"

// bookedColumn is the seats the active bookings of session s take.
const bookedColumn = `coalesce((SELECT sum(b.party) FROM bookings b WHERE b.session = s.id AND b.session != ''
		AND b.status IN ('confirmed', 'checked_in', 'held')), 0) AS booked`

// OfferingSession returns offering's session id; sql.ErrNoRows when it has none such.
func OfferingSession(app core.App, offering, id string) (*Session, error) {
	var s Session
	err := app.DB().NewQuery("SELECT " + sessionColumns + " FROM sessions s WHERE s.id = {:id} AND s.offering = {:o} LIMIT 1").
		Bind(dbx.Params{"id": id, "o": offering}).One(&s)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// OfferingSessionRow is OfferingSession with the seats the session's bookings take.
func OfferingSessionRow(app core.App, offering, id string) (*SessionRow, error) {
	var s SessionRow
	err := app.DB().NewQuery("SELECT " + sessionColumns + ", " + bookedColumn + " FROM sessions s WHERE s.id = {:id} AND s.offering = {:o} LIMIT 1").
		Bind(dbx.Params{"id": id, "o": offering}).One(&s)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// SessionRow is a session with the seats its bookings take.
type SessionRow struct {
	Session
	Booked int `db:"booked"`
}

// OfferingSessions lists up to limit sessions of an offering starting from from on, each with
// the seats its active bookings take.
func OfferingSessions(app core.App, offering string, from time.Time, limit int) ([]SessionRow, error) {
	var out []SessionRow
	err := app.DB().NewQuery(`SELECT ` + sessionColumns + `, ` + bookedColumn + `
		FROM sessions s WHERE s.offering = {:o} AND s.start >= {:from} ORDER BY s.start LIMIT {:n}`).
		Bind(dbx.Params{"o": offering, "from": DBTime(from), "n": limit}).All(&out)
	return out, err
}

// AddSession adds a dated session; it returns its id.
func AddSession(app core.App, offering string, start, end time.Time, seats int) (string, error) {
	rec, err := createRecord(app, colSessions, map[string]any{"offering": offering, "start": start.UTC(), "end": end.UTC(), "seats": seats})
	if err != nil {
		return "", err
	}
	return rec.Id, nil
}

// SessionDays lists up to n local dates, from the one of after on, that have a session.
func SessionDays(app core.App, offering string, after time.Time, loc *time.Location, n int) ([]booking.Date, error) {
	var starts []types.DateTime
	err := app.DB().NewQuery("SELECT start FROM sessions WHERE offering = {:o} AND cancelled = FALSE AND start >= {:after} ORDER BY start LIMIT {:n}").
		Bind(dbx.Params{"o": offering, "after": DBTime(after), "n": n * 8}).Column(&starts)
	if err != nil {
		return nil, fmt.Errorf("sessions: days: %w", err)
	}
	var days []booking.Date
	for _, s := range starts {
		d := booking.DateOf(s.Time(), loc)
		if len(days) == 0 || days[len(days)-1] != d {
			days = append(days, d)
		}
		if len(days) == n {
			break
		}
	}
	return days, nil
}

// Closure closes dates of the venue (Offering "") or of one offering: the whole dates, or with
// Opens and Closes ("14:00", "17:00"; Closes up to "47:59") that part of each (a part-day
// closure, booking.PartClosure).
type Closure struct {
	ID        string `db:"id"`
	Offering  string `db:"offering"`
	StartDate string `db:"start_date"`
	EndDate   string `db:"end_date"`
	Reason    string `db:"reason"`
	Opens     string `db:"opens"`
	Closes    string `db:"closes"`
}

// PartDay reports whether c closes part of its dates rather than the whole dates.
func (c Closure) PartDay() bool { return c.Opens != "" || c.Closes != "" }

// closureColumns are the columns a Closure is read from.
const closureColumns = "id, offering, start_date, end_date, reason, opens, closes"

// ClosuresFrom lists the closures (whole-day and part-day) that end on or after date, by start
// date and then opening time.
func ClosuresFrom(app core.App, date booking.Date) ([]Closure, error) {
	var out []Closure
	err := app.DB().NewQuery("SELECT " + closureColumns + " FROM closures WHERE end_date >= {:d} ORDER BY start_date, opens").
		Bind(dbx.Params{"d": date.String()}).All(&out)
	return out, err
}

// AddClosure closes from to to (venue-wide when offering is ""); it returns its id.
func AddClosure(app core.App, offering string, from, to booking.Date, reason string) (string, error) {
	rec, err := createRecord(app, colClosures, map[string]any{"offering": offering, "start_date": from.String(),
		"end_date": to.String(), "reason": reason})
	if err != nil {
		return "", err
	}
	return rec.Id, nil
}

// AddPartClosure closes the time span of every date from to to (venue-wide when offering is
// ""): span.Open to span.Close, Close past midnight as in opening hours. It returns its id.
func AddPartClosure(app core.App, offering string, from, to booking.Date, span booking.Span, reason string) (string, error) {
	rec, err := createRecord(app, colClosures, map[string]any{"offering": offering, "start_date": from.String(),
		"end_date": to.String(), "reason": reason, "opens": span.Open.String(), "closes": span.Close.String()})
	if err != nil {
		return "", err
	}
	return rec.Id, nil
}

// DeleteClosure removes a closure; sql.ErrNoRows when there is none such.
func DeleteClosure(app core.App, id string) (*Closure, error) {
	rec, err := app.FindRecordById(colClosures, id)
	if err != nil {
		return nil, sql.ErrNoRows
	}
	c := &Closure{ID: rec.Id, Offering: rec.GetString("offering"), StartDate: rec.GetString("start_date"),
		EndDate: rec.GetString("end_date"), Reason: rec.GetString("reason"), Opens: rec.GetString("opens"), Closes: rec.GetString("closes")}
	if err := app.Delete(rec); err != nil {
		return nil, err
	}
	return c, nil
}

// errNotFound wraps absence in the error the callers test for.
func errNotFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return sql.ErrNoRows
	}
	return err
}
