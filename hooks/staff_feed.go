package hooks

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// feedAuditEvery coalesces a feed's fetches in the audit log: a calendar app polls every few
// minutes, and one entry an hour says as much.
const feedAuditEvery = time.Hour

// staffResource loads the resource {rid} of the slot offering {id} and insists it is a staff
// member: only people get a calendar feed (404 for rooms and tables).
func staffResource(e *core.RequestEvent) (*store.Offering, *store.Resource, error) {
	off, r, err := resourceRoute(e)
	if err != nil {
		return nil, nil, err
	}
	if r.Kind != booking.ResourceStaff {
		return nil, nil, notFound(store.ErrNotStaff)
	}
	return off, r, nil
}

// feedURLs are a feed's address for copying and its webcal:// form, which calendar apps open
// as a subscription.
func (h *handlers) feedURLs(token string) (string, string) {
	u := h.jobs.AbsURL("/feeds/" + token + ".ics")
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u, u
	}
	return u, "webcal://" + rest
}

// resourceFeedNew (POST /admin/offerings/{id}/resources/{rid}/feed, manager) makes the staff
// member's calendar link, or a new one in place of the old (which stops working), and shows it
// this once: only its hash is kept. Audited as calendar_feed.created.
func (h *handlers) resourceFeedNew(e *core.RequestEvent) error {
	off, r, err := staffResource(e)
	if err != nil {
		return err
	}
	var token string
	err = e.App.RunInTransaction(func(tx core.App) error {
		var replaced bool
		var err error
		if token, replaced, err = store.NewStaffFeed(tx, r, actor(e)); err != nil {
			return err
		}
		detail := ""
		if replaced {
			detail = "replaced"
		}
		return h.staffAudit(tx, e, "calendar_feed.created", "resources/"+r.ID, detail)
	})
	if err != nil {
		return err
	}
	feed := views.StaffFeedView{Staff: true}
	feed.URL, feed.Webcal = h.feedURLs(token)
	return h.renderResourceFeed(e, http.StatusOK, off, resourceView(*r), nil, feed)
}

// resourceFeedRevoke (POST /admin/offerings/{id}/resources/{rid}/feed/revoke, manager) ends the
// staff member's calendar link at once (its address answers 404). Audited as
// calendar_feed.revoked; 404 when there is none.
func (h *handlers) resourceFeedRevoke(e *core.RequestEvent) error {
	off, r, err := staffResource(e)
	if err != nil {
		return err
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := store.RevokeStaffFeed(tx, r.ID); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "calendar_feed.revoked", "resources/"+r.ID, "")
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"/resources/"+r.ID+"?done=feed_revoked#feed-h")
}

// feedState is what a resource's page says of its calendar link (nothing for rooms and tables).
func (h *handlers) feedState(app core.App, r views.ResourceForm) (views.StaffFeedView, error) {
	if r.Kind != string(booking.ResourceStaff) {
		return views.StaffFeedView{}, nil
	}
	v := views.StaffFeedView{Staff: true}
	f, err := store.StaffFeedOf(app, r.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return v, nil
	case err != nil:
		return v, err
	}
	loc := time.UTC
	if venue, err := h.st.Venue(app); err == nil {
		loc = venue.Loc
	}
	v.Exists, v.Created = true, f.Created.Time().In(loc)
	if !f.Audited.IsZero() {
		v.LastFetch = f.Audited.Time().In(loc)
	}
	return v, nil
}

// feedNotFound is the answer to an unknown, revoked or malformed feed address: a calm plain
// sentence, as a calendar app may show it, and nothing else.
func (h *handlers) feedNotFound(e *core.RequestEvent, v *store.Venue, err error) error {
	l := views.NewLocale(views.DefaultLanguage)
	if v != nil {
		l = jobs.Locale(v)
	}
	hd := e.Response.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Cache-Control", "private, no-store")
	e.Response.WriteHeader(http.StatusNotFound)
	if e.Request.Method != http.MethodHead {
		_, _ = e.Response.Write([]byte(l.T("feed.not_found") + "\n"))
	}
	// Returned (the answer is written) so the request log keeps the miss, its token redacted.
	return notFound(err)
}

// staffFeed (GET /feeds/{token}.ics, public) is a staff member's calendar subscription: their
// confirmed and checked-in bookings from 30 days back to the offering's booking horizon ahead,
// read in one indexed query. No cookie is read or set. Each fetch is an access to personal data:
// audited as calendar_feed.fetched, at most once an hour per feed.
func (h *handlers) staffFeed(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	token, ok := strings.CutSuffix(e.Request.PathValue("token"), ".ics")
	if !ok {
		return h.feedNotFound(e, v, errors.New("staff feed: no .ics"))
	}
	owner, err := store.StaffFeedByToken(e.App, token)
	if errors.Is(err, sql.ErrNoRows) {
		return h.feedNotFound(e, v, err)
	}
	if err != nil {
		return err
	}
	now := h.now()
	from, to := jobs.FeedWindow(owner, now)
	bs, err := store.FeedBookings(e.App, owner.Resource, from, to)
	if err != nil {
		return err
	}
	ics, err := jobs.StaffFeedFile(v, owner, bs)
	if err != nil {
		return err
	}
	// Most fetches write nothing: the claim is a read until the hour is up.
	if owner.Audited.IsZero() || !owner.Audited.Time().After(now.Add(-feedAuditEvery)) {
		err = e.App.RunInTransaction(func(tx core.App) error {
			claimed, err := store.ClaimFeedAudit(tx, owner.Feed, now, feedAuditEvery)
			if err != nil || !claimed {
				return err
			}
			return store.Audit(tx, store.Entry{RequestID: reqID(e), Actor: "anonymous", Action: "calendar_feed.fetched",
				Target: "resources/" + owner.Resource, Detail: "staff_feeds/" + owner.Feed, IP: e.RealIP()})
		})
		if err != nil {
			return err
		}
	}
	hd := e.Response.Header()
	hd.Set("Content-Type", "text/calendar; charset=utf-8")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Disposition", `inline; filename="bookings.ics"`)
	e.Response.WriteHeader(http.StatusOK)
	if e.Request.Method == http.MethodHead {
		return nil
	}
	_, err = e.Response.Write(ics)
	return err
}
