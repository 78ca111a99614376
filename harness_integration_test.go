//go:build integration

// The integration layer drives the real binary and real components that .ci/run installs and
// starts. A missing component fails the test: nothing here is ever skipped.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// reservaBinary builds the reserva binary once per test run.
func reservaBinary(t *testing.T) string {
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
	URL  string
	Dir  string
	cmd  *exec.Cmd
	log  *strings.Builder
	done chan struct{} // closed when the process has ended
}

// startReserva runs `reserva serve` on a free loopback port with a fresh data directory and
// waits until /healthz answers. The process is killed when the test ends.
func startReserva(t *testing.T, args ...string) *instance {
	t.Helper()
	addr := freeAddr(t)
	inst := runReserva(t, nil, append([]string{"serve", "--http", addr}, args...)...)
	inst.URL = "http://" + addr
	waitFor(t, inst, func() error {
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

// runReserva starts the reserva binary with args (a fresh --dir is added) and env added to
// the test's environment. The process is killed when the test ends; its output is logged if
// the test failed.
func runReserva(t *testing.T, env []string, args ...string) *instance {
	t.Helper()
	bin := reservaBinary(t)
	dir := filepath.Join(t.TempDir(), "pb_data")
	log := &strings.Builder{}
	cmd := exec.Command(bin, append(args, "--dir", dir)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &lockedWriter{b: log}, &lockedWriter{b: log}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start reserva: %v", err)
	}
	inst := &instance{Dir: dir, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(inst.done)
	}()
	t.Cleanup(inst.stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reserva output:\n%s", log.String())
		}
	})
	return inst
}

// stop kills the process and waits for it (idempotent).
func (i *instance) stop() {
	_ = i.cmd.Process.Kill()
	<-i.done
}

// exited reports whether the process has ended.
func (i *instance) exited() bool {
	select {
	case <-i.done:
		return true
	default:
		return false
	}
}

// waitFor polls ready until it succeeds, for at most a minute, or fails the test.
func waitFor(t *testing.T, inst *instance, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := ready()
		if err == nil {
			return
		}
		if inst != nil && inst.exited() {
			t.Fatalf("reserva exited: %v\n%s", inst.cmd.ProcessState, inst.log.String())
		}
		if time.Now().After(deadline) {
			out := ""
			if inst != nil {
				out = inst.log.String()
			}
			t.Fatalf("not ready within a minute: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// chromiumPath is Debian's chromium, installed by .ci/run.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Debian chromium with a fresh profile and returns a tab's
// context, cancelled when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("chromium is required for the integration layer (.ci/run installs it): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(412, 915), // a phone
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	// Start the browser now, so a broken install fails here with a clear message.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}
