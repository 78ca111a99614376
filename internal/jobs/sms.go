package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"reserva/internal/booking"
	"reserva/internal/store"
)

// The text-message gateways, read once at start (TextsFromEnv). The venue sets up one of them,
// or none (then nobody is offered texts):
//   - a generic HTTP webhook: Reserva POSTs {"to": "+4791234567", "text": "…"} as JSON, with a
//     bearer token when one is set;
//   - Twilio's Messages API (the common SMS provider API), with the account's SID, auth token and
//     sender (a phone number, or a Messaging Service SID "MG…").
const (
	SMSWebhookEnv      = "RESERVA_SMS_WEBHOOK_URL"
	SMSWebhookTokenEnv = "RESERVA_SMS_WEBHOOK_TOKEN"
	TwilioSIDEnv       = "RESERVA_TWILIO_ACCOUNT_SID"
	TwilioTokenEnv     = "RESERVA_TWILIO_AUTH_TOKEN"
	TwilioFromEnv      = "RESERVA_TWILIO_FROM"
	TwilioAPIEnv       = "RESERVA_TWILIO_API_URL" // default https://api.twilio.com (tests point it elsewhere)
)

// TextTimeout bounds one post to the gateway.
const TextTimeout = 10 * time.Second

// TextSender sends one text message to a number in E.164 form; it returns the gateway's id of
// the message ("" when it gives none). An error wrapping ErrTextRefused is not worth a retry.
type TextSender interface {
	SendText(ctx context.Context, to, text string) (id string, err error)
}

// ErrTextRefused is a gateway's final no (a number it cannot text, a message it will not take).
var ErrTextRefused = errors.New("sms: refused by the gateway")

// TextsFromEnv reads the text-message gateway the venue set up: nil when none. A half set-up
// gateway (a bad URL, Twilio without its token or sender, both at once) stops the start with
// the variable named.
func TextsFromEnv(getenv func(string) string) (TextSender, error) {
	hook := strings.TrimSpace(getenv(SMSWebhookEnv))
	sid := strings.TrimSpace(getenv(TwilioSIDEnv))
	switch {
	case hook != "" && sid != "":
		return nil, fmt.Errorf("%s and %s: set up one text-message gateway, not both", SMSWebhookEnv, TwilioSIDEnv)
	case hook != "":
		u, err := url.Parse(hook)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%s: want the gateway's http(s) address (got %q)", SMSWebhookEnv, hook)
		}
		return &webhookTexts{url: hook, token: strings.TrimSpace(getenv(SMSWebhookTokenEnv))}, nil
	case sid != "":
		t := &twilioTexts{sid: sid, token: strings.TrimSpace(getenv(TwilioTokenEnv)), from: strings.TrimSpace(getenv(TwilioFromEnv)),
			base: strings.TrimRight(strings.TrimSpace(getenv(TwilioAPIEnv)), "/")}
		if t.base == "" {
			t.base = "https://api.twilio.com"
		}
		if u, err := url.Parse(t.base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%s: want an http(s) address (got %q)", TwilioAPIEnv, t.base)
		}
		if !strings.HasPrefix(sid, "AC") || strings.ContainsAny(sid, "/?#") {
			return nil, fmt.Errorf("%s: want the account SID, which starts with AC (got %q)", TwilioSIDEnv, sid)
		}
		if t.token == "" {
			return nil, fmt.Errorf("%s: set the auth token of account %s", TwilioTokenEnv, sid)
		}
		if t.from == "" {
			return nil, fmt.Errorf("%s: set the sender, a number such as +4915112345678 or a Messaging Service SID (MG…)", TwilioFromEnv)
		}
		return t, nil
	}
	return nil, nil
}

