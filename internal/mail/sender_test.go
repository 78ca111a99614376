package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reserva/internal/realtest"
)

func validConfig() Config {
	return Config{
		Host:        "mail.example.com",
		FromName:    "Reserva",
		FromAddress: "bookings@example.com",
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(c *Config)
		wantErr string // "" means valid
	}{
		{"valid", func(c *Config) {}, ""},
		{"valid full", func(c *Config) {
			c.Port, c.Username, c.Password, c.TLS, c.Timeout, c.HELO = 2525, "u", "p", TLSImplicit, time.Minute, "app.example.com"
		}, ""},
		{"ip host", func(c *Config) { c.Host = "192.0.2.10" }, ""},
		{"ipv6 host", func(c *Config) { c.Host = "2001:db8::1" }, ""},
		{"starttls explicit", func(c *Config) { c.TLS = TLSStartTLS }, ""},
		{"no host", func(c *Config) { c.Host = "" }, "smtp: host is required"},
		{"host with port", func(c *Config) { c.Host = "mail.example.com:587" }, `smtp: host "mail.example.com:587" is not a host name`},
		{"host with space", func(c *Config) { c.Host = "mail example.com" }, "is not a host name"},
		{"host url", func(c *Config) { c.Host = "smtp://mail.example.com" }, "is not a host name"},
		{"port negative", func(c *Config) { c.Port = -1 }, "smtp: port -1 is out of range (1-65535)"},
		{"port too big", func(c *Config) { c.Port = 65536 }, "smtp: port 65536 is out of range"},
		{"port max", func(c *Config) { c.Port = 65535 }, ""},
		{"unknown tls", func(c *Config) { c.TLS = "ssl" }, `smtp: unknown tls mode "ssl" (want starttls, tls or none)`},
		{"none remote", func(c *Config) { c.TLS = TLSNone }, `smtp: tls mode "none" is only allowed for a loopback host (got mail.example.com)`},
		{"none private ip", func(c *Config) { c.TLS, c.Host = TLSNone, "10.0.0.5" }, "only allowed for a loopback host (got 10.0.0.5)"},
		{"none localhost.example", func(c *Config) { c.TLS, c.Host = TLSNone, "localhost.example.com" }, "only allowed for a loopback host"},
		{"none 0.0.0.0", func(c *Config) { c.TLS, c.Host = TLSNone, "0.0.0.0" }, "only allowed for a loopback host"},
		{"none 127.0.0.1", func(c *Config) { c.TLS, c.Host = TLSNone, "127.0.0.1" }, ""},
		{"none 127.1.2.3", func(c *Config) { c.TLS, c.Host = TLSNone, "127.1.2.3" }, ""},
		{"none ::1", func(c *Config) { c.TLS, c.Host = TLSNone, "::1" }, ""},
		{"none localhost", func(c *Config) { c.TLS, c.Host = TLSNone, "localhost" }, ""},
		{"none LOCALHOST", func(c *Config) { c.TLS, c.Host = TLSNone, "LOCALHOST" }, ""},
		{"username without password", func(c *Config) { c.Username = "u" }, "smtp: password is required when a username is set"},
		{"password without username", func(c *Config) { c.Password = "p" }, "smtp: username is required when a password is set"},
		{"from name injection", func(c *Config) { c.FromName = "Reserva\r\nBcc: x" }, "smtp: from name contains a line break"},
		{"no from address", func(c *Config) { c.FromAddress = "" }, "smtp: from address is required"},
		{"bad from address", func(c *Config) { c.FromAddress = "bookings" }, `smtp: from address "bookings" is not a valid e-mail address`},
		{"from address with name", func(c *Config) { c.FromAddress = "Reserva <bookings@example.com>" }, "is not a valid e-mail address"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "smtp: timeout must not be negative (got -1s)"},
		{"bad helo", func(c *Config) { c.HELO = "app\r\nMAIL FROM" }, "smtp: helo name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		tls      TLSMode
		host     string
		wantName string
	}{
		{"", "mail.example.com", "mail.example.com:587"},
		{TLSStartTLS, "mail.example.com", "mail.example.com:587"},
		{TLSImplicit, "mail.example.com", "mail.example.com:465"},
		{TLSNone, "::1", "[::1]:25"},
	}
	for _, tt := range tests {
		c := validConfig()
		c.TLS, c.Host = tt.tls, tt.host
		s, err := NewSender(c)
		if err != nil {
			t.Fatalf("NewSender(%+v) = %v", c, err)
		}
		if got := s.Name(); got != tt.wantName {
			t.Errorf("Name() with tls %q = %q, want %q", tt.tls, got, tt.wantName)
		}
		if s.cfg.Timeout != 30*time.Second {
			t.Errorf("Timeout = %v, want 30s", s.cfg.Timeout)
		}
	}
	c := validConfig()
	c.Username, c.Password = "bookings", "hunter2"
	s, err := NewSender(c)
	if err != nil {
		t.Fatal(err)
	}
	if name := s.Name(); strings.Contains(name, "hunter2") || strings.Contains(name, "bookings") {
		t.Errorf("Name() = %q, want no credentials", name)
	}
	if _, err := NewSender(Config{}); err == nil || err.Error() != "smtp: host is required" {
		t.Errorf("NewSender(Config{}) = %v, want smtp: host is required", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pwFile := write("pw", "s3cret\n")
	pwFileCRLF := write("pw-crlf", "s3cret\r\n")
	pwFileTwo := write("pw-two", "s3cret\n\n")
	pwFileEmpty := write("pw-empty", "")

	const p = "RESERVA_SMTP_"
	base := map[string]string{p + "HOST": "mail.example.com", p + "FROM_ADDRESS": "bookings@example.com"}
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantOK  bool
		wantErr string
	}{
		{"not configured", map[string]string{p + "FROM_ADDRESS": "bookings@example.com"}, Config{}, false, ""},
		{"blank host", map[string]string{p + "HOST": "  "}, Config{}, false, ""},
		{"minimal", nil, Config{Host: "mail.example.com", FromAddress: "bookings@example.com"}, true, ""},
		{"everything", map[string]string{
			p + "PORT": "2525", p + "USERNAME": "bookings", p + "PASSWORD": " pass word ", p + "TLS": "TLS",
			p + "FROM_NAME": "Reserva Bookings", p + "TIMEOUT": "45s", p + "HELO": "app.example.com",
		}, Config{
			Host: "mail.example.com", Port: 2525, Username: "bookings", Password: " pass word ", TLS: TLSImplicit,
			FromName: "Reserva Bookings", FromAddress: "bookings@example.com", Timeout: 45 * time.Second, HELO: "app.example.com",
		}, true, ""},
		{"password file", map[string]string{p + "USERNAME": "u", p + "PASSWORD_FILE": pwFile},
			Config{Host: "mail.example.com", Username: "u", Password: "s3cret", FromAddress: "bookings@example.com"}, true, ""},
		{"password file crlf", map[string]string{p + "USERNAME": "u", p + "PASSWORD_FILE": pwFileCRLF},
			Config{Host: "mail.example.com", Username: "u", Password: "s3cret", FromAddress: "bookings@example.com"}, true, ""},
		{"password file trims one newline only", map[string]string{p + "USERNAME": "u", p + "PASSWORD_FILE": pwFileTwo},
			Config{Host: "mail.example.com", Username: "u", Password: "s3cret\n", FromAddress: "bookings@example.com"}, true, ""},
		{"password file missing", map[string]string{p + "USERNAME": "u", p + "PASSWORD_FILE": filepath.Join(dir, "nope")},
			Config{}, false, "RESERVA_SMTP_PASSWORD_FILE: read password:"},
		{"password file empty", map[string]string{p + "USERNAME": "u", p + "PASSWORD_FILE": pwFileEmpty},
			Config{}, false, "RESERVA_SMTP_PASSWORD_FILE: smtp: password is required"},
		{"password and file", map[string]string{p + "USERNAME": "u", p + "PASSWORD": "x", p + "PASSWORD_FILE": pwFile},
			Config{}, false, "RESERVA_SMTP_PASSWORD_FILE: set only one of RESERVA_SMTP_PASSWORD and RESERVA_SMTP_PASSWORD_FILE"},
		{"username without password", map[string]string{p + "USERNAME": "u"},
			Config{}, false, "RESERVA_SMTP_PASSWORD: smtp: password is required"},
		{"port not a number", map[string]string{p + "PORT": "abc"}, Config{}, false, `RESERVA_SMTP_PORT: not a number: "abc"`},
		{"port out of range", map[string]string{p + "PORT": "70000"}, Config{}, false, "RESERVA_SMTP_PORT: smtp: port 70000 is out of range"},
		{"timeout not a duration", map[string]string{p + "TIMEOUT": "30"}, Config{}, false, `RESERVA_SMTP_TIMEOUT: not a duration (e.g. 30s): "30"`},
		{"timeout negative", map[string]string{p + "TIMEOUT": "-5s"}, Config{}, false, "RESERVA_SMTP_TIMEOUT: smtp: timeout must not be negative"},
		{"tls unknown", map[string]string{p + "TLS": "ssl"}, Config{}, false, `RESERVA_SMTP_TLS: smtp: unknown tls mode "ssl"`},
		{"tls none remote", map[string]string{p + "TLS": "none"}, Config{}, false,
			`RESERVA_SMTP_TLS: smtp: tls mode "none" is only allowed for a loopback host (got mail.example.com)`},
		{"tls none local", map[string]string{p + "TLS": "none", p + "HOST": "127.0.0.1"},
			Config{Host: "127.0.0.1", TLS: TLSNone, FromAddress: "bookings@example.com"}, true, ""},
		{"host bad", map[string]string{p + "HOST": "mail.example.com:587"}, Config{}, false, "RESERVA_SMTP_HOST: smtp: host"},
		{"from address missing", map[string]string{p + "FROM_ADDRESS": ""}, Config{}, false, "RESERVA_SMTP_FROM_ADDRESS: smtp: from address is required"},
		{"from address bad", map[string]string{p + "FROM_ADDRESS": "nobody"}, Config{}, false, "RESERVA_SMTP_FROM_ADDRESS: smtp: from address"},
		{"helo bad", map[string]string{p + "HELO": "a b"}, Config{}, false, "RESERVA_SMTP_HELO: smtp: helo name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if tt.name != "not configured" && tt.name != "blank host" {
				for k, v := range base {
					env[k] = v
				}
			}
			for k, v := range tt.env {
				env[k] = v
			}
			got, ok, err := ConfigFromEnv(p, func(k string) string { return env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ConfigFromEnv() error = %v, want error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("ConfigFromEnv() error %q contains the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ConfigFromEnv() error = %v, want nil", err)
			}
			if ok != tt.wantOK {
				t.Errorf("ConfigFromEnv() ok = %v, want %v", ok, tt.wantOK)
			}
			if got != tt.want {
				t.Errorf("ConfigFromEnv() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestIsPermanent(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"invalid message", fmt.Errorf("smtp: send via x:587: %w: subject is empty", ErrInvalidMessage), true},
		{"rejected", fmt.Errorf("smtp: send via x:587: %w: 550 no such user", ErrRejected), true},
		{"joined", errors.Join(errors.New("primary: refused"), ErrRejected), true},
		{"cancelled", context.Canceled, false},
		{"deadline", fmt.Errorf("smtp: connect to x:587: %w", context.DeadlineExceeded), false},
		{"other", errors.New("connection refused"), false},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.want {
			t.Errorf("%s: IsPermanent(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// testCert is a self-signed certificate for the test servers.
type testCert = realtest.Cert

func newTestCert(t *testing.T) testCert { return realtest.NewCert(t) }

// newTestCertFor is newTestCert for other names.
func newTestCertFor(t *testing.T, names ...string) testCert { return realtest.NewCert(t, names...) }

// delivery is one message the test server accepted.
type delivery struct {
	from       string
	rcpts      []string
	data       []byte
	user, pass string // credentials given with AUTH
}

// testSMTP is just enough of an SMTP server for the Sender: EHLO/HELO, STARTTLS, implicit
// TLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT. It records every command with
// whether it came over TLS.
type testSMTP struct {
	cert          testCert
	offerStartTLS bool
	implicitTLS   bool
	authMechs     string // advertised over TLS only; "" means no AUTH
	user, pass    string // accepted credentials
	tlsMax        uint16
	stall         bool              // accept but never greet
	reply         map[string]string // verb → reply that replaces the success; "." is the end of DATA

	ln   net.Listener
	port int
	wg   sync.WaitGroup

	mu         sync.Mutex
	commands   []string // "EHLO x" or "tls: MAIL FROM:<...>"
	deliveries []delivery
}

// start listens on a free loopback port and serves until the test ends.
func (s *testSMTP) start(t *testing.T) *testSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln, s.port = ln, ln.Addr().(*net.TCPAddr).Port
	stop := make(chan struct{})
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() {
				if s.stall {
					<-stop
					conn.Close()
					return
				}
				s.serve(conn)
			})
		}
	})
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *testSMTP) tlsConfig() *tls.Config {
	c := &tls.Config{Certificates: []tls.Certificate{s.cert.TLS}}
	if s.tlsMax != 0 {
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, s.tlsMax
	}
	return c
}

func (s *testSMTP) record(line string, isTLS bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if isTLS {
		line = "tls: " + line
	}
	s.commands = append(s.commands, line)
}

func (s *testSMTP) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

func (s *testSMTP) received() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.deliveries...)
}

func (s *testSMTP) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	isTLS := false
	if s.implicitTLS {
		tc := tls.Server(conn, s.tlsConfig())
		if err := tc.Handshake(); err != nil {
			return
		}
		conn, isTLS = tc, true
	}
	tp := textproto.NewConn(conn)
	say := func(format string, args ...any) bool { return tp.PrintfLine(format, args...) == nil }
	if !say("220 test.local ESMTP ready") {
		return
	}
	var cur delivery
	var user, pass string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if verb == "AUTH" {
			// Keep credentials out of the command log.
			mech, _, _ := strings.Cut(arg, " ")
			s.record("AUTH "+mech, isTLS)
		} else {
			s.record(line, isTLS)
		}
		if r, ok := s.reply[verb]; ok && verb != "DATA" {
			if !say("%s", r) {
				return
			}
			continue
		}
		switch verb {
		case "EHLO":
			ext := []string{"test.local", "8BITMIME", "ENHANCEDSTATUSCODES"}
			if s.offerStartTLS && !isTLS {
				ext = append(ext, "STARTTLS")
			}
			if s.authMechs != "" && isTLS {
				ext = append(ext, "AUTH "+s.authMechs)
			}
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				if !say("250%s%s", sep, e) {
					return
				}
			}
		case "HELO":
			say("250 test.local")
		case "STARTTLS":
			if !s.offerStartTLS || isTLS {
				say("502 5.5.1 STARTTLS not available")
				continue
			}
			if !say("220 2.0.0 ready to start TLS") {
				return
			}
			tc := tls.Server(conn, s.tlsConfig())
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, isTLS = tc, true
			tp = textproto.NewConn(conn)
		case "AUTH":
			if s.authMechs == "" || !isTLS {
				say("503 5.5.1 AUTH not available")
				continue
			}
			var ok bool
			user, pass, ok = s.auth(tp, arg)
			if !ok {
				return
			}
			if user != s.user || pass != s.pass {
				say("535 5.7.8 authentication failed")
				continue
			}
			say("235 2.7.0 authenticated")
		case "MAIL":
			cur = delivery{from: addrArg(arg), user: user, pass: pass}
			say("250 2.1.0 ok")
		case "RCPT":
			cur.rcpts = append(cur.rcpts, addrArg(arg))
			say("250 2.1.5 ok")
		case "DATA":
			if r, ok := s.reply["DATA"]; ok {
				say("%s", r)
				continue
			}
			if !say("354 end with <CRLF>.<CRLF>") {
				return
			}
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			if r, ok := s.reply["."]; ok {
				say("%s", r)
				continue
			}
			cur.data = data
			s.mu.Lock()
			s.deliveries = append(s.deliveries, cur)
			s.mu.Unlock()
			say("250 2.0.0 queued")
		case "RSET":
			cur = delivery{user: user, pass: pass}
			say("250 2.0.0 ok")
		case "NOOP":
			say("250 2.0.0 ok")
		case "QUIT":
			say("221 2.0.0 bye")
			return
		default:
			say("502 5.5.2 unknown command")
		}
	}
}

