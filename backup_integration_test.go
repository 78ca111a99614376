//go:build integration

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"reserva/internal/realtest"
)

// TestOffsiteBackupAndRestore: a running Reserva takes encrypted backups and copies them to a
// real S3-compatible store (versitygw); `reserva backup list` shows them off-site; a restore
// from the store into a new directory starts with the same bookings.
func TestOffsiteBackupAndRestore(t *testing.T) {
	s3 := realtest.StartVersityGW(t, "backups")
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	out, err := exec.Command(reservaBinary(t), "backup", "keygen", "--out", keyFile).CombinedOutput()
	if err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	recipient := ""
	for _, line := range strings.Split(string(out), "\n") {
		if r, ok := strings.CutPrefix(strings.TrimSpace(line), "RESERVA_BACKUP_RECIPIENTS="); ok {
			recipient = r
		}
	}
	if !strings.HasPrefix(recipient, "age1") {
		t.Fatalf("keygen printed no recipient:\n%s", out)
	}
	env := []string{
		"RESERVA_BACKUP_RECIPIENTS=" + recipient, "RESERVA_BACKUP_SCHEDULE=@every 1s",
		"RESERVA_BACKUP_S3_ENDPOINT=" + s3.Endpoint, "RESERVA_BACKUP_S3_BUCKET=backups", "RESERVA_BACKUP_S3_REGION=us-east-1",
		"RESERVA_BACKUP_S3_ACCESS_KEY=" + s3.AccessKey, "RESERVA_BACKUP_S3_SECRET_KEY=" + s3.SecretKey,
		"RESERVA_BACKUP_S3_PATH_STYLE=true", "RESERVA_BACKUP_S3_PREFIX=venue",
		"RESERVA_RATE_BOOKING=off", "RESERVA_FORM_MIN_SECONDS=0", "RESERVA_BOOKINGS_PER_EMAIL=0",
	}
	inst := startReserva(t, env, "--demo", "--demo-guests=false")
	times := freeTimes(t, inst.URL, "dinner", 14)
	for i := range 3 {
		bookHTTP(t, inst.URL, "dinner", times[i], "offsite@example.com")
	}
	// Wait for a backup that holds the three bookings (the local listing counts them) to be
	// off-site too: a backup taken between two of the bookings holds fewer.
	var name string
	inst.WaitReady(t, func() error {
		cmd := exec.Command(reservaBinary(t), "backup", "list", "--dir", inst.Dir)
		cmd.Env = append(os.Environ(), env...)
		o, err := cmd.CombinedOutput()
		if err != nil {
			return errString("backup list: " + string(o))
		}
		withThree, offsite := map[string]bool{}, map[string]bool{}
		for _, line := range strings.Split(string(o), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 6 && f[5] == "local" && f[4] == "3":
				withThree[f[0]] = true
			case len(f) == 4 && f[3] == "off-site":
				offsite[f[0]] = true
			}
		}
		for file := range withThree {
			if offsite[file] {
				name = file
				return nil
			}
		}
		return errString("no backup with the 3 bookings off-site yet:\n" + string(o))
	})
	objects, _ := filepath.Glob(filepath.Join(s3.Dir, "backups", "venue", "reserva-*.age*"))
	if len(objects) < 2 {
		t.Errorf("the store holds %v", objects)
	}
	before := availability(t, inst.URL, times[0][:10])
	inst.Stop()

	target := filepath.Join(t.TempDir(), "restored")
	cmd := exec.Command(reservaBinary(t), "backup", "restore", name, "--from-s3", "--identity", keyFile, "--dir", target)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "integrity ok, 3 bookings") {
		t.Fatalf("restore from S3: %v\n%s", err, out)
	}
	addr := realtest.FreeAddr(t)
	again := runReserva(t, target, nil, "serve", "--http", addr)
	again.WaitReady(t, func() error { _, err := http.Get("http://" + addr + "/healthz"); return err })
	// The restored site shows the same free places as the original did.
	if after := availability(t, "http://"+addr, times[0][:10]); after != before {
		t.Errorf("availability differs after the restore:\nbefore %s\nafter  %s", before, after)
	}
}

// availability is the dinner's availability JSON of a date, times and places only.
func availability(t *testing.T, base, date string) string {
	t.Helper()
	res, err := http.Get(base + "/api/reserva/availability?offering=dinner&date=" + date + "&party=1")
	must(t, err)
	defer res.Body.Close()
	var ans struct {
		Times []struct {
			Value     string
			Remaining int
		}
	}
	must(t, json.NewDecoder(res.Body).Decode(&ans))
	b, _ := json.Marshal(ans.Times)
	return string(b)
}

