package hooks

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// loadSetting reads the settings section key: its plain value into value and, when secrets is
// not nil, its sealed secrets into secrets. A missing section leaves both untouched. Secrets
// stored without RESERVA_ENCRYPTION_KEY available cannot be read: that is an error.
func loadSetting(app core.App, key string, value, secrets any) (found bool, err error) {
	rec, err := app.FindFirstRecordByData("settings", "key", key)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("settings %s: %w", key, err)
	}
	if raw := rec.GetString("value"); raw != "" && raw != "null" {
		if err := json.Unmarshal([]byte(raw), value); err != nil {
			return true, fmt.Errorf("settings %s: %w", key, err)
		}
	}
	if sealed := rec.GetString("sealed"); secrets != nil && sealed != "" {
		k, err := sealKey()
		if err != nil {
			return true, fmt.Errorf("settings %s: %w", key, err)
		}
		plain, err := unseal(k, sealed)
		if err != nil {
			return true, fmt.Errorf("settings %s: %w", key, err)
		}
		if err := json.Unmarshal(plain, secrets); err != nil {
			return true, fmt.Errorf("settings %s: %w", key, err)
		}
	}
	return true, nil
}

// saveSetting stores the settings section key: value in plain JSON and secrets sealed with
// RESERVA_ENCRYPTION_KEY (refused with errNoKey when the key is not set: secrets are never
// stored in clear). A nil secrets keeps the stored ones.
func saveSetting(app core.App, key string, value, secrets any) error {
	rec, err := app.FindFirstRecordByData("settings", "key", key)
	if errors.Is(err, sql.ErrNoRows) {
		col, cerr := app.FindCachedCollectionByNameOrId("settings")
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
