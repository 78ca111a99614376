//go:build integration

package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// mailpitBinary finds mailpit on PATH, else in $GOBIN or $(go env GOPATH)/bin.
func mailpitBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) > 0 && strings.TrimSpace(lines[0]) != "" {
			dirs = append(dirs, strings.TrimSpace(lines[0]))
		}
		if len(lines) > 1 {
			for _, p := range filepath.SplitList(strings.TrimSpace(lines[1])) {
				dirs = append(dirs, filepath.Join(p, "bin"))
			}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "mailpit")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	t.Fatal("mailpit is required: .ci/run installs it with go install github.com/axllent/mailpit@v1.27.11")
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects a process's output from two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mailpit is a running Mailpit that requires STARTTLS with a test certificate.
type mailpit struct {
	smtpPort int
	api      string // http://127.0.0.1:port
	cert     testCert
	out      *syncBuffer
}

func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	bin := mailpitBinary(t)
	mp := &mailpit{smtpPort: freePort(t), cert: newTestCert(t), out: &syncBuffer{}}
	httpPort := freePort(t)
	mp.api = "http://127.0.0.1:" + strconv.Itoa(httpPort)

	cmd := exec.Command(bin,
		"--smtp-require-starttls",
		"--smtp-tls-cert", mp.cert.certFile,
		"--smtp-tls-key", mp.cert.keyFile,
		"--smtp-auth-accept-any",
		"--smtp-disable-rdns",
		"--disable-version-check",
		"--database", filepath.Join(t.TempDir(), "mp.db"),
		"--smtp", "127.0.0.1:"+strconv.Itoa(mp.smtpPort),
		"--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
	)
	cmd.Stdout, cmd.Stderr = mp.out, mp.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("mailpit output:\n%s", mp.out)
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("mailpit exited at start:\n%s", mp.out)
		default:
		}
		if mp.ready() {
			return mp
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit not ready after 30s:\n%s", mp.out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (mp *mailpit) ready() bool {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(mp.smtpPort), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	resp, err := http.Get(mp.api + "/api/v1/messages")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// get fetches path from Mailpit's API; with v it decodes JSON into v, and returns the body.
func (mp *mailpit) get(t *testing.T, path string, v any) []byte {
	t.Helper()
	resp, err := http.Get(mp.api + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: decode: %v\n%s", path, err, body)
		}
	}
	return body
}

// mailpitAddress, mailpitSummary and mailpitMessage are the parts of Mailpit's API answers
// (GET /api/v1/messages, GET /api/v1/message/{ID}) that the test reads.
type mailpitAddress struct{ Name, Address string }

type mailpitSummary struct {
	ID, MessageID, Subject string
	Attachments            int
}

type mailpitMessage struct {
	ID, MessageID, Subject, Text, HTML string
	From                               mailpitAddress
	To                                 []mailpitAddress
	Attachments                        []struct {
		PartID, FileName, ContentType string
		Size                          int
	}
}

func (mp *mailpit) list(t *testing.T) []mailpitSummary {
	t.Helper()
	var res struct {
		Total    int
		Messages []mailpitSummary
	}
	mp.get(t, "/api/v1/messages", &res)
	return res.Messages
}

