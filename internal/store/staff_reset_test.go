package store_test

import (
	"database/sql"
	"errors"
	"testing"
	"time"

	"reserva/internal/store"
)

// TestPasswordResetLinks: a new link ends the member's earlier ones (another member's stay),
// a used or expired link is closed, links count by when they were asked for, and the member's
// links that expired a day ago are deleted when they ask again.
func TestPasswordResetLinks(t *testing.T) {
	t.Parallel()
	app := newStore(t).App()
	ada, err := store.CreateStaff(app, "ada@example.com", "Ada", store.RoleFrontdesk, "violet-harbour-lantern", now)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := store.CreateStaff(app, "bob@example.com", "Bob", store.RoleManager, "violet-harbour-lantern", now)
	if err != nil {
		t.Fatal(err)
	}
	open := func(token string, at time.Time) bool {
		t.Helper()
		r, err := store.PasswordResetByToken(app, token)
		if err != nil {
			t.Fatalf("reset by token: %v", err)
		}
		return r.Open(at)
	}
	first, err := store.NewPasswordReset(app, ada.Id, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bobs, err := store.NewPasswordReset(app, bob.Id, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !open(first, now.Add(59*time.Minute)) || open(first, now.Add(time.Hour)) {
		t.Errorf("a link is open for exactly its hour")
	}
	later := now.Add(10 * time.Minute)
	second, err := store.NewPasswordReset(app, ada.Id, later, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if open(first, later) {
		t.Errorf("the earlier link stays open after a new one")
	}
	if !open(second, later) || !open(bobs, later) {
		t.Errorf("the new link, or another member's, is closed")
	}
	if n, err := store.PasswordResetsSince(app, ada.Id, now.Add(-time.Minute)); err != nil || n != 2 {
		t.Errorf("links since before the first = %d, %v; want 2", n, err)
	}
	if n, _ := store.PasswordResetsSince(app, ada.Id, now.Add(time.Minute)); n != 1 {
		t.Errorf("links since after the first = %d, want 1", n)
	}

	r, err := store.PasswordResetByToken(app, second)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.UsePasswordReset(app, r.ID, later); err != nil {
		t.Fatal(err)
	}
	if open(second, later) {
		t.Errorf("a used link is open")
	}

	// A day after both expired, asking again deletes them.
	third, err := store.NewPasswordReset(app, ada.Id, later.Add(26*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{first, second} {
		if _, err := store.PasswordResetByToken(app, gone); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("an old link is kept: %v", err)
		}
	}
	if !open(third, later.Add(26*time.Hour)) {
		t.Errorf("the newest link is closed")
	}
	if _, err := store.PasswordResetByToken(app, "no such token"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("an unknown token: %v, want sql.ErrNoRows", err)
	}
}
