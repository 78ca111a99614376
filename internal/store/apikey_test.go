package store_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"reserva/internal/store"
)

// TestAPIKeyAuthentication: a key is found by its public part and accepted only with its own
// secret; a malformed, unknown or revoked key is ErrBadAPIKey; scopes are what it was made with.
func TestAPIKeyAuthentication(t *testing.T) {
	t.Parallel()
	app := newStore(t).App()
	k, plain, err := store.AddAPIKey(app, "Till", []store.Scope{store.ScopeBookingsWrite}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, "rsv_"+k.PublicID+"_") || len(plain) != len("rsv_")+12+1+64 {
		t.Fatalf("key %q", plain)
	}
	if !k.Has(store.ScopeBookingsWrite) || k.Has(store.ScopeBookingsRead) {
		t.Errorf("scopes %q", k.Scopes)
	}
	got, err := store.AuthenticateAPIKey(app, plain)
	if err != nil || got.ID != k.ID {
		t.Fatalf("the key itself = %v, %v", got, err)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	for name, bad := range map[string]string{
		"empty":            "",
		"no prefix":        plain[4:],
		"other prefix":     "rsk_" + plain[4:],
		"secret changed":   flip(plain, len(plain)-1),
		"public changed":   flip(plain, 4),
		"secret cut":       plain[:len(plain)-1],
		"secret longer":    plain + "0",
		"upper-case":       strings.ToUpper(plain),
		"no separator":     strings.Replace(plain[4:], "_", "", 1),
		"whitespace":       plain + " ",
		"long":             plain + strings.Repeat("0", 300),
		"underscore in id": "rsv_abc_defghijkl_" + plain[17:],
	} {
		if _, err := store.AuthenticateAPIKey(app, bad); !errors.Is(err, store.ErrBadAPIKey) {
			t.Errorf("%s: %v, want ErrBadAPIKey", name, err)
		}
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	if err := store.RevokeAPIKey(app, k.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := store.RevokeAPIKey(app, k.ID, now.Add(time.Hour)); err != nil {
		t.Errorf("revoking again: %v", err)
	}
	if r, _ := store.APIKeyByID(app, k.ID); !r.RevokedAt.Time().Equal(now) {
		t.Errorf("revoked at %v, want the first revocation's %v", r.RevokedAt, now)
	}
	if _, err := store.AuthenticateAPIKey(app, plain); !errors.Is(err, store.ErrBadAPIKey) {
		t.Errorf("a revoked key: %v", err)
	}
	if err := store.RevokeAPIKey(app, "nosuchkey000000", now); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("revoking none: %v", err)
	}
}

// TestAPIKeyTouch: the last use is written at most once a minute.
func TestAPIKeyTouch(t *testing.T) {
	t.Parallel()
	app := newStore(t).App()
	k, _, err := store.AddAPIKey(app, "Reports", []store.Scope{store.ScopeBookingsRead}, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		at    time.Duration
		wrote bool
	}{{0, true}, {30 * time.Second, false}, {59 * time.Second, false}, {61 * time.Second, true}, {90 * time.Second, false}} {
		k, _ = store.APIKeyByID(app, k.ID)
		wrote, err := store.TouchAPIKey(app, k, now.Add(tt.at))
		if err != nil || wrote != tt.wrote {
			t.Errorf("touch at +%v wrote %v (%v), want %v", tt.at, wrote, err, tt.wrote)
		}
	}
}