func TestSenderIntegrationMailpit(t *testing.T) {
	mp := startMailpit(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	config := Config{
		Host: "127.0.0.1", Port: mp.smtpPort, TLS: TLSStartTLS,
		Username: "reserva", Password: "secret",
		FromName: "Reserva", FromAddress: "bookings@example.com",
		RootCAs: mp.cert.pool, Timeout: 10 * time.Second,
	}

	t.Run("starttls with calendar", func(t *testing.T) {
		sender, err := NewSender(config)
		if err != nil {
			t.Fatal(err)
		}
		want := fullMessage()
		if err := sender.Send(ctx, want); err != nil {
			t.Fatalf("Send() = %v", err)
		}

		list := mp.list(t)
		if len(list) != 1 {
			t.Fatalf("mailpit holds %d messages, want 1: %+v", len(list), list)
		}
		wantID := strings.Trim(want.MessageID, "<>")
		if list[0].MessageID != wantID || list[0].Subject != want.Subject || list[0].Attachments != 1 {
			t.Errorf("listed %+v, want Message-ID %s, subject %q, 1 attachment", list[0], wantID, want.Subject)
		}

		var got mailpitMessage
		mp.get(t, "/api/v1/message/"+list[0].ID, &got)
		if got.MessageID != wantID {
			t.Errorf("MessageID = %q, want %q", got.MessageID, wantID)
		}
		if got.Subject != want.Subject {
			t.Errorf("Subject = %q, want %q", got.Subject, want.Subject)
		}
		if strings.TrimSpace(got.Text) != want.Text {
			t.Errorf("Text = %q, want %q", got.Text, want.Text)
		}
		if !strings.Contains(got.HTML, want.HTML) {
			t.Errorf("HTML = %q, want it to contain %q", got.HTML, want.HTML)
		}
		if got.From.Address != config.FromAddress || got.From.Name != config.FromName {
			t.Errorf("From = %+v, want %s <%s>", got.From, config.FromName, config.FromAddress)
		}
		if len(got.To) != 1 || got.To[0].Address != want.To || got.To[0].Name != want.ToName {
			t.Errorf("To = %+v, want %s <%s>", got.To, want.ToName, want.To)
		}
		// Username is not checked: Mailpit records it for AUTH LOGIN only, and the Sender uses
		// PLAIN when offered (the unit tests check the credentials and that they go over TLS).
		if len(got.Attachments) != 1 {
			t.Fatalf("Attachments = %+v, want one", got.Attachments)
		}
		a := got.Attachments[0]
		if a.FileName != "booking.ics" || !strings.HasPrefix(a.ContentType, "text/calendar") || a.Size != len(testICS) {
			t.Errorf("attachment = %+v, want booking.ics, text/calendar, %d bytes", a, len(testICS))
		}
		if data := mp.get(t, "/api/v1/message/"+got.ID+"/part/"+a.PartID, nil); string(data) != testICS {
			t.Errorf("attachment data = %q, want %q", data, testICS)
		}

		// The raw message as stored: content type parameters, extra headers, every part.
		checkFullMessage(t, mp.get(t, "/api/v1/message/"+got.ID+"/raw", nil))
	})

	t.Run("none to a remote host is refused by Validate", func(t *testing.T) {
		c := config
		c.Host, c.TLS, c.Port = "mail.example.com", TLSNone, 0
		_, err := NewSender(c)
		if want := `smtp: tls mode "none" is only allowed for a loopback host (got mail.example.com)`; err == nil || err.Error() != want {
			t.Errorf("NewSender() = %v, want %s", err, want)
		}
	})

	t.Run("none is refused by a relay that requires STARTTLS", func(t *testing.T) {
		c := config
		c.TLS, c.Username, c.Password = TLSNone, "", ""
		sender, err := NewSender(c)
		if err != nil {
			t.Fatal(err)
		}
		err = sender.Send(ctx, validMessage())
		if err == nil || !strings.Contains(err.Error(), "530") {
			t.Fatalf("Send() = %v, want a 530 from the relay", err)
		}
		// The relay wants STARTTLS: a matter of configuration, not of this message.
		if IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = true, want false", err)
		}
		if n := len(mp.list(t)); n != 1 {
			t.Errorf("mailpit holds %d messages, want still 1", n)
		}
	})

	t.Run("certificate not trusted", func(t *testing.T) {
		c := config
		c.RootCAs = newTestCert(t).pool // another CA
		sender, err := NewSender(c)
		if err != nil {
			t.Fatal(err)
		}
		err = sender.Send(ctx, validMessage())
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Send() = %v, want a certificate error", err)
		}
		if n := len(mp.list(t)); n != 1 {
			t.Errorf("mailpit holds %d messages, want still 1", n)
		}
	})
}
