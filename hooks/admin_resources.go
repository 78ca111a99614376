package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/store"
	"reserva/views"
)

// slotOffering loads the slot offering {id}: resources serve slot offerings only (404 for
// sessions, which have seats).
func slotOffering(e *core.RequestEvent) (*store.Offering, error) {
	off, err := store.OfferingByID(e.App, e.Request.PathValue("id"))
	if err != nil {
		return nil, notFound(err)
	}
	if off.IsSession() {
		return nil, notFound(fmt.Errorf("offering %s is booked by session", off.ID))
	}
	return off, nil
}

// resourceView is a stored resource as the pages show it.
func resourceView(r store.Resource) views.ResourceForm {
	return views.ResourceForm{ID: r.ID, Kind: string(r.Kind), Name: r.Name, Hours: r.Hours, MinSeats: r.MinSeats,
		MaxSeats: r.MaxSeats, Sort: r.Sort, Active: r.Active}
}

// offeringResources fills the resources section of an offering's page.
func offeringResources(app core.App, d *views.OfferingData) error {
	res, err := store.OfferingResources(app, d.Form.ID, false)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, r := range res {
		d.Resources = append(d.Resources, resourceView(r))
		names[r.ID] = r.Name
	}
	combos, err := store.OfferingCombinations(app, d.Form.ID)
	if err != nil {
		return err
	}
	for _, c := range combos {
		d.Combos = append(d.Combos, views.CombinationRow{ID: c.ID, Names: store.NamesOf(names, c.Tables), MinSeats: c.MinSeats, MaxSeats: c.MaxSeats})
	}
	if d.NewResource.Kind == "" {
		d.NewResource.Kind = string(booking.ResourceStaff)
	}
	return nil
}

// parseResource reads the resource form, whose fields are named resource_… (kind only when
// withKind: a resource's kind is not changed later). The errors are keyed by those names.
func parseResource(f url.Values, withKind bool) (store.Resource, map[string]views.Msg) {
	errs := map[string]views.Msg{}
	r := store.Resource{Name: strings.TrimSpace(f.Get("resource_name")), Hours: strings.TrimSpace(f.Get("resource_hours")), Active: true}
	if withKind {
		r.Kind = booking.ResourceKind(f.Get("resource_kind"))
		if !slices.Contains(views.ResourceKinds, string(r.Kind)) {
			errs["resource_kind"] = views.M("admin.resources.kind_bad")
		}
	}
	if r.Name == "" || utf8Len(r.Name) > 80 || !cleanText(r.Name, false) {
		errs["resource_name"] = views.M("admin.resources.name_bad")
	}
	seats := func(field string) int {
		s := strings.TrimSpace(f.Get(field))
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1000 {
			errs[field] = views.M("admin.resources.seats_bad")
		}
		return n
	}
	r.MinSeats, r.MaxSeats = seats("resource_min_seats"), seats("resource_max_seats")
	if _, bad := errs["resource_max_seats"]; !bad && r.MaxSeats > 0 && r.MinSeats > r.MaxSeats {
		errs["resource_max_seats"] = views.M("admin.resources.seats_order")
	}
	if len(r.Hours) > 600 || !cleanText(r.Hours, false) {
		errs["resource_hours"] = views.M("admin.resources.hours_bad")
	} else if _, err := booking.ParseWeekHours(r.Hours); err != nil {
		errs["resource_hours"] = views.M("admin.resources.hours_bad")
	}
	if s := strings.TrimSpace(f.Get("resource_sort")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < -1000 || n > 1000 {
			errs["resource_sort"] = views.M("admin.resources.sort_bad")
		}
		r.Sort = n
	}
	return r, errs
}

func utf8Len(s string) int { return len([]rune(s)) }

