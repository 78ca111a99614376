package store

import (
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
)

// TestGuestQueriesReadIndexes: the profile's queries (its counts, its list, the consent of a
// note) find a guest's bookings through the indexes on the relation and on the address, never
// by scanning every booking: a venue keeps years of them.
func TestGuestQueriesReadIndexes(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	params := dbx.Params{"id": "0abc", "e": "guest@example.com", "now": DBTime(time.Now()), "n": 100}
	for name, sql := range map[string]string{
		"counts":  `SELECT count(*), max(start) FROM bookings WHERE ` + guestBookings,
		"list":    `SELECT * FROM bookings WHERE ` + guestBookings + ` ORDER BY start DESC, id DESC LIMIT {:n}`,
		"consent": `SELECT consent_at FROM bookings WHERE sensitive_notes != '' AND ` + guestBookings + ` ORDER BY consent_at DESC LIMIT 1`,
	} {
		var plan []struct {
			Detail string `db:"detail"`
		}
		if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + sql).Bind(params).All(&plan); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var steps []string
		for _, p := range plan {
			steps = append(steps, p.Detail)
		}
		joined := strings.Join(steps, "; ")
		t.Logf("%s: %s", name, joined)
		if strings.Contains(joined, "SCAN bookings") || !strings.Contains(joined, "idx_bookings_customer") ||
			!strings.Contains(joined, "idx_bookings_email_lower") {
			t.Errorf("%s: plan %q, want both indexes and no scan of the bookings", name, joined)
		}
	}
}
