package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// The settings sections.
const (
	SettingMail   = "mail"   // the SMTP relays (MailSettings, passwords in MailSecrets)
	SettingAccess = "access" // who may reach the dashboard (Access)
)

// Relay is one SMTP relay as the mail section stores it (its password is sealed apart).
type Relay struct {
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Username    string `json:"username"`
	TLS         string `json:"tls"`
	FromName    string `json:"from_name"`
	FromAddress string `json:"from_address"`
}

// MailSettings are the relays set in the dashboard.
type MailSettings struct {
	Primary   Relay `json:"primary"`
	Secondary Relay `json:"secondary"`
}

// MailSecrets are the relays' passwords, stored sealed.
type MailSecrets struct {
	Primary   string `json:"primary_password"`
	Secondary string `json:"secondary_password"`
}

// Access are the owner's access rules.
type Access struct {
	Allow      []string `json:"allow"`       // IPs/CIDRs that may reach /admin/ and /_/; empty: any
	Require2FA bool     `json:"require_2fa"` // every staff member needs an authenticator app
}

// LoadSetting reads the settings section key: its plain value into value and, when secrets is
// not nil, its sealed secrets into secrets. A missing section leaves both untouched. Secrets
// stored without RESERVA_ENCRYPTION_KEY available cannot be read: that is an error.
func LoadSetting(app core.App, key string, value, secrets any) (found bool, err error) {
	var row struct {
		Value  sql.NullString `db:"value"`
		Sealed string         `db:"sealed"`
	}
	err = app.DB().Select("value", "sealed").From(colSettings).Where(hashExp("key", key)).Limit(1).One(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("settings %s: %w", key, err)
	}
	if raw := row.Value.String; raw != "" && raw != "null" {
		if err := json.Unmarshal([]byte(raw), value); err != nil {
			return true, fmt.Errorf("settings %s: %w", key, err)
		}
	}
	if secrets != nil && row.Sealed != "" {
		k, err := sealKey()
		if err != nil {
			return true, fmt.Errorf("settings %s: %w", key, err)
		}
		plain, err := unseal(k, row.Sealed)
		if err != nil {
			return true, fmt.Errorf("settings %s: %w", key, err)
		}
		if err := json.Unmarshal(plain, secrets); err != nil {
			return true, fmt.Errorf("settings %s: %w", key, err)
		}
	}
	return true, nil
}

// SaveSetting stores the settings section key: value in plain JSON and secrets sealed with
// RESERVA_ENCRYPTION_KEY (refused with ErrNoKey when the key is not set: secrets are never
// stored in clear). A nil secrets keeps the stored ones.
func SaveSetting(app core.App, key string, value, secrets any) error {
	rec, err := app.FindFirstRecordByData(colSettings, "key", key)
	if errors.Is(err, sql.ErrNoRows) {
		col, cerr := app.FindCachedCollectionByNameOrId(colSettings)
		if cerr != nil {
			return fmt.Errorf("settings %s: %w", key, cerr)
		}
		rec, err = core.NewRecord(col), nil
		rec.Set("key", key)
	}
	if err != nil {
		return fmt.Errorf("settings %s: %w", key, err)
	}
	rec.Set("value", value)
	if secrets != nil {
		k, err := sealKey()
		if err != nil {
			return err
		}
		plain, err := json.Marshal(secrets)
		if err != nil {
			return fmt.Errorf("settings %s: %w", key, err)
		}
		sealed, err := seal(k, plain)
		if err != nil {
			return err
		}
		rec.Set("sealed", sealed)
	}
	if err := app.Save(rec); err != nil {
		return fmt.Errorf("settings %s: save: %w", key, err)
	}
	return nil
}

// LoadAccess reads the access rules (none set: anyone may reach the dashboard's sign-in).
func LoadAccess(app core.App) (Access, error) {
	var a Access
	_, err := LoadSetting(app, SettingAccess, &a, nil)
	return a, err
}
