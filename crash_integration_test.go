//go:build integration

package main

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"reserva/internal/realtest"
)

// crashEnv turns the abuse limits off so the load is not refused; no relay is set, so the
// confirmation mails simply wait in the outbox.
var crashEnv = []string{
	"RESERVA_RATE_BOOKING=off", "RESERVA_RATE_PAGES=off", "RESERVA_BOOKINGS_PER_EMAIL=0", "RESERVA_FORM_MIN_SECONDS=0",
}

const (
	crashCycles  = 20
	crashClients = 8
)

// crashStats counts one cycle's load.
type crashStats struct {
	requests, booked, full, invalid, cut int
	other                                map[int]int // statuses outside the contract
	killAfter                            time.Duration
}

// bookedToken is a booking the server confirmed with a 303: it must survive every crash.
type bookedToken struct {
	token, start string
	cycle        int
}

// TestCrashDuringBookingLoad: 20 times, concurrent clients book (most of them one contended
// dinner time of the day, with parties of 1 to 4, the rest overlapping neighbours, other
// times and pottery sessions), the server is killed with SIGKILL at a random moment of the
// load and restarted on the same data directory. After every restart each booking that got its
// 303 exists (by its manage token, in the database and on its manage page), no offering is
// over capacity at any moment, every booking has its confirmation mail and a token (the
// transaction is all or nothing), the database passes PRAGMA integrity_check, and the data
// directory's lock, held by the running server, was released by the kernel at the kill.
func TestCrashDuringBookingLoad(t *testing.T) {
	start := time.Now()
	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	t.Logf("random seed %d", seed)

	addr := realtest.FreeAddr(t)
	inst := runReserva(t, "", crashEnv, "serve", "--demo", "--demo-guests=false", "--http", addr)
	inst.URL = "http://" + addr
	waitHealthy(t, inst)
	dir := inst.Dir

	dinner := dinnerDays(freeTimes(t, inst.URL, "dinner", 35))
	pottery := freeTimes(t, inst.URL, "pottery", 50)
	if len(dinner) < crashCycles || len(pottery) == 0 {
		t.Fatalf("%d open dinner days, %d pottery sessions: too few for %d cycles", len(dinner), len(pottery), crashCycles)
	}
	var all []string
	for _, d := range dinner {
		all = append(all, d...)
	}

	var booked []bookedToken
	var total crashStats
	for cycle := 1; cycle <= crashCycles; cycle++ {
		day := dinner[cycle-1]
		hot := day[len(day)/2]
		var near []string
		for _, tm := range day {
			if tm != hot && overlapsDinner(hot, tm) {
				near = append(near, tm)
			}
		}
		pick := func(r *rand.Rand) (slug, start string) {
			switch p := r.IntN(100); {
			case p < 70:
				return "dinner", hot
			case p < 88 && len(near) > 0:
				return "dinner", near[r.IntN(len(near))]
			case p < 95:
				return "dinner", all[r.IntN(len(all))]
			default:
				return "pottery", pottery[r.IntN(len(pottery))]
			}
		}
		mustHoldLock(t, dir, true)
		killAfter := 200*time.Millisecond + time.Duration(rnd.Int64N(int64(1300*time.Millisecond)))
		st, tokens := crashLoad(t, inst, cycle, rnd.Uint64(), killAfter, pick)
		mustHoldLock(t, dir, false)

		inst = runReserva(t, dir, crashEnv, "serve", "--demo", "--demo-guests=false", "--http", addr)
		inst.URL = "http://" + addr
		restarted := time.Now()
		waitHealthy(t, inst)
		if strings.Contains(inst.Output(), "in use") {
			t.Fatalf("cycle %d: the restart reported a held lock:\n%s", cycle, inst.Output())
		}
		restart := time.Since(restarted)

		booked = append(booked, tokens...)
		checkAfterCrash(t, inst, cycle, booked, tokens)
		t.Logf("cycle %2d: hot %s, killed after %4d ms: %3d requests, %2d booked (303), %3d full (409), %d invalid (422), %2d cut by the kill; restart %d ms",
			cycle, hot, st.killAfter.Milliseconds(), st.requests, st.booked, st.full, st.invalid, st.cut, restart.Milliseconds())
		if len(st.other) > 0 {
			t.Errorf("cycle %d: statuses outside 303/409/422: %v", cycle, st.other)
		}
		total.requests += st.requests
		total.booked += st.booked
		total.full += st.full
		total.invalid += st.invalid
		total.cut += st.cut
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("total: %d cycles, %d requests, %d booked (303), %d full (409), %d invalid (422), %d cut by kills; %d bookings verified; %s",
		crashCycles, total.requests, total.booked, total.full, total.invalid, total.cut, len(booked), time.Since(start).Round(time.Millisecond))
}

// waitHealthy waits until /healthz answers 200.
func waitHealthy(t *testing.T, inst *instance) {
	t.Helper()
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
}

// dinnerDays groups free dinner starts ("2006-01-02T15:04") by date, skipping today (whose
// early times pass while the test runs); each day keeps its times in order.
func dinnerDays(times []string) [][]string {
	byDay := map[string][]string{}
	today := ""
	if len(times) > 0 {
		berlin, _ := time.LoadLocation("Europe/Berlin")
		today = time.Now().In(berlin).Format("2006-01-02")
	}
	for _, tm := range times {
		if d, _, ok := strings.Cut(tm, "T"); ok && d != today {
			byDay[d] = append(byDay[d], tm)
		}
	}
	var days []string
	for d, ts := range byDay {
		if len(ts) >= 5 {
			days = append(days, d)
		}
	}
	sort.Strings(days)
	out := make([][]string, len(days))
	for i, d := range days {
		out[i] = byDay[d]
		sort.Strings(out[i])
	}
	return out
}

// overlapsDinner reports whether two dinner starts of a day (2-hour bookings) overlap.
func overlapsDinner(a, b string) bool {
	ta, err1 := time.Parse("2006-01-02T15:04", a)
	tb, err2 := time.Parse("2006-01-02T15:04", b)
	if err1 != nil || err2 != nil {
		return false
	}
	d := ta.Sub(tb)
	return d > -2*time.Hour && d < 2*time.Hour
}

// crashLoad runs crashClients concurrent booking clients against inst and kills the process
// with SIGKILL killAfter into the load. It returns the counts and the tokens of every booking
// answered with a 303.
func crashLoad(t *testing.T, inst *instance, cycle int, seed uint64, killAfter time.Duration,
	pick func(*rand.Rand) (string, string)) (crashStats, []bookedToken) {
	t.Helper()
	transport := &http.Transport{MaxIdleConnsPerHost: crashClients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var (
		mu     sync.Mutex
		st     = crashStats{other: map[int]int{}, killAfter: killAfter}
		tokens []bookedToken
		stop   = make(chan struct{})
		wg     sync.WaitGroup
	)
	for c := range crashClients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(c)))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				slug, start := pick(r)
				party := 1 + r.IntN(4)
				form := url.Values{"start": {start}, "party": {fmt.Sprint(party)}, "name": {"Crash Tester"},
					"email": {fmt.Sprintf("crash-%d-%d-%d@example.com", cycle, c, n)}, "consent": {"yes"}}
				res, err := client.PostForm(inst.URL+"/book/"+slug, form)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				mu.Lock()
				st.requests++
				switch {
				case err != nil:
					// Only the kill may cut a request: before it, a transport error is a failure.
					select {
					case <-stop:
						st.cut++
					default:
						st.other[-1]++
						t.Errorf("cycle %d: POST /book/%s before the kill: %v", cycle, slug, err)
					}
				case res.StatusCode == http.StatusSeeOther:
					m := tokenInLocation.FindStringSubmatch(res.Header.Get("Location"))
					if m == nil {
						t.Errorf("cycle %d: 303 to %q, want a manage link", cycle, res.Header.Get("Location"))
						break
					}
					st.booked++
					tokens = append(tokens, bookedToken{token: m[1], start: start, cycle: cycle})
				case res.StatusCode == http.StatusConflict:
					st.full++
				case res.StatusCode == http.StatusUnprocessableEntity:
					st.invalid++
				default:
					st.other[res.StatusCode]++
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(killAfter)
	// Closing stop first: every transport error from here on is the kill's.
	close(stop)
	if err := syscall.Kill(inst.Cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	inst.Stop() // waits for the exit
	wg.Wait()
	if ws, ok := inst.Cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("cycle %d: the server ended with %v, not by SIGKILL", cycle, inst.Cmd.ProcessState)
	}
	return st, tokens
}

// mustHoldLock checks the data directory's lock file: held by a running server (held), or
// free after the kill (the kernel drops a dead process's flock).
func mustHoldLock(t *testing.T, dir string, held bool) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, ".reserva.lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("lock file: %v", err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case held && err == nil:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		t.Fatal("the running server does not hold .reserva.lock")
	case held && !errors.Is(err, syscall.EWOULDBLOCK):
		t.Fatalf("flock: %v", err)
	case !held && err != nil:
		t.Fatalf(".reserva.lock still held after kill -9: %v", err)
	case !held:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
}

