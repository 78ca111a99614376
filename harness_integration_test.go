//go:build integration

// The integration layer drives the real binary and real components that .ci/run installs and
// starts (internal/realtest). A missing component fails the test: nothing here is skipped.
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"reserva/internal/realtest"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// reservaBinary builds the reserva binary once per test run.
func reservaBinary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "reserva-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "reserva")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// instance is a running reserva process.
type instance struct {
	*realtest.Process
	URL string
	Dir string
}

// startReserva runs `reserva serve` on a free loopback port with a fresh data directory and
// env added to the test's environment, and waits until /healthz answers.
func startReserva(t testing.TB, env []string, args ...string) *instance {
	t.Helper()
	addr := realtest.FreeAddr(t)
	inst := runReserva(t, "", env, append([]string{"serve", "--http", addr}, args...)...)
	inst.URL = "http://" + addr
	inst.WaitReady(t, func() error {
		res, err := http.Get(inst.URL + "/healthz")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz: %d", res.StatusCode)
		}
		return nil
	})
	return inst
}

// runReserva starts the reserva binary with args, --dir dir (a fresh one when empty) and env
// added to the test's environment. The process is killed when the test ends.
func runReserva(t testing.TB, dir string, env []string, args ...string) *instance {
	t.Helper()
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "pb_data")
	}
	cmd := exec.Command(reservaBinary(t), append(args, "--dir", dir)...)
	cmd.Env = append(os.Environ(), env...)
	return &instance{Process: realtest.Start(t, "reserva", cmd), Dir: dir}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
