// Command reserva-load measures Reserva under load against baselines taken in the same run:
// a bare net/http handler serving the same page bytes (in a process of its own), raw SQLite
// inserts into the real bookings table (one and 64 rows per transaction, on the same disk),
// and a plain PocketBase app whose bookings collection anyone may create records in (./peer,
// the peer a venue might pick instead). It builds the reserva binary and the peer, runs them
// on temporary data directories, sends the load from client processes of its own (see
// worker.go) and prints a table of throughput, latency, errors, over-capacity count, memory
// and start-up time, with the ratios the performance targets are set in (see
// docs/performance.md).
//
//	GOTOOLCHAIN=go1.27.3 go run ./cmd/reserva-load              # the whole run (about 5 minutes)
//	GOTOOLCHAIN=go1.27.3 go run ./cmd/reserva-load -short       # 3 s scenarios, 100,000 bookings for start-up
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
	_ "modernc.org/sqlite"
)

var (
	duration    = flag.Duration("duration", 10*time.Second, "how long each load scenario runs")
	conns       = flag.Int("conns", 64, "concurrent connections of the load scenarios")
	startupN    = flag.Int("startup-bookings", 1_000_000, "bookings in the database of the start-up measurement")
	purgeOnly   = flag.Bool("purge-only", false, "run only the retention purge scenario")
	purgeN      = flag.Int("purge-bookings", 112_500, "bookings generated for the purge scenario (with a retention of 1 day, about 89% are due)")
	short       = flag.Bool("short", false, "a quick run: 3 s scenarios, 100,000 bookings for start-up, 70 s idle")
	idleFor     = flag.Duration("idle", 2*time.Minute, "how long the idle server's memory is watched (its jobs tick every 15 s, it hands memory back every minute)")
	binFlag     = flag.String("bin", "", "a reserva binary to use (default: go build . into a temporary directory)")
	outFile     = flag.String("out", "", "also write the results (markdown) to this file")
	keepFiles   = flag.Bool("keep", false, "keep the temporary directory (data, logs)")
	clients     = flag.Int("clients", 2, "client processes sharing the connections of each scenario")
	clientNice  = flag.Int("client-nice", 10, "the clients' nice value when the CPUs are not split (-split=false): they give way to the server")
	clientProcs = flag.Int("client-procs", 1, "GOMAXPROCS of each client process")
	workerFlg   = flag.Bool("worker", false, "internal: be a load client process (see worker.go)")
	bareFlag    = flag.String("bare", "", "internal: be the bare baseline server, serving this file")
)

const ownerPassword = "load-test-owner-password"

