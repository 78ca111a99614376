package hooks

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
)

// errNoKey means a secret must be stored but RESERVA_ENCRYPTION_KEY is not set.
var errNoKey = errors.New("seal: " + EncryptionKeyEnv + " is not set; secrets are only stored encrypted")

// sealKey returns the 32-byte AES-256 key from RESERVA_ENCRYPTION_KEY (the key PocketBase
// encrypts its own settings with); errNoKey when unset.
func sealKey() ([]byte, error) {
	k := os.Getenv(EncryptionKeyEnv)
	if k == "" {
		return nil, errNoKey
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("seal: %s must be exactly 32 characters (got %d)", EncryptionKeyEnv, len(k))
	}
	return []byte(k), nil
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
