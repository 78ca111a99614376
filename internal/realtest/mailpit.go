//go:build integration

package realtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Mailpit is a running Mailpit that requires STARTTLS, with a test certificate for 127.0.0.1.
type Mailpit struct {
	SMTPPort int
	API      string // http://127.0.0.1:port
	Cert     Cert
	Proc     *Process
	args     []string
}

// StartMailpit runs Mailpit (installed by .ci/run with go install) on free loopback ports,
// STARTTLS required, any AUTH accepted.
func StartMailpit(t testing.TB) *Mailpit {
	t.Helper()
	bin := Binary(t, "mailpit", "go install github.com/axllent/mailpit@v1.27.11")
	mp := &Mailpit{SMTPPort: FreePort(t), Cert: NewCert(t)}
	httpAddr := FreeAddr(t)
	mp.API = "http://" + httpAddr
	mp.args = []string{bin,
		"--smtp-require-starttls", "--smtp-tls-cert", mp.Cert.CertFile, "--smtp-tls-key", mp.Cert.KeyFile,
		"--smtp-auth-accept-any", "--smtp-disable-rdns", "--disable-version-check",
		"--database", filepath.Join(t.TempDir(), "mp.db"),
		"--smtp", "127.0.0.1:" + strconv.Itoa(mp.SMTPPort), "--listen", httpAddr,
	}
	mp.start(t)
	return mp
}

func (mp *Mailpit) start(t testing.TB) {
	t.Helper()
	mp.Proc = Start(t, "mailpit", exec.Command(mp.args[0], mp.args[1:]...))
	mp.Proc.WaitReady(t, mp.ready)
}

// Stop stops the relay (an outage); Restart brings it back with the same ports and mailbox.
func (mp *Mailpit) Stop() { mp.Proc.Stop() }

// Restart starts Mailpit again after Stop.
func (mp *Mailpit) Restart(t testing.TB) { mp.start(t) }

func (mp *Mailpit) ready() error {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(mp.SMTPPort), time.Second)
	if err != nil {
		return err
	}
	c.Close()
	res, err := http.Get(mp.API + "/api/v1/messages")
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit API: %s", res.Status)
	}
	return nil
}

// Get fetches path from Mailpit's API; with v it decodes JSON into v. It returns the body.
func (mp *Mailpit) Get(t testing.TB, path string, v any) []byte {
	t.Helper()
	res, err := http.Get(mp.API + path)
	if err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("mailpit GET %s: %s\n%s", path, res.Status, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("mailpit GET %s: %v\n%s", path, err, body)
		}
	}
	return body
}

// MailAddress, MailSummary and Mail are the parts of Mailpit's answers the tests read.
type MailAddress struct{ Name, Address string }

type MailSummary struct {
	ID, MessageID, Subject string
	To                     []MailAddress
	Attachments            int
}

type Mail struct {
	ID, MessageID, Subject, Text, HTML string
	From                               MailAddress
	To, ReplyTo                        []MailAddress
	Attachments                        []struct {
		PartID, FileName, ContentType string
		Size                          int
	}
}

// Messages lists the mailbox, newest first (Mailpit's order), up to 1000.
func (mp *Mailpit) Messages(t testing.TB) []MailSummary {
	t.Helper()
	var res struct{ Messages []MailSummary }
	mp.Get(t, "/api/v1/messages?limit=1000", &res)
	return res.Messages
}

// Message is one message in full.
func (mp *Mailpit) Message(t testing.TB, id string) Mail {
	t.Helper()
	var m Mail
	mp.Get(t, "/api/v1/message/"+id, &m)
	return m
}

// Part is the content of one attachment.
func (mp *Mailpit) Part(t testing.TB, id, part string) []byte {
	t.Helper()
	return mp.Get(t, "/api/v1/message/"+id+"/part/"+part, nil)
}

// WaitFor polls until the mailbox holds at least n messages, or fails the test after timeout.
func (mp *Mailpit) WaitFor(t testing.TB, n int, timeout time.Duration) []MailSummary {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := mp.Messages(t)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit holds %d messages after %s, want %d", len(msgs), timeout, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
