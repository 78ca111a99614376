//go:build integration

package realtest

import (
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
)

// StripeMock is a running stripe-mock: Stripe's own API double, which answers every endpoint
// of Stripe's API (validating each request against Stripe's OpenAPI description) with fixture
// objects. It keeps no state: what a call returns does not depend on earlier calls.
type StripeMock struct {
	URL  string // http://127.0.0.1:port
	Proc *Process
}

// StripeMockVersion is the stripe-mock .ci/run installs.
const StripeMockVersion = "v0.203.0"

// StartStripeMock runs stripe-mock (installed by .ci/run with go install) on free loopback
// ports.
func StartStripeMock(t testing.TB) *StripeMock {
	t.Helper()
	bin := Binary(t, "stripe-mock", "go install github.com/stripe/stripe-mock@"+StripeMockVersion)
	httpPort, httpsPort := FreePort(t), FreePort(t)
	sm := &StripeMock{URL: "http://127.0.0.1:" + strconv.Itoa(httpPort)}
	sm.Proc = Start(t, "stripe-mock", exec.Command(bin, "-http-port", strconv.Itoa(httpPort), "-https-port", strconv.Itoa(httpsPort)))
	sm.Proc.WaitReady(t, func() error {
		req, _ := http.NewRequest(http.MethodGet, sm.URL+"/v1/balance", nil)
		req.SetBasicAuth("sk_test_ready", "")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("stripe-mock: GET /v1/balance = %s", res.Status)
		}
		return nil
	})
	return sm
}
