package main

// The measurements at scale (issue 15's "at 1M bookings"): on the start-up measurement's
// database (or, with -scale-only -scale-dir, an existing data directory), the full CSV export
// (rows checked against the bookings table), staff search, the bookings list and Today, then
// `reserva backup create` against a cold `cp` of data.db.

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
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
)

var (
	scaleFlag = flag.Bool("scale", true, "measure the export, search, lists, Today and a backup on the start-up database")
	scaleOnly = flag.Bool("scale-only", false, "run only the measurements at scale (on a generated database of -startup-bookings bookings, or -scale-dir)")
	scaleDir  = flag.String("scale-dir", "", "with -scale-only: an existing data directory to measure in place (an owner is created if absent; backups go to the temporary directory)")
)

// scaleOnlyRun is -scale-only: the measurements at scale alone, printed as a report.
func scaleOnlyRun(bin, tmp string) {
	r := &report{}
	r.add("machine", fmt.Sprintf("%s, %d CPUs", cpuModel(), numCPU()))
	dir := *scaleDir
	if dir == "" {
		dir = filepath.Join(tmp, "big")
		log.Printf("generating %d bookings for the measurements at scale …", *startupN)
		t0 := time.Now()
		run(bin, "demo", "--bookings", strconv.Itoa(*startupN), "--dir", dir)
		r.add("scale database", fmt.Sprintf("%d bookings generated in %s", *startupN, time.Since(t0).Round(time.Second)))
	} else {
		r.add("scale database", "the existing data directory "+dir)
	}
	measureScale(r, bin, dir, tmp)
	out := r.String()
	fmt.Print(out)
	if *outFile != "" {
		check(os.WriteFile(*outFile, []byte(out), 0o644))
	}
}

// bookingLink is a link to one booking in the dashboard's lists (a record id of 15 characters,
// not /admin/bookings/new).
var bookingLink = regexp.MustCompile(`href="/admin/bookings/[a-z0-9]{15}"`)