// resourceAdd (POST /admin/offerings/{id}/resources) adds a staff member, room or table.
func (h *handlers) resourceAdd(e *core.RequestEvent) error {
	off, err := slotOffering(e)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	r, errs := parseResource(e.Request.PostForm, true)
	if len(errs) > 0 {
		return h.renderOffering(e, http.StatusUnprocessableEntity, views.OfferingData{Form: offeringForm(off), Errors: errs, NewResource: resourceView(r)})
	}
	r.Offering = off.ID
	err = e.App.RunInTransaction(func(tx core.App) error {
		id, err := store.SaveResource(tx, r)
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "resource.added", "resources/"+id, string(r.Kind))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=saved#resources-h")
}

// resourceRoute loads the slot offering {id} and its resource {rid}; 404 when either is not there.
func resourceRoute(e *core.RequestEvent) (*store.Offering, *store.Resource, error) {
	off, err := slotOffering(e)
	if err != nil {
		return nil, nil, err
	}
	r, err := store.ResourceByID(e.App, off.ID, e.Request.PathValue("rid"))
	if err != nil {
		return nil, nil, notFound(err)
	}
	return off, r, nil
}

// resourcePage (GET /admin/offerings/{id}/resources/{rid}) shows a resource's form.
func (h *handlers) resourcePage(e *core.RequestEvent) error {
	off, r, err := resourceRoute(e)
	if err != nil {
		return err
	}
	return h.renderResource(e, http.StatusOK, off, resourceView(*r), nil)
}

func (h *handlers) renderResource(e *core.RequestEvent, status int, off *store.Offering, r views.ResourceForm, errs map[string]views.Msg) error {
	feed, err := h.feedState(e.App, r)
	if err != nil {
		return err
	}
	return h.renderResourceFeed(e, status, off, r, errs, feed)
}

// renderResourceFeed is renderResource with what its calendar link section shows (a link just
// made carries its address, shown this once).
func (h *handlers) renderResourceFeed(e *core.RequestEvent, status int, off *store.Offering, r views.ResourceForm, errs map[string]views.Msg, feed views.StaffFeedView) error {
	if feed.URL != "" {
		cur, err := h.feedState(e.App, r)
		if err != nil {
			return err
		}
		feed.Exists, feed.Created = cur.Exists, cur.Created
	}
	return render(e, status, views.ResourcePage(views.ResourceData{AdminPage: h.adminPage(e, views.M("admin.nav.offerings")),
		Offering: offeringForm(off), Resource: r, Errors: errs, Feed: feed}))
}

// resourceSave (POST /admin/offerings/{id}/resources/{rid}) changes a resource, or retires it
// (it serves no new booking; the bookings it holds keep it).
func (h *handlers) resourceSave(e *core.RequestEvent) error {
	off, cur, err := resourceRoute(e)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	r, errs := parseResource(e.Request.PostForm, false)
	r.ID, r.Offering, r.Kind, r.Active = cur.ID, off.ID, cur.Kind, e.Request.PostForm.Get("resource_active") == "yes"
	if len(errs) > 0 {
		return h.renderResource(e, http.StatusUnprocessableEntity, off, resourceView(r), errs)
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if _, err := store.SaveResource(tx, r); err != nil {
			return err
		}
		action := "resource.changed"
		if cur.Active && !r.Active {
			action = "resource.retired"
		}
		return h.staffAudit(tx, e, action, "resources/"+r.ID, "")
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=saved#resources-h")
}

// comboAdd (POST /admin/offerings/{id}/combinations) adds a combination of two or more of the
// offering's tables in service, for parties of min..max seats.
func (h *handlers) comboAdd(e *core.RequestEvent) error {
	off, err := slotOffering(e)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	form := views.ComboForm{Tables: f["table"], MinSeats: strings.TrimSpace(f.Get("min_seats")), MaxSeats: strings.TrimSpace(f.Get("max_seats"))}
	errs := map[string]views.Msg{}
	tables, err := store.OfferingResources(e.App, off.ID, true)
	if err != nil {
		return err
	}
	var picked []string
	for _, t := range tables {
		if t.Kind == booking.ResourceTable && form.Has(t.ID) {
			picked = append(picked, t.ID)
		}
	}
	if len(picked) < 2 || len(picked) != len(form.Tables) || len(picked) > 8 {
		errs["tables"] = views.M("admin.combos.tables_bad")
	}
	minSeats, err1 := 0, error(nil)
	if form.MinSeats != "" {
		minSeats, err1 = strconv.Atoi(form.MinSeats)
	}
	maxSeats, err2 := strconv.Atoi(form.MaxSeats)
	if err1 != nil || err2 != nil || minSeats < 0 || maxSeats < 1 || maxSeats > 1000 || minSeats > maxSeats {
		errs["combo_seats"] = views.M("admin.combos.seats_bad")
	}
	if len(errs) > 0 {
		return h.renderOffering(e, http.StatusUnprocessableEntity, views.OfferingData{Form: offeringForm(off), Errors: errs, NewCombo: form})
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		id, err := store.AddCombination(tx, off.ID, picked, minSeats, maxSeats)
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "resource.combination_added", "resource_combinations/"+id, strings.Join(picked, " "))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=saved#resources-h")
}

// comboDelete (POST /admin/offerings/{id}/combinations/{cid}/delete) removes a combination; the
// bookings that hold its tables keep them.
func (h *handlers) comboDelete(e *core.RequestEvent) error {
	off, err := slotOffering(e)
	if err != nil {
		return err
	}
	cid := e.Request.PathValue("cid")
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := store.DeleteCombination(tx, off.ID, cid); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "resource.combination_deleted", "resource_combinations/"+cid, "")
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/offerings/"+off.ID+"?done=saved#resources-h")
}

// reassignOptions fills what a booking's page says of its resources: the ones it holds and, for
// a booking that stands, the single resources and combinations free for it instead.
func (h *handlers) reassignOptions(app core.App, v *store.Venue, off *store.Offering, b *store.Booking, d *views.BookingAdminData) error {
	names, err := store.ResourceNames(app)
	if err != nil {
		return err
	}
	d.Held = store.NamesOf(names, b.Resources)
	if off.IsSession() {
		return nil
	}
	opts, pooled, err := h.freeFor(app, v, off, b)
	if err != nil {
		return err
	}
	d.Pooled = pooled
	if b.Status != booking.StatusConfirmed && b.Status != booking.StatusCheckedIn {
		return nil
	}
	for _, ids := range opts {
		d.Reassign = append(d.Reassign, views.Option{Value: strings.Join(ids, " "), Label: store.NamesOf(names, strings.Join(ids, " "))})
	}
	return nil
}

// freeFor lists what booking b may be given instead of what it holds: each free single resource
// that fits its party, then each free combination, at its own times (itself left out).
func (h *handlers) freeFor(app core.App, v *store.Venue, off *store.Offering, b *store.Booking) ([][]string, bool, error) {
	day := booking.DateOf(b.Start.Time(), v.Loc)
	cal, err := h.st.LoadCalendar(app, off, day, v.Loc, b.ID)
	if err != nil || cal.Calendar.Pool.Empty() {
		return nil, false, err
	}
	r := off.Rules()
	start, end := b.Start.Time(), b.End.Time()
	var out [][]string
	for _, res := range r.FreeResources(cal.Calendar.Pool, cal.Calendar.Reservations, b.ID, b.Party, start, end, v.Loc) {
		if res.ID != b.Resources {
			out = append(out, []string{res.ID})
		}
	}
	for _, c := range r.FreeCombinations(cal.Calendar.Pool, cal.Calendar.Reservations, b.ID, b.Party, start, end, v.Loc) {
		if strings.Join(c.Tables, " ") != b.Resources {
			out = append(out, c.Tables)
		}
	}
	return out, true, nil
}

// errNotFree refuses a reassignment to resources that are not free for the booking (any more).
var errNotFree = errors.New("reassign: not free for the booking")

// bookingReassign (POST /admin/bookings/{id}/resources, front desk) gives a booking another free
// resource or combination, checked in the booking writer like every booking.
func (h *handlers) bookingReassign(e *core.RequestEvent) error {
	v, b, off, err := h.staffBooking(e)
	if err != nil {
		return err
	}
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	want := strings.Join(strings.Fields(e.Request.PostForm.Get("resources")), " ")
	var from string
	err = h.st.Writer().Do(e.Request.Context(), func(tx *store.Tx) error {
		cur, err := store.BookingByID(tx.App, b.ID)
		if err != nil {
			return err
		}
		if cur.Status != booking.StatusConfirmed && cur.Status != booking.StatusCheckedIn {
			return errStatusConflict
		}
		opts, _, err := h.freeFor(tx.App, v, off, cur)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(opts, func(ids []string) bool { return strings.Join(ids, " ") == want })
		if i < 0 {
			return errNotFree
		}
		tx.Only(off.Slug)
		tx.Freed() // what it held is free again
		from = cur.Resources
		if err := store.SetBookingResources(tx.App, cur, opts[i]); err != nil {
			return err
		}
		return h.staffAudit(tx.App, e, "booking.reassigned", "bookings/"+cur.ID, cmpIDs(from, want))
	})
	switch {
	case errors.Is(err, errNotFree):
		return h.renderBookingAdmin(e, http.StatusConflict, map[string]views.Msg{"resources": views.M("admin.booking.reassign_taken")}, "")
	case errors.Is(err, errStatusConflict):
		return h.renderBookingAdmin(e, http.StatusConflict, map[string]views.Msg{"resources": views.M("admin.booking.reassign_inactive")}, "")
	case err != nil:
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/bookings/"+b.ID+"?done=saved")
}

// cmpIDs is an audit detail for a reassignment: the ids held before and after.
func cmpIDs(from, to string) string {
	if from == "" {
		from = "-"
	}
	return from + " → " + to
}