func main() {
	log.SetFlags(0)
	flag.Parse()
	switch {
	case *workerFlg:
		worker()
		return
	case *bareFlag != "":
		bareServe(*bareFlag)
		return
	}
	if *short {
		*duration, *startupN, *purgeN, *idleFor = 3*time.Second, 100_000, 22_500, 70*time.Second
	}
	splitCPUs()
	tmp, err := os.MkdirTemp("", "reserva-load-")
	check(err)
	if !*keepFiles {
		defer os.RemoveAll(tmp)
	}
	bin := *binFlag
	if bin == "" {
		bin = filepath.Join(tmp, "reserva")
		log.Printf("building reserva …")
		run("go", "build", "-o", bin, ".")
	}
	if *scaleOnly {
		scaleOnlyRun(bin, tmp)
		return
	}
	if *purgeOnly {
		pr := purgeScenario(bin, tmp, loadDate())
		r := &report{}
		r.add("machine", fmt.Sprintf("%s, %d CPUs; %d connections, %s per scenario", cpuModel(), numCPU(), *conns, *duration))
		r.row(pr.base)
		r.row(pr.during)
		r.add("retention purge during the mixed load", pr.String())
		fmt.Print(r.String())
		return
	}
	peerBin := filepath.Join(tmp, "peer")
	log.Printf("building the PocketBase peer …")
	run("go", "build", "-o", peerBin, "./cmd/reserva-load/peer")
	r := &report{}
	r.add("machine", fmt.Sprintf("%s, %d CPUs, GOMAXPROCS default; %s; %d connections from wrk (browse) or %d Go client processes (the rest), %s per scenario",
		cpuModel(), numCPU(), splitNote(), *conns, *clients, *duration))

	// The venue under load: the demo plus 1,000 generated bookings (the "hall" offering, room
	// for any number of bookings at one time), an owner, backups to a local directory.
	data := filepath.Join(tmp, "data")
	run(bin, "demo", "--bookings", "1000", "--dir", data)
	runStdin(ownerPassword+"\n", bin, "staff", "create", "owner@load.invalid", "--role", "owner", "--dir", data)
	keyOut := string(runOut(bin, "backup", "keygen", "--out", filepath.Join(tmp, "backup.key")))
	// The raw inserts' database: the venue's as its migrations and the demo made it, copied
	// while no server has it open.
	rawSrc := filepath.Join(tmp, "raw", "venue.db")
	copyFile(filepath.Join(data, "data.db"), rawSrc)
	recipient := regexp.MustCompile(`RESERVA_BACKUP_RECIPIENTS=(\S+)`).FindStringSubmatch(keyOut)
	if recipient == nil {
		log.Fatalf("no recipient in:\n%s", keyOut)
	}
	env := []string{"RESERVA_BACKUP_RECIPIENTS=" + recipient[1], "RESERVA_BACKUP_DIR=" + filepath.Join(tmp, "backups"),
		"RESERVA_BACKUP_SCHEDULE=0 4 1 1 *", "RESERVA_BACKUP_DRILL=30 4 1 1 *"}
	date := loadDate()
	pagePath := "/book/dinner?date=" + date + "&party=2"
	jsonPath := "/api/reserva/availability?offering=dinner&date=" + date + "&party=2"

	// 1. Browse: the booking page and the availability JSON against a bare handler serving the
	// page's bytes, sent by wrk with the server and wrk on CPUs of their own (cpus.go).
	browse := func(pinned bool, srv *server, suffix string) (bare, page, answer result) {
		pageBytes := get(newClient(1), srv.url+pagePath)
		answerBytes := get(newClient(1), srv.url+jsonPath)
		bareURL, stopBare := bareServer(tmp, pageBytes, pinned)
		bare = wrkLoad("bare net/http, same bytes"+suffix, pinned, *duration, *conns, bareURL+pagePath, len(pageBytes))
		stopBare()
		page = wrkLoad("browse: booking page"+suffix, pinned, *duration, *conns, srv.url+pagePath, len(pageBytes))
		answer = wrkLoad("browse: availability JSON"+suffix, pinned, *duration, *conns, srv.url+jsonPath, len(answerBytes))
		return bare, page, answer
	}
	bsrv := startOn(true, bin, data, tmp, env...)
	rBare, rBrowse, rJSON := browse(true, bsrv, "")
	bsrv.stop()

	// The server of the other scenarios, on all CPUs.
	srv := start(bin, data, tmp, env...)
	defer srv.stop()
	idle := srv.idle(*idleFor)
	var shared []result // the browse scenarios again, unsplit
	if split() {
		b, p, a := browse(false, srv, ", CPUs shared")
		shared = []result{b, p, a}
	}

	// 2. Book one contended time (the hall: no capacity limit reached), against raw inserts
	// into the real bookings table and against a plain PocketBase app's public create.
	rRaw1 := rawInserts("raw SQLite, real schema, 1 row per transaction", rawSrc, filepath.Join(tmp, "raw", "one.db"), 1, date, *duration)
	rRaw64 := rawInserts("raw SQLite, real schema, 64 rows per transaction", rawSrc, filepath.Join(tmp, "raw", "batch.db"), 64, date, *duration)
	rBook := load("book one contended time", *duration, *conns, book1(srv.url+"/book/hall", []string{date + "T19:00"}, 2, 2))
	peer := startServe(peerBin, filepath.Join(tmp, "peer-data"), tmp, "/api/health")
	rPeer := load("PocketBase peer: public create", *duration, *conns, reqSpec{Weight: 1, Method: http.MethodPost,
		URL: peer.url + "/api/collections/bookings/records", Book: &bookSpec{Starts: []string{date + " 18:00:00.000Z"}, PartyMin: 2, PartyMax: 2, JSON: true}})
	peerRSS := peer.rss("VmHWM")
	peer.stop()
	peerRecords := countRows(filepath.Join(tmp, "peer-data", "data.db"), "bookings")

	// 3. Capacity: 400 simultaneous requests for the 40 dinner seats at one time.
	rCap := burst("capacity: 400 at once for 40 seats", 400, book1(srv.url+"/book/dinner", []string{date + "T20:00"}, 2, 2))
	over := overCapacity(filepath.Join(data, "data.db"))

	// 4. Mixed: 90% browse, 10% book at random hall times.
	rMixed := load("mixed: 90% browse, 10% book", *duration, *conns, mixedLoad(srv.url, date)...)

	// 5. Mixed during a backup the owner starts from the dashboard.
	owner := signIn(srv.url)
	var backupTook time.Duration
	rDuring := loadWhile("mixed during a backup", *conns, func() {
		t0 := time.Now()
		st, err := do(owner, http.MethodPost, srv.url+"/admin/backups/now", url.Values{})
		backupTook = time.Since(t0)
		if err != nil || st != http.StatusSeeOther {
			log.Printf("backup now: %d %v", st, err)
		}
	}, mixedLoad(srv.url, date)...)
	peakRSS := srv.rss("VmHWM")
	srv.stop()

	// 6. The retention purge.
	pr := purgeScenario(bin, tmp, date)

	// 6. Start-up: to the first 200 on a database with many bookings, against an empty one.
	small := filepath.Join(tmp, "small")
	run(bin, "demo", "--dir", small)
	startSmall := startupTime(bin, small, tmp)
	big := filepath.Join(tmp, "big")
	log.Printf("generating %d bookings for the start-up measurement …", *startupN)
	genStart := time.Now()
	run(bin, "demo", "--bookings", strconv.Itoa(*startupN), "--dir", big)
	genTook := time.Since(genStart)
	startBig := startupTime(bin, big, tmp)
	bigSize := fileSize(filepath.Join(big, "data.db"))

	// The table.
	for _, x := range append(append([]result{rBare, rBrowse, rJSON}, shared...), rRaw1, rRaw64, rBook, rPeer, rCap, rMixed, rDuring, pr.base, pr.during) {
		r.row(x)
	}
	r.add("backup during the mixed load", fmt.Sprintf("%s (while it ran: p99 of all requests %s, of the bookings alone %s; without a backup: %s and %s)",
		backupTook.Round(time.Millisecond), ms(rDuring.p99), ms(rDuring.bookP99), ms(rMixed.p99), ms(rMixed.bookP99)))
	r.add("retention purge during the mixed load", pr.String())
	if len(shared) == 3 {
		r.add("browse with the CPUs shared (wrk at nice "+strconv.Itoa(*clientNice)+" on all CPUs)", fmt.Sprintf(
			"booking page %.2f of the bare handler's rate, p99 %s against the bare handler's %s; availability JSON %.2f, p99 %s",
			shared[1].rate/shared[0].rate, ms(shared[1].p99), ms(shared[0].p99), shared[2].rate/shared[0].rate, ms(shared[2].p99)))
	}
	r.add("resident memory", fmt.Sprintf("idle %s, peak under load %.1f MB (the PocketBase peer's peak: %.1f MB)", idle, mb(peakRSS), mb(peerRSS)))
	r.add("PocketBase peer", fmt.Sprintf("%d records in its bookings table after %d answers 200", peerRecords, rPeer.statuses[http.StatusOK]))
	r.add("start to first 200", fmt.Sprintf("%s with %d bookings (%.0f MB; generated in %s), %s with the bare demo",
		startBig.Round(time.Millisecond), *startupN, mb(bigSize), genTook.Round(time.Second), startSmall.Round(time.Millisecond)))
	r.target("browse throughput ÷ bare handler", rBrowse.rate/rBare.rate, ">= 0.5", rBrowse.rate/rBare.rate >= 0.5)
	r.target("browse p99 at "+strconv.Itoa(*conns)+" connections", rBrowse.p99.Seconds()*1000, "<= 10 ms", rBrowse.p99 <= 10*time.Millisecond)
	r.target("confirmed bookings/s, one contended time", rBook.okRate, ">= 1000", rBook.okRate >= 1000)
	r.target("bookings/s ÷ raw real-schema one-row inserts/s", rBook.okRate/rRaw1.okRate, ">= 0.5", rBook.okRate/rRaw1.okRate >= 0.5)
	r.target("bookings/s ÷ raw real-schema inserts/s, 64 per transaction", rBook.okRate/rRaw64.okRate, "(ratio)", true)
	r.target("Reserva bookings/s ÷ PocketBase peer creates/s", rBook.okRate/rPeer.okRate, "(ratio)", true)
	r.target("booking p99, mixed load (ms)", rMixed.bookP99.Seconds()*1000, "<= 50", rMixed.bookP99 <= 50*time.Millisecond)
	r.target("booking p99 while a backup runs (ms)", rDuring.bookP99.Seconds()*1000, "<= 100", rDuring.bookP99 <= 100*time.Millisecond)
	r.target("people over capacity", float64(over), "0", over == 0)
	r.target("RSS idle, highest (MB)", mb(idle.high), "<= 40", mb(idle.high) <= 40)
	r.target("RSS peak under load (MB)", mb(peakRSS), "<= 150", mb(peakRSS) <= 150)
	r.target(fmt.Sprintf("start to first 200, %d bookings (s)", *startupN), startBig.Seconds(), "<= 0.5", startBig <= 500*time.Millisecond)
	r.target("start-up, many bookings ÷ bare demo", startBig.Seconds()/startSmall.Seconds(), "(ratio)", true)
	if *scaleFlag {
		measureScale(r, bin, big, tmp) // the export, search, lists, Today and a backup on the same database (scale.go)
	}
	out := r.String()
	fmt.Print(out)
	if *outFile != "" {
		check(os.WriteFile(*outFile, []byte(out), 0o644))
	}
	if over != 0 {
		log.Fatalf("%d people over capacity", over)
	}
}

