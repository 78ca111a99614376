package store_test

import (
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/store"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// TestRowsWrittenInSQLAreValidRecords writes one row of each kind the store writes in plain
// SQL and has PocketBase validate each as a record: field types, required fields, patterns,
// select values and limits hold as if the rows had been saved through PocketBase.
func TestRowsWrittenInSQLAreValidRecords(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	app := st.App()
	if err := store.CreateVenue(app, store.NewVenue{VenueFields: store.VenueFields{Name: "Test Venue", TimeZone: "Europe/Berlin",
		Locale: "en", Notice: "We keep your details.", Email: "venue@example.com"}, NoticeVersion: 1}); err != nil {
		t.Fatal(err)
	}
	offID, err := store.SaveOffering(app, store.Offering{Name: "Dinner", Slug: "dinner", Kind: booking.KindSlot, Duration: 120,
		Interval: 30, Capacity: 40, Mode: booking.ModePeople, MinParty: 1, MaxParty: 8, Horizon: 90, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	var ins store.Inserted
	err = app.RunInTransaction(func(tx core.App) error {
		var err error
		ins, err = store.InsertBooking(tx, store.NewBooking{Offering: offID, Slot: booking.Slot{Start: start, End: start.Add(2 * time.Hour)},
			Party: 2, Status: booking.StatusConfirmed, Name: "Ada Lovelace", Email: "Ada@Example.com", Phone: "+44 20 7946 0000",
			Notes: "Window", Guests: []store.Guest{{Name: "Ben", Consent: true}}, Source: store.SourceWeb, ConsentAt: now,
			NoticeVersion: 1, NoticeText: "We keep your details.", Token: true, Now: now})
		if err != nil {
			return err
		}
		b, err := store.BookingByID(tx, ins.ID)
		if err != nil {
			return err
		}
		if err := store.QueueBookingMail(tx, store.MailConfirmation, b, ins.Token, now); err != nil {
			return err
		}
		if err := store.QueueMail(tx, store.NewMail{Kind: store.MailSignin, To: "ada@example.com", Subject: "Sign in", Text: "Link"}, now); err != nil {
			return err
		}
		if err := store.Audit(tx, store.Entry{Actor: store.ActorVisitor, Action: "booking.create", Target: "bookings/" + ins.ID, IP: "192.0.2.1"}); err != nil {
			return err
		}
		if err := store.CancelBooking(tx, b, store.CancelledByGuest, now); err != nil {
			return err
		}
		if _, _, err := store.JoinWaitlist(tx, store.NewWaitEntry{Offering: offID, StartValue: "2026-11-27T19:00", Start: start,
			Party: 2, Name: "Wanda", Email: "wanda@example.com", ConsentAt: now, NoticeVersion: 1}); err != nil {
			return err
		}
		if _, err := store.AddWalkin(tx, booking.DateOf(now, time.UTC), "Door", 2, "+49 30 1234567", "", 15, now); err != nil {
			return err
		}
		if _, err := store.NewVisitorLink(tx, "ada@example.com", now.Add(15*time.Minute)); err != nil {
			return err
		}
		if _, _, err := store.StartVisitorSession(tx, "ada@example.com", now.Add(time.Hour)); err != nil {
			return err
		}
		if _, err := store.LogRequest(tx, store.NewRequest{Kind: store.RequestAccess, Subject: "ada@example.com",
			Channel: store.ChannelSelfService, Status: store.RequestDone, Received: booking.DateOf(now, time.UTC)}, now); err != nil {
			return err
		}
		return store.RecordBackup(tx, store.NewBackup{File: "reserva-20261124T090000Z.age", Taken: now, Size: 10, PlainSize: 20,
			CipherSHA256: "aa", PlainSHA256: "bb", Rows: map[string]int64{"bookings": 1}, DataHash: "cc", Took: time.Second})
	})
	if err != nil {
		t.Fatal(err)
	}
	staff, err := store.CreateStaff(app, "owner@example.com", "Olive", store.RoleOwner, "violet-harbour-lantern", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.StartSession(app, staff.Id, "192.0.2.1", "test", false, now); err != nil {
		t.Fatal(err)
	}
	if _, err := store.NewInvite(app, "new@example.com", store.RoleFrontdesk, staff.Id, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := store.NewPasswordReset(app, staff.Id, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"bookings", "customers", "booking_tokens", "outbox", "audit_log", "participants", "privacy_notices",
		"waitlist", "walkins", "visitor_links", "visitor_sessions", "gdpr_requests", "backups", "staff_sessions", "staff_invites",
		"staff_password_resets"} {
		var ids []string
		if err := app.DB().NewQuery("SELECT id FROM " + c).Column(&ids); err != nil || len(ids) == 0 {
			t.Errorf("%s: no row written (%v)", c, err)
			continue
		}
		for _, id := range ids {
			if err := store.Validate(app, c, id); err != nil {
				t.Errorf("%s %s fails PocketBase's validation: %v", c, id, err)
			}
		}
	}
	if ok, err := store.UsageConsistent(app); !ok || err != nil {
		t.Errorf("booking_usage after the writes: %v %v", ok, err)
	}
	var email string
	_ = app.DB().NewQuery("SELECT email FROM customers").Row(&email)
	if email != "ada@example.com" {
		t.Errorf("the customer's address is kept as %q, want it lower case", email)
	}
}

// TestAuditAppendOnly: no audit entry can be changed or deleted through PocketBase's records
// (the superusers' dashboard goes that way too).
func TestAuditAppendOnly(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	app := st.App()
	if err := store.Audit(app, store.Entry{Actor: store.ActorVisitor, Action: "booking.create"}); err != nil {
		t.Fatal(err)
	}
	rec, err := app.FindFirstRecordByFilter("audit_log", "action = 'booking.create'")
	if err != nil {
		t.Fatal(err)
	}
	rec.Set("actor", "someone else")
	if err := app.Save(rec); err == nil {
		t.Errorf("an audit entry was updated")
	}
	if err := app.Delete(rec); err == nil {
		t.Errorf("an audit entry was deleted")
	}
	var actor string
	if err := app.DB().NewQuery("SELECT actor FROM audit_log WHERE id = {:id}").Bind(dbx.Params{"id": rec.Id}).Row(&actor); err != nil || actor != store.ActorVisitor {
		t.Errorf("the entry after the attempts: %q %v", actor, err)
	}
}