// auth runs AUTH PLAIN or LOGIN and returns the credentials; ok is false when the
// connection broke.
func (s *testSMTP) auth(tp *textproto.Conn, arg string) (user, pass string, ok bool) {
	mech, initial, _ := strings.Cut(arg, " ")
	read := func(prompt string) (string, bool) {
		if err := tp.PrintfLine("334 %s", prompt); err != nil {
			return "", false
		}
		line, err := tp.ReadLine()
		if err != nil {
			return "", false
		}
		b, _ := base64.StdEncoding.DecodeString(line)
		return string(b), true
	}
	switch strings.ToUpper(mech) {
	case "PLAIN":
		var resp string
		if initial != "" {
			b, _ := base64.StdEncoding.DecodeString(initial)
			resp = string(b)
		} else if resp, ok = read(""); !ok {
			return "", "", false
		}
		parts := strings.Split(resp, "\x00")
		if len(parts) == 3 {
			return parts[1], parts[2], true
		}
		return "", "", true
	case "LOGIN":
		if user, ok = read(base64.StdEncoding.EncodeToString([]byte("Username:"))); !ok {
			return "", "", false
		}
		if pass, ok = read(base64.StdEncoding.EncodeToString([]byte("Password:"))); !ok {
			return "", "", false
		}
		return user, pass, true
	}
	return "", "", true
}

