package store

import (
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
)

const (
	colAPIKeys        = "api_keys"
	colAPIIdempotency = "api_idempotency"
)

// Scope is what an API key may do.
type Scope string

// The scopes of the booking API.
const (
	ScopeBookingsRead  Scope = "bookings:read"  // list and read bookings, with the guest's contact details
	ScopeBookingsWrite Scope = "bookings:write" // make bookings
)

// Scopes are the scopes, in the order the dashboard lists them.
var Scopes = []Scope{ScopeBookingsRead, ScopeBookingsWrite}

// SourceAPI is a booking made through the booking API, with an owner's key.
const SourceAPI Source = "api"

// APIKeyPrefix begins every API key: rsv_<public id>_<secret>.
const APIKeyPrefix = "rsv_"

const (
	apiPublicIDLen = 12 // characters of a-z0-9: not secret, it finds the key
	apiSecretBytes = 32 // 256 random bits, written as 64 hex digits
)

// APITouchEvery is how often a key's last use is written: at most once this long, so a busy
// program does not cost a write per request.
const APITouchEvery = time.Minute

// ErrBadAPIKey refuses an API key that is malformed, unknown or revoked.
var ErrBadAPIKey = errors.New("api: no such key")

// APIKey is a key the owner made for another program. NB! SecretHash is the SHA-256 of the
// key's secret part; the key itself is shown once, when made, and never stored.
type APIKey struct {
	ID         string         `db:"id"`
	Name       string         `db:"name"`
	PublicID   string         `db:"public_id"`
	SecretHash string         `db:"secret_hash"`
	Scopes     string         `db:"scopes"` // space-separated Scopes
	RevokedAt  types.DateTime `db:"revoked_at"`
	LastUsed   types.DateTime `db:"last_used"`
	CreatedBy  string         `db:"created_by"` // the staff member who made it
	Created    types.DateTime `db:"created"`
}

// Has reports whether the key carries scope s.
func (k *APIKey) Has(s Scope) bool { return slices.Contains(strings.Fields(k.Scopes), string(s)) }

