package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"regexp"
	"strings"
	"testing"
	"time"
)

func validMessage() Message {
	return Message{
		To:      "ana@example.com",
		ToName:  "Ana Pérez",
		Subject: "Buchung bestätigt",
		Text:    "See you on Friday.",
	}
}

func TestMessageValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m *Message)
		wantErr string // "" means valid
	}{
		{"valid", func(m *Message) {}, ""},
		{"valid with everything", func(m *Message) {
			m.HTML = "<p>See you</p>"
			m.MessageID = "<booking-1@reserva.example>"
			m.Headers = map[string]string{"Auto-Submitted": "auto-generated"}
			m.ReplyTo, m.ReplyToName = "venue@example.com", "The Venue"
			m.Attachments = []Attachment{{Name: "booking.ics", ContentType: "text/calendar; method=REQUEST; charset=utf-8", Data: []byte("BEGIN:VCALENDAR")}}
		}, ""},
		{"reply-to as an extra header", func(m *Message) { m.Headers = map[string]string{"Reply-To": "eve@example.com"} }, `header "Reply-To" is set by the sender`},
		{"message id without brackets", func(m *Message) { m.MessageID = "booking-1@reserva.example" }, ""},
		{"no to name", func(m *Message) { m.ToName = "" }, ""},
		{"empty to", func(m *Message) { m.To = "" }, "to: address is empty"},
		{"to not an address", func(m *Message) { m.To = "ana" }, `to: "ana" is not a valid e-mail address`},
		{"to with display name", func(m *Message) { m.To = "Ana <ana@example.com>" }, "is not a valid e-mail address"},
		{"two recipients", func(m *Message) { m.To = "ana@example.com, eve@example.com" }, "is not a valid e-mail address"},
		{"to injection", func(m *Message) { m.To = "ana@example.com\r\nBcc: eve@example.com" }, "to: contains a line break"},
		// A name is encoded, or left out when it cannot be (TestMessageUnwritableName).
		{"to name with line break", func(m *Message) { m.ToName = "Ana\nBcc: eve@example.com" }, ""},
		{"empty subject", func(m *Message) { m.Subject = " " }, "subject is empty"},
		{"subject injection", func(m *Message) { m.Subject = "a\r\nBcc: x" }, "subject: contains a line break"},
		{"subject lone CR", func(m *Message) { m.Subject = "a\rb" }, "subject: contains a line break"},
		{"subject control char", func(m *Message) { m.Subject = "a\x00b" }, "subject: contains control character"},
		{"empty text", func(m *Message) { m.Text = "" }, "text part is empty"},
		{"header injection", func(m *Message) { m.Headers = map[string]string{"X-Booking": "1\r\nBcc: x"} }, `header "X-Booking": contains a line break`},
		{"header name with colon", func(m *Message) { m.Headers = map[string]string{"X-A: b": "c"} }, "not a valid header field name"},
		{"header name with newline", func(m *Message) { m.Headers = map[string]string{"X-A\r\nBcc": "c"} }, "not a valid header field name"},
		{"override from", func(m *Message) { m.Headers = map[string]string{"From": "ceo@example.com"} }, `header "From" is set by the sender`},
		{"override to lowercase", func(m *Message) { m.Headers = map[string]string{"to": "eve@example.com"} }, `header "to" is set by the sender`},
		{"override subject", func(m *Message) { m.Headers = map[string]string{"SUBJECT": "x"} }, "is set by the sender"},
		{"override date", func(m *Message) { m.Headers = map[string]string{"Date": "x"} }, "is set by the sender"},
		{"add bcc", func(m *Message) { m.Headers = map[string]string{"Bcc": "eve@example.com"} }, "is set by the sender"},
		{"message id not an id", func(m *Message) { m.MessageID = "12345" }, "is not of the form <id@host>"},
		{"message id unclosed", func(m *Message) { m.MessageID = "<1@example.com" }, "has no closing bracket"},
		{"message id with space", func(m *Message) { m.MessageID = "<1 2@example.com>" }, "contains a space"},
		{"message id injection", func(m *Message) { m.MessageID = "<1@example.com>\r\nBcc: x" }, "message id:"},
		{"attachment without name", func(m *Message) { m.Attachments = []Attachment{{Data: []byte("x")}} }, "attachment 1: name is empty"},
		{"attachment name with path", func(m *Message) { m.Attachments = []Attachment{{Name: "../x.ics"}} }, "path separator"},
		{"attachment name injection", func(m *Message) { m.Attachments = []Attachment{{Name: "a\r\n.ics"}} }, "name: contains a line break"},
		{"attachment bad content type", func(m *Message) { m.Attachments = []Attachment{{Name: "a.ics", ContentType: "text/calendar; ;"}} }, "content type"},
		{"attachment content type injection", func(m *Message) {
			m.Attachments = []Attachment{{Name: "a.ics", ContentType: "text/calendar\r\nBcc: x"}}
		}, "content type: contains a line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validMessage()
			tt.edit(&m)
			err := m.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("Validate() = %v, want it to wrap ErrInvalidMessage", err)
			}
			if !IsPermanent(err) {
				t.Errorf("IsPermanent(%v) = false, want true", err)
			}
		})
	}
}

