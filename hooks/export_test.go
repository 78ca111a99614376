package hooks

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// smallBuffers accepts connections whose kernel send buffer is small, so that the
// server's writes wait for the client's reads as they do across the internet.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(32 << 10)
	}
	return c, err
}

// slowDownload fetches target with cookie from a server whose write timeout is writeTimeout,
// reading 64 kB at a time, ten times a second, and calls midway once after the first
// midwayAfter bytes. It returns the body read and the error that ended it (nil: the whole
// response arrived).
func slowDownload(t *testing.T, s *testServer, writeTimeout time.Duration, target, cookie string, midwayAfter int, midway func()) (string, error) {
	t.Helper()
	srv := httptest.NewUnstartedServer(s.mux)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	defer srv.Close()
	dialer := &net.Dialer{}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(32 << 10)
		}
		return c, err
	}}}
	req, err := http.NewRequest(http.MethodGet, srv.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", cookie)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", target, res.StatusCode)
	}
	var body strings.Builder
	buf := make([]byte, 8192)
	paused := 0
	for {
		n, err := res.Body.Read(buf)
		body.Write(buf[:n])
		if midway != nil && body.Len() >= midwayAfter {
			midway()
			midway = nil
		}
		if errors.Is(err, io.EOF) {
			return body.String(), nil
		}
		if err != nil {
			return body.String(), err
		}
		if body.Len()-paused >= 64<<10 {
			time.Sleep(100 * time.Millisecond)
			paused = body.Len()
		}
	}
}

// The export of many bookings takes longer than the server's write timeout: it arrives whole.
// An export that fails midway is broken off, so the download fails instead of ending as a
// complete file short of rows.
func TestExportOutlastsTheWriteTimeout(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const n = 8000
	addBookings(t, s.app, n)
	cookie, _ := s.signedIn(t, "manager")
	started := time.Now()
	body, err := slowDownload(t, s, 300*time.Millisecond, "/admin/export", cookie, 0, nil)
	took := time.Since(started)
	if err != nil {
		t.Fatalf("the export broke off after %d bytes, %s: %v", len(body), took, err)
	}
	lines := strings.Count(body, "\n")
	if lines != n+1 || took < time.Second {
		t.Fatalf("the export has %d lines in %s; want a heading and %d rows, taking longer than the write timeout", lines, took, n)
	}

	// Midway the bookings cannot be read: the response is broken off.
	body, err = slowDownload(t, s, time.Minute, "/admin/export", cookie, 100_000, func() {
		if _, err := s.app.DB().NewQuery("ALTER TABLE bookings RENAME TO bookings_away").Execute(); err != nil {
			t.Fatal(err)
		}
	})
	if _, rerr := s.app.DB().NewQuery("ALTER TABLE bookings_away RENAME TO bookings").Execute(); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("an export that could not read its rows ended with %v after %d lines; want the download broken off", err, strings.Count(body, "\n"))
	}
	if lines := strings.Count(body, "\n"); lines >= n+1 {
		t.Fatalf("the broken-off export has all %d lines", lines)
	}
}
