package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The load is sent by client processes of their own (this program started again with -worker),
// never from the process that measures or from the server's: on a 2-core machine a client that
// shares a process with what it measures takes that process's scheduler and heap with it, which
// once made the bare baseline look slow and Reserva's ratio to it look good.
//
// The clients stand in for visitors on other machines, so they take as little of this one as
// they can: each runs with one OS thread for Go code (GOMAXPROCS=1) and at a lower priority
// (nice 10), so the server under test, and the baselines alike, get the CPU first. Each
// scenario reports the clients' CPU time against its length: a client near 100% may have held
// the figure back, and the scenario is marked client-bound. (The browse scenarios are sent by
// wrk instead, on CPUs of its own: wrk.go, cpus.go.)
//
// Protocol: the coordinator writes one JSON workSpec line to a worker's stdin; the worker starts
// at spec.Start, sends requests from spec.Conns connections until its stdin says "stop" (or
// closes), or, for a burst, until each connection has sent its one request; then it writes one
// JSON workResult to stdout and exits.

// workSpec is what one worker process sends.
type workSpec struct {
	Worker int       `json:"worker"` // numbers the e-mail addresses of its bookings
	Conns  int       `json:"conns"`
	Start  time.Time `json:"start"` // every worker of a scenario starts at the same moment
	Burst  bool      `json:"burst"` // each connection sends one request, all at Start
	Mix    []reqSpec `json:"mix"`   // chosen at random by weight
}

// reqSpec is one kind of request of a mix.
type reqSpec struct {
	Weight int    `json:"weight"`
	Method string `json:"method"`
	URL    string `json:"url"`
	// Book, when set, makes the request a booking posted to URL: a start drawn from Starts, a
	// party from PartyMin to PartyMax, a new e-mail address each time.
	Book *bookSpec `json:"book,omitempty"`
}

type bookSpec struct {
	Starts   []string `json:"starts"`
	PartyMin int      `json:"party_min"`
	PartyMax int      `json:"party_max"`
	// JSON posts the booking as a JSON record (name, email, start, party), as PocketBase's
	// records API takes it, instead of Reserva's booking form.
	JSON bool `json:"json,omitempty"`
}

// workResult is what a worker measured: each request's latency in microseconds (the
// bookings' separately), the statuses counted, the transport errors.
type workResult struct {
	Took     time.Duration `json:"took"`
	Lat      []int64       `json:"lat"`
	Book     []int64       `json:"book"`
	Statuses map[int]int   `json:"statuses"`
	Errs     int           `json:"errs"`
}

// worker is the client process: it reads its spec, sends the load and prints what it measured.
func worker() {
	in := bufio.NewReader(os.Stdin)
	line, err := in.ReadBytes('\n')
	check(err)
	var spec workSpec
	check(json.Unmarshal(line, &spec))
	stop := make(chan struct{})
	go func() {
		_, _ = in.ReadString('\n') // "stop", or EOF when the coordinator went away
		close(stop)
	}()
	res := send(spec, stop)
	check(json.NewEncoder(os.Stdout).Encode(res))
}

// send runs spec's load until stop closes (or, for a burst, once per connection).
func send(spec workSpec, stop <-chan struct{}) workResult {
	c := newClient(spec.Conns)
	total := 0
	for _, r := range spec.Mix {
		total += r.Weight
	}
	var (
		mu  sync.Mutex
		res = workResult{Statuses: map[int]int{}}
		wg  sync.WaitGroup
		seq int
	)
	time.Sleep(time.Until(spec.Start))
	t0 := time.Now()
	for w := range spec.Conns {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(spec.Worker), uint64(w)))
			var lat, book []int64
			statuses := map[int]int{}
			errs := 0
		requests:
			for first := true; ; first = false {
				if spec.Burst && !first {
					break
				}
				if !spec.Burst {
					select {
					case <-stop:
						break requests
					default:
					}
				}
				r := pick(spec.Mix, total, rnd)
				var (
					body  []byte
					ctype string
				)
				if r.Book != nil {
					mu.Lock()
					seq++
					n := seq
					mu.Unlock()
					start := r.Book.Starts[rnd.IntN(len(r.Book.Starts))]
					party := r.Book.PartyMin + rnd.IntN(r.Book.PartyMax-r.Book.PartyMin+1)
					email := fmt.Sprintf("load%d-%d@example.invalid", spec.Worker, n)
					if r.Book.JSON {
						body, _ = json.Marshal(map[string]any{"name": "Load Guest", "email": email, "start": start, "party": party})
						ctype = "application/json"
					} else {
						body = []byte(url.Values{"start": {start}, "party": {strconv.Itoa(party)}, "name": {"Load Guest"},
							"email": {email}, "consent": {"yes"}}.Encode())
						ctype = "application/x-www-form-urlencoded"
					}
				}
				s := time.Now()
				st, err := doBody(c, r.Method, r.URL, ctype, body)
				us := time.Since(s).Microseconds()
				lat = append(lat, us)
				if r.Book != nil {
					book = append(book, us)
				}
				if err != nil || st >= 500 {
					errs++
				}
				statuses[st]++
			}
			mu.Lock()
			defer mu.Unlock()
			res.Lat = append(res.Lat, lat...)
			res.Book = append(res.Book, book...)
			for k, v := range statuses {
				res.Statuses[k] += v
			}
			res.Errs += errs
		})
	}
	wg.Wait()
	res.Took = time.Since(t0)
	return res
}

