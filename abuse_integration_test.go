//go:build integration

package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestTenThousandMalformedRequests throws random paths, methods, headers, bodies and oversized
// fields (and some raw garbage that is not HTTP at all) at a running server: no answer is a
// 5xx and the process stays up. The random source is seeded, so a failure can be replayed.
func TestTenThousandMalformedRequests(t *testing.T) {
	inst := startReserva(t, nil, "--demo", "--demo-guests=false")
	const total, workers = 10000, 16
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)

	var (
		sent, fivexx, rawConns atomic.Int64
		mu                     sync.Mutex
		examples               []string
	)
	client := &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: workers},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := w; i < total; i += workers {
				if rng.IntN(20) == 0 {
					rawGarbage(rng, inst.URL)
					rawConns.Add(1)
					continue
				}
				req := randomRequest(rng, inst.URL)
				res, err := client.Do(req)
				sent.Add(1)
				if err != nil {
					continue // the server may close a connection on garbage; the check below sees it is up
				}
				io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
				res.Body.Close()
				if res.StatusCode >= 500 {
					fivexx.Add(1)
					mu.Lock()
					if len(examples) < 10 {
						examples = append(examples, fmt.Sprintf("%s %s → %d", req.Method, req.URL.RequestURI(), res.StatusCode))
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d HTTP requests, %d raw connections", sent.Load(), rawConns.Load())
	if n := fivexx.Load(); n > 0 {
		t.Errorf("%d answers were 5xx, e.g. %v", n, examples)
	}
	if inst.Exited() {
		t.Fatalf("the server died")
	}
	res, err := http.Get(inst.URL + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz after the storm: %v %v", err, res)
	}
	res.Body.Close()
}

var (
	fuzzMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "G E T"}
	fuzzPaths   = []string{"/", "/book/dinner", "/book/pottery", "/b/", "/b/AAAA", "/privacy", "/healthz",
		// Not /api/realtime: an event stream stays open by design.
		"/api/reserva/availability", "/api/collections/bookings/records", "/api/batch",
		"/_/", "/static/style.css", "/.well-known/security.txt", "/account", "/admin/login"}
	fuzzKeys  = []string{"date", "party", "start", "offering", "name", "email", "phone", "notes", "consent", "t", "website", "m"}
	fuzzBytes = []string{"", "%00", "%ff%fe", "'\"><script>", "../../etc/passwd", "9999-99-99", "-1", "1e309", "2026-11-27T19:00",
		"\u202e", "🦄", "NaN", "null", "{}", "[]"}
)

func randomString(rng *rand.Rand) string {
	switch rng.IntN(6) {
	case 0:
		return strings.Repeat("A", rng.IntN(70000)) // oversized field
	case 1:
		b := make([]byte, rng.IntN(64))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	default:
		return fuzzBytes[rng.IntN(len(fuzzBytes))]
	}
}

func randomRequest(rng *rand.Rand, base string) *http.Request {
	path := fuzzPaths[rng.IntN(len(fuzzPaths))]
	if rng.IntN(3) == 0 {
		path += "/" + escapePath(randomString(rng))
	}
	q := ""
	for range rng.IntN(4) {
		q += "&" + fuzzKeys[rng.IntN(len(fuzzKeys))] + "=" + escapePath(randomString(rng))
	}
	if q != "" {
		path += "?" + q[1:]
	}
	var body io.Reader
	if rng.IntN(2) == 0 {
		var b bytes.Buffer
		for range rng.IntN(8) {
			fmt.Fprintf(&b, "%s=%s&", fuzzKeys[rng.IntN(len(fuzzKeys))], escapePath(randomString(rng)))
		}
		body = &b
	}
	method := fuzzMethods[rng.IntN(len(fuzzMethods))]
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		req, _ = http.NewRequest(http.MethodGet, base+"/", nil)
	}
	types := []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json", "text/plain", ""}
	req.Header.Set("Content-Type", types[rng.IntN(len(types))])
	for range rng.IntN(4) {
		name := []string{"Cookie", "Referer", "Origin", "Sec-Fetch-Site", "X-Forwarded-For", "Accept-Language", "If-None-Match", "Range"}[rng.IntN(8)]
		v := strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, randomString(rng))
		if len(v) > 8000 {
			v = v[:8000]
		}
		req.Header.Set(name, v)
	}
	return req
}

// rawGarbage writes bytes that are not a valid HTTP request and reads whatever comes back.
func rawGarbage(rng *rand.Rand, base string) {
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 2*time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	// Some of these wait for bytes that never come (the server times them out later): read briefly.
	_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	samples := []string{
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"POST /book/dinner HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"GET /" + strings.Repeat("a", 70000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		"GET / HTTP/1.1\r\n" + strings.Repeat("X-A: b\r\n", 5000) + "\r\n",
	}
	_, _ = c.Write([]byte(samples[rng.IntN(len(samples))]))
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<16))
}

func escapePath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