// mimePart is one leaf of a parsed MIME message, its body decoded.
type mimePart struct {
	mediaType string
	params    map[string]string
	filename  string // from Content-Disposition
	body      string
}

// parsedMail is a message as a mail client would see it.
type parsedMail struct {
	header netmail.Header
	parts  []mimePart
}

// subject returns the decoded Subject header.
func (p parsedMail) subject(t *testing.T) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", p.header.Get("Subject"), err)
	}
	return s
}

// part returns the first leaf of mediaType, failing the test when there is none.
func (p parsedMail) part(t *testing.T, mediaType string) mimePart {
	t.Helper()
	for _, pt := range p.parts {
		if pt.mediaType == mediaType {
			return pt
		}
	}
	var got []string
	for _, pt := range p.parts {
		got = append(got, pt.mediaType)
	}
	t.Fatalf("no %s part; parts: %v", mediaType, got)
	return mimePart{}
}

// parseMail parses raw (CRLF or LF line ends) into its header and decoded leaf parts.
func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	p := parsedMail{header: msg.Header}
	walkMIME(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, &p.parts)
	return p
}

func walkMIME(t *testing.T, contentType, encoding, disposition string, body io.Reader, parts *[]mimePart) {
	t.Helper()
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("parse content type %q: %v", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("read %s part: %v", mediaType, err)
			}
			walkMIME(t, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.Header.Get("Content-Disposition"), part, parts)
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("read %s body: %v", mediaType, err)
	}
	p := mimePart{mediaType: mediaType, params: params, body: strings.ReplaceAll(string(b), "\r\n", "\n")}
	if disposition != "" {
		if _, dparams, err := mime.ParseMediaType(disposition); err == nil {
			p.filename = dparams["filename"]
		}
	}
	*parts = append(*parts, p)
}