func pick(mix []reqSpec, total int, rnd *rand.Rand) reqSpec {
	n := rnd.IntN(total)
	for _, r := range mix {
		if n < r.Weight {
			return r
		}
		n -= r.Weight
	}
	return mix[len(mix)-1]
}

// workers are the client processes of one scenario.
type workers struct {
	procs []*exec.Cmd
	stdin []io.WriteCloser
	out   []*strings.Builder
	wait  []chan error
}

// startWorkers starts *clients processes sharing conns connections and mix between them.
func startWorkers(conns int, burst bool, mix []reqSpec) *workers {
	self, err := os.Executable()
	check(err)
	n := min(*clients, conns)
	ws := &workers{}
	start := time.Now().Add(300 * time.Millisecond) // time for the processes to start
	for i := range n {
		share := conns / n
		if i < conns%n {
			share++
		}
		cmd, _ := onClientCPUs(false, self, "-worker")
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(*clientProcs))
		stdin, err := cmd.StdinPipe()
		check(err)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, os.Stderr
		check(cmd.Start())
		spec, err := json.Marshal(workSpec{Worker: i + 1, Conns: share, Start: start, Burst: burst, Mix: mix})
		check(err)
		_, err = stdin.Write(append(spec, '\n'))
		check(err)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		ws.procs, ws.stdin, ws.out, ws.wait = append(ws.procs, cmd), append(ws.stdin, stdin), append(ws.out, out), append(ws.wait, done)
	}
	time.Sleep(time.Until(start))
	return ws
}

// finish stops the workers (when stop) and merges what they measured into one result.
func (ws *workers) finish(name string, stop bool) result {
	if stop {
		for _, in := range ws.stdin {
			_, _ = io.WriteString(in, "stop\n")
		}
	}
	var (
		lat, book []time.Duration
		statuses  = map[int]int{}
		errs      int
		took      time.Duration
		busiest   float64 // the highest share of its time a client spent on the CPU
	)
	for i, done := range ws.wait {
		if err := <-done; err != nil {
			log.Fatalf("%s: load client %d: %v", name, i+1, err)
		}
		var r workResult
		if err := json.Unmarshal([]byte(ws.out[i].String()), &r); err != nil {
			log.Fatalf("%s: load client %d answered %q: %v", name, i+1, ws.out[i].String(), err)
		}
		for _, us := range r.Lat {
			lat = append(lat, time.Duration(us)*time.Microsecond)
		}
		for _, us := range r.Book {
			book = append(book, time.Duration(us)*time.Microsecond)
		}
		for k, v := range r.Statuses {
			statuses[k] += v
		}
		errs += r.Errs
		took = max(took, r.Took)
		if st := ws.procs[i].ProcessState; st != nil && r.Took > 0 {
			cpu := st.UserTime() + st.SystemTime()
			busiest = max(busiest, cpu.Seconds()/r.Took.Seconds()/float64(*clientProcs))
		}
	}
	res := summarize(name, took, lat, statuses, errs)
	res.clientCPU = busiest
	if len(book) > 0 {
		slices.Sort(book)
		res.bookP99 = book[len(book)*99/100]
	}
	return res
}

// load sends mix from conns connections for d.
func load(name string, d time.Duration, conns int, mix ...reqSpec) result {
	log.Printf("%s …", name)
	ws := startWorkers(conns, false, mix)
	time.Sleep(d)
	return ws.finish(name, true)
}

// loadWhile sends mix from conns connections while during runs (it starts with the load).
func loadWhile(name string, conns int, during func(), mix ...reqSpec) result {
	log.Printf("%s …", name)
	ws := startWorkers(conns, false, mix)
	during()
	return ws.finish(name, true)
}

// burst sends n requests at the same moment, one per connection.
func burst(name string, n int, r reqSpec) result {
	log.Printf("%s …", name)
	return startWorkers(n, true, []reqSpec{r}).finish(name, false)
}

func get1(target string) reqSpec { return reqSpec{Weight: 1, Method: http.MethodGet, URL: target} }

func book1(target string, starts []string, partyMin, partyMax int) reqSpec {
	return reqSpec{Weight: 1, Method: http.MethodPost, URL: target, Book: &bookSpec{Starts: starts, PartyMin: partyMin, PartyMax: partyMax}}
}

func weighted(w int, r reqSpec) reqSpec { r.Weight = w; return r }

// bareServe is the bare baseline's process (-bare FILE): a plain net/http handler serving the
// file's bytes for every request. It prints its address and serves until killed.
func bareServe(file string) {
	body, err := os.ReadFile(file)
	check(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	fmt.Println(ln.Addr().String())
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})))
}

// bareServer starts the bare baseline in its own process, serving body (on the server's CPUs
// when pinned).
func bareServer(tmp string, body []byte, pinned bool) (addr string, stop func()) {
	file := tmp + "/bare-page.html"
	check(os.WriteFile(file, body, 0o644))
	self, err := os.Executable()
	check(err)
	cmd := onServerCPUs(pinned, self, "-bare", file)
	out, err := cmd.StdoutPipe()
	check(err)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	check(err)
	return "http://" + strings.TrimSpace(line), func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
}