// measureScale measures the export, search, lists, Today and a backup on the data directory
// dir and adds them to r. The server runs on dir with an owner (created when absent); backups
// are written under tmp.
func measureScale(r *report, bin, dir, tmp string) {
	dbPath := filepath.Join(dir, "data.db")
	if !hasOwner(dbPath) {
		runStdin(ownerPassword+"\n", bin, "staff", "create", "owner@load.invalid", "--role", "owner", "--dir", dir)
	}
	keyOut := string(runOut(bin, "backup", "keygen", "--out", filepath.Join(tmp, "scale-backup.key")))
	recipient := regexp.MustCompile(`RESERVA_BACKUP_RECIPIENTS=(\S+)`).FindStringSubmatch(keyOut)
	if recipient == nil {
		log.Fatalf("no recipient in:\n%s", keyOut)
	}
	backupEnv := []string{"RESERVA_BACKUP_RECIPIENTS=" + recipient[1], "RESERVA_BACKUP_DIR=" + filepath.Join(tmp, "scale-backups")}
	bookings := countRows(dbPath, "bookings")
	dbSize := fileSize(dbPath)
	t := scaleTermsOf(dbPath)

	srv := start(bin, dir, tmp, append(backupEnv, "RESERVA_BACKUP_SCHEDULE=0 4 1 1 *", "RESERVA_BACKUP_DRILL=30 4 1 1 *")...)
	defer srv.stop()
	owner := signIn(srv.url)

	// The export of every booking, to its last byte, parsed as CSV.
	log.Printf("exporting %d bookings …", bookings)
	rows, took, err := timeExport(owner, srv.url+"/admin/export")
	complete := err == nil && rows == bookings
	state := "complete"
	if !complete {
		state = "**incomplete**"
		if err != nil {
			state += " (" + err.Error() + ")"
		}
	}
	r.add("scale: full export", fmt.Sprintf("%d CSV rows of %d bookings in %s, %s", rows, bookings, took.Round(time.Millisecond), state))
	r.target(fmt.Sprintf("full export of %d bookings complete (s)", bookings), took.Seconds(), "<= 60, every row", complete && took <= time.Minute)

	// Search, the list and Today: each request once to warm up, then five times in a row.
	log.Printf("searching, listing, Today …")
	searches := []struct {
		what, q string
		finds   bool
	}{
		{"the most common surname", t.surname, true},
		{"a full reference", t.reference, true},
		{"digits 3–10 of a phone, spaced otherwise", t.phonePart, true},
		{"a full e-mail address", t.email, true},
		{"a name part matching nothing", "zzqx", false},
	}
	var parts []string
	worstSearch, searchOK := time.Duration(0), true
	for _, s := range searches {
		m := timeGets(owner, srv.url+"/admin/bookings?q="+url.QueryEscape(s.q), s.finds)
		worstSearch, searchOK = max(worstSearch, m.median), searchOK && m.ok
		parts = append(parts, fmt.Sprintf("%s %q: %s", s.what, s.q, m))
	}
	r.add("scale: search (GET /admin/bookings?q=…; median and max of 5)", strings.Join(parts, "; "))
	r.target("search, worst median (ms)", worstSearch.Seconds()*1000, "<= 50", searchOK && worstSearch <= 50*time.Millisecond)

	list := timeGets(owner, srv.url+"/admin/bookings", true)
	page5 := timeGets(owner, srv.url+"/admin/bookings?page=5", true)
	today := timeGets(owner, srv.url+"/admin/?date="+t.busiestDay, true)
	r.add("scale: lists (median and max of 5)", fmt.Sprintf("bookings, page 1: %s; page 5: %s; Today of the busiest day (%s, %d bookings in the database): %s",
		list, page5, t.busiestDay, t.busiestCount, today))
	worstList := max(list.median, page5.median, today.median)
	r.target("list and Today, worst median (ms)", worstList.Seconds()*1000, "<= 50", list.ok && page5.ok && today.ok && worstList <= 50*time.Millisecond)
	r.add("scale: server memory", fmt.Sprintf("peak %.1f MB (VmHWM after the export, searches and lists)", mb(srv.rss("VmHWM"))))
	srv.stop()

	// A backup against a cold copy of data.db, the server stopped.
	log.Printf("cp of data.db, then a backup …")
	cold := dropCaches()
	cpDst := filepath.Join(tmp, "cp.db")
	t0 := time.Now()
	run("cp", dbPath, cpDst)
	cpTook := time.Since(t0)
	check(os.Remove(cpDst))
	if cold == nil {
		cold = dropCaches()
	}
	cmd := exec.Command(bin, "backup", "create", "--dir", dir)
	cmd.Env = append(os.Environ(), backupEnv...)
	t0 = time.Now()
	out, err := cmd.CombinedOutput()
	backupTook := time.Since(t0)
	var peak int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peak = ru.Maxrss * 1024 // kB on Linux
	}
	wrote := regexp.MustCompile(`Wrote (\S+) \((\d+) bytes, (\d+) bookings\)`).FindStringSubmatch(string(out))
	backupOK := err == nil && wrote != nil
	cpKind := "cold"
	if cold != nil {
		cpKind = "warm (the page cache could not be dropped: " + cold.Error() + ")"
	}
	if !backupOK {
		r.add("scale: backup", fmt.Sprintf("`reserva backup create` **failed** after %s (%v): %s", backupTook.Round(time.Millisecond), err, strings.TrimSpace(string(out))))
	} else {
		size := fileSize(wrote[1])
		r.add("scale: backup", fmt.Sprintf("`reserva backup create` %s, `cp data.db` %s (%s), %.2f× the cp; backup file %.1f MB of %.1f MB data.db (%.2f), %s bookings in its manifest; the backup's peak RSS %.1f MB",
			backupTook.Round(time.Millisecond), cpTook.Round(time.Millisecond), cpKind, backupTook.Seconds()/cpTook.Seconds(),
			mb(size), mb(dbSize), float64(size)/float64(dbSize), wrote[3], mb(peak)))
	}
	want := "<= 3"
	if cold != nil {
		want += " (cp not cold: not measured)"
	}
	r.target("backup ÷ cold cp of data.db", backupTook.Seconds()/cpTook.Seconds(), want, backupOK && cold == nil && backupTook <= 3*cpTook)
}

// hasOwner reports whether the load's owner account exists in the database at path.
func hasOwner(path string) bool {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	check(err)
	defer db.Close()
	var n int
	check(db.QueryRow(`SELECT count(*) FROM staff WHERE email = 'owner@load.invalid'`).Scan(&n))
	return n > 0
}

// scaleTerms are what the measurements search for and the day Today shows, taken from the
// database.
type scaleTerms struct {
	surname, reference, phonePart, email string
	busiestDay                           string // venue-local, YYYY-MM-DD
	busiestCount                         int
}

