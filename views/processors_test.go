package views

import "testing"

func TestProcessor(t *testing.T) {
	for addr, want := range map[string]string{
		"localhost:18025":                        "",
		"127.0.0.1:2525":                         "",
		"[::1]:25":                               "",
		"smtp.postmarkapp.com:587":               "Postmark (ActiveCampaign, LLC) (smtp.postmarkapp.com)",
		"email-smtp.eu-west-1.amazonaws.com:587": "Amazon Web Services (email-smtp.eu-west-1.amazonaws.com)",
		"https://s3.eu-central-1.amazonaws.com":  "Amazon Web Services (s3.eu-central-1.amazonaws.com)",
		"http://127.0.0.1:9000":                  "",
		"mail.example.org:465":                   "mail.example.org",
		"notpostmarkapp.com:25":                  "notpostmarkapp.com",
	} {
		if got := Processor(addr); got != want {
			t.Errorf("Processor(%q) = %q, want %q", addr, got, want)
		}
	}
}
