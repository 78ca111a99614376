package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLSMode is how the connection to the SMTP relay is secured.
type TLSMode string

const (
	// TLSStartTLS upgrades a plain connection with STARTTLS, and refuses to go on (before
	// AUTH or MAIL) when the relay does not offer it. It is the default.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit TLSMode = "tls"
	// TLSNone sends in clear. Validate allows it only for a loopback host (a relay on the same
	// machine, or Mailpit in development).
	TLSNone TLSMode = "none"
)

// Defaults applied by NewSender.
const (
	defaultTimeout = 30 * time.Second
	portStartTLS   = 587
	portImplicit   = 465
	portNone       = 25
)

// Config is the connection to one SMTP relay.
type Config struct {
	// Host is the relay's host name or IP address, without a port.
	Host string
	// Port 0 means 587 for starttls, 465 for tls and 25 for none.
	Port int
	// Username and Password are used for SMTP AUTH when Username is not empty: PLAIN or LOGIN
	// when the relay offers them, else the strongest mechanism go-mail knows. Credentials are
	// only ever sent over TLS, except with TLSNone (loopback only).
	Username, Password string
	// TLS "" means TLSStartTLS.
	TLS TLSMode
	// FromName and FromAddress make the From header and the envelope sender.
	FromName, FromAddress string
	// Timeout bounds the dial and every step of the SMTP dialogue; 0 means 30s.
	Timeout time.Duration
	// RootCAs verifies the relay's certificate; nil means the system roots.
	RootCAs *x509.CertPool
	// HELO is the name sent in EHLO; empty means the machine's host name.
	HELO string
}

// configError is a Config.Validate error that knows its field, so ConfigFromEnv can name the
// environment variable that holds the bad value.
type configError struct {
	field string // "host", "port", "username", "password", "tls", "from_name", "from_address", "timeout", "helo"
	msg   string
}

func (e *configError) Error() string { return "smtp: " + e.msg }

func fieldErr(field, format string, args ...any) error {
	return &configError{field: field, msg: fmt.Sprintf(format, args...)}
}

