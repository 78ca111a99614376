package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// PocketBase's own auth-support collections (_mfas, _otps, _externalAuths, _authOrigins) let a
// signed-in record list its own rows through the REST API. Reserva signs nobody in through
// PocketBase's record auth (staff get their own sessions), so these are closed like everything
// else: superusers only. PocketBase's validation refuses any change to a system collection's
// rules (to protect dashboard users from loosening them); closing them entirely is safe, as
// PocketBase's own MFA/OTP/OAuth2 code reads these tables directly, never through the rules,
// so the save skips validation.
func init() {
	const ownerRule = "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId"
	names := []string{core.CollectionNameMFAs, core.CollectionNameOTPs, core.CollectionNameExternalAuths, core.CollectionNameAuthOrigins}
	m.Register(func(app core.App) error {
		for _, name := range names {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("lock %s: %w", name, err)
			}
			c.ListRule, c.ViewRule, c.CreateRule, c.UpdateRule, c.DeleteRule = nil, nil, nil, nil, nil
			if err := app.SaveNoValidate(c); err != nil {
				return fmt.Errorf("lock %s: %w", name, err)
			}
		}
		return nil
	}, func(app core.App) error {
		// PocketBase's defaults: owners may list and view; on external auths and auth origins
		// they may also delete.
		for _, name := range names {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("unlock %s: %w", name, err)
			}
			c.ListRule, c.ViewRule = types.Pointer(ownerRule), types.Pointer(ownerRule)
			if name == core.CollectionNameExternalAuths || name == core.CollectionNameAuthOrigins {
				c.DeleteRule = types.Pointer(ownerRule)
			}
			if err := app.SaveNoValidate(c); err != nil {
				return fmt.Errorf("unlock %s: %w", name, err)
			}
		}
		return nil
	})
}
