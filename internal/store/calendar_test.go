package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// TestKeptRulesFollowEveryChange: the opening hours and closures the store keeps in memory
// follow a change made through PocketBase's records at once (for pages and for the writer),
// one written by another process within a second, and a transaction that changes them itself
// reads its own.
func TestKeptRulesFollowEveryChange(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	app := st.App()
	offID, err := store.SaveOffering(app, store.Offering{Name: "Dinner", Slug: "dinner", Kind: booking.KindSlot, Duration: 60,
		Interval: 60, Capacity: 4, Mode: booking.ModePeople, MinParty: 1, MaxParty: 4, Horizon: 3650, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	off, err := store.OfferingByID(app, offID)
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	day := booking.DateOf(time.Now().AddDate(0, 0, 10), berlin)
	hours := func(app core.App) int {
		t.Helper()
		cal, err := st.LoadCalendar(app, off, day, berlin, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(cal.Hours)
	}
	closed := func(app core.App) bool {
		t.Helper()
		cal, err := st.LoadCalendar(app, off, day, berlin, "")
		if err != nil {
			t.Fatal(err)
		}
		_, isClosed := cal.ClosedMessage(off, day)
		return isClosed && len(cal.Hours) > 0
	}
	if hours(app) != 0 {
		t.Fatal("hours before any were added")
	}
	open, _ := booking.ParseClock("17:00")
	shut, _ := booking.ParseClock("22:00")
	if _, err := store.AddHours(app, offID, booking.Hours{Weekday: day.Weekday(), Open: open, Close: shut}); err != nil {
		t.Fatal(err)
	}
	if hours(app) != 1 {
		t.Error("hours added through a record do not show at once")
	}
	var inWriter int
	if err := st.Writer().Do(context.Background(), func(tx *store.Tx) error { inWriter = hours(tx.App); return nil }); err != nil || inWriter != 1 {
		t.Errorf("the writer sees %d hours (%v), want 1", inWriter, err)
	}
	if _, err := store.AddClosure(app, "", day, day, "Private party"); err != nil {
		t.Fatal(err)
	}
	if !closed(app) {
		t.Error("a closure added through a record does not show at once")
	}

	// Another process: a closure written in SQL, no hook here.
	other := day.AddDays(1)
	if _, err := store.AddHours(app, offID, booking.Hours{Weekday: other.Weekday(), Open: open, Close: shut}); err != nil {
		t.Fatal(err)
	}
	closedOther := func() bool {
		cal, err := st.LoadCalendar(app, off, other, berlin, "")
		if err != nil {
			t.Fatal(err)
		}
		_, isClosed := cal.ClosedMessage(off, other)
		return isClosed
	}
	if closedOther() {
		t.Fatal("the next day is closed before any closure")
	}
	if _, err := app.DB().Insert("closures", dbx.Params{"id": "otherprocess001", "offering": "", "start_date": other.String(),
		"end_date": other.String(), "reason": "Elsewhere"}).Execute(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for !closedOther() {
		if time.Now().After(deadline) {
			t.Fatal("a closure written by another process does not show within a second")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A transaction that adds hours reads them itself, and nothing it did not commit is kept.
	third := day.AddDays(2)
	err = app.RunInTransaction(func(tx core.App) error {
		if _, err := store.AddHours(tx, offID, booking.Hours{Weekday: third.Weekday(), Open: open, Close: shut}); err != nil {
			return err
		}
		cal, err := st.LoadCalendar(tx, off, third, berlin, "")
		if err != nil {
			return err
		}
		if len(cal.Hours) != 3 {
			t.Errorf("the transaction sees %d hours, want its own third", len(cal.Hours))
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	if n := hours(app); n != 2 {
		t.Errorf("after the rolled back transaction %d hours are seen, want 2", n)
	}
}

var errRollback = errors.New("roll back")