// addrArg takes the address out of "FROM:<a@b> BODY=8BITMIME".
func addrArg(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

// senderFor returns a Sender for s with the given TLS mode, trusting s's certificate.
func senderFor(t *testing.T, s *testSMTP, mode TLSMode, edit ...func(c *Config)) *Sender {
	t.Helper()
	c := Config{
		Host: "127.0.0.1", Port: s.port, TLS: mode,
		FromName: "Reserva", FromAddress: "bookings@example.com",
		RootCAs: s.cert.Pool, Timeout: 5 * time.Second, HELO: "app.example.com",
	}
	for _, e := range edit {
		e(&c)
	}
	sender, err := NewSender(c)
	if err != nil {
		t.Fatalf("NewSender() = %v", err)
	}
	return sender
}

func withAuth(c *Config) { c.Username, c.Password = "bookings", "hunter2" }

// checkNothingInClear fails when a command other than the greeting dialogue went out before
// TLS.
func checkNothingInClear(t *testing.T, log []string) {
	t.Helper()
	for _, line := range log {
		if strings.HasPrefix(line, "tls: ") {
			continue
		}
		verb, _, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO", "STARTTLS", "QUIT":
		default:
			t.Errorf("%q was sent in clear; log: %q", line, log)
		}
	}
}

func TestSenderStartTLS(t *testing.T) {
	srv := (&testSMTP{cert: newTestCert(t), offerStartTLS: true, authMechs: "PLAIN LOGIN", user: "bookings", pass: "hunter2"}).start(t)
	sender := senderFor(t, srv, TLSStartTLS, withAuth)

	if err := sender.Send(context.Background(), fullMessage()); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	d := got[0]
	if d.from != "bookings@example.com" || len(d.rcpts) != 1 || d.rcpts[0] != "ana@example.com" {
		t.Errorf("envelope = %s → %v, want bookings@example.com → [ana@example.com]", d.from, d.rcpts)
	}
	if d.user != "bookings" || d.pass != "hunter2" {
		t.Errorf("AUTH credentials = %q/%q, want bookings/hunter2", d.user, d.pass)
	}
	log := srv.log()
	checkNothingInClear(t, log)
	for _, want := range []string{"EHLO app.example.com", "STARTTLS", "tls: EHLO app.example.com", "tls: AUTH PLAIN", "tls: DATA", "tls: QUIT"} {
		if !containsLine(log, want) {
			t.Errorf("command log %q lacks %q", log, want)
		}
	}
	checkFullMessage(t, d.data)
}