// Validate reports the first problem with c; the error names the field ("smtp: host is
// required"). The zero values documented on Config are valid.
func (c Config) Validate() error {
	if c.Host == "" {
		return fieldErr("host", "host is required")
	}
	if !validHost(c.Host) {
		return fieldErr("host", "host %q is not a host name or IP address (the port goes in Port)", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fieldErr("port", "port %d is out of range (1-65535)", c.Port)
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(c.Host) {
			return fieldErr("tls", "tls mode %q is only allowed for a loopback host (got %s)", c.TLS, c.Host)
		}
	default:
		return fieldErr("tls", "unknown tls mode %q (want %s, %s or %s)", c.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if c.Username != "" && c.Password == "" {
		return fieldErr("password", "password is required when a username is set")
	}
	if c.Username == "" && c.Password != "" {
		return fieldErr("username", "username is required when a password is set")
	}
	if err := checkHeaderValue(c.FromName); err != nil {
		return fieldErr("from_name", "from name %v", err)
	}
	if c.FromAddress == "" {
		return fieldErr("from_address", "from address is required")
	}
	if a, err := netmail.ParseAddress(c.FromAddress); err != nil || a.Name != "" || a.Address != c.FromAddress {
		return fieldErr("from_address", "from address %q is not a valid e-mail address", c.FromAddress)
	}
	if c.Timeout < 0 {
		return fieldErr("timeout", "timeout must not be negative (got %s)", c.Timeout)
	}
	if c.HELO != "" && !validHost(c.HELO) {
		return fieldErr("helo", "helo name %q is not a host name", c.HELO)
	}
	return nil
}

// withDefaults fills the zero values documented on Config.
func (c Config) withDefaults() Config {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLSImplicit:
			c.Port = portImplicit
		case TLSNone:
			c.Port = portNone
		default:
			c.Port = portStartTLS
		}
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	return c
}

// validHost accepts an IP address or a DNS name (letters, digits, '-', '_', '.').
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// isLoopback reports whether host names this machine without a DNS lookup: "localhost" or a
// loopback IP address (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ConfigFromEnv reads a Config from <prefix>HOST, PORT, USERNAME, PASSWORD or PASSWORD_FILE,
// TLS, FROM_NAME, FROM_ADDRESS, TIMEOUT (a Go duration such as "30s") and HELO, using getenv
// (os.Getenv when nil). PASSWORD_FILE is read and one trailing newline is cut; setting both
// PASSWORD and PASSWORD_FILE is an error. The result is validated, and every error names the
// variable: "RESERVA_SMTP_PORT: not a number: \"abc\"".
//
// ok is false, with no error, when <prefix>HOST is empty: mail is not configured.
//
// NB! A misspelt HOST variable therefore switches mail off silently; callers should log
// whether mail is configured.
func ConfigFromEnv(prefix string, getenv func(string) string) (c Config, ok bool, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(name string) string { return strings.TrimSpace(getenv(prefix + name)) }

	c.Host = get("HOST")
	if c.Host == "" {
		return Config{}, false, nil
	}
	if v := get("PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return Config{}, false, fmt.Errorf("%sPORT: not a number: %q", prefix, v)
		}
		c.Port = n
	}
	c.Username = get("USERNAME")
	// A password may begin or end with a space: take it as given.
	c.Password = getenv(prefix + "PASSWORD")
	passwordVar := prefix + "PASSWORD"
	if file := get("PASSWORD_FILE"); file != "" {
		passwordVar = prefix + "PASSWORD_FILE"
		if c.Password != "" {
			return Config{}, false, fmt.Errorf("%s: set only one of %sPASSWORD and %sPASSWORD_FILE", passwordVar, prefix, prefix)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return Config{}, false, fmt.Errorf("%s: read password: %w", passwordVar, err)
		}
		p := strings.TrimSuffix(string(b), "\n")
		c.Password = strings.TrimSuffix(p, "\r")
	}
	c.TLS = TLSMode(strings.ToLower(get("TLS")))
	c.FromName = get("FROM_NAME")
	c.FromAddress = get("FROM_ADDRESS")
	if v := get("TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return Config{}, false, fmt.Errorf("%sTIMEOUT: not a duration (e.g. 30s): %q", prefix, v)
		}
		c.Timeout = d
	}
	c.HELO = get("HELO")

	if err := c.Validate(); err != nil {
		name := "HOST"
		var ce *configError
		if errors.As(err, &ce) {
			name = strings.ToUpper(ce.field)
		}
		variable := prefix + name
		if name == "PASSWORD" {
			variable = passwordVar
		}
		return Config{}, false, fmt.Errorf("%s: %w", variable, err)
	}
	return c, true, nil
}

// ErrRejected is wrapped by the error of a send that the relay refused for good (a 5xx reply
// to MAIL FROM, RCPT TO or DATA): the same message to the same recipient will be refused
// again. IsPermanent reports true for it.
var ErrRejected = errors.New("mail: rejected by the relay")

// IsPermanent reports whether err means that retrying the same message is pointless: the
// message is invalid (ErrInvalidMessage) or the relay rejected it (ErrRejected). Everything
// else is temporary: refused or dropped connections, timeouts, 4xx replies, TLS and AUTH
// failures, and 5xx replies that concern the session rather than the message (530, 534, 535,
// 538: authentication or STARTTLS required or failed). IsPermanent(nil) is false.
//
// NB! A relay that is misconfigured (wrong password, no STARTTLS, bad certificate) gives
// temporary errors on purpose: the outbox keeps the mail until an operator fixes the relay or
// the Failover moves to the other one, instead of dropping every message at once.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrInvalidMessage) || errors.Is(err, ErrRejected)
}

// Transport sends one message. The outbox worker depends on this interface; Sender and
// Failover implement it.
type Transport interface {
	Send(ctx context.Context, m Message) error
}

// Sender sends messages through one SMTP relay, one connection per message. It holds no
// connection between sends and is safe for concurrent use.
type Sender struct {
	cfg Config // validated, defaults applied
}

// NewSender validates c and returns a Sender for it.
func NewSender(c Config) (*Sender, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Sender{cfg: c.withDefaults()}, nil
}

// Name returns "host:port" of the relay, for logs. It never contains credentials.
func (s *Sender) Name() string {
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
}

