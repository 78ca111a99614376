package views

import (
	"net"
	"strings"
)

// providers names the companies behind common relay and storage hosts (a suffix of the host
// name), so that the privacy notice names who receives data rather than a machine's address.
var providers = []struct{ suffix, name string }{
	{"postmarkapp.com", "Postmark (ActiveCampaign, LLC)"},
	{"mailgun.org", "Mailgun (Sinch)"},
	{"sendgrid.net", "SendGrid (Twilio Inc.)"},
	{"brevo.com", "Brevo (Sendinblue SAS)"},
	{"sendinblue.com", "Brevo (Sendinblue SAS)"},
	{"mailjet.com", "Mailjet (Sinch)"},
	{"fastmail.com", "Fastmail Pty Ltd"},
	{"gmail.com", "Google (Google Workspace)"},
	{"googlemail.com", "Google (Google Workspace)"},
	{"googleapis.com", "Google Cloud"},
	{"office365.com", "Microsoft (Microsoft 365)"},
	{"outlook.com", "Microsoft (Microsoft 365)"},
	{"amazonaws.com", "Amazon Web Services"},
	{"backblazeb2.com", "Backblaze, Inc."},
	{"wasabisys.com", "Wasabi Technologies"},
	{"your-objectstorage.com", "Hetzner Online GmbH"},
	{"scw.cloud", "Scaleway SAS"},
	{"ovh.net", "OVH SAS"},
	{"digitaloceanspaces.com", "DigitalOcean"},
	{"r2.cloudflarestorage.com", "Cloudflare, Inc."},
}

// Processor is how the privacy notice names the service at addr (a host, host:port or URL):
// the company behind a known provider (with the host), the host itself otherwise, and "" for
// this machine (a loopback address), which is no one else.
func Processor(addr string) string {
	host := addr
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host, _, _ = strings.Cut(host, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback() {
		return ""
	}
	for _, p := range providers {
		if host == p.suffix || strings.HasSuffix(host, "."+p.suffix) {
			return p.name + " (" + host + ")"
		}
	}
	return host
}
