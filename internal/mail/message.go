package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	netmail "net/mail"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
)

// ErrInvalidMessage is wrapped by every error about a Message that no relay could ever accept
// (a bad address, an empty subject, a header that would inject another header). Retrying such a
// message is pointless: IsPermanent reports true for it.
var ErrInvalidMessage = errors.New("mail: invalid message")

// Attachment is one file attached to a Message.
type Attachment struct {
	// Name is the file name shown to the recipient, e.g. "booking.ics". It must not contain a
	// path separator or a control character.
	Name string
	// ContentType is the full MIME type with its parameters, e.g.
	// "text/calendar; method=REQUEST; charset=utf-8". Empty means: guessed from the extension
	// of Name, else application/octet-stream.
	ContentType string
	Data        []byte
}

// Message is one e-mail as the outbox stores it. The sender (From) is not part of it: it comes
// from the relay's Config.
type Message struct {
	// To is the recipient's bare address. ToName is the recipient's name, any text: it is
	// encoded for the header (see headerAddress), never pasted into it, and left out when it
	// cannot be written, so a name never keeps a message from being sent.
	To, ToName string
	// ReplyTo (a bare address) and ReplyToName are where answers go: the venue's contact
	// address, as the From address is the relay's and often no one reads it. Left out when
	// empty or not a valid address.
	ReplyTo, ReplyToName string
	Subject              string
	// Text is the plain text part; it is required, so every message is readable without HTML.
	Text string
	// HTML is an optional alternative to Text.
	HTML        string
	Attachments []Attachment
	// MessageID is the Message-ID header, "<id@host>" (the angle brackets may be left out).
	// Empty means a random one is generated for each send.
	//
	// NB! Store one per outbox row and pass it on every attempt: a send whose answer was lost
	// is retried, and only a stable Message-ID lets mail clients fold the two copies into one.
	MessageID string
	// Headers are extra header fields, e.g. "Auto-Submitted": "auto-generated". Fields that
	// belong to the sender or the MIME structure (From, To, Cc, Bcc, Subject, Date,
	// Message-ID, Content-Type, ...) are refused by Validate.
	Headers map[string]string
	// Date is the Date header; zero means the time of sending.
	Date time.Time
}

// reservedHeaders are the fields Message.Headers may not set: they are written from the
// Message's own fields or the relay's Config, and a second copy would change who the message
// seems to come from, who receives it, or how it is parsed. Keys are lowercase.
var reservedHeaders = map[string]bool{
	"from": true, "sender": true, "reply-to": true, "to": true, "cc": true, "bcc": true, "subject": true,
	"date": true, "message-id": true, "return-path": true, "mime-version": true,
	"content-type": true, "content-transfer-encoding": true, "content-disposition": true,
}

// Validate reports whether m can be sent: To is a bare valid address, Subject and Text are not
// empty, no header value contains a line break or control character (header injection), no
// extra header overrides a reserved one, and attachments have a usable name and content type.
// ToName is not checked: whatever it holds, the message goes out (see headerAddress).
// Every error wraps ErrInvalidMessage.
func (m Message) Validate() error {
	if err := checkAddress(m.To); err != nil {
		return fmt.Errorf("%w: to: %w", ErrInvalidMessage, err)
	}
	if strings.TrimSpace(m.Subject) == "" {
		return fmt.Errorf("%w: subject is empty", ErrInvalidMessage)
	}
	if err := checkHeaderValue(m.Subject); err != nil {
		return fmt.Errorf("%w: subject: %w", ErrInvalidMessage, err)
	}
	if strings.TrimSpace(m.Text) == "" {
		return fmt.Errorf("%w: text part is empty", ErrInvalidMessage)
	}
	if m.MessageID != "" {
		if err := checkMessageID(m.MessageID); err != nil {
			return fmt.Errorf("%w: message id: %w", ErrInvalidMessage, err)
		}
	}
	for k, v := range m.Headers {
		if err := checkFieldName(k); err != nil {
			return fmt.Errorf("%w: header %q: %w", ErrInvalidMessage, k, err)
		}
		if reservedHeaders[strings.ToLower(k)] {
			return fmt.Errorf("%w: header %q is set by the sender and cannot be overridden", ErrInvalidMessage, k)
		}
		if err := checkHeaderValue(v); err != nil {
			return fmt.Errorf("%w: header %q: %w", ErrInvalidMessage, k, err)
		}
	}
	for i, a := range m.Attachments {
		if err := a.validate(); err != nil {
			return fmt.Errorf("%w: attachment %d: %w", ErrInvalidMessage, i+1, err)
		}
	}
	return nil
}

