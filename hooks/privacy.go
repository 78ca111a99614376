package hooks

import (
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/views"
)

// privacy renders the venue's privacy notice, its version, and whom to ask about one's data.
func (h *handlers) privacy(e *core.RequestEvent) error {
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	contact := v.GDPREmail
	if contact == "" {
		contact = v.Email
	}
	d := views.PrivacyData{
		Page:          page(e, v, views.M("title.privacy")),
		Paragraphs:    paragraphs(v.PrivacyNotice),
		Version:       v.NoticeVersion(),
		Contact:       contact,
		RetentionDays: v.RetentionDays(),
		Relays:        h.jobs.RelayNames(),
	}
	if cfg := h.jobs.BackupConfig(); cfg.On() {
		d.BackupDays = int(max(cfg.Policy.All, cfg.Policy.Hourly, cfg.Policy.Daily)/(24*time.Hour)) + 1
		if cfg.S3 != nil {
			d.Offsite = cfg.S3.Endpoint
		}
	}
	return render(e, http.StatusOK, views.PrivacyPage(d))
}

// paragraphs splits plain text at blank lines; single line breaks stay inside a paragraph.
func paragraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Join(strings.Fields(p), " "))
		}
	}
	return out
}
