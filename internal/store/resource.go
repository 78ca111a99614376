package store

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
)

// Resource is a staff member, room or table that serves a slot offering's bookings. A retired
// one (Active false) serves no new booking; the bookings that held it still name it.
type Resource struct {
	ID       string               `db:"id"`
	Offering string               `db:"offering"`
	Kind     booking.ResourceKind `db:"kind"`
	Name     string               `db:"name"`
	MinSeats int                  `db:"min_seats"`
	MaxSeats int                  `db:"max_seats"`
	Hours    string               `db:"hours"` // own weekly hours (booking.ParseWeekHours); "": the offering's
	Sort     int                  `db:"sort"`
	Active   bool                 `db:"active"`
}

// Combination is tables of an offering pushed together for one larger party.
type Combination struct {
	ID       string `db:"id"`
	Offering string `db:"offering"`
	Tables   string `db:"tables"` // resource ids, space-separated
	MinSeats int    `db:"min_seats"`
	MaxSeats int    `db:"max_seats"`
}

// TableIDs are the ids of the combination's tables.
func (c Combination) TableIDs() []string { return strings.Fields(c.Tables) }

// Rules is the resource as the booking rules take it; hours that do not parse (the form refuses
// them) leave it without hours of its own.
func (r Resource) Rules() booking.Resource {
	h, _ := booking.ParseWeekHours(r.Hours)
	return booking.Resource{ID: r.ID, Kind: r.Kind, MinSeats: r.MinSeats, MaxSeats: r.MaxSeats, Hours: h}
}

const resourceColumns = "id, offering, kind, name, min_seats, max_seats, hours, sort, active"

// OfferingResources lists an offering's resources in the order staff set (the retired ones too
// unless activeOnly).
func OfferingResources(app core.App, offering string, activeOnly bool) ([]Resource, error) {
	var out []Resource
	q := "SELECT " + resourceColumns + " FROM resources WHERE offering = {:o}"
	if activeOnly {
		q += " AND active = TRUE"
	}
	err := app.DB().NewQuery(q + " ORDER BY sort, name, id").Bind(dbx.Params{"o": offering}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("resources: %w", err)
	}
	return out, nil
}

// OfferingCombinations lists an offering's table combinations.
func OfferingCombinations(app core.App, offering string) ([]Combination, error) {
	var out []Combination
	err := app.DB().NewQuery("SELECT id, offering, tables, min_seats, max_seats FROM resource_combinations WHERE offering = {:o} ORDER BY created, id").
		Bind(dbx.Params{"o": offering}).All(&out)
	if err != nil {
		return nil, fmt.Errorf("resources: combinations: %w", err)
	}
	return out, nil
}

// ResourceByID returns one resource of an offering; sql.ErrNoRows when it has none such.
func ResourceByID(app core.App, offering, id string) (*Resource, error) {
	var r Resource
	err := app.DB().NewQuery("SELECT " + resourceColumns + " FROM resources WHERE id = {:id} AND offering = {:o} LIMIT 1").
		Bind(dbx.Params{"id": id, "o": offering}).One(&r)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &r, nil
}

// makePool is the pool of the active resources, and of the combinations whose tables are all
// active tables of the offering.
func makePool(resources []Resource, combos []Combination) booking.Pool {
	var p booking.Pool
	tables := map[string]bool{}
	for _, r := range resources {
		if !r.Active {
			continue
		}
		p.Resources = append(p.Resources, r.Rules())
		if r.Kind == booking.ResourceTable {
			tables[r.ID] = true
		}
	}
	for _, c := range combos {
		ids := c.TableIDs()
		if len(ids) < 2 || slices.ContainsFunc(ids, func(id string) bool { return !tables[id] }) {
			continue
		}
		p.Combinations = append(p.Combinations, booking.Combination{ID: c.ID, Tables: ids, MinSeats: c.MinSeats, MaxSeats: c.MaxSeats})
	}
	return p
}

// pools groups resources and combinations by offering into their pools.
func pools(resources []Resource, combos []Combination) map[string]booking.Pool {
	byOffering := map[string][]Resource{}
	for _, r := range resources {
		byOffering[r.Offering] = append(byOffering[r.Offering], r)
	}
	combosOf := map[string][]Combination{}
	for _, c := range combos {
		combosOf[c.Offering] = append(combosOf[c.Offering], c)
	}
	out := make(map[string]booking.Pool, len(byOffering))
	for id, res := range byOffering {
		out[id] = makePool(res, combosOf[id])
	}
	return out
}

// OfferingPool is the pool that serves an offering's bookings now (empty: none).
func OfferingPool(app core.App, offering string) (booking.Pool, error) {
	res, err := OfferingResources(app, offering, true)
	if err != nil || len(res) == 0 {
		return booking.Pool{}, err
	}
	combos, err := OfferingCombinations(app, offering)
	if err != nil {
		return booking.Pool{}, err
	}
	return makePool(res, combos), nil
}

// ResourceNames maps the ids of every resource (retired ones too) to their names.
func ResourceNames(app core.App) (map[string]string, error) {
	var rows []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := app.DB().NewQuery("SELECT id, name FROM resources").All(&rows); err != nil {
		return nil, fmt.Errorf("resources: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// NamesOf joins the names of the resources ids names ("T4 + T6"); an unknown id is shown as is.
func NamesOf(names map[string]string, ids string) string {
	parts := strings.Fields(ids)
	for i, id := range parts {
		if n, ok := names[id]; ok {
			parts[i] = n
		}
	}
	return strings.Join(parts, " + ")
}

// SaveResource creates r (no ID) or updates it, through records: the kept rules and pages are
// dropped. It returns the id.
func SaveResource(app core.App, r Resource) (string, error) {
	fields := map[string]any{"offering": r.Offering, "kind": string(r.Kind), "name": r.Name, "min_seats": r.MinSeats,
		"max_seats": r.MaxSeats, "hours": r.Hours, "sort": r.Sort, "active": r.Active}
	if r.ID == "" {
		rec, err := createRecord(app, colResources, fields)
		if err != nil {
			return "", err
		}
		return rec.Id, nil
	}
	rec, err := app.FindRecordById(colResources, r.ID)
	if err != nil || rec.GetString("offering") != r.Offering {
		return "", sql.ErrNoRows
	}
	for k, v := range fields {
		rec.Set(k, v)
	}
	return rec.Id, app.Save(rec)
}

// AddCombination adds a combination of tables to an offering.
func AddCombination(app core.App, offering string, tables []string, minSeats, maxSeats int) (string, error) {
	rec, err := createRecord(app, colCombinations, map[string]any{"offering": offering, "tables": strings.Join(tables, " "),
		"min_seats": minSeats, "max_seats": maxSeats})
	if err != nil {
		return "", err
	}
	return rec.Id, nil
}

// DeleteCombination removes a combination of an offering; sql.ErrNoRows when it has none such.
func DeleteCombination(app core.App, offering, id string) error {
	rec, err := app.FindRecordById(colCombinations, id)
	if err != nil || rec.GetString("offering") != offering {
		return sql.ErrNoRows
	}
	return app.Delete(rec)
}

// Held is the one resource the booking holds ("" when it holds none, or a combination): a move
// keeps it where it is free.
func (b *Booking) Held() string {
	if ids := strings.Fields(b.Resources); len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// SetBookingResources gives booking b the resources ids (none: it holds none).
func SetBookingResources(tx core.App, b *Booking, ids []string) error {
	b.Resources = strings.Join(ids, " ")
	return updateBooking(tx, b.ID, dbx.Params{"resources": b.Resources})
}
