package hooks

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/store"
	"reserva/views"
)

// apiKeysPage (owner) lists the API keys with their scopes, when each was made and last used.
func (h *handlers) apiKeysPage(e *core.RequestEvent) error {
	return h.renderAPIKeys(e, http.StatusOK, views.APIKeyForm{Scopes: []string{string(store.ScopeBookingsRead)}}, nil, "", "")
}

func (h *handlers) renderAPIKeys(e *core.RequestEvent, status int, form views.APIKeyForm, errs map[string]views.Msg, newKey, newName string) error {
	d := views.APIKeysData{AdminPage: h.adminPage(e, views.M("admin.apikeys.title")), Form: form, Errors: errs, NewKey: newKey, NewKeyName: newName}
	for _, s := range store.Scopes {
		d.Scopes = append(d.Scopes, string(s))
	}
	keys, err := store.APIKeys(e.App)
	if err != nil {
		return err
	}
	v, verr := h.st.Venue(e.App)
	for _, k := range keys {
		row := views.APIKeyRow{ID: k.ID, Name: k.Name, PublicID: k.PublicID, Scopes: strings.Fields(k.Scopes), Created: k.Created.Time(),
			LastUsed: k.LastUsed.Time(), Revoked: k.RevokedAt.Time()}
		if verr == nil { // times as the venue reads them
			row.Created = row.Created.In(v.Loc)
			if !row.LastUsed.IsZero() {
				row.LastUsed = row.LastUsed.In(v.Loc)
			}
			if !row.Revoked.IsZero() {
				row.Revoked = row.Revoked.In(v.Loc)
			}
		}
		d.Keys = append(d.Keys, row)
	}
	return render(e, status, views.APIKeysPage(d))
}

// apiKeyAdd (owner) makes a key with a name and at least one scope, and shows it this once:
// the answer is the page itself (200, never cached), since a redirect would have to carry the
// key in its address. Only the hash of its secret is stored.
func (h *handlers) apiKeyAdd(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return formError(err)
	}
	f := e.Request.PostForm
	form := views.APIKeyForm{Name: cleanName(f.Get("name"))}
	errs := map[string]views.Msg{}
	if form.Name == "" || utf8.RuneCountInString(form.Name) > 80 || !cleanText(form.Name, false) {
		errs["name"] = views.M("admin.apikeys.name_bad")
	}
	var scopes []store.Scope
	for _, s := range store.Scopes {
		for _, posted := range f["scopes"] {
			if posted == string(s) {
				scopes = append(scopes, s)
				form.Scopes = append(form.Scopes, string(s))
				break
			}
		}
	}
	if len(scopes) == 0 {
		errs["scopes"] = views.M("admin.apikeys.scopes_none")
	}
	if len(errs) > 0 {
		return h.renderAPIKeys(e, http.StatusUnprocessableEntity, form, errs, "", "")
	}
	var plain string
	err := e.App.RunInTransaction(func(tx core.App) error {
		by := ""
		if s := staffOf(e); s != nil {
			by = s.Id
		}
		k, key, err := store.AddAPIKey(tx, form.Name, scopes, by)
		if err != nil {
			return err
		}
		plain = key
		// The key's name and scopes, never the key.
		return h.staffAudit(tx, e, "api_key.created", "api_keys/"+k.ID, form.Name+" "+k.Scopes)
	})
	if err != nil {
		return err
	}
	return h.renderAPIKeys(e, http.StatusOK, views.APIKeyForm{Scopes: []string{string(store.ScopeBookingsRead)}}, nil, plain, form.Name)
}

// apiKeyRevoke (owner) revokes a key: every later request with it is refused (401).
func (h *handlers) apiKeyRevoke(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	err := e.App.RunInTransaction(func(tx core.App) error {
		k, err := store.APIKeyByID(tx, id)
		if err != nil {
			return err
		}
		if k.Revoked() {
			return nil
		}
		if err := store.RevokeAPIKey(tx, id, h.now()); err != nil {
			return err
		}
		return h.staffAudit(tx, e, "api_key.revoked", "api_keys/"+id, k.Name)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(err)
	}
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/api-keys?done=api_key_revoked")
}
