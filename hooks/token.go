package hooks

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

// tokenBytes is the manage token's entropy: 256 random bits, twice the contract's minimum.
const tokenBytes = 32

// tokenLen is the length of a token in its URL form (unpadded base64url).
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// newToken returns a fresh manage token and the SHA-256 hash to store. NB! Only the hash may be
// stored or logged; the token itself goes to the visitor and nowhere else.
func newToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	// crypto/rand.Read never returns an error (Go 1.24+): it crashes the program rather than
	// hand out predictable bytes.
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is the stored form of a token: lowercase hex SHA-256.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormedToken reports whether s could be a token at all, so malformed links are refused
// without touching the database.
func wellFormedToken(s string) bool {
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
// the caller retries on the rare collision).
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

// issueToken creates a new manage token for booking (each mail about a booking carries its
// own; all stay valid while the booking's data exists) and stores its hash. Call it inside the
// transaction that writes the booking or the mail.
func issueToken(tx core.App, bookingID, purpose string) (string, error) {
	col, err := tx.FindCachedCollectionByNameOrId("booking_tokens")
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	token, hash := newToken()
	rec := core.NewRecord(col)
	rec.Set("booking", bookingID)
	rec.Set("token_hash", hash)
	rec.Set("purpose", purpose)
	if err := tx.Save(rec); err != nil {
		return "", fmt.Errorf("token: save: %w", err)
	}
	return token, nil
}

// bookingIDByToken returns the id of the booking a token opens; sql.ErrNoRows when none.
func bookingIDByToken(app core.App, token string) (string, error) {
	var id string
	err := app.DB().Select("booking").From("booking_tokens").
		Where(dbx.HashExp{"token_hash": hashToken(token)}).Limit(1).Row(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", sql.ErrNoRows
	}
	if err != nil {
		return "", fmt.Errorf("token: lookup: %w", err)
	}
	return id, nil
}
