//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit verifies deploy/reserva.service with systemd-analyze (Debian's systemd,
// installed by .ci/run). The unit names /usr/local/bin/reserva, which CI does not install: the
// copy verified points at the freshly built binary instead, and is otherwise the same file.
func TestSystemdUnit(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatalf("systemd-analyze is required (.ci/run installs Debian's systemd package): %v", err)
	}
	unit, err := os.ReadFile("deploy/reserva.service")
	must(t, err)
	for _, want := range []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/reserva",
		"AmbientCapabilities=CAP_NET_BIND_SERVICE", "UMask=0077", "Restart=always", "ExecStart=/usr/local/bin/reserva serve"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	copied := filepath.Join(t.TempDir(), "reserva.service")
	must(t, os.WriteFile(copied, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/reserva", reservaBinary(t))), 0o644))
	out, err := exec.Command("systemd-analyze", "verify", copied).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command("systemd-analyze", "security", "--offline=true", "--threshold=20", copied).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security (exposure above 2.0): %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[len(lines)-1])
}
