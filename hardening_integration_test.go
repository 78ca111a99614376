//go:build integration

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"reserva/internal/realtest"

	"github.com/pocketbase/pocketbase/core"
)

// The trusted proxy follows the command line on every start: a header stored in PocketBase's
// settings by an earlier version (`--trusted-proxy-header` wrote it there) is dropped, so a
// stranger's X-Forwarded-For no longer passes the superuser allow-list; with --trusted-proxy
// 127.0.0.1 the same request, now from the proxy, is believed.
func TestTrustedProxyFollowsTheCommandLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pb_data")
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	must(t, app.Bootstrap())
	must(t, app.RunAllMigrations())
	s := app.Settings()
	s.TrustedProxy.Headers = []string{"X-Forwarded-For"}
	must(t, app.Save(s))
	must(t, app.ClearBootstrap())

	env := []string{"RESERVA_SUPERUSER_IPS=203.0.113.7"}
	get := func(base, xff string) int {
		req, err := http.NewRequest(http.MethodGet, base+"/_/", nil)
		must(t, err)
		req.Header.Set("X-Forwarded-For", xff)
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	start := func(args ...string) *instance { return startReservaIn(t, dir, env, args...) }

	inst := start()
	if st := get(inst.URL, "203.0.113.7"); st != http.StatusForbidden {
		t.Errorf("no --trusted-proxy, stored header: /_/ claiming the allowed address = %d, want 403", st)
	}
	inst.Stop()

	inst = start("--trusted-proxy", "127.0.0.1")
	if st := get(inst.URL, "203.0.113.7"); st != http.StatusOK {
		t.Errorf("--trusted-proxy 127.0.0.1: /_/ for the allowed client = %d, want 200", st)
	}
	if st := get(inst.URL, "198.51.100.9"); st != http.StatusForbidden {
		t.Errorf("--trusted-proxy 127.0.0.1: /_/ for another client = %d, want 403", st)
	}
	inst.Stop()

	// A header without the proxy's addresses is refused at start, naming the flag.
	refusedAtStart(t, runReserva(t, dir, env, "serve", "--http", "127.0.0.1:0", "--trusted-proxy-header", "X-Forwarded-For"), "--trusted-proxy")
}

// refusedAtStart fails unless inst exits within 30 s having printed want.
func refusedAtStart(t *testing.T, inst *instance, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !inst.Exited() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !inst.Exited() || !strings.Contains(inst.Output(), want) {
		t.Errorf("want an exit naming %s: exited %v, output:\n%s", want, inst.Exited(), inst.Output())
	}
}

// A relay set up without its From address is refused at start, naming the variable; so is a
// second relay without a first, and a relay with a broken variable. A complete relay starts.
func TestMailRelayMisconfigurationIsRefusedAtStart(t *testing.T) {
	relay := []string{"RESERVA_SMTP_HOST=127.0.0.1", "RESERVA_SMTP_PORT=2525", "RESERVA_SMTP_TLS=none"}
	for _, c := range []struct {
		env  []string
		want string
	}{
		{relay, "RESERVA_SMTP_FROM_ADDRESS"},
		{[]string{"RESERVA_SMTP2_HOST=127.0.0.1", "RESERVA_SMTP2_TLS=none", "RESERVA_SMTP2_FROM_ADDRESS=desk@example.com"}, "RESERVA_SMTP_HOST"},
		{append(slices.Clone(relay), "RESERVA_SMTP_FROM_ADDRESS=desk@example.com", "RESERVA_SMTP2_HOST=127.0.0.1", "RESERVA_SMTP2_TLS=none"), "RESERVA_SMTP2_FROM_ADDRESS"},
		{append(slices.Clone(relay), "RESERVA_SMTP_FROM_ADDRESS=not an address"), "RESERVA_SMTP_FROM_ADDRESS"},
	} {
		refusedAtStart(t, runReserva(t, "", c.env, "serve", "--http", realtest.FreeAddr(t)), c.want)
	}
	startReserva(t, append(slices.Clone(relay), "RESERVA_SMTP_FROM_ADDRESS=desk@example.com")).Stop()
}

// A full data disk turns /healthz into 503 with "disk": "full" (a real 16 MiB tmpfs, filled by
// a file), and back to 200 once there is room again. It needs root for the mount, as CI has.
func TestHealthzReportsAFullDisk(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (CI runs as root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	inst := startReservaIn(t, filepath.Join(mnt, "pb_data"), nil)
	health := func() (int, map[string]any) {
		res, err := http.Get(inst.URL + "/healthz")
		must(t, err)
		defer res.Body.Close()
		var body map[string]any
		must(t, json.NewDecoder(res.Body).Decode(&body))
		return res.StatusCode, body
	}
	if st, body := health(); st != http.StatusOK || body["disk"] != "ok" {
		t.Fatalf("healthz on a disk with room = %d %v", st, body)
	}
	filler := filepath.Join(mnt, "filler")
	out, _ := exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=1M", "count=64").CombinedOutput()
	if !strings.Contains(string(out), "No space left") {
		t.Fatalf("dd did not fill the disk: %s", out)
	}
	if st, body := health(); st != http.StatusServiceUnavailable || body["disk"] != "full" {
		t.Errorf("healthz on a full disk = %d %v, want 503 with disk full", st, body)
	}
	must(t, os.Remove(filler))
	if st, body := health(); st != http.StatusOK || body["disk"] != "ok" {
		t.Errorf("healthz with room again = %d %v", st, body)
	}
}

// The commands that work on the venue's data refuse a data directory without a database,
// naming the directory and --dir, and leave no database behind; once serve has made one, they
// work on it.
func TestCommandsRefuseToCreateADatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pb_data")
	for _, args := range [][]string{
		{"staff", "create", "owner@example.com", "--role", "owner", "--link"},
		{"staff", "open-access"},
		{"purge", "--dry-run"},
		{"backup", "create"},
		{"backup", "drill"},
	} {
		out, err := exec.Command(reservaBinary(t), append(args, "--dir", dir)...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), dir) || !strings.Contains(string(out), "--dir") || strings.Contains(string(out), "Usage:") {
			t.Errorf("%s without a database: %v\n%s", strings.Join(args, " "), err, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "data.db")); !os.IsNotExist(err) {
			t.Fatalf("%s made a database in %s", strings.Join(args, " "), dir)
		}
	}
	inst := startReservaIn(t, dir, nil)
	inst.Stop()
	out, err := exec.Command(reservaBinary(t), "purge", "--dry-run", "--dir", dir).CombinedOutput()
	if err != nil {
		t.Errorf("purge after serve made the database: %v\n%s", err, out)
	}
	// The first owner's console line is the full sign-in address of the site serve ran.
	cmd := exec.Command(reservaBinary(t), "staff", "create", "owner@example.com", "--role", "owner", "--name", "Olivia", "--dir", dir)
	cmd.Stdin = strings.NewReader("copper-lantern-estuary\n")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Sign in at "+inst.URL+"/admin/login") {
		t.Errorf("staff create: %v, want the sign-in address %s/admin/login:\n%s", err, inst.URL, out)
	}
}