// Revoked reports whether the key was revoked.
func (k *APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// ValidScopes reports whether every one of names is a scope (and there is at least one).
func ValidScopes(names []string) bool {
	if len(names) == 0 {
		return false
	}
	for _, n := range names {
		if !slices.Contains(Scopes, Scope(n)) {
			return false
		}
	}
	return true
}

// scopeList is the scopes as the key's row stores them, in the order of Scopes.
func scopeList(scopes []Scope) string {
	var out []string
	for _, s := range Scopes {
		if slices.Contains(scopes, s) {
			out = append(out, string(s))
		}
	}
	return strings.Join(out, " ")
}

// AddAPIKey makes a key named name with scopes, made by staff member by, and returns its row
// and the key itself. NB! The key is returned here only: show it to the owner once and forget it.
func AddAPIKey(app core.App, name string, scopes []Scope, by string) (*APIKey, string, error) {
	public := randomLower(apiPublicIDLen)
	b := make([]byte, apiSecretBytes)
	_, _ = rand.Read(b)
	secret := hex.EncodeToString(b)
	k := &APIKey{ID: newID(), Name: name, PublicID: public, SecretHash: HashToken(secret), Scopes: scopeList(scopes), CreatedBy: by}
	now := stamp()
	_, err := app.DB().Insert(colAPIKeys, dbx.Params{"id": k.ID, "name": k.Name, "public_id": k.PublicID, "secret_hash": k.SecretHash,
		"scopes": k.Scopes, "revoked_at": "", "last_used": "", "created_by": by, "created": now, "updated": now}).Execute()
	if err != nil {
		return nil, "", fmt.Errorf("api: add key: %w", err)
	}
	k.Created, _ = types.ParseDateTime(now)
	return k, APIKeyPrefix + public + "_" + secret, nil
}

// randomLower is n random characters of a-z0-9.
func randomLower(n int) string {
	return security.RandomStringWithAlphabet(n, "abcdefghijklmnopqrstuvwxyz0123456789")
}

// APIKeys lists every key, revoked ones too, the newest first.
func APIKeys(app core.App) ([]*APIKey, error) {
	var out []*APIKey
	if err := app.DB().NewQuery("SELECT * FROM api_keys ORDER BY created DESC, id DESC").All(&out); err != nil {
		return nil, fmt.Errorf("api: keys: %w", err)
	}
	return out, nil
}

// APIKeyByID returns one key; sql.ErrNoRows when there is none.
func APIKeyByID(app core.App, id string) (*APIKey, error) {
	var k APIKey
	if err := app.DB().NewQuery("SELECT * FROM api_keys WHERE id = {:id}").Bind(dbx.Params{"id": id}).One(&k); err != nil {
		return nil, errNotFound(err)
	}
	return &k, nil
}

// RevokeAPIKey revokes the key id at now: every later request with it is refused. Revoking a
// revoked key changes nothing; sql.ErrNoRows when there is none.
func RevokeAPIKey(app core.App, id string, now time.Time) error {
	k, err := APIKeyByID(app, id)
	if err != nil {
		return err
	}
	if k.Revoked() {
		return nil
	}
	_, err = app.DB().Update(colAPIKeys, dbx.Params{"revoked_at": DBTime(now), "updated": stamp()}, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("api: revoke %s: %w", id, err)
	}
	return nil
}

// AuthenticateAPIKey returns the key that plain is; ErrBadAPIKey when it is malformed, unknown
// or revoked. The public part finds the row, the secret's hash is compared in constant time.
func AuthenticateAPIKey(app core.App, plain string) (*APIKey, error) {
	rest, ok := strings.CutPrefix(plain, APIKeyPrefix)
	if !ok || len(plain) > 200 {
		return nil, ErrBadAPIKey
	}
	public, secret, ok := strings.Cut(rest, "_")
	if !ok || len(public) != apiPublicIDLen || len(secret) != 2*apiSecretBytes || !lowerAlnum(public) {
		return nil, ErrBadAPIKey
	}
	var k APIKey
	err := app.DB().NewQuery("SELECT * FROM api_keys WHERE public_id = {:p}").Bind(dbx.Params{"p": public}).One(&k)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrBadAPIKey
	}
	if err != nil {
		return nil, fmt.Errorf("api: find key: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(HashToken(secret)), []byte(k.SecretHash)) != 1 || k.Revoked() {
		return nil, ErrBadAPIKey
	}
	return &k, nil
}

func lowerAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// TouchAPIKey records that k was used at now, when its last use is older than APITouchEvery
// (otherwise it writes nothing); it reports whether it wrote.
func TouchAPIKey(app core.App, k *APIKey, now time.Time) (bool, error) {
	if !k.LastUsed.IsZero() && now.Sub(k.LastUsed.Time()) < APITouchEvery {
		return false, nil
	}
	_, err := app.DB().Update(colAPIKeys, dbx.Params{"last_used": DBTime(now)}, hashExp("id", k.ID)).Execute()
	if err != nil {
		return false, fmt.Errorf("api: touch %s: %w", k.ID, err)
	}
	return true, nil
}

// IdempotencyWindow is how long the first answer to an Idempotency-Key is kept.
const IdempotencyWindow = 24 * time.Hour

// ErrIdempotencyReused refuses an Idempotency-Key sent again with another request body.
var ErrIdempotencyReused = errors.New("api: idempotency key reused with another body")

// RememberedBooking returns the booking the key's first request with Idempotency-Key idem
// made, within IdempotencyWindow before now; sql.ErrNoRows when there was none,
// ErrIdempotencyReused when that request had another body (bodyHash: SHA-256 hex).
func RememberedBooking(app core.App, apiKey, idem, bodyHash string, now time.Time) (string, error) {
	var r struct {
		BodyHash string `db:"body_hash"`
		Booking  string `db:"booking"`
	}
	err := app.DB().NewQuery("SELECT body_hash, booking FROM api_idempotency WHERE api_key = {:k} AND `key` = {:i} AND created >= {:since}").
		Bind(dbx.Params{"k": apiKey, "i": idem, "since": DBTime(now.Add(-IdempotencyWindow))}).One(&r)
	if err != nil {
		return "", errNotFound(err)
	}
	if subtle.ConstantTimeCompare([]byte(r.BodyHash), []byte(bodyHash)) != 1 {
		return "", ErrIdempotencyReused
	}
	return r.Booking, nil
}

// RememberBooking records that the key's request with Idempotency-Key idem and body bodyHash
// made bookingID, and forgets the key's records older than the window. Call it inside the
// write that made the booking.
func RememberBooking(tx core.App, apiKey, idem, bodyHash, bookingID string, now time.Time) error {
	_, err := tx.DB().Delete(colAPIIdempotency, dbx.NewExp("api_key = {:k} AND (`key` = {:i} OR created < {:cut})",
		dbx.Params{"k": apiKey, "i": idem, "cut": DBTime(now.Add(-IdempotencyWindow))})).Execute()
	if err != nil {
		return fmt.Errorf("api: idempotency: %w", err)
	}
	at := DBTime(now)
	_, err = tx.DB().Insert(colAPIIdempotency, dbx.Params{"id": newID(), "api_key": apiKey, "key": idem, "body_hash": bodyHash,
		"booking": bookingID, "created": at, "updated": at}).Execute()
	if err != nil {
		return fmt.Errorf("api: idempotency: %w", err)
	}
	return nil
}

// FeedRow is a booking as the booking API lists it.
type FeedRow struct {
	ID        string         `db:"id"`
	Reference string         `db:"reference"`
	Offering  string         `db:"offering"` // the offering's slug
	Start     types.DateTime `db:"start"`
	End       types.DateTime `db:"end"`
	Party     int            `db:"party"`
	Status    string         `db:"status"`
	Source    string         `db:"source"`
	Resources string         `db:"resources"`
	Name      string         `db:"name"`
	Email     string         `db:"email"`
	Phone     string         `db:"phone"`
}

const feedColumns = `b.id, b.reference, coalesce(o.slug, '') AS offering, b.start, b."end", b.party, b.status, b.source, b.resources,
	b.name, b.email, b.phone`

// FeedCursor is where a page of the feed ends: the start and id of its last booking.
type FeedCursor struct {
	Start string // as stored
	ID    string
}

// BookingFeed returns up to limit of the bookings f selects, by (start, id), after the
// cursor (zero: from the first). It walks the index of (start, id) as the export does, so
// pages neither shift nor repeat while bookings are made.
func BookingFeed(app core.App, f Filter, after FeedCursor, limit int) ([]FeedRow, error) {
	where := "b.start >= {:from} AND b.start < {:to}"
	params := dbx.Params{"from": DBTime(f.From), "to": DBTime(f.To), "n": limit}
	if f.Offering != "" {
		where += " AND b.offering = {:o}"
		params["o"] = f.Offering
	}
	if f.Status != "" {
		where += " AND b.status = {:s}"
		params["s"] = string(f.Status)
	}
	if after.ID != "" {
		// A row value, as the export's pages: the index of (start, id) starts at the row after.
		where += " AND (b.start, b.id) > ({:as}, {:aid})"
		params["as"], params["aid"] = after.Start, after.ID
	}
	var rows []FeedRow
	err := app.DB().NewQuery("SELECT " + feedColumns + " FROM bookings b LEFT JOIN offerings o ON o.id = b.offering WHERE " + where +
		" ORDER BY b.start, b.id LIMIT {:n}").Bind(params).All(&rows)
	if err != nil {
		return nil, fmt.Errorf("api: bookings: %w", err)
	}
	return rows, nil
}

// OfferingIDBySlug returns the id of the offering with slug, active or not; sql.ErrNoRows when none.
func OfferingIDBySlug(app core.App, slug string) (string, error) {
	var id string
	err := app.DB().NewQuery("SELECT id FROM offerings WHERE slug = {:s} LIMIT 1").Bind(dbx.Params{"s": slug}).Row(&id)
	return id, errNotFound(err)
}

// APIBooking returns the booking with reference as the API shows it; sql.ErrNoRows when none.
func APIBooking(app core.App, reference string) (*FeedRow, error) {
	var r FeedRow
	err := app.DB().NewQuery("SELECT " + feedColumns + " FROM bookings b LEFT JOIN offerings o ON o.id = b.offering WHERE b.reference = {:r}").
		Bind(dbx.Params{"r": reference}).One(&r)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &r, nil
}

// APIBookingByID is APIBooking by the booking's id (inside the write that made it).
func APIBookingByID(app core.App, id string) (*FeedRow, error) {
	var r FeedRow
	err := app.DB().NewQuery("SELECT " + feedColumns + " FROM bookings b LEFT JOIN offerings o ON o.id = b.offering WHERE b.id = {:id}").
		Bind(dbx.Params{"id": id}).One(&r)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &r, nil
}

// SessionAt returns the id of the offering's session starting at start; sql.ErrNoRows when none.
func SessionAt(app core.App, offering string, start time.Time) (string, error) {
	var id string
	err := app.DB().NewQuery("SELECT id FROM sessions WHERE offering = {:o} AND start = {:s} LIMIT 1").
		Bind(dbx.Params{"o": offering, "s": DBTime(start)}).Row(&id)
	return id, errNotFound(err)
}
