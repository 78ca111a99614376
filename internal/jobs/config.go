package jobs

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"reserva/internal/mail"
)

// MailVars are the variables MailFromEnv reads (besides RESERVA_SMTP_* and RESERVA_SMTP2_*,
// checked at start and read again when mail is sent).
var MailVars = map[string]string{
	"RESERVA_BASE_URL":      "",
	"RESERVA_MAIL_INTERVAL": "15s",
}

// MailFromEnv reads the site's public address (for links in mails; default: from the serve
// command) and how often the outbox worker runs, and checks the relays of RESERVA_SMTP_* and
// RESERVA_SMTP2_*: a relay set up without its From address (or with any other fault) is
// refused at start, the error naming the variable, rather than found when the first mail
// waits in the outbox for ever.
func MailFromEnv(getenv func(string) string) (baseURL string, interval time.Duration, err error) {
	_, primary, err := mail.ConfigFromEnv(SMTPEnvPrefix, getenv)
	if err != nil {
		return "", 0, err
	}
	_, secondary, err := mail.ConfigFromEnv(SMTP2EnvPrefix, getenv)
	if err != nil {
		return "", 0, err
	}
	if secondary && !primary {
		return "", 0, fmt.Errorf("%sHOST: the second relay (%sHOST) is set but the first is not", SMTPEnvPrefix, SMTP2EnvPrefix)
	}
	baseURL = strings.TrimRight(strings.TrimSpace(getenv("RESERVA_BASE_URL")), "/")
	if baseURL != "" {
		u, perr := url.Parse(baseURL)
		if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
			return "", 0, fmt.Errorf("RESERVA_BASE_URL: want the site's address such as https://booking.example.com (got %q)", baseURL)
		}
	}
	iv := strings.TrimSpace(getenv("RESERVA_MAIL_INTERVAL"))
	if iv == "" {
		iv = MailVars["RESERVA_MAIL_INTERVAL"]
	}
	interval, err = time.ParseDuration(iv)
	if err != nil || interval < 100*time.Millisecond || interval > time.Hour {
		return "", 0, fmt.Errorf("RESERVA_MAIL_INTERVAL: want a duration from 100ms to 1h such as 15s (got %q)", iv)
	}
	return baseURL, interval, nil
}