// checkAfterCrash checks the restarted server's data: every confirmed token (all cycles) opens
// its booking, this cycle's manage pages show their references, no offering is over capacity,
// every booking has its token and its confirmation mail, and the database is intact.
func checkAfterCrash(t *testing.T, inst *instance, cycle int, booked, fresh []bookedToken) {
	t.Helper()
	// A second, read-only connection beside the server's (WAL mode lets it read a snapshot).
	db, err := sql.Open("sqlite", "file:"+filepath.Join(inst.Dir, "data.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	must(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)

	for _, name := range []string{"data.db", "auxiliary.db"} {
		conn := db
		if name != "data.db" {
			aux, err := sql.Open("sqlite", "file:"+filepath.Join(inst.Dir, name)+"?mode=ro&_pragma=busy_timeout(10000)")
			must(t, err)
			defer aux.Close()
			conn = aux
		}
		var results []string
		rows, err := conn.Query("PRAGMA integrity_check")
		must(t, err)
		for rows.Next() {
			var s string
			must(t, rows.Scan(&s))
			results = append(results, s)
		}
		must(t, rows.Err())
		rows.Close()
		if len(results) != 1 || results[0] != "ok" {
			t.Errorf("cycle %d: integrity_check of %s: %v", cycle, name, results)
		}
	}

	// Every 303 is a booking that exists, confirmed, at the time it was booked for.
	refs := map[string]string{}
	for _, b := range booked {
		var ref, status string
		err := db.QueryRow(`SELECT b.reference, b.status FROM booking_tokens t JOIN bookings b ON b.id = t.booking
			WHERE t.token_hash = ?`, sha256Hex(b.token)).Scan(&ref, &status)
		if err != nil {
			t.Errorf("cycle %d: the booking confirmed in cycle %d at %s (303) is gone: %v", cycle, b.cycle, b.start, err)
			continue
		}
		if status != "confirmed" {
			t.Errorf("cycle %d: the booking %s confirmed in cycle %d has status %q", cycle, ref, b.cycle, status)
		}
		refs[b.token] = ref
	}
	for _, b := range fresh {
		res, err := http.Get(inst.URL + "/b/" + b.token)
		must(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || refs[b.token] == "" || !strings.Contains(string(body), refs[b.token]) {
			t.Errorf("cycle %d: GET /b/{token} of booking %q = %d, want 200 with its reference", cycle, refs[b.token], res.StatusCode)
		}
	}

	checkCapacity(t, db, cycle)

	// All or nothing: every booking has a manage token and exactly one confirmation mail.
	var orphans, mails int
	must(t, db.QueryRow(`SELECT count(*) FROM bookings b WHERE NOT EXISTS
		(SELECT 1 FROM booking_tokens t WHERE t.booking = b.id)`).Scan(&orphans))
	must(t, db.QueryRow(`SELECT count(*) FROM bookings b WHERE (SELECT count(*) FROM outbox o
		WHERE o.booking = b.id AND o.kind = 'confirmation') != 1`).Scan(&mails))
	if orphans != 0 || mails != 0 {
		t.Errorf("cycle %d: %d bookings without a token, %d without exactly one confirmation mail", cycle, orphans, mails)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// checkCapacity recomputes, from the rows alone, each offering's use at every moment a
// booking's blocked interval [start - buffer before, end + buffer after) begins (the peak of
// a sum of intervals is at one of their starts), and each session's seats.
func checkCapacity(t *testing.T, db *sql.DB, cycle int) {
	t.Helper()
	type offering struct {
		kind, mode          string
		capacity            int
		bufBefore, bufAfter time.Duration
	}
	offs := map[string]offering{}
	rows, err := db.Query(`SELECT id, kind, capacity_mode, capacity, buffer_before, buffer_after FROM offerings`)
	must(t, err)
	for rows.Next() {
		var id string
		var o offering
		var bb, ba float64
		must(t, rows.Scan(&id, &o.kind, &o.mode, &o.capacity, &bb, &ba))
		o.bufBefore, o.bufAfter = time.Duration(bb)*time.Minute, time.Duration(ba)*time.Minute
		offs[id] = o
	}
	must(t, rows.Err())
	rows.Close()

	seats := map[string]int{}
	rows, err = db.Query(`SELECT id, seats FROM sessions`)
	must(t, err)
	for rows.Next() {
		var id string
		var n int
		must(t, rows.Scan(&id, &n))
		seats[id] = n
	}
	must(t, rows.Err())
	rows.Close()

	type held struct {
		from, to time.Time
		use      int
		session  string
	}
	byOffering := map[string][]held{}
	rows, err = db.Query(`SELECT offering, session, start, "end", party FROM bookings WHERE status IN ('confirmed', 'checked_in')`)
	must(t, err)
	for rows.Next() {
		var off, session, start, end string
		var party int
		must(t, rows.Scan(&off, &session, &start, &end, &party))
		o, ok := offs[off]
		if !ok {
			t.Errorf("cycle %d: a booking of an unknown offering %q", cycle, off)
			continue
		}
		if party < 1 {
			t.Errorf("cycle %d: a booking with party %d", cycle, party)
		}
		from, err1 := parseDBTime(start)
		to, err2 := parseDBTime(end)
		if err1 != nil || err2 != nil || !to.After(from) {
			t.Errorf("cycle %d: a booking from %q to %q", cycle, start, end)
			continue
		}
		use := party
		if o.mode == "units" {
			use = 1
		}
		byOffering[off] = append(byOffering[off], held{from: from.Add(-o.bufBefore), to: to.Add(o.bufAfter), use: use, session: session})
	}
	must(t, rows.Err())
	rows.Close()

	for id, hs := range byOffering {
		o := offs[id]
		if o.kind == "session" {
			per := map[string]int{}
			for _, h := range hs {
				per[h.session] += h.use
			}
			for s, n := range per {
				if n > seats[s] {
					t.Errorf("cycle %d: session %s holds %d, seats %d", cycle, s, n, seats[s])
				}
			}
			continue
		}
		for _, at := range hs {
			sum := 0
			for _, h := range hs {
				if !h.from.After(at.from) && at.from.Before(h.to) {
					sum += h.use
				}
			}
			if sum > o.capacity {
				t.Errorf("cycle %d: offering %s holds %d at %s, capacity %d", cycle, id, sum, at.from.UTC().Format(time.RFC3339), o.capacity)
			}
		}
	}
}

// parseDBTime reads a PocketBase date column ("2006-01-02 15:04:05.000Z", UTC).
func parseDBTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.000Z", "2006-01-02 15:04:05Z", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}
