//go:build integration

package realtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// OIDCProviderInstall is how .ci/run installs the OpenID Connect provider of the tests: the
// example OP of zitadel/oidc, renamed from go install's "server".
const OIDCProviderInstall = "go install github.com/zitadel/oidc/v3/example/server@v3.52.0 && " +
	`mv "$(go env GOPATH)/bin/server" "$(go env GOPATH)/bin/zitadel-oidc-example"`

// OIDCUser is a person at the test provider, who signs in on its login form with Username
// and Password.
type OIDCUser struct {
	ID, Username, Password string
	Email                  string
	EmailVerified          bool
}

// OIDCProvider is a running OpenID Connect provider (zitadel/oidc's example OP) on loopback:
// its issuer, and the confidential web client it knows, allowed to redirect to the
// addresses it was started with.
type OIDCProvider struct {
	Issuer                 string // http://localhost:port/ (the example's own form, with the slash)
	ClientID, ClientSecret string
	Proc                   *Process
}

// StartOIDCProvider runs the example OP on a free port with users (from a users file) and the
// web client "web" (secret "secret") whose only redirect URI is redirect. The binary is found
// on PATH or in GOPATH/bin; without it the test fails (OIDCProviderInstall).
func StartOIDCProvider(t testing.TB, redirect string, users ...OIDCUser) *OIDCProvider {
	t.Helper()
	bin := Binary(t, "zitadel-oidc-example", OIDCProviderInstall)
	// The example's users file: a JSON object of its user records by id.
	type user struct {
		ID, Username, Password, FirstName, LastName, Email string
		EmailVerified                                      bool
		PreferredLanguage                                  string
	}
	file := map[string]user{}
	for _, u := range users {
		file[u.ID] = user{ID: u.ID, Username: u.Username, Password: u.Password, FirstName: u.Username, LastName: "Test",
			Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: "en"}
	}
	b, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(usersFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	p := &OIDCProvider{Issuer: "http://localhost:" + strconv.Itoa(port) + "/", ClientID: "web", ClientSecret: "secret"}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "USERS_FILE="+usersFile, "REDIRECT_URI="+redirect)
	p.Proc = Start(t, "oidc-provider", cmd)
	p.Proc.WaitReady(t, func() error {
		res, err := http.Get(p.Issuer + ".well-known/openid-configuration")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("discovery: %s", res.Status)
		}
		return nil
	})
	return p
}