func TestSenderAuthLogin(t *testing.T) {
	srv := (&testSMTP{cert: newTestCert(t), offerStartTLS: true, authMechs: "LOGIN", user: "bookings", pass: "hunter2"}).start(t)
	if err := senderFor(t, srv, TLSStartTLS, withAuth).Send(context.Background(), validMessage()); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	if got := srv.received(); len(got) != 1 || got[0].user != "bookings" || got[0].pass != "hunter2" {
		t.Errorf("received %+v, want one message sent as bookings/hunter2", got)
	}
	if log := srv.log(); !containsLine(log, "tls: AUTH LOGIN") {
		t.Errorf("command log %q lacks AUTH LOGIN", log)
	}
}

func TestSenderNoAuthWithoutUsername(t *testing.T) {
	srv := (&testSMTP{cert: newTestCert(t), offerStartTLS: true, authMechs: "PLAIN"}).start(t)
	if err := senderFor(t, srv, TLSStartTLS).Send(context.Background(), validMessage()); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	for _, line := range srv.log() {
		if strings.Contains(line, "AUTH") {
			t.Errorf("sent %q without a username", line)
		}
	}
}

func TestSenderImplicitTLS(t *testing.T) {
	srv := (&testSMTP{cert: newTestCert(t), implicitTLS: true, authMechs: "PLAIN", user: "bookings", pass: "hunter2"}).start(t)
	if err := senderFor(t, srv, TLSImplicit, withAuth).Send(context.Background(), fullMessage()); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	got := srv.received()
	if len(got) != 1 || got[0].user != "bookings" {
		t.Fatalf("received %+v, want one message sent as bookings", got)
	}
	log := srv.log()
	for _, line := range log {
		if !strings.HasPrefix(line, "tls: ") {
			t.Errorf("%q was sent in clear", line)
		}
		if strings.Contains(line, "STARTTLS") {
			t.Errorf("sent %q inside implicit TLS", line)
		}
	}
	checkFullMessage(t, got[0].data)
}

