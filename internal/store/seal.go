package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/security"
)

// EncryptionKeyEnv names the variable holding the 32-character key that stored secrets are
// sealed with (PocketBase encrypts its own settings with it too).
const EncryptionKeyEnv = "RESERVA_ENCRYPTION_KEY"

// ErrNoKey means a secret must be stored but RESERVA_ENCRYPTION_KEY is not set.
var ErrNoKey = errors.New("seal: " + EncryptionKeyEnv + " is not set; secrets are only stored encrypted")

// sealKey returns the 32-byte AES-256 key from RESERVA_ENCRYPTION_KEY; ErrNoKey when unset.
func sealKey() ([]byte, error) {
	k := os.Getenv(EncryptionKeyEnv)
	if k == "" {
		return nil, ErrNoKey
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("seal: %s must be exactly 32 characters (got %d)", EncryptionKeyEnv, len(k))
	}
	return []byte(k), nil
}

// derivedKey is a key for one purpose, apart from the settings' key: HMAC-SHA256(key, purpose).
func derivedKey(purpose string) ([]byte, error) {
	k, err := sealKey()
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(purpose))
	return m.Sum(nil), nil
}

// seal encrypts plaintext with AES-256-GCM under key; the result is base64 of nonce||ciphertext.
func seal(key, plaintext []byte) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, plaintext, nil)), nil
}

// unseal reverses seal; a wrong key or altered data is an error, never garbage.
func unseal(key []byte, sealed string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("unseal: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("unseal: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("unseal: %w", err)
	}
	if len(raw) < gcm.NonceSize() {
		return nil, errors.New("unseal: too short")
	}
	out, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	if err != nil {
		return nil, fmt.Errorf("unseal: wrong key or altered data: %w", err)
	}
	return out, nil
}

// sensitivePurpose derives the key of special-category notes.
const sensitivePurpose = "reserva sensitive notes v1"

// SensitiveEnabled reports whether special-category notes can be taken: only with a key.
func SensitiveEnabled() bool {
	_, err := derivedKey(sensitivePurpose)
	return err == nil
}

// SealSensitive encrypts a sensitive note for storage.
func SealSensitive(plain string) (string, error) {
	k, err := derivedKey(sensitivePurpose)
	if err != nil {
		return "", err
	}
	return seal(k, []byte(plain))
}

// OpenSensitive decrypts a stored sensitive note ("" stays "").
func OpenSensitive(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	k, err := derivedKey(sensitivePurpose)
	if err != nil {
		return "", err
	}
	b, err := unseal(k, sealed)
	return string(b), err
}

// sealSoft stores a secret sealed under the key key returns ("sealed:…"), or as it is
// ("plain:…") when no RESERVA_ENCRYPTION_KEY is set (local use; `serve DOMAIN` requires the key).
func sealSoft(key func() ([]byte, error), secret string) (string, error) {
	k, err := key()
	if errors.Is(err, ErrNoKey) {
		return "plain:" + secret, nil
	}
	if err != nil {
		return "", err
	}
	s, err := seal(k, []byte(secret))
	return "sealed:" + s, err
}

// openSoft reverses sealSoft.
func openSoft(key func() ([]byte, error), stored string) (string, error) {
	if s, ok := strings.CutPrefix(stored, "plain:"); ok {
		return s, nil
	}
	s, ok := strings.CutPrefix(stored, "sealed:")
	if !ok {
		return "", errors.New("seal: unknown secret format")
	}
	k, err := key()
	if err != nil {
		return "", err
	}
	b, err := unseal(k, s)
	return string(b), err
}

// SealTOTP stores a staff member's TOTP secret (sealed with the key itself, as since the
// dashboard's first version).
func SealTOTP(secret string) (string, error) { return sealSoft(sealKey, secret) }

// OpenTOTP reads a stored TOTP secret.
func OpenTOTP(stored string) (string, error) {
	s, err := openSoft(sealKey, stored)
	if err != nil {
		return "", fmt.Errorf("2fa: %w", err)
	}
	return s, nil
}

// mailTokenKey seals the manage token an outbox row carries until its mail is sent.
func mailTokenKey() ([]byte, error) { return derivedKey("reserva outbox tokens v1") }

// ErrOtherKey means the data was encrypted under another RESERVA_ENCRYPTION_KEY than the one
// set (or under one while none is set): a database restored onto a new server needs the key of
// the server it comes from.
var ErrOtherKey = errors.New("the stored settings and secrets were encrypted with another " + EncryptionKeyEnv +
	": set the key of the server the data comes from (the old key is needed; a new key cannot read them)")

// CheckKeyOf reports whether the database at path can be read with key (the value of
// RESERVA_ENCRYPTION_KEY, "" when unset): nil when its settings are stored in clear or decrypt
// under key, an error wrapping ErrOtherKey when they do not. It opens the file read-only.
func CheckKeyOf(path, key string) error {
	db, err := dbx.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("key check: open: %w", err)
	}
	defer db.Close()
	var values []string
	if err := db.NewQuery("SELECT value FROM _params WHERE id = 'settings'").Column(&values); err != nil {
		return fmt.Errorf("key check: %w", err)
	}
	if len(values) == 0 || json.Valid([]byte(values[0])) && strings.HasPrefix(strings.TrimSpace(values[0]), "{") {
		return nil // no settings yet, or stored in clear
	}
	if key == "" {
		return fmt.Errorf("%w (%s is not set)", ErrOtherKey, EncryptionKeyEnv)
	}
	if _, err := security.Decrypt(values[0], key); err != nil {
		return ErrOtherKey
	}
	return nil
}

// ExplainKeyError turns PocketBase's failure to decrypt its stored settings at start
// ("cipher: message authentication failed", or the settings are encrypted and no key is set)
// into ErrOtherKey; other errors are returned as they are.
func ExplainKeyError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "message authentication failed") || strings.Contains(msg, "missing encryption key") {
		return fmt.Errorf("%w (%v)", ErrOtherKey, err)
	}
	return err
}