// scaleTermsOf reads the search terms and the busiest day from the database at path (read-only).
func scaleTermsOf(path string) scaleTerms {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	check(err)
	defer db.Close()
	var t scaleTerms
	// The last word of a name: rtrim takes off the trailing characters that are not spaces.
	check(db.QueryRow(`SELECT substr(name, length(rtrim(name, replace(name, ' ', ''))) + 1) AS surname, count(*) AS n
		FROM (SELECT name FROM bookings ORDER BY rowid LIMIT 50000) WHERE name != '' GROUP BY surname ORDER BY n DESC LIMIT 1`).Scan(&t.surname, new(int)))
	// A booking a third, one a half and one two thirds of the way through the table.
	at := func(col, cond string, frac float64) string {
		var v string
		check(db.QueryRow(`SELECT `+col+` FROM bookings WHERE rowid >= (SELECT max(rowid) FROM bookings) * ? AND `+cond+` ORDER BY rowid LIMIT 1`,
			frac).Scan(&v))
		return v
	}
	t.reference = at("reference", "reference != ''", 1.0/3)
	t.email = at("email", "email != ''", 2.0/3)
	phone := at("phone", "length(phone) >= 12", 0.5)
	var digits []byte
	for _, c := range []byte(phone) {
		if c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	if len(digits) < 10 {
		log.Fatalf("phone %q: fewer than 10 digits", phone)
	}
	d := string(digits[2:10]) // digits 3 to 10, in groups of three
	t.phonePart = d[:3] + " " + d[3:6] + " " + d[6:]
	// The busiest venue-local day: the bookings counted per UTC hour, each hour put on its day.
	var tz string
	check(db.QueryRow(`SELECT timezone FROM venue LIMIT 1`).Scan(&tz))
	loc, err := time.LoadLocation(tz)
	check(err)
	rows, err := db.Query(`SELECT substr(start, 1, 13), count(*) FROM bookings GROUP BY 1`)
	check(err)
	defer rows.Close()
	days := map[string]int{}
	for rows.Next() {
		var hour string
		var n int
		check(rows.Scan(&hour, &n))
		h, err := time.Parse("2006-01-02 15", hour)
		check(err)
		days[h.In(loc).Format(time.DateOnly)] += n
	}
	check(rows.Err())
	for day, n := range days {
		if n > t.busiestCount || n == t.busiestCount && day < t.busiestDay {
			t.busiestDay, t.busiestCount = day, n
		}
	}
	return t
}

// timeExport downloads the CSV export at target to its last byte and counts its data rows
// (records after the heading) with a CSV parser. A status other than 200, a broken-off download
// or a malformed row is an error.
func timeExport(c *http.Client, target string) (rows int, took time.Duration, err error) {
	t0 := time.Now()
	res, err := c.Get(target)
	if err != nil {
		return 0, time.Since(t0), err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, time.Since(t0), fmt.Errorf("status %d", res.StatusCode)
	}
	cr := csv.NewReader(bufio.NewReaderSize(res.Body, 1<<16))
	cr.ReuseRecord = true
	records := 0
	for {
		_, err = cr.Read()
		if errors.Is(err, io.EOF) {
			err = nil
			break
		}
		if err != nil {
			err = fmt.Errorf("after %d records: %w", records, err)
			break
		}
		records++
	}
	return max(records-1, 0), time.Since(t0), err
}

// pageTimes are five sequential GETs of one page.
type pageTimes struct {
	median, max time.Duration
	listed      int    // bookings linked from the last answer
	ok          bool   // every answer 200, and listing a booking when one was expected
	problem     string // why not ok
}

func (p pageTimes) String() string {
	s := fmt.Sprintf("%s, max %s, %d listed", ms(p.median), ms(p.max), p.listed)
	if !p.ok {
		s += " (**" + p.problem + "**)"
	}
	return s
}

// timeGets sends GET target once to warm up, then five times in a row, timing each to the last
// byte of the answer; finds says each answer should link to at least one booking.
func timeGets(c *http.Client, target string, finds bool) pageTimes {
	p := pageTimes{ok: true}
	var lat []time.Duration
	for i := range 6 {
		t0 := time.Now()
		res, err := c.Get(target)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		took := time.Since(t0)
		switch {
		case err != nil:
			p.ok, p.problem = false, err.Error()
		case res.StatusCode != http.StatusOK:
			p.ok, p.problem = false, fmt.Sprintf("status %d", res.StatusCode)
		default:
			p.listed = len(bookingLink.FindAll(body, -1))
			if finds && p.listed == 0 {
				p.ok, p.problem = false, "no booking listed"
			}
		}
		if i > 0 {
			lat = append(lat, took)
		}
	}
	slices.Sort(lat)
	p.median, p.max = lat[len(lat)/2], lat[len(lat)-1]
	return p
}

// dropCaches writes the dirty pages out and drops the OS page cache (root only).
func dropCaches() error {
	syscall.Sync()
	f, err := os.OpenFile("/proc/sys/vm/drop_caches", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("3\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