func (a Attachment) validate() error {
	if a.Name == "" {
		return errors.New("name is empty")
	}
	if err := checkHeaderValue(a.Name); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if strings.ContainsAny(a.Name, `/\"`) {
		return fmt.Errorf("name %q contains a path separator or quote", a.Name)
	}
	if a.ContentType != "" {
		if err := checkHeaderValue(a.ContentType); err != nil {
			return fmt.Errorf("content type: %w", err)
		}
		if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
			return fmt.Errorf("content type %q: %w", a.ContentType, err)
		}
	}
	return nil
}

// checkAddress accepts a bare address ("ana@example.com"), not a display form
// ("Ana <ana@example.com>"): names travel in their own fields.
func checkAddress(addr string) error {
	if addr == "" {
		return errors.New("address is empty")
	}
	if err := checkHeaderValue(addr); err != nil {
		return err
	}
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr {
		return fmt.Errorf("%q is not a valid e-mail address", addr)
	}
	return nil
}

// headerAddress is the address addr with the display name name, for a From or To header. The
// name is never pasted into the header as typed: net/mail writes it as a quoted string (with
// `"` and `\` escaped) or, when it is not plain printable ASCII, as RFC 2047 encoded words, so
// no character in it can make the header unparsable. A name that would not read back as it is
// (a control character, broken UTF-8) is left out: the mail goes to the bare address rather
// than not at all. addr must be a bare address (checkAddress).
func headerAddress(name, addr string) *netmail.Address {
	bare := &netmail.Address{Address: addr}
	if name == "" || !utf8.ValidString(name) || checkHeaderValue(name) != nil {
		return bare
	}
	a := &netmail.Address{Name: name, Address: addr}
	if back, err := netmail.ParseAddress(a.String()); err != nil || back.Name != name || back.Address != addr {
		return bare
	}
	return a
}

// checkHeaderValue refuses line breaks and other control characters (tab excepted): a CR or LF
// in a header value starts a new header ("a\r\nBcc: x"), the classic injection.
func checkHeaderValue(v string) error {
	for _, r := range v {
		if r == '\r' || r == '\n' {
			return errors.New("contains a line break")
		}
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}

// checkFieldName accepts an RFC 5322 field name: printable US-ASCII without colon or space.
func checkFieldName(k string) error {
	if k == "" {
		return errors.New("name is empty")
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 33 || c > 126 || c == ':' {
			return errors.New("not a valid header field name")
		}
	}
	return nil
}

// checkMessageID accepts "<left@right>" or "left@right": printable ASCII, no spaces, no
// brackets inside.
func checkMessageID(id string) error {
	bare, ok := strings.CutPrefix(id, "<")
	if ok {
		if bare, ok = strings.CutSuffix(bare, ">"); !ok {
			return fmt.Errorf("%q has no closing bracket", id)
		}
	}
	left, right, ok := strings.Cut(bare, "@")
	if !ok || left == "" || right == "" {
		return fmt.Errorf("%q is not of the form <id@host>", id)
	}
	for i := 0; i < len(bare); i++ {
		if c := bare[i]; c < 33 || c > 126 || c == '<' || c == '>' {
			return fmt.Errorf("%q contains a space, bracket or non-ASCII character", id)
		}
	}
	return nil
}

// newMessageID returns a random "<hex@domain>".
func newMessageID(domain string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// addressDomain returns the part of addr after the last "@".
func addressDomain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}

// goMailMsg turns m into a go-mail message from fromName <fromAddress>: text/plain, with
// text/html as an alternative when m.HTML is set, attachments around it (multipart/mixed),
// Message-ID (generated when empty), Date (now when zero) and the extra headers. It validates m
// first; errors wrap ErrInvalidMessage.
func (m Message) goMailMsg(fromName, fromAddress string, now time.Time) (*gomail.Msg, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := checkAddress(fromAddress); err != nil {
		return nil, fmt.Errorf("%w: from: %w", ErrInvalidMessage, err)
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	// Not FromFormat and AddToFormat: they paste the name between quotes as it is, so a name
	// with a `"` or `\` makes an address that does not parse, and the message is refused.
	msg.FromMailAddress(headerAddress(fromName, fromAddress))
	msg.AddToMailAddress(headerAddress(m.ToName, m.To))
	if m.ReplyTo != "" && checkAddress(m.ReplyTo) == nil {
		msg.ReplyToMailAddress(headerAddress(m.ReplyToName, m.ReplyTo))
	}
	msg.Subject(m.Subject)

	id := m.MessageID
	if id == "" {
		id = newMessageID(addressDomain(fromAddress))
	}
	// go-mail adds the brackets itself.
	msg.SetMessageIDWithValue(strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">"))
	date := m.Date
	if date.IsZero() {
		date = now
	}
	msg.SetDateWithValue(date)
	for k, v := range m.Headers {
		msg.SetGenHeader(gomail.Header(k), v)
	}

	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		var opts []gomail.FileOption
		if a.ContentType != "" {
			opts = append(opts, gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
		}
		// A ReadSeeker rewinds after each write, so the same Msg could be written twice.
		msg.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), opts...)
	}
	return msg, nil
}