// Send delivers m through the relay: it dials, secures the connection as the TLS mode says
// (TLS 1.2 or later, certificate verified against Config.RootCAs), authenticates when a
// username is set, sends, and quits. Cancelling ctx aborts the dialogue at once.
//
// A nil error means the relay accepted the message (250 after DATA); a failure after that,
// such as a lost QUIT, is ignored so the outbox does not send the message twice. Use
// IsPermanent on an error to decide between retrying later and giving up.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := m.goMailMsg(s.cfg.FromName, s.cfg.FromAddress, time.Now())
	if err != nil {
		return fmt.Errorf("smtp: send via %s: %w", s.Name(), err)
	}

	conns := &connSet{}
	client, err := s.client(conns)
	if err != nil {
		return fmt.Errorf("smtp: send via %s: %w", s.Name(), err)
	}
	// go-mail leaves the connection open when the dialogue fails before sending (no STARTTLS,
	// bad certificate, AUTH refused), and only watches ctx while dialling: closing the
	// connections ourselves covers both.
	defer conns.closeAll()
	stop := context.AfterFunc(ctx, conns.closeAll)
	defer stop()

	smtpClient, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", s.Name(), withContext(ctx, err))
	}
	err = client.SendWithSMTPClient(smtpClient, msg)
	_ = client.CloseWithSMTPClient(smtpClient)
	if msg.IsDelivered() {
		return nil
	}
	if err == nil {
		return fmt.Errorf("smtp: send via %s: relay did not confirm the message", s.Name())
	}
	err = withContext(ctx, err)
	if rejected(err) {
		return fmt.Errorf("smtp: send via %s: %w: %w", s.Name(), ErrRejected, err)
	}
	return fmt.Errorf("smtp: send via %s: %w", s.Name(), err)
}

// client builds a go-mail client for one send; its connections are recorded in conns.
func (s *Sender) client(conns *connSet) (*gomail.Client, error) {
	c := s.cfg
	tlsConfig := &tls.Config{
		ServerName: c.Host,
		MinVersion: tls.VersionTLS12,
		RootCAs:    c.RootCAs,
	}
	dialer := &net.Dialer{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conns.add(conn)
		if c.TLS != TLSImplicit {
			return conn, nil
		}
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		return tc, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(c.Port),
		gomail.WithTimeout(c.Timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(dial),
		// The connection is fresh: the NOOP before sending would only cost a round trip.
		gomail.WithoutNoop(),
	}
	switch c.TLS {
	case TLSImplicit:
		// The dial function already did the handshake; WithSSL stops go-mail from also trying
		// STARTTLS inside it.
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.Username != "" {
		// PLAIN and LOGIN themselves refuse to run without TLS (except for localhost). TLSNone
		// is only allowed for loopback hosts, where the -NOENC variants are needed for
		// 127.0.0.2 and the like.
		mechs := []gomail.SMTPAuthType{gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
		if c.TLS == TLSNone {
			mechs = []gomail.SMTPAuthType{gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
		}
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(mechs...),
			gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	if c.HELO != "" {
		opts = append(opts, gomail.WithHELO(c.HELO))
	}
	client, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("new client: %w", err)
	}
	return client, nil
}

// rejected reports whether err is the relay refusing this message for good: a 5xx reply at
// MAIL FROM, RCPT TO or DATA, other than the session-level codes (authentication or
// STARTTLS required or failed), which another relay or a fixed configuration would cure.
func rejected(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		return true // the message itself cannot be sent
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
	default:
		return false
	}
	code := se.ErrorCode()
	var te *textproto.Error
	if code == 0 && errors.As(err, &te) {
		code = te.Code
	}
	switch code {
	case 530, 534, 535, 538:
		return false
	}
	return code >= 500 && code < 600
}

// withContext puts ctx's error in front of err when ctx ended: the connection error that
// follows a cancellation ("use of closed network connection") does not say why.
func withContext(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// connSet records the connections of one send so they can be closed whatever go-mail did.
type connSet struct {
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func (s *connSet) add(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return
	}
	s.conns = append(s.conns, c)
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, c := range s.conns {
		// Closing a connection go-mail already closed after QUIT only returns an error.
		_ = c.Close()
	}
	s.conns = nil
}
