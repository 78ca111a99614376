package hooks

import (
	"database/sql"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/store"
	"reserva/views"
)

// webhooksPage (owner) lists the webhook endpoints with their secrets and the recent deliveries.
func (h *handlers) webhooksPage(e *core.RequestEvent) error {
	return h.renderWebhooks(e, http.StatusOK, views.WebhookEndpoint{Active: true}, nil, "")
}

func (h *handlers) renderWebhooks(e *core.RequestEvent, status int, form views.WebhookEndpoint, errs map[string]views.Msg, errsFor string) error {
	d := views.WebhooksData{AdminPage: h.adminPage(e, views.M("admin.webhooks.title")), Enabled: store.WebhooksEnabled(),
		Form: form, Errors: errs, ErrorsFor: errsFor}
	for _, t := range store.EventTypes {
		d.Events = append(d.Events, string(t))
	}
	eps, err := store.Endpoints(e.App, false)
	if err != nil {
		return err
	}
	urls := map[string]string{}
	for _, ep := range eps {
		secret, err := ep.EndpointSecret()
		if err != nil {
			e.App.Logger().Warn("webhooks: secret unreadable", "endpoint", ep.ID, "error", err.Error())
			secret = "—"
		}
		v := views.WebhookEndpoint{ID: ep.ID, URL: ep.URL, Secret: secret, Events: strings.Fields(ep.Events), Active: ep.Active,
			IncludeContact: ep.IncludeContact}
		if errsFor == ep.ID {
			v.URL, v.Events, v.Active, v.IncludeContact = form.URL, form.Events, form.Active, form.IncludeContact
		}
		d.Endpoints = append(d.Endpoints, v)
		urls[ep.ID] = ep.URL
	}
	rows, err := store.RecentDeliveries(e.App, 100)
	if err != nil {
		return err
	}
	for _, r := range rows {
		d.Deliveries = append(d.Deliveries, views.WebhookDelivery{ID: r.ID, URL: urls[r.Endpoint], Event: string(r.Event), EventID: r.EventID,
			Status: string(r.Status), Error: r.LastError, Attempts: r.Attempts, LastStatus: r.LastStatus, Created: r.Created.Time(),
			Next: r.NextAttempt.Time()})
	}
	return render(e, status, views.WebhooksPage(d))
}

// parseWebhookForm reads an endpoint's form: its fields as posted and the messages of the bad ones.
func parseWebhookForm(e *core.RequestEvent) (views.WebhookEndpoint, []store.EventType, map[string]views.Msg, error) {
	if err := e.Request.ParseForm(); err != nil {
		return views.WebhookEndpoint{}, nil, nil, formError(err)
	}
	f := e.Request.PostForm
	form := views.WebhookEndpoint{URL: strings.TrimSpace(f.Get("url")), Active: f.Get("active") == "yes",
		IncludeContact: f.Get("include_contact") == "yes"}
	errs := map[string]views.Msg{}
	if !webhookURL(form.URL) {
		errs["url"] = views.M("admin.webhooks.url_bad")
	}
	var events []store.EventType
	for _, t := range store.EventTypes {
		if slices.Contains(f["events"], string(t)) {
			events = append(events, t)
			form.Events = append(form.Events, string(t))
		}
	}
	if len(events) == 0 {
		errs["events"] = views.M("admin.webhooks.events_none")
	}
	return form, events, errs, nil
}

// webhookURL reports whether s may be a webhook endpoint: an absolute https URL without user
// or fragment (http only to localhost, 127.0.0.1 and [::1], for trying it out).
func webhookURL(s string) bool {
	if s == "" || len(s) > 500 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Fragment != "" || u.Opaque != "" || u.Hostname() == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		ip := net.ParseIP(h)
		return h == "localhost" || ip != nil && ip.IsLoopback()
	}
	return false
}

// webhookAdd (owner) adds an endpoint with a new signing secret.
func (h *handlers) webhookAdd(e *core.RequestEvent) error {
	form, events, errs, err := parseWebhookForm(e)
	if err != nil {
		return err
	}
	if !store.WebhooksEnabled() {
		errs["url"] = views.M("admin.webhooks.need_key")
	}
	if len(errs) > 0 {
		return h.renderWebhooks(e, http.StatusUnprocessableEntity, form, errs, "")
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		id, err := store.AddEndpoint(tx, form.URL, events, form.Active, form.IncludeContact)
		if err != nil {
			return err
		}
		return h.staffAudit(tx, e, "webhook.added", "webhook_endpoints/"+id, webhookDetail(form))
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/webhooks?done=saved")
}

// webhookDetail is what the audit log keeps of an endpoint: never its secret.
func webhookDetail(f views.WebhookEndpoint) string {
	d := f.URL + " " + strings.Join(f.Events, ",")
	if !f.Active {
		d += " inactive"
	}
	if f.IncludeContact {
		d += " with guest contact"
	}
	return d
}

// webhookSave (owner) changes an endpoint's address, events and switches.
func (h *handlers) webhookSave(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if _, err := store.EndpointByID(e.App, id); err != nil {
		return notFound(err)
	}
	form, events, errs, err := parseWebhookForm(e)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return h.renderWebhooks(e, http.StatusUnprocessableEntity, form, errs, id)
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := store.UpdateEndpoint(tx, id, form.URL, events, form.Active, form.IncludeContact); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "webhook.changed", "webhook_endpoints/"+id, webhookDetail(form))
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/webhooks?done=saved")
}

// webhookRotate (owner) gives an endpoint a new signing secret.
func (h *handlers) webhookRotate(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if !store.WebhooksEnabled() {
		return h.renderWebhooks(e, http.StatusUnprocessableEntity, views.WebhookEndpoint{Active: true},
			map[string]views.Msg{"url": views.M("admin.webhooks.need_key")}, id)
	}
	err := e.App.RunInTransaction(func(tx core.App) error {
		if err := store.RotateEndpointSecret(tx, id); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "webhook.rotated", "webhook_endpoints/"+id, "")
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/webhooks?done=saved")
}

// webhookDelete (owner) deletes an endpoint and its deliveries.
func (h *handlers) webhookDelete(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	err := e.App.RunInTransaction(func(tx core.App) error {
		ep, err := store.EndpointByID(tx, id)
		if err != nil {
			return err
		}
		if err := store.DeleteEndpoint(tx, id); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "webhook.deleted", "webhook_endpoints/"+id, ep.URL)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/webhooks?done=saved")
}

// webhookRetry (owner) makes a pending or failed delivery due now, with a new round of tries.
func (h *handlers) webhookRetry(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := store.RetryDeliveryNow(e.App, id, h.now()); err != nil {
		if errors.Is(err, store.ErrAlreadySent) {
			return e.Redirect(http.StatusSeeOther, "/admin/webhooks")
		}
		return notFound(err)
	}
	if err := h.staffAudit(e.App, e, "webhook.retried", "webhook_deliveries/"+id, ""); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/webhooks?done=retry")
}