// textClient posts to the gateways: no redirects, no cookies.
var textClient = &http.Client{
	Timeout:       TextTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// webhookTexts is the generic gateway: a JSON POST to the venue's own endpoint.
type webhookTexts struct{ url, token string }

func (w *webhookTexts) SendText(ctx context.Context, to, text string) (string, error) {
	body, _ := json.Marshal(map[string]string{"to": to, "text": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, strings.NewReader(string(body)))
	if err != nil {
		return "", fmt.Errorf("sms webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if w.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.token)
	}
	var answer struct {
		ID string `json:"id"`
	}
	status, err := postText(req, &answer)
	if err != nil {
		return "", fmt.Errorf("SMS webhook: %w", err)
	}
	if status < 200 || status > 299 {
		return "", gatewayError("SMS webhook", status, "")
	}
	return answer.ID, nil
}

// twilioTexts sends through Twilio's Messages API.
type twilioTexts struct{ base, sid, token, from string }

func (t *twilioTexts) SendText(ctx context.Context, to, text string) (string, error) {
	form := url.Values{"To": {to}, "Body": {text}}
	if strings.HasPrefix(t.from, "MG") {
		form.Set("MessagingServiceSid", t.from)
	} else {
		form.Set("From", t.from)
	}
	target := t.base + "/2010-04-01/Accounts/" + url.PathEscape(t.sid) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("twilio: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(t.sid, t.token)
	var answer struct {
		SID     string `json:"sid"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	status, err := postText(req, &answer)
	if err != nil {
		return "", fmt.Errorf("twilio: %w", err)
	}
	if status < 200 || status > 299 {
		detail := ""
		if answer.Code != 0 {
			detail = fmt.Sprintf("error %d: %s", answer.Code, answer.Message)
		}
		return "", gatewayError("twilio", status, detail)
	}
	return answer.SID, nil
}

// postText sends req and reads a JSON answer (at most 64 KiB) into answer, when it is JSON.
func postText(req *http.Request, answer any) (int, error) {
	req.Header.Set("User-Agent", "Reserva-SMS/1")
	res, err := textClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	_ = json.Unmarshal(body, answer) // an answer that is not JSON leaves the fields empty
	return res.StatusCode, nil
}

// gatewayError is a gateway's non-2xx answer: a 4xx other than 408 and 429 is final.
func gatewayError(gateway string, status int, detail string) error {
	msg := fmt.Sprintf("%s answered %d", gateway, status)
	if detail != "" {
		msg += " (" + detail + ")"
	}
	if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
		return fmt.Errorf("%s: %w", msg, ErrTextRefused)
	}
	return errors.New(msg)
}

// errNoGateway gives up a text queued before the venue took its gateway away.
var errNoGateway = errors.New("sms: no text-message gateway is set up")

// ErrNotTextable is a phone number no text can go to: not a valid number, or a landline.
var ErrNotTextable = errors.New("sms: not a mobile number")

// TextNumber reads a phone number as a person typed it into the number texts go to, in E.164
// form (+4791234567). A number without a country code is read as one of the venue's country,
// taken from the venue's own phone number when that is written with its code; otherwise it
// needs the code. Landlines and numbers no numbering plan knows are ErrNotTextable.
func TextNumber(typed, venuePhone string) (string, error) {
	region := "ZZ"
	if vp, err := phonenumbers.Parse(venuePhone, "ZZ"); err == nil {
		region = phonenumbers.GetRegionCodeForNumber(vp)
	}
	n, err := phonenumbers.Parse(typed, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrNotTextable
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.PERSONAL_NUMBER, phonenumbers.VOIP:
		return phonenumbers.Format(n, phonenumbers.E164), nil
	}
	return "", ErrNotTextable
}

// HomeNumber reports whether the number e164 is of the venue's country (that of the venue's
// own phone number, written with its code), and that country's calling code ("+49"; "" when the
// venue's number has none). Texts booked online go only to such numbers: a booking form that
// texts any country's numbers invites toll fraud (numbers that charge the sender).
func HomeNumber(e164, venuePhone string) (home bool, code string) {
	vp, err := phonenumbers.Parse(venuePhone, "ZZ")
	if err != nil {
		return false, ""
	}
	code = "+" + strconv.Itoa(int(vp.GetCountryCode()))
	n, err := phonenumbers.Parse(e164, "ZZ")
	return err == nil && phonenumbers.GetRegionCodeForNumber(n) == phonenumbers.GetRegionCodeForNumber(vp), code
}

// DisplayNumber is an E.164 number as people read it (+47 912 34 567); a number it cannot read
// comes back as it is.
func DisplayNumber(e164 string) string {
	n, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return e164
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

// textBackoff are the waits after the first, second, … failed attempt at a text; after the last
// it is given up (a text about a booking is of no use hours late).
var textBackoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}

// textLease is how long a run holds the texts it claimed: longer than a post may take.
const textLease = 2 * time.Minute

// TextResult counts what one run of the text worker did.
type TextResult struct {
	Sent, Retried, Failed int
}

// DeliverTexts sends the texts due at now (at most 100 a run), each written from its booking as
// it stands: a booking erased, without texts any more or cancelled before a reminder went out
// has its text given up. A gateway's final no is given up at once; any other failure is tried
// again after textBackoff. Runs that overlap share the rows (each is claimed by one).
func (j *Jobs) DeliverTexts(now time.Time) (TextResult, error) {
	var r TextResult
	due, err := store.ClaimDueTexts(j.app, now, now.Add(textLease), 100)
	if err != nil {
		return r, err
	}
	for _, t := range due {
		id, cause := j.sendText(t, now)
		var next time.Time
		if cause != nil && !errors.Is(cause, ErrTextRefused) && !errors.Is(cause, errNobody) && !errors.Is(cause, errNoGateway) {
			next = retryAt(textBackoff, t.Attempts+1, now)
		}
		why := ""
		if cause != nil {
			why = cause.Error()
		}
		if err := store.RecordText(j.app, t, id, why, next, now); err != nil {
			return r, err
		}
		switch {
		case cause == nil:
			r.Sent++
		case next.IsZero():
			r.Failed++
			j.app.Logger().Warn("sms: text given up", "text", t.ID, "kind", string(t.Kind), "attempts", t.Attempts+1, "error", why)
		default:
			r.Retried++
		}
	}
	return r, nil
}

// sendText writes text t from its booking and sends it once.
func (j *Jobs) sendText(t *store.Text, now time.Time) (string, error) {
	if j.cfg.Texts == nil {
		return "", errNoGateway
	}
	b, err := store.BookingByID(j.app, t.Booking)
	if isNoRows(err) || (err == nil && (b.Anonymised || !b.SMS || b.Phone == "")) ||
		(err == nil && t.Kind == store.MailReminder && b.Status != booking.StatusConfirmed) ||
		(err == nil && t.Kind != store.MailCancellation && b.Status == booking.StatusCancelled) {
		return "", errNobody // nobody to text, or news that is no longer true
	}
	if err != nil {
		return "", err
	}
	o, err := store.OfferingByID(j.app, b.Offering)
	if err != nil {
		return "", err
	}
	v, err := j.st.Venue(j.app)
	if err != nil {
		return "", err
	}
	to, err := TextNumber(b.Phone, v.Phone)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrTextRefused, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), TextTimeout)
	defer cancel()
	return j.cfg.Texts.SendText(ctx, to, BookingText(v, o, b, t.Kind))
}

// BookingText is the text message of kind about b, in the guest's language. It carries no
// link: the private link to the booking goes by e-mail only.
func BookingText(v *store.Venue, o *store.Offering, b *store.Booking, kind store.MailKind) string {
	l := GuestLocale(v, b.Locale)
	bv := BookingView(v, o, b)
	when := l.ShortDate(bv.Start) + " " + l.Time(bv.Start)
	return l.T(textKeys[kind], v.Name, bv.Offering, when, l.T("party.count", bv.Party), bv.Reference)
}

// textKeys are the catalog keys of the texts, by kind (store.TextKinds).
var textKeys = map[store.MailKind]string{
	store.MailConfirmation: "sms.confirmation",
	store.MailChange:       "sms.change",
	store.MailCancellation: "sms.cancellation",
	store.MailReminder:     "sms.reminder",
}

// Texts is the text-message gateway set up at start; nil when none.
func (j *Jobs) Texts() TextSender { return j.cfg.Texts }

// RunTexts is the text worker's run: it logs its counts.
func (j *Jobs) RunTexts() {
	r, err := j.DeliverTexts(j.now())
	if err != nil {
		j.app.Logger().Error("sms: run failed", "error", err.Error())
		return
	}
	if r.Sent+r.Retried+r.Failed > 0 {
		j.app.Logger().Info("sms: run", "sent", r.Sent, "retried", r.Retried, "failed", r.Failed)
	}
}