// TestSenderRefusesWithoutTLS covers the ways STARTTLS can fail: each must refuse to send, say
// so as a temporary error (the relay is misconfigured, the message is fine), and never send
// AUTH, MAIL, RCPT or DATA in clear.
func TestSenderRefusesWithoutTLS(t *testing.T) {
	tests := []struct {
		name    string
		srv     *testSMTP
		edit    func(c *Config)
		wantErr string
	}{
		{"no STARTTLS offered", &testSMTP{authMechs: "PLAIN", user: "bookings", pass: "hunter2"},
			withAuth, "does not support STARTTLS"},
		{"untrusted certificate", &testSMTP{offerStartTLS: true, authMechs: "PLAIN"},
			func(c *Config) { withAuth(c); c.RootCAs = x509.NewCertPool() }, "certificate"},
		{"certificate for another host", &testSMTP{offerStartTLS: true},
			nil, "certificate"},
		{"TLS 1.1 only", &testSMTP{offerStartTLS: true, tlsMax: tls.VersionTLS11},
			nil, "protocol version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.srv
			srv.cert = newTestCert(t)
			if tt.name == "certificate for another host" {
				srv.cert = newTestCertFor(t, "relay.example.com")
			}
			srv.start(t)
			edits := []func(*Config){}
			if tt.edit != nil {
				edits = append(edits, tt.edit)
			}
			sender := senderFor(t, srv, TLSStartTLS, edits...)
			err := sender.Send(context.Background(), validMessage())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send() = %v, want error containing %q", err, tt.wantErr)
			}
			if IsPermanent(err) {
				t.Errorf("IsPermanent(%v) = true, want false", err)
			}
			if got := srv.received(); len(got) != 0 {
				t.Errorf("server received %d messages, want 0", len(got))
			}
			log := srv.log()
			checkNothingInClear(t, log)
			for _, line := range log {
				if strings.HasPrefix(line, "tls: ") {
					t.Errorf("%q was sent over a connection that should have been refused", line)
				}
			}
		})
	}
}

