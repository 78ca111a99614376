package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Repairs the databases of migration 1795510002, which was renamed after it had landed: first
// named …_privacy_requests.go, it made the collection privacy_requests; renamed, it made
// gdpr_requests instead, so a database that ran the old file has both, the requests logged
// before the upgrade stranded in the old one (their addresses never erased). They move into
// gdpr_requests; the old collection and the old file's entry in _migrations go. Idempotent.
//
// (1795505000 was edited too, to count places held for the waitlist; 1795510005 already makes
// its triggers again on the databases that ran the first version.)
func init() {
	m.Register(func(app core.App) error {
		return moveOldPrivacyRequests(app)
	}, func(core.App) error {
		// Nothing to undo: the repaired state is the one the earlier migrations meant.
		return nil
	})
}

func moveOldPrivacyRequests(app core.App) error {
	old, err := app.FindCollectionByNameOrId("privacy_requests")
	if err != nil {
		return nil // never made: a database that ran the renamed file only
	}
	_, err = app.DB().NewQuery(`INSERT INTO gdpr_requests (id, kind, subject, channel, received, due, status, notes, handled_by, handled_at, created, updated)
		SELECT id, kind, subject, channel, received, due, status, notes, handled_by, handled_at, created, updated FROM privacy_requests
		WHERE id NOT IN (SELECT id FROM gdpr_requests)`).Execute()
	if err != nil {
		return fmt.Errorf("repair privacy_requests: move the rows: %w", err)
	}
	if err := app.Delete(old); err != nil {
		return fmt.Errorf("repair privacy_requests: drop the old collection: %w", err)
	}
	if _, err := app.DB().NewQuery("DELETE FROM _migrations WHERE file = '1795510002_privacy_requests.go'").Execute(); err != nil {
		return fmt.Errorf("repair privacy_requests: %w", err)
	}
	return nil
}