// result is one scenario's measurements.
type result struct {
	name           string
	n, ok, errs    int
	took           time.Duration
	rate, okRate   float64 // requests/s, successful (2xx/3xx) requests/s
	p50, p99, pmax time.Duration
	bookP99        time.Duration // of the bookings alone (answers 303, 409, 422); -1 when none
	statuses       map[int]int
	clientCPU      float64 // the busiest client's CPU time ÷ the scenario's length (0: not measured)
	client         string  // "wrk", or "" for the Go clients of worker.go
}

func summarize(name string, took time.Duration, lat []time.Duration, statuses map[int]int, errs int) result {
	slices.Sort(lat)
	r := result{name: name, n: len(lat), errs: errs, took: took, statuses: statuses}
	r.bookP99 = -1
	for st, c := range statuses {
		if st < 400 {
			r.ok += c
		}
	}
	if len(lat) > 0 {
		r.p50, r.p99, r.pmax = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	r.rate = float64(r.n) / took.Seconds()
	r.okRate = float64(r.ok) / took.Seconds()
	return r
}

func newClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, MaxConnsPerHost: conns * 2,
			IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// do sends one request (a form when form is not nil) and reads the whole answer.
func do(c *http.Client, method, target string, form url.Values) (int, error) {
	if form == nil {
		return doBody(c, method, target, "", nil)
	}
	return doBody(c, method, target, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// doBody sends one request with body (of type ctype, none when ctype is "") and reads the whole
// answer.
func doBody(c *http.Client, method, target, ctype string, body []byte) (int, error) {
	var rd io.Reader
	if ctype != "" {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return 0, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, err
}

func get(c *http.Client, target string) []byte {
	res, err := c.Get(target)
	check(err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	check(err)
	if res.StatusCode != http.StatusOK {
		log.Fatalf("GET %s = %d", target, res.StatusCode)
	}
	return b
}

// rawInserts is the floor of a booking's cost: confirmed bookings of the hall at one time (as
// the contended scenario books), inserted straight into the bookings table of a copy of the
// load venue's database (src, made by reserva's migrations), perTx rows per transaction, one
// writer as in Reserva, through PocketBase's own connection (core.DefaultDBConnect: the same
// driver and pragmas). Every index of the table and the booking_usage trigger run as for a
// booking; each row is filled as a web booking's is (a new id, reference, customer and e-mail
// address, consent, created and updated), with the statement prepared once. What Reserva does
// besides (the customer upsert, the capacity read, the token, the audit entry, the outbox
// row) is not in it. Its requests are rows; its latencies are per transaction.
func rawInserts(name, src, path string, perTx int, date string, d time.Duration) result {
	log.Printf("%s …", name)
	copyFile(src, path)
	pdb, err := core.DefaultDBConnect(path)
	check(err)
	db := pdb.DB()
	defer db.Close()
	db.SetMaxOpenConns(1)
	var hall string
	var minutes int
	check(db.QueryRow(`SELECT id, duration FROM offerings WHERE slug = 'hall'`).Scan(&hall, &minutes))
	t, err := time.Parse(time.DateOnly, date)
	check(err)
	t = t.Add(18 * time.Hour)
	start, end := t.Format(dbLayout), t.Add(time.Duration(minutes)*time.Minute).Format(dbLayout)
	usage := func() int {
		var n int
		err := db.QueryRow(`SELECT coalesce(sum(n), 0) FROM booking_usage WHERE offering = ? AND start = ? AND "end" = ? AND session = ''`,
			hall, start, end).Scan(&n)
		check(err)
		return n
	}
	before := usage()
	ins, err := db.Prepare(`INSERT INTO bookings (id, reference, offering, session, start, "end", party, status, name, email,
		phone, notes, sensitive_notes, source, consent_at, notice_version, customer, reminded_at, override_reason, locale, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	check(err)
	defer ins.Close()
	var lat []time.Duration
	rows := 0
	t0 := time.Now()
	for time.Since(t0) < d {
		s := time.Now()
		tx, err := db.Begin()
		check(err)
		st := tx.Stmt(ins)
		for range perTx {
			now := time.Now().UTC().Format(dbLayout)
			_, err := st.Exec(recordID(), reference(rows), hall, "", start, end, 2, "confirmed", "Load Guest",
				fmt.Sprintf("raw%d@example.invalid", rows), "", "", "", "web", now, 1, recordID(), "", "", "en", now, now)
			check(err)
			rows++
		}
		check(tx.Commit())
		lat = append(lat, time.Since(s))
	}
	took := time.Since(t0)
	if got := usage() - before; got != rows {
		log.Fatalf("%s: booking_usage counted %d of %d rows", name, got, rows)
	}
	r := summarize(name, took, lat, map[int]int{200: rows}, 0)
	r.n, r.ok = rows, rows
	r.rate = float64(rows) / took.Seconds()
	r.okRate = r.rate
	return r
}

// dbLayout is how PocketBase (and Reserva) store times.
const dbLayout = types.DefaultDateLayout

// recordID is a record id in Reserva's form (internal/store's newID): 9 characters of the
// milliseconds since 1970 in base 36, then 6 random ones of PocketBase's alphabet.
func recordID() string {
	t := strconv.FormatInt(time.Now().UnixMilli(), 36)
	return strings.Repeat("0", 9-len(t)) + t + security.RandomStringWithAlphabet(core.DefaultIdLength-9, core.DefaultIdAlphabet)
}

// reference is the i-th booking reference in Reserva's form (ABC-DEF, internal/store's
// alphabet): unique for i below 25^6, where Reserva draws them at random and draws again on a
// clash.
func reference(i int) string {
	const alphabet = "ACDEFGHJKMNPQRTUVWXY34679"
	b := []byte("???-???")
	for p := len(b) - 1; p >= 0; p-- {
		if b[p] == '-' {
			continue
		}
		b[p] = alphabet[i%len(alphabet)]
		i /= len(alphabet)
	}
	return string(b)
}

// copyFile copies a closed SQLite database (and its log, if one was left) from src to dst.
func copyFile(src, dst string) {
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		check(err)
		check(os.MkdirAll(filepath.Dir(dst), 0o755))
		check(os.WriteFile(dst+suffix, b, 0o644))
	}
}

// overCapacity counts the people above each offering's capacity at the worst moment of each
// time booked, read straight from the database (not through Reserva's rules).
func overCapacity(path string) int {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	check(err)
	defer db.Close()
	var over sql.NullInt64
	err = db.QueryRow(`SELECT sum(x) FROM (SELECT max(0, (SELECT sum(o.party) FROM bookings o
		WHERE o.offering = b.offering AND o.status IN ('confirmed', 'checked_in') AND o.start <= b.start AND o."end" > b.start) - f.capacity) AS x
		FROM bookings b JOIN offerings f ON f.id = b.offering WHERE f.capacity_mode = 'people' AND b.status IN ('confirmed', 'checked_in')
		GROUP BY b.offering, b.start)`).Scan(&over)
	check(err)
	return int(over.Int64)
}

// countRows counts the rows of table in the database at path.
func countRows(path, table string) int { return countWhere(path, table, "1") }

// countWhere counts the rows of table that where selects, reading the database read-only.
func countWhere(path, table, where string) int {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	check(err)
	defer db.Close()
	var n int
	check(db.QueryRow(`SELECT count(*) FROM "` + table + `" WHERE ` + where).Scan(&n))
	return n
}

// signIn signs the owner in to the dashboard; the client keeps the session cookie.
func signIn(base string) *http.Client {
	jar, err := cookiejar.New(nil)
	check(err)
	c := newClient(2)
	c.Jar = jar
	c.Timeout = 10 * time.Minute // a backup or a purge runs within its request
	st, err := do(c, http.MethodPost, base+"/admin/login", url.Values{"email": {"owner@load.invalid"}, "password": {ownerPassword}})
	if err != nil || st != http.StatusSeeOther {
		log.Fatalf("owner sign-in: %d %v", st, err)
	}
	return c
}

// server is a running reserva.
type server struct {
	url string
	cmd *exec.Cmd
}

// start runs reserva serve on dir, its visitor rate limits off, with env added.
func start(bin, dir, tmp string, env ...string) *server { return startOn(false, bin, dir, tmp, env...) }

// startOn is start, on the server's CPUs of a split scenario when pinned (cpus.go).
func startOn(pinned bool, bin, dir, tmp string, env ...string) *server {
	return startServeOn(pinned, bin, dir, tmp, "/healthz", append([]string{"RESERVA_RATE_BOOKING=off", "RESERVA_RATE_PAGES=off",
		"RESERVA_BOOKINGS_PER_EMAIL=0", "RESERVA_FORM_MIN_SECONDS=0"}, env...)...)
}

// startServe runs "bin serve --http ADDR --dir dir" (reserva's or a PocketBase app's command
// line) and waits for a 200 from health.
func startServe(bin, dir, tmp, health string, env ...string) *server {
	return startServeOn(false, bin, dir, tmp, health, env...)
}

// servers numbers the servers' log files.
var servers int

func startServeOn(pinned bool, bin, dir, tmp, health string, env ...string) *server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	servers++
	logFile, err := os.Create(filepath.Join(tmp, fmt.Sprintf("%s-%s-%d.log", filepath.Base(bin), filepath.Base(dir), servers)))
	check(err)
	cmd := onServerCPUs(pinned, bin, "serve", "--http", addr, "--dir", dir)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	check(cmd.Start())
	s := &server{url: "http://" + addr, cmd: cmd}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if st, err := do(http.DefaultClient, http.MethodGet, s.url+health, nil); err == nil && st == http.StatusOK {
			return s
		}
		if time.Now().After(deadline) {
			log.Fatalf("%s did not start; see %s", filepath.Base(bin), logFile.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// idleRSS is the server's resident memory while it sits idle.
type idleRSS struct {
	after2s, high, highAnon int64
	over                    time.Duration
}

func (i idleRSS) String() string {
	return fmt.Sprintf("%.1f MB 2 s after the start, at most %.1f MB over %s with no load (sampled every second; %.1f MB of it private then, the rest file pages, mostly the binary's)",
		mb(i.after2s), mb(i.high), i.over, mb(i.highAnon))
}

// idle samples the server's VmRSS every second for d with no load, from its start: its jobs
// tick every 15 s, and memory an idle server builds up shows only over minutes.
func (s *server) idle(d time.Duration) idleRSS {
	log.Printf("idle for %s …", d)
	i := idleRSS{over: d}
	for t := time.Second; t <= d; t += time.Second {
		time.Sleep(time.Second)
		v := s.rss("VmRSS")
		if t == 2*time.Second {
			i.after2s = v
		}
		if v > i.high {
			i.high, i.highAnon = v, s.rss("RssAnon")
		}
	}
	return i
}

// rss reads a memory figure of the server (VmRSS now, VmHWM the peak) in bytes.
func (s *server) rss(field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	check(err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			check(err)
			return kb * 1024
		}
	}
	log.Fatalf("no %s in /proc status", field)
	return 0
}

// startupTime is the time from starting the process to the first 200 of the home page (the
// best of three starts).
func startupTime(bin, dir, tmp string) time.Duration {
	best := time.Duration(0)
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		check(err)
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "serve", "--http", addr, "--dir", dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		t0 := time.Now()
		check(cmd.Start())
		var took time.Duration
		for took == 0 {
			if st, err := do(http.DefaultClient, http.MethodGet, "http://"+addr+"/", nil); err == nil && st == http.StatusOK {
				took = time.Since(t0)
			} else if time.Since(t0) > time.Minute {
				log.Fatalf("no 200 within a minute:\n%s", out.String())
			} else {
				time.Sleep(2 * time.Millisecond)
			}
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if best == 0 || took < best {
			best = took
		}
	}
	return best
}

// clientBound is the share of its time on the CPU above which a client may have held a
// scenario's figure back.
const clientBound = 0.9

// report collects the markdown output.
type report struct {
	rows, facts, targets []string
}

func (r *report) add(k, v string) { r.facts = append(r.facts, fmt.Sprintf("- %s: %s", k, v)) }

func (r *report) row(x result) {
	var codes []string
	keys := make([]int, 0, len(x.statuses))
	for k := range x.statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		codes = append(codes, fmt.Sprintf("%d×%d", x.statuses[k], k))
	}
	client := "–"
	if x.clientCPU > 0 {
		client = fmt.Sprintf("%.0f%%", 100*x.clientCPU)
		if x.client != "" {
			client += " " + x.client
		}
		if x.clientCPU >= clientBound {
			client += " (client-bound)"
		}
	}
	r.rows = append(r.rows, fmt.Sprintf("| %s | %d | %.0f | %.0f | %s | %s | %s | %d | %s | %s |", x.name, x.n, x.rate, x.okRate,
		ms(x.p50), ms(x.p99), ms(x.pmax), x.errs, strings.Join(codes, " "), client))
}

func (r *report) target(name string, v float64, want string, met bool) {
	mark := "met"
	if !met {
		mark = "**missed**"
	}
	f := fmt.Sprintf("%.3g", v)
	if v >= 1000 {
		f = fmt.Sprintf("%.0f", v) // not 3.08e+03
	}
	r.targets = append(r.targets, fmt.Sprintf("| %s | %s | %s | %s |", name, f, want, mark))
}

func (r *report) String() string {
	var b strings.Builder
	if len(r.rows) > 0 {
		b.WriteString("\n| scenario | requests | req/s | ok/s | p50 | p99 | max | errors | statuses | busiest client CPU |\n|---|---|---|---|---|---|---|---|---|---|\n")
	}
	for _, x := range r.rows {
		b.WriteString(x + "\n")
	}
	b.WriteString("\n")
	for _, x := range r.facts {
		b.WriteString(x + "\n")
	}
	if len(r.targets) == 0 {
		return b.String()
	}
	b.WriteString("\n| target | measured | wanted | |\n|---|---|---|---|\n")
	for _, x := range r.targets {
		b.WriteString(x + "\n")
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
func mb(b int64) float64        { return float64(b) / (1 << 20) }

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	check(err)
	return st.Size()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	if m := regexp.MustCompile(`model name\s*:\s*(.+)`).FindSubmatch(b); m != nil {
		return strings.TrimSpace(string(m[1]))
	}
	return "unknown CPU"
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte("processor\t:"))
}

func run(name string, args ...string) { runStdin("", name, args...) }

func runStdin(stdin, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func runOut(name string, args ...string) []byte {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		log.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func check(err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// setRetentionOneDay sets the venue's retention period to one day and returns how many
// bookings are then due for anonymisation.
func setRetentionOneDay(path string) int {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	check(err)
	defer db.Close()
	_, err = db.Exec("UPDATE venue SET retention_days = 1")
	check(err)
	var n int
	cut := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02 15:04:05.000Z")
	check(db.QueryRow(`SELECT count(*) FROM bookings WHERE anonymised = FALSE AND "end" < ?`, cut).Scan(&n))
	return n
}

// loadDate is the day the scenarios book and browse: three days ahead, not a Monday (the demo
// dinner is closed on Mondays).
func loadDate() string {
	day := time.Now().AddDate(0, 0, 3)
	for day.Weekday() == time.Monday {
		day = day.AddDate(0, 0, 1)
	}
	return day.Format("2006-01-02")
}

// mixedLoad is the mixed workload against base: 90% the booking page of date, 10% bookings
// of random hall times that day (parties of 1 to 4).
func mixedLoad(base, date string) []reqSpec {
	var starts []string
	for h := 10; h <= 20; h++ {
		starts = append(starts, fmt.Sprintf("%sT%02d:00", date, h), fmt.Sprintf("%sT%02d:30", date, h))
	}
	return []reqSpec{
		weighted(9, get1(base+"/book/dinner?date="+date+"&party=2")),
		weighted(1, book1(base+"/book/hall", starts, 1, 4)),
	}
}

// purgeResult is the retention purge scenario's measurements.
type purgeResult struct {
	base, during result
	due, n, left int
	took         time.Duration
}

func (p purgeResult) String() string {
	return fmt.Sprintf("%d due bookings of %d anonymised in %s, %d left due afterwards (while it ran: p99 of all requests %s, of the bookings alone %s; the same load on the same database without a purge: %s and %s)",
		p.due, p.n, p.took.Round(time.Millisecond), p.left, ms(p.during.p99), ms(p.during.bookP99), ms(p.base.p99), ms(p.base.bookP99))
}

// purgeScenario: a database of generated bookings over two years with a retention of one day,
// the mixed load on it, then the same load while the owner applies the retention period (the
// nightly job's code, in the server).
func purgeScenario(bin, tmp, date string) purgeResult {
	pdata := filepath.Join(tmp, "purge")
	log.Printf("generating %d bookings for the purge …", *purgeN)
	run(bin, "demo", "--bookings", strconv.Itoa(*purgeN), "--dir", pdata)
	due := setRetentionOneDay(filepath.Join(pdata, "data.db"))
	runStdin(ownerPassword+"\n", bin, "staff", "create", "owner@load.invalid", "--role", "owner", "--dir", pdata)
	psrv := start(bin, pdata, tmp)
	rPurgeBase := load("mixed, purge database", *duration, *conns, mixedLoad(psrv.url, date)...)
	// The owner's "apply the retention period now": the nightly job's code, in the server.
	powner := signIn(psrv.url)
	var purgeTook time.Duration
	rPurge := loadWhile("mixed during a purge", *conns, func() {
		// "Purge now" starts the purge in the background; it is done when it has audited its
		// counts.
		t0 := time.Now()
		st, err := do(powner, http.MethodPost, psrv.url+"/admin/purge/now", url.Values{})
		if err != nil || st != http.StatusSeeOther {
			log.Printf("purge now: %d %v", st, err)
			return
		}
		for countWhere(filepath.Join(pdata, "data.db"), "audit_log", "action = 'gdpr.purge'") == 0 {
			if time.Since(t0) > 30*time.Minute {
				log.Printf("purge now: not done after 30 minutes")
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		purgeTook = time.Since(t0)
	}, mixedLoad(psrv.url, date)...)
	psrv.stop()
	left := setRetentionOneDay(filepath.Join(pdata, "data.db"))
	return purgeResult{base: rPurgeBase, during: rPurge, due: due, n: *purgeN, left: left, took: purgeTook}
}
