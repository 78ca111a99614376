package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// SettingOIDC is the settings section of staff sign-in through an OpenID Connect provider
// (OIDC, its client secret in OIDCSecrets).
const SettingOIDC = "oidc"

// OIDC is the owner's identity provider as the settings store it. The endpoints are those its
// discovery document named when the owner saved it.
type OIDC struct {
	Enabled  bool   `json:"enabled"`
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	// Label is the sign-in button's text ("Sign in with Google Workspace").
	Label string `json:"label"`
	// PasswordOff refuses password sign-in to accounts linked to a person at the provider.
	PasswordOff bool `json:"password_off"`
	// From the discovery document (/.well-known/openid-configuration), when saved.
	AuthURL     string   `json:"authorization_endpoint"`
	TokenURL    string   `json:"token_endpoint"`
	JWKSURL     string   `json:"jwks_uri"`
	UserInfoURL string   `json:"userinfo_endpoint"`
	Algorithms  []string `json:"id_token_signing_alg_values_supported"`
}

// OIDCSecrets is the provider's client secret, stored sealed.
type OIDCSecrets struct {
	ClientSecret string `json:"client_secret"`
}

// Ready reports whether staff may sign in through the provider: switched on and complete.
func (o OIDC) Ready() bool {
	return o.Enabled && o.Issuer != "" && o.ClientID != "" && o.AuthURL != "" && o.TokenURL != "" && o.JWKSURL != ""
}

// LoadOIDC reads the provider's settings (the zero OIDC when none are saved). The client secret
// is read only when secret is true: NB! it needs RESERVA_ENCRYPTION_KEY.
func LoadOIDC(app core.App, secret bool) (OIDC, OIDCSecrets, error) {
	var o OIDC
	var s OIDCSecrets
	var sec any
	if secret {
		sec = &s
	}
	_, err := LoadSetting(app, SettingOIDC, &o, sec)
	return o, s, err
}

// SaveOIDC stores the provider's settings; a nil secret keeps the stored client secret. A
// secret is refused with ErrNoKey when RESERVA_ENCRYPTION_KEY is not set.
func SaveOIDC(app core.App, o OIDC, secret *OIDCSecrets) error {
	var sec any
	if secret != nil {
		sec = *secret
	}
	return SaveSetting(app, SettingOIDC, o, sec)
}

// OIDCEnabled reports whether a client secret can be stored: only with RESERVA_ENCRYPTION_KEY.
func OIDCEnabled() bool {
	_, err := sealKey()
	return err == nil
}

// OIDCIssuer and OIDCSubject name the person at the identity provider the account is linked
// to ("" when it is not linked).
func (s *Staff) OIDCIssuer() string  { return s.GetString("oidc_issuer") }
func (s *Staff) OIDCSubject() string { return s.GetString("oidc_subject") }

// OIDCLinked reports whether the account is linked to a person at an identity provider.
func (s *Staff) OIDCLinked() bool { return s.GetString("oidc_subject") != "" }

// OIDCLinkedAt is when the link was made (zero when none).
func (s *Staff) OIDCLinkedAt() time.Time { return s.GetDateTime("oidc_linked").Time() }

// LinkOIDC links the account to subject at issuer, at now (saved by Save).
func (s *Staff) LinkOIDC(issuer, subject string, now time.Time) {
	s.Set("oidc_issuer", issuer)
	s.Set("oidc_subject", subject)
	s.Set("oidc_linked", now.UTC())
}

// UnlinkOIDC removes the link (saved by Save).
func (s *Staff) UnlinkOIDC() {
	s.Set("oidc_issuer", "")
	s.Set("oidc_subject", "")
	s.Set("oidc_linked", "")
}

// StaffByOIDC finds the account linked to subject at issuer; sql.ErrNoRows when none is.
func StaffByOIDC(app core.App, issuer, subject string) (*Staff, error) {
	if issuer == "" || subject == "" {
		return nil, sql.ErrNoRows
	}
	rec, err := app.FindFirstRecordByFilter(colStaff, "oidc_issuer = {:i} && oidc_subject = {:s}",
		dbx.Params{"i": issuer, "s": subject})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sql.ErrNoRows
	}
	if err != nil {
		return nil, fmt.Errorf("staff: find by oidc: %w", err)
	}
	return staffOf(rec), nil
}

// oidcFlowKey seals the sign-in flow's cookie (state, nonce, PKCE verifier).
func oidcFlowKey() ([]byte, error) { return derivedKey("reserva oidc flow v1") }

// SealOIDCFlow encrypts v (a sign-in flow in progress) for a cookie; ErrNoKey without
// RESERVA_ENCRYPTION_KEY.
func SealOIDCFlow(v any) (string, error) {
	k, err := oidcFlowKey()
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("oidc flow: %w", err)
	}
	return seal(k, plain)
}

// OpenOIDCFlow decrypts a cookie made by SealOIDCFlow into v; an altered or foreign cookie is
// an error.
func OpenOIDCFlow(sealed string, v any) error {
	k, err := oidcFlowKey()
	if err != nil {
		return err
	}
	plain, err := unseal(k, sealed)
	if err != nil {
		return fmt.Errorf("oidc flow: %w", err)
	}
	return json.Unmarshal(plain, v)
}