func TestSenderReplies(t *testing.T) {
	tests := []struct {
		name          string
		reply         map[string]string
		wantPermanent bool
		wantErr       []string
	}{
		{"550 on RCPT", map[string]string{"RCPT": "550 5.1.1 no such user"}, true, []string{"RCPT TO", "550", "5.1.1 no such user"}},
		{"451 on RCPT", map[string]string{"RCPT": "451 4.3.0 try again later"}, false, []string{"RCPT TO", "451", "4.3.0 try again later"}},
		{"550 on MAIL", map[string]string{"MAIL": "550 5.7.1 sender not allowed"}, true, []string{"MAIL FROM", "550", "sender not allowed"}},
		{"421 on MAIL", map[string]string{"MAIL": "421 4.7.0 too many connections"}, false, []string{"421", "too many connections"}},
		{"530 on MAIL", map[string]string{"MAIL": "530 5.7.0 Authentication required"}, false, []string{"530", "Authentication required"}},
		{"554 on DATA", map[string]string{"DATA": "554 5.5.1 no valid recipients"}, true, []string{"DATA", "554", "no valid recipients"}},
		{"552 after DATA", map[string]string{".": "552 5.3.4 message too big"}, true, []string{"552", "message too big"}},
		{"451 after DATA", map[string]string{".": "451 4.7.1 greylisted"}, false, []string{"451", "greylisted"}},
		{"535 on AUTH", map[string]string{"AUTH": "535 5.7.8 bad credentials"}, false, []string{"AUTH", "535", "bad credentials"}},
		{"454 on AUTH", map[string]string{"AUTH": "454 4.7.0 temporary auth failure"}, false, []string{"AUTH", "454", "temporary auth failure"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := (&testSMTP{cert: newTestCert(t), offerStartTLS: true, authMechs: "PLAIN", user: "bookings", pass: "hunter2", reply: tt.reply}).start(t)
			err := senderFor(t, srv, TLSStartTLS, withAuth).Send(context.Background(), validMessage())
			if err == nil {
				t.Fatal("Send() = nil, want error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Send() = %q, want it to contain %q", err, want)
				}
			}
			if got := IsPermanent(err); got != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.wantPermanent)
			}
			if got := errors.Is(err, ErrRejected); got != tt.wantPermanent {
				t.Errorf("errors.Is(%v, ErrRejected) = %v, want %v", err, got, tt.wantPermanent)
			}
			if !strings.HasPrefix(err.Error(), "smtp: ") || !strings.Contains(err.Error(), srv.ln.Addr().String()) {
				t.Errorf("Send() = %q, want it to start with smtp: and name the relay", err)
			}
			if got := srv.received(); len(got) != 0 {
				t.Errorf("server kept %d messages, want 0", len(got))
			}
		})
	}
}

func TestSenderConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	sender, err := NewSender(Config{Host: "127.0.0.1", Port: port, FromAddress: "bookings@example.com", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = sender.Send(context.Background(), validMessage())
	if err == nil || !strings.Contains(err.Error(), "smtp: connect to 127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("Send() = %v, want a connect error naming the relay", err)
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true, want false", err)
	}
}

func TestSenderContext(t *testing.T) {
	srv := (&testSMTP{cert: newTestCert(t), stall: true}).start(t)
	sender := senderFor(t, srv, TLSStartTLS, func(c *Config) { c.Timeout = time.Minute })

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := sender.Send(ctx, validMessage())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send() = %v, want context.DeadlineExceeded", err)
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true, want false", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send() took %v after the context ended, want it to stop at once", d)
	}
}

func TestSenderTimeout(t *testing.T) {
	srv := (&testSMTP{cert: newTestCert(t), stall: true}).start(t)
	sender := senderFor(t, srv, TLSStartTLS, func(c *Config) { c.Timeout = 300 * time.Millisecond })
	start := time.Now()
	err := sender.Send(context.Background(), validMessage())
	if err == nil || IsPermanent(err) {
		t.Errorf("Send() = %v, want a temporary error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send() took %v with a 300ms timeout", d)
	}
}

func TestSenderInvalidMessage(t *testing.T) {
	srv := (&testSMTP{cert: newTestCert(t), offerStartTLS: true}).start(t)
	m := validMessage()
	m.Subject = "a\r\nBcc: x"
	err := senderFor(t, srv, TLSStartTLS).Send(context.Background(), m)
	if !errors.Is(err, ErrInvalidMessage) || !IsPermanent(err) {
		t.Errorf("Send() = %v, want a permanent ErrInvalidMessage", err)
	}
	if log := srv.log(); len(log) != 0 {
		t.Errorf("Send() talked to the relay for an invalid message: %q", log)
	}
}

// TestSenderNoneOnLoopback sends in clear, which Validate allows for loopback only.
func TestSenderNoneOnLoopback(t *testing.T) {
	srv := (&testSMTP{cert: newTestCert(t), offerStartTLS: true}).start(t)
	if err := senderFor(t, srv, TLSNone).Send(context.Background(), validMessage()); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	if got := srv.received(); len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if log := srv.log(); containsLine(log, "STARTTLS") {
		t.Errorf("tls mode none sent STARTTLS: %q", log)
	}
}

// TestSenderConcurrent is meant for -race: one Sender, several sends at once.
func TestSenderConcurrent(t *testing.T) {
	srv := (&testSMTP{cert: newTestCert(t), offerStartTLS: true, authMechs: "PLAIN", user: "bookings", pass: "hunter2"}).start(t)
	sender := senderFor(t, srv, TLSStartTLS, withAuth)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- sender.Send(context.Background(), validMessage()) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Send() = %v", err)
		}
	}
	if got := len(srv.received()); got != 8 {
		t.Errorf("server received %d messages, want 8", got)
	}
}

func containsLine(log []string, want string) bool {
	for _, line := range log {
		if line == want || strings.HasPrefix(line, want+" ") {
			return true
		}
	}
	return false
}
