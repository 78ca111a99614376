package store

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// tokenBytes is a token's entropy: 256 random bits, twice the public contract's minimum.
const tokenBytes = 32

// tokenLen is the length of a token in its URL form (unpadded base64url).
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// NewToken returns a fresh secret token and the SHA-256 hash to store. NB! Only the hash may be
// stored or logged; the token itself goes to its holder and nowhere else.
func NewToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	// crypto/rand.Read never returns an error (Go 1.24+): it crashes the program rather than
	// hand out predictable bytes.
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token (or of any secret looked up by value): lowercase
// hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormedToken reports whether s could be a token at all, so malformed links are refused
// without touching the database.
func WellFormedToken(s string) bool {
	if len(s) != tokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// referenceAlphabet has no letters or digits that read alike (0/O, 1/I/L, 2/Z, 5/S, 8/B).
const referenceAlphabet = "ACDEFGHJKMNPQRTUVWXY34679"

// newReference returns a short human booking reference such as "K7M-4QX" (about 2^28 values;
// the insert retries on the rare collision).
func newReference() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	out := make([]byte, 0, 7)
	for i, c := range b {
		if i == 3 {
			out = append(out, '-')
		}
		// 256 % 25 = 6: a negligible bias for a reference that is not a secret.
		out = append(out, referenceAlphabet[int(c)%len(referenceAlphabet)])
	}
	return string(out)
}

// Token purposes, as booking_tokens records them.
const (
	purposeWeb = "web" // the link the booking page redirects to
)

// IssueBookingToken creates a manage token for booking (purpose says for what: "web" or the
// mail it goes out in) and stores its hash. Every token stays valid while the booking's data
// exists. Call it inside the transaction that writes the booking or the mail.
func IssueBookingToken(tx core.App, bookingID, purpose string) (string, error) {
	token, hash := NewToken()
	_, err := tx.DB().NewQuery(`INSERT INTO booking_tokens (id, booking, token_hash, purpose, created)
		VALUES ({:id}, {:b}, {:h}, {:p}, {:now})`).
		Bind(dbx.Params{"id": newID(), "b": bookingID, "h": hash, "p": purpose, "now": stamp()}).Execute()
	if err != nil {
		return "", fmt.Errorf("token: save: %w", err)
	}
	return token, nil
}

// BookingIDByToken returns the id of the booking a manage token opens; sql.ErrNoRows when none
// (a malformed token included).
func BookingIDByToken(app core.App, token string) (string, error) {
	if !WellFormedToken(token) {
		return "", sql.ErrNoRows
	}
	var id string
	err := app.DB().NewQuery("SELECT booking FROM booking_tokens WHERE token_hash = {:h} LIMIT 1").
		Bind(dbx.Params{"h": HashToken(token)}).Row(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", sql.ErrNoRows
	}
	if err != nil {
		return "", fmt.Errorf("token: lookup: %w", err)
	}
	return id, nil
}