// render writes m as the Sender would, from bookings@example.com.
func render(t *testing.T, m Message, now time.Time) []byte {
	t.Helper()
	msg, err := m.goMailMsg("Reserva", "bookings@example.com", now)
	if err != nil {
		t.Fatalf("goMailMsg() = %v", err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatalf("WriteTo() = %v", err)
	}
	return buf.Bytes()
}

const testICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"

// fullMessage has every part the Sender must carry.
func fullMessage() Message {
	m := validMessage()
	m.HTML = "<p>See you on <b>Friday</b>.</p>"
	m.MessageID = "<booking-42.1@reserva.example>"
	m.Headers = map[string]string{"Auto-Submitted": "auto-generated", "X-Reserva-Booking": "42"}
	m.Attachments = []Attachment{{
		Name:        "booking.ics",
		ContentType: "text/calendar; method=REQUEST; charset=utf-8",
		Data:        []byte(testICS),
	}}
	m.Date = time.Date(2026, 3, 6, 9, 30, 0, 0, time.UTC)
	return m
}

// checkFullMessage asserts that raw carries everything of fullMessage.
func checkFullMessage(t *testing.T, raw []byte) {
	t.Helper()
	want := fullMessage()
	p := parseMail(t, raw)

	if got := p.subject(t); got != want.Subject {
		t.Errorf("Subject = %q, want %q", got, want.Subject)
	}
	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "bookings@example.com" || from[0].Name != "Reserva" {
		t.Errorf("From = %v (%v), want Reserva <bookings@example.com>", from, err)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != want.To || to[0].Name != want.ToName {
		t.Errorf("To = %v (%v), want %s <%s>", to, err, want.ToName, want.To)
	}
	if got := p.header.Get("Message-ID"); got != want.MessageID {
		t.Errorf("Message-ID = %q, want %q", got, want.MessageID)
	}
	if got, err := p.header.Date(); err != nil || !got.Equal(want.Date) {
		t.Errorf("Date = %v (%v), want %v", got, err, want.Date)
	}
	for k, v := range want.Headers {
		if got := p.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if got := p.header.Get("Bcc"); got != "" {
		t.Errorf("Bcc = %q, want none", got)
	}

	if got := p.part(t, "text/plain").body; got != want.Text {
		t.Errorf("text part = %q, want %q", got, want.Text)
	}
	if got := p.part(t, "text/html").body; got != want.HTML {
		t.Errorf("html part = %q, want %q", got, want.HTML)
	}
	ics := p.part(t, "text/calendar")
	if ics.params["method"] != "REQUEST" || ics.params["charset"] != "utf-8" {
		t.Errorf("calendar part params = %v, want method=REQUEST charset=utf-8", ics.params)
	}
	if ics.filename != "booking.ics" {
		t.Errorf("calendar part filename = %q, want booking.ics", ics.filename)
	}
	if ics.body != strings.ReplaceAll(testICS, "\r\n", "\n") {
		t.Errorf("calendar part = %q, want %q", ics.body, testICS)
	}
}

func TestMessageMIME(t *testing.T) {
	raw := render(t, fullMessage(), time.Now())
	checkFullMessage(t, raw)

	// The HTML is an alternative to the text, and the calendar sits beside both.
	top := parseMail(t, raw).header.Get("Content-Type")
	if !strings.HasPrefix(top, "multipart/mixed") {
		t.Errorf("Content-Type = %q, want multipart/mixed", top)
	}
	if !bytes.Contains(raw, []byte("multipart/alternative")) {
		t.Errorf("message has no multipart/alternative part:\n%s", raw)
	}
}

func TestMessageMIMEDefaults(t *testing.T) {
	now := time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)
	m := validMessage()
	m.Attachments = []Attachment{{Name: "booking.ics", Data: []byte(testICS)}}

	p := parseMail(t, render(t, m, now))
	id := p.header.Get("Message-ID")
	if !regexp.MustCompile(`^<[0-9a-f]{32}@example\.com>$`).MatchString(id) {
		t.Errorf("generated Message-ID = %q, want <32 hex digits@example.com>", id)
	}
	if other := parseMail(t, render(t, m, now)).header.Get("Message-ID"); other == id {
		t.Errorf("two sends generated the same Message-ID %q", id)
	}
	if got, err := p.header.Date(); err != nil || !got.Equal(now) {
		t.Errorf("Date = %v (%v), want %v", got, err, now)
	}
	// Without a content type the extension decides; for .ics that is text/calendar.
	if got := p.part(t, "text/calendar").filename; got != "booking.ics" {
		t.Errorf("calendar filename = %q, want booking.ics", got)
	}
}

func TestMessageMIMETextOnly(t *testing.T) {
	p := parseMail(t, render(t, validMessage(), time.Now()))
	if len(p.parts) != 1 || p.parts[0].mediaType != "text/plain" {
		t.Fatalf("parts = %+v, want one text/plain", p.parts)
	}
	if got, want := p.parts[0].body, validMessage().Text; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
}

func TestMessageMIMEInvalid(t *testing.T) {
	m := validMessage()
	m.Subject = "a\r\nBcc: x"
	if _, err := m.goMailMsg("Reserva", "bookings@example.com", time.Now()); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("goMailMsg() = %v, want ErrInvalidMessage", err)
	}
}

// TestMessageDisplayNames writes messages to and from people whose names hold every character
// that has a meaning in an address header: each must be written, and its From and To must parse
// back to the very address and name.
func TestMessageDisplayNames(t *testing.T) {
	long := strings.Repeat(`Zoë "Z" <x>, `, 20)[:200]
	names := []string{
		`A"B`, `"`, `\`, `""`, `a\"b`, `a<b>c`, `x, y`, `a;b:c`, `ana@example.com`, `(Ana)`,
		`Zoë Ñandú`, `Zoë "Z" <x>`, `=?utf-8?q?x?=`, `=?utf-8?b?eA==?=`, `🙂 Ana`, `Ana	Pérez`,
		strings.Repeat("a", 200), strings.Repeat(`"\`, 100), long,
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			m := validMessage()
			m.ToName = name
			m.ReplyTo, m.ReplyToName = "desk@example.com", name
			msg, err := m.goMailMsg(name, "bookings@example.com", time.Now())
			if err != nil {
				t.Fatalf("goMailMsg(ToName %q) = %v, want a message", name, err)
			}
			var buf bytes.Buffer
			if _, err := msg.WriteTo(&buf); err != nil {
				t.Fatalf("WriteTo() = %v", err)
			}
			p := parseMail(t, buf.Bytes())
			for _, h := range []struct{ field, addr string }{{"To", m.To}, {"From", "bookings@example.com"}, {"Reply-To", "desk@example.com"}} {
				got, err := netmail.ParseAddress(p.header.Get(h.field))
				if err != nil {
					t.Fatalf("ParseAddress(%s %q) = %v", h.field, p.header.Get(h.field), err)
				}
				if got.Address != h.addr || got.Name != name {
					t.Errorf("%s = %q <%s>, want %q <%s>", h.field, got.Name, got.Address, name, h.addr)
				}
			}
			if got := p.header.Get("Bcc"); got != "" {
				t.Errorf("Bcc = %q, want none", got)
			}
		})
	}
}

// TestMessageUnwritableName sends a message whose name cannot be written as it is (a line
// break, another control character, broken UTF-8) to the bare address instead of failing it.
func TestMessageUnwritableName(t *testing.T) {
	for _, name := range []string{"Ana\nBcc: eve@example.com", "Ana\r\nBcc: eve@example.com", "Ana\x00", "Ana\x7f", "Ana \xff"} {
		t.Run(name, func(t *testing.T) {
			m := validMessage()
			m.ToName = name
			if err := m.Validate(); err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			p := parseMail(t, render(t, m, time.Now()))
			got, err := netmail.ParseAddress(p.header.Get("To"))
			if err != nil || got.Address != m.To || got.Name != "" {
				t.Errorf("To = %q (%v), want the bare %s", p.header.Get("To"), err, m.To)
			}
			if got := p.header.Get("Bcc"); got != "" {
				t.Errorf("Bcc = %q, want none", got)
			}
		})
	}
}