type errString string

func (e errString) Error() string { return string(e) }

// TestManualBackupAndRestoreOnANewServer: `reserva backup create` copies its backup off-site at
// once (the schedule is a day away); the backup file alone, without its manifest, restores
// into a directory whose parents do not exist yet; the new server's new RESERVA_ENCRYPTION_KEY
// is named as the wrong one, in the restore's closing message and when serve refuses to
// start; with the old key the restored site starts; `backup drill` on it prints no usage text.
func TestManualBackupAndRestoreOnANewServer(t *testing.T) {
	s3 := realtest.StartVersityGW(t, "manual")
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	out, err := exec.Command(reservaBinary(t), "backup", "keygen", "--out", keyFile).CombinedOutput()
	must(t, err)
	recipient := ""
	for _, line := range strings.Split(string(out), "\n") {
		if r, ok := strings.CutPrefix(strings.TrimSpace(line), "RESERVA_BACKUP_RECIPIENTS="); ok {
			recipient = r
		}
	}
	const oldKey, newKey = "old-server-key-0123456789abcdef!", "new-server-key-0123456789abcdef!"
	env := []string{
		"RESERVA_BACKUP_RECIPIENTS=" + recipient, "RESERVA_BACKUP_SCHEDULE=@every 24h",
		"RESERVA_BACKUP_S3_ENDPOINT=" + s3.Endpoint, "RESERVA_BACKUP_S3_BUCKET=manual", "RESERVA_BACKUP_S3_REGION=us-east-1",
		"RESERVA_BACKUP_S3_ACCESS_KEY=" + s3.AccessKey, "RESERVA_BACKUP_S3_SECRET_KEY=" + s3.SecretKey,
		"RESERVA_BACKUP_S3_PATH_STYLE=true",
		"RESERVA_RATE_BOOKING=off", "RESERVA_FORM_MIN_SECONDS=0",
	}
	run := func(key string, args ...string) (string, error) {
		cmd := exec.Command(reservaBinary(t), args...)
		cmd.Env = append(append(os.Environ(), env...), "RESERVA_ENCRYPTION_KEY="+key)
		o, err := cmd.CombinedOutput()
		return string(o), err
	}
	inst := startReserva(t, append(slices.Clone(env), "RESERVA_ENCRYPTION_KEY="+oldKey), "--demo", "--demo-guests=false")
	times := freeTimes(t, inst.URL, "dinner", 14)
	bookHTTP(t, inst.URL, "dinner", times[0], "manual@example.com")
	dir := inst.Dir
	inst.Stop()

	o, err := run(oldKey, "backup", "create", "--dir", dir)
	if err != nil || !strings.Contains(o, "Copied off-site") {
		t.Fatalf("backup create: %v\n%s", err, o)
	}
	written := regexp.MustCompile(`Wrote (\S+\.age) `).FindStringSubmatch(o)
	if written == nil {
		t.Fatalf("backup create named no file:\n%s", o)
	}
	name := filepath.Base(written[1])
	if _, err := os.Stat(filepath.Join(s3.Dir, "manual", name)); err != nil {
		t.Fatalf("the manual backup is not off-site: %v", err)
	}

	// The file alone (no manifest) on the new server, restored into /srv/…/pb_data that does not exist.
	lone := filepath.Join(t.TempDir(), name)
	b, err := os.ReadFile(written[1])
	must(t, err)
	must(t, os.WriteFile(lone, b, 0o600))
	target := filepath.Join(t.TempDir(), "srv", "reserva", "pb_data")
	o, err = run(newKey, "backup", "restore", lone, "--identity", keyFile, "--dir", target)
	if err != nil || !strings.Contains(o, "integrity ok, 1 bookings") || !strings.Contains(o, "No manifest") ||
		!strings.Contains(o, "another RESERVA_ENCRYPTION_KEY") || !strings.Contains(o, "old key is needed") {
		t.Fatalf("restore of the lone file with a new key: %v\n%s", err, o)
	}
	bad := runReserva(t, target, []string{"RESERVA_ENCRYPTION_KEY=" + newKey}, "serve", "--http", realtest.FreeAddr(t))
	refusedAtStart(t, bad, "old key is needed")

	o, err = run(oldKey, "backup", "drill", "--dir", target)
	if strings.Contains(o, "Usage:") || strings.Contains(o, "Flags:") {
		t.Errorf("backup drill after the restore printed the usage text (%v):\n%s", err, o)
	}
	good := startReservaIn(t, target, []string{"RESERVA_ENCRYPTION_KEY=" + oldKey})
	good.Stop()
}
