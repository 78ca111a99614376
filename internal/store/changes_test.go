package store

import (
	"testing"
)

// The backups' fingerprint changes with every write to the bookings (a status changed, with
// the count and the latest `updated` as before, included) and with nothing else; a missing
// trigger is made again and counts a change, so the next backup is not skipped.
func TestFingerprintSeesEveryBookingWrite(t *testing.T) {
	app := newTestApp(t)
	exec := func(q string) {
		t.Helper()
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	fp := func() string {
		t.Helper()
		f, err := Fingerprint(app)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	exec(`INSERT INTO bookings (id, reference, name, start, "end", party, status, updated)
		VALUES ('fp0000000000001', 'R1', 'Guest', '2026-12-04 18:00:00.000Z', '2026-12-04 20:00:00.000Z', 2, 'confirmed', '2026-12-01 10:00:00.000Z')`)
	before := fp()
	if again := fp(); again != before {
		t.Fatalf("the fingerprint moved without a write: %s, %s", before, again)
	}
	// A write that changes neither the count nor `updated`.
	exec(`UPDATE bookings SET status = 'checked_in' WHERE id = 'fp0000000000001'`)
	after := fp()
	if after == before {
		t.Errorf("the fingerprint missed a booking's status change")
	}
	exec(`DROP TRIGGER booking_changes_update`)
	if rebuilt, err := EnsureBookingChanges(app); err != nil || !rebuilt {
		t.Fatalf("EnsureBookingChanges without a trigger = %v, %v; want it made again", rebuilt, err)
	}
	if fp() == after {
		t.Errorf("remaking the count's triggers did not count a change")
	}
	if rebuilt, err := EnsureBookingChanges(app); err != nil || rebuilt {
		t.Errorf("EnsureBookingChanges on intact objects = %v, %v; want nothing done", rebuilt, err)
	}
	mid := fp()
	exec(`UPDATE bookings SET status = 'confirmed' WHERE id = 'fp0000000000001'`)
	if fp() == mid {
		t.Errorf("the remade trigger does not count")
	}
}
