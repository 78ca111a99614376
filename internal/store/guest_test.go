package store_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// guestVenue makes a venue with one offering and returns the offering's id.
func guestVenue(t *testing.T, app core.App) string {
	t.Helper()
	if err := store.CreateVenue(app, store.NewVenue{VenueFields: store.VenueFields{Name: "Test Venue", TimeZone: "Europe/Berlin",
		Locale: "en", Notice: "We keep your details.", Email: "venue@example.com"}, NoticeVersion: 1}); err != nil {
		t.Fatal(err)
	}
	id, err := store.SaveOffering(app, store.Offering{Name: "Dinner", Slug: "dinner", Kind: booking.KindSlot, Duration: 120,
		Interval: 30, Capacity: 40, Mode: booking.ModePeople, MinParty: 1, MaxParty: 8, Horizon: 90, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// bookGuest books the offering at start for email with status (and a sensitive note, when
// given, consented at consentAt) and returns the booking.
func bookGuest(t *testing.T, app core.App, off, email string, start time.Time, status booking.Status, sensitive string, consentAt time.Time) *store.Booking {
	t.Helper()
	var b *store.Booking
	err := app.RunInTransaction(func(tx core.App) error {
		in, err := store.InsertBooking(tx, store.NewBooking{Offering: off, Slot: booking.Slot{Start: start, End: start.Add(2 * time.Hour)},
			Party: 2, Status: booking.StatusConfirmed, Name: "Gwen Guest", Email: email, Phone: "+44 20 7946 0123",
			Sensitive: sensitive, Source: store.SourceWeb, ConsentAt: consentAt, NoticeVersion: 1, NoticeText: "We keep your details.", Now: now})
		if err != nil {
			return err
		}
		if b, err = store.BookingByID(tx, in.ID); err != nil {
			return err
		}
		if status != booking.StatusConfirmed {
			return store.SetBookingStatus(tx, b, status, start)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGuestProfile: a guest's visits, no-shows, cancellations and upcoming bookings are
// counted from their bookings (another guest's not), their tags kept in order, and their
// profile note stored only sealed, only under the consent of a booking's sensitive note, and
// with the time and notice version of that consent. When the retention purge anonymises the
// last booking that holds such a consent, the note goes too (the tags stay while the guest
// has bookings); when it anonymises the last booking, the customer goes with tags and note.
//
// Not parallel: the note needs the encryption key in the environment.
func TestGuestProfile(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	st := newStore(t)
	app := st.App()
	off := guestVenue(t, app)
	day := func(d int) time.Time { return time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

	const email = "gwen.guest@example.com"
	visit1 := bookGuest(t, app, off, "Gwen.Guest@example.com", day(-40), booking.StatusCompleted, "", now)
	visit2 := bookGuest(t, app, off, email, day(-10), booking.StatusCheckedIn, "", now)
	bookGuest(t, app, off, email, day(-5), booking.StatusNoShow, "", now)
	bookGuest(t, app, off, email, day(-3), booking.StatusCancelled, "", now)
	upcoming := bookGuest(t, app, off, email, day(3), booking.StatusConfirmed, "", now)
	bookGuest(t, app, off, "someone.else@example.com", day(-2), booking.StatusCompleted, "", now)

	g, err := store.GuestProfileByID(app, visit1.Customer)
	if err != nil {
		t.Fatal(err)
	}
	if g.Email != email || g.Name != "Gwen Guest" || len(g.Tags()) != 0 || g.NoteSealed != "" {
		t.Fatalf("a new guest's profile = %+v", g)
	}
	if _, err := store.GuestProfileByID(app, "nosuchcustomer1"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("an unknown guest: %v, want sql.ErrNoRows", err)
	}
	stats, err := store.GuestStatsOf(app, g, now)
	if err != nil {
		t.Fatal(err)
	}
	want := store.GuestStats{Visits: 2, NoShows: 1, Cancellations: 1, Upcoming: 1, Total: 5, LastVisit: visit2.Start.Time()}
	if stats != want {
		t.Errorf("GuestStatsOf = %+v, want %+v", stats, want)
	}
	list, err := store.GuestBookingList(app, g, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != upcoming.ID || list[2].Status != booking.StatusNoShow {
		t.Errorf("the latest 3 bookings: %v", refsOf(list))
	}

	if err := store.SetGuestTags(app, g.ID, []string{"vip", "regular"}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetGuestTags(app, "nosuchcustomer1", []string{"vip"}); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("tags of an unknown guest: %v, want sql.ErrNoRows", err)
	}

	// No booking of theirs holds a consented sensitive note: no consent for a profile note.
	if _, err := store.NoteConsentOf(app, g); !errors.Is(err, store.ErrNoNoteConsent) {
		t.Fatalf("NoteConsentOf without a sensitive note = %v, want ErrNoNoteConsent", err)
	}
	consentedAt := now.Add(-72 * time.Hour)
	sensitive := bookGuest(t, app, off, email, day(-20), booking.StatusCompleted, "Coeliac", consentedAt)
	consent, err := store.NoteConsentOf(app, g)
	if err != nil || !consent.At.Equal(consentedAt) || consent.Notice != 1 {
		t.Fatalf("NoteConsentOf = %+v, %v; want the sensitive booking's consent at %v", consent, err, consentedAt)
	}
	const note = "Severe nut allergy; the kitchen knows"
	if err := store.SetGuestNote(app, g.ID, note, consent); err != nil {
		t.Fatal(err)
	}
	if g, err = store.GuestProfileByID(app, g.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(g.NoteSealed, "nut") || g.NoteSealed == "" {
		t.Fatalf("the note is stored as %q, want ciphertext", g.NoteSealed)
	}
	if plain, err := store.OpenSensitive(g.NoteSealed); err != nil || plain != note {
		t.Errorf("the stored note opens to %q (%v)", plain, err)
	}
	if !g.NoteConsentAt.Time().Equal(consentedAt) || g.NoteNotice != 1 || strings.Join(g.Tags(), ",") != "vip,regular" {
		t.Errorf("the profile keeps consent %v (notice %d) and tags %v", g.NoteConsentAt, g.NoteNotice, g.Tags())
	}
	if err := store.Validate(app, "customers", g.ID); err != nil {
		t.Errorf("the customer with tags and a note fails PocketBase's validation: %v", err)
	}

	// The purge anonymises the booking the consent came with: the note goes, the tags stay.
	err = app.RunInTransaction(func(tx core.App) error {
		_, _, err := store.AnonymiseBookings(tx, []string{sensitive.ID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if g, err = store.GuestProfileByID(app, g.ID); err != nil {
		t.Fatalf("the guest went while bookings of theirs keep their data: %v", err)
	}
	if g.NoteSealed != "" || !g.NoteConsentAt.IsZero() || g.NoteNotice != 0 || len(g.Tags()) != 2 {
		t.Errorf("after the consent's booking was purged: note %q, consent %v/%d, tags %v; want no note and the tags",
			g.NoteSealed, g.NoteConsentAt, g.NoteNotice, g.Tags())
	}

	// The purge of every other booking of theirs deletes the customer, tags and all.
	var rest []string
	if err := app.DB().Select("id").From("bookings").Where(dbx.NewExp("lower(email) = {:e}", dbx.Params{"e": email})).Column(&rest); err != nil {
		t.Fatal(err)
	}
	err = app.RunInTransaction(func(tx core.App) error {
		_, customers, err := store.AnonymiseBookings(tx, rest)
		if err == nil && customers != 1 {
			t.Errorf("customers deleted: %d, want 1", customers)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var left int
	_ = app.DB().Select("count(*)").From("customers").Where(dbx.NewExp("tags != '' OR id = {:id}", dbx.Params{"id": g.ID})).Row(&left)
	if left != 0 {
		t.Errorf("%d customers with tags (or the guest's row) left after the purge", left)
	}
}

// TestGuestNoteClearedWithoutConsentOrKey: an empty note deletes the note and its consent;
// without RESERVA_ENCRYPTION_KEY no note is stored (ErrNoKey).
//
// Not parallel: it changes the encryption key in the environment.
func TestGuestNoteClearedWithoutConsentOrKey(t *testing.T) {
	t.Setenv(store.EncryptionKeyEnv, "0123456789abcdef0123456789abcdef")
	st := newStore(t)
	app := st.App()
	off := guestVenue(t, app)
	b := bookGuest(t, app, off, "hal@example.com", now.Add(-48*time.Hour), booking.StatusCompleted, "Wheelchair", now.Add(-72*time.Hour))
	g, err := store.GuestProfileByID(app, b.Customer)
	if err != nil {
		t.Fatal(err)
	}
	consent, err := store.NoteConsentOf(app, g)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetGuestNote(app, g.ID, "Needs step-free access", consent); err != nil {
		t.Fatal(err)
	}
	if err := store.SetGuestNote(app, g.ID, "", store.NoteConsent{}); err != nil {
		t.Fatal(err)
	}
	if g, _ = store.GuestProfileByID(app, g.ID); g.NoteSealed != "" || !g.NoteConsentAt.IsZero() || g.NoteNotice != 0 {
		t.Errorf("an emptied note keeps %q, consent %v/%d", g.NoteSealed, g.NoteConsentAt, g.NoteNotice)
	}
	t.Setenv(store.EncryptionKeyEnv, "")
	if err := store.SetGuestNote(app, g.ID, "Needs step-free access", consent); !errors.Is(err, store.ErrNoKey) {
		t.Errorf("a note without a key: %v, want ErrNoKey", err)
	}
	if g, _ = store.GuestProfileByID(app, g.ID); g.NoteSealed != "" {
		t.Errorf("a note was stored without a key: %q", g.NoteSealed)
	}
}

func refsOf(list []*store.Booking) []string {
	var out []string
	for _, b := range list {
		out = append(out, b.Reference+" "+string(b.Status)+" "+b.Start.String())
	}
	return out
}
