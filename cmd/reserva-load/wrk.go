package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The browse scenarios (the bare handler, the booking page, the availability JSON: one GET
// repeated) are sent by wrk, a C client that needs far less CPU time per request than Go's
// net/http client, so that the CPUs the clients have are not what limits the bare handler
// (the report gives each scenario's client CPU). wrk is installed with apt-get when it is
// missing and this runs as root; otherwise the run stops and says so.
//
// wrk counts answers that are not 2xx or 3xx as errors; the script below also gives the bytes
// received, which must come to at least the page's size per request (a short answer, a
// redirect, would not).

// wrkScript prints wrk's summary as one JSON line at the end.
const wrkScript = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`

type wrkSummary struct {
	Requests   int   `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Bytes      int64 `json:"bytes"`
	Connect    int   `json:"connect"`
	Read       int   `json:"read"`
	Write      int   `json:"write"`
	Status     int   `json:"status"`
	Timeout    int   `json:"timeout"`
	P50US      int64 `json:"p50_us"`
	P99US      int64 `json:"p99_us"`
	MaxUS      int64 `json:"max_us"`
}

// needWrk finds wrk, installing Debian's package when it is missing and this runs as root.
func needWrk() string {
	if p, err := exec.LookPath("wrk"); err == nil {
		return p
	}
	if os.Geteuid() != 0 {
		log.Fatal("the browse scenarios need wrk: apt-get install wrk (or run this as root, and it installs it)")
	}
	log.Printf("installing wrk (apt-get) …")
	if err := exec.Command("apt-get", "install", "-y", "-q", "wrk").Run(); err != nil {
		run("apt-get", "update", "-q")
		run("apt-get", "install", "-y", "-q", "wrk")
	}
	p, err := exec.LookPath("wrk")
	check(err)
	return p
}

// wrkLoad sends GET target from conns connections for d with wrk, one wrk thread per CPU it
// has: the clients' CPUs when pinned (cpus.go), else all at nice -client-nice. Every answer
// must be 2xx or 3xx and the bytes received at least minBody per request.
func wrkLoad(name string, pinned bool, d time.Duration, conns int, target string, minBody int) result {
	log.Printf("%s (wrk) …", name)
	wrk := needWrk()
	script := filepath.Join(os.TempDir(), "reserva-load-wrk.lua")
	check(os.WriteFile(script, []byte(wrkScript), 0o644))
	defer os.Remove(script)
	args := []string{"-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())), "--timeout", "30s", "-s", script, target}
	cmd, cpus := onClientCPUs(pinned, wrk, args...)
	threads := min(cpus, conns)
	cmd.Args = slices.Insert(cmd.Args, len(cmd.Args)-len(args), "-t", strconv.Itoa(threads))
	out, err := cmd.Output()
	if err != nil {
		log.Fatalf("%s: wrk: %v\n%s", name, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var s wrkSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		log.Fatalf("%s: wrk printed %q: %v", name, out, err)
	}
	took := time.Duration(s.DurationUS) * time.Microsecond
	errs := s.Connect + s.Read + s.Write + s.Status + s.Timeout
	if s.Requests == 0 || s.Bytes < int64(s.Requests)*int64(minBody) {
		log.Fatalf("%s: %d requests brought %d bytes, less than the page's %d bytes each", name, s.Requests, s.Bytes, minBody)
	}
	r := result{name: name, n: s.Requests, ok: s.Requests - errs, errs: errs, took: took, bookP99: -1,
		statuses: map[int]int{http.StatusOK: s.Requests - s.Status}, // wrk's 2xx and 3xx, shown as 200: the bytes check rules out redirects
		p50:      time.Duration(s.P50US) * time.Microsecond, p99: time.Duration(s.P99US) * time.Microsecond, pmax: time.Duration(s.MaxUS) * time.Microsecond}
	if s.Status > 0 {
		r.statuses[0] = s.Status // shown as N×0: answers other than 2xx/3xx
	}
	r.rate = float64(r.n) / took.Seconds()
	r.okRate = float64(r.ok) / took.Seconds()
	if st := cmd.ProcessState; st != nil && took > 0 {
		r.clientCPU = (st.UserTime() + st.SystemTime()).Seconds() / took.Seconds() / float64(threads)
	}
	r.client = "wrk"
	return r
}
