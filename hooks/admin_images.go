package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/jobs"
	"reserva/internal/store"
	"reserva/views"
)

// The multipart form around an uploaded picture (boundaries, the alt text) takes at most this
// much beside the picture itself.
const imageFormSlack = 64 << 10

// imageUploadLimit is the route's body limit (PocketBase's, which refuses larger bodies with a
// bare 413 page). Bodies up to it are read, so that the browser, which is still sending, gets
// the settings page with a message beside the field rather than a reset connection.
const imageUploadLimit = 64 << 20

// maxAlt is the longest alt text the photo may have, in characters.
const maxAlt = 300

// imageSave (POST /admin/settings/images/{kind}, owner) stores the picture uploaded as field
// {kind}, in place of the one before, with the photo's alt text (field photo_alt); without a
// file it changes the photo's alt text alone. The type is sniffed from the bytes: a file that
// is not a JPEG, PNG or WebP is a 422, a file over the kind's limit a 413, both answered with
// the settings page and a message beside the field.
func (h *handlers) imageSave(e *core.RequestEvent) error {
	kind := e.Request.PathValue("kind")
	if !slices.Contains(store.ImageKinds, kind) {
		return notFound(nil)
	}
	v, err := h.venueOrUnavailable(e.App)
	if err != nil {
		return err
	}
	l := jobs.Locale(v)
	problem := func(err error) error {
		field, status, m := kind, http.StatusUnprocessableEntity, views.M("admin.image.type")
		switch {
		case errors.Is(err, errAltInvalid):
			field, m = kind+"_alt", views.M("err.text_invalid")
		case errors.Is(err, errNoImage):
			m = views.M("admin.image.missing")
		case errors.Is(err, store.ErrImageTooLarge):
			status, m = http.StatusRequestEntityTooLarge, views.M("admin.image.too_large", l.Size(store.MaxImageBytes(kind)))
		case errors.Is(err, store.ErrImagePixels):
			m = views.M("admin.image.pixels", store.MaxImageSide)
		case !errors.Is(err, store.ErrImageType):
			return err
		}
		return h.renderSettings(e, status, views.SettingsData{ImageErrors: map[string]views.Msg{field: m}, PhotoAlt: e.Request.PostForm.Get("photo_alt")})
	}
	data, alt, err := readImageForm(e.Request, kind, int64(store.MaxImageBytes(kind)+imageFormSlack))
	if _, big := errors.AsType[*http.MaxBytesError](err); big {
		return problem(store.ErrImageTooLarge)
	}
	if err != nil {
		return formError(err)
	}
	if kind == store.ImageLogo {
		alt = "" // the logo stands beside the venue's name, which says it all
	}
	if utf8.RuneCountInString(alt) > maxAlt || !cleanText(alt, false) {
		return problem(errAltInvalid)
	}
	if data == nil {
		// No file: the photo's alt text alone.
		if kind != store.ImagePhoto || v.Photo == nil {
			return problem(errNoImage)
		}
		if alt == v.Photo.Alt {
			return e.Redirect(http.StatusSeeOther, "/admin/settings?done=saved")
		}
		err := e.App.RunInTransaction(func(tx core.App) error {
			if err := store.SetImageAlt(tx, kind, alt); err != nil {
				return err
			}
			return h.imageAudit(tx, e, kind, "alt text changed")
		})
		if errors.Is(err, sql.ErrNoRows) {
			return problem(errNoImage)
		}
		if err != nil {
			return err
		}
		return e.Redirect(http.StatusSeeOther, "/admin/settings?done=saved")
	}
	// Checked before the transaction too, which then only writes.
	if _, err := store.InspectImage(kind, data); err != nil {
		return problem(err)
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		img, err := store.SaveImage(tx, kind, alt, data)
		if err != nil {
			return err
		}
		return h.imageAudit(tx, e, kind,
			fmt.Sprintf("uploaded %s, %d×%d pixels, %d bytes, sha256 %s", img.ContentType, img.Width, img.Height, img.Size, img.SHA256[:16]))
	})
	if err != nil {
		return problem(err)
	}
	return e.Redirect(http.StatusSeeOther, "/admin/settings?done=saved")
}

// imageAudit records a change of the venue's picture of kind in the audit log. The actions are
// written out, one per kind, as every audit action is.
func (h *handlers) imageAudit(tx core.App, e *core.RequestEvent, kind, detail string) error {
	if kind == store.ImageLogo {
		return h.staffAudit(tx, e, "settings.logo", "venue/logo", detail)
	}
	return h.staffAudit(tx, e, "settings.photo", "venue/photo", detail)
}

// Why an upload form is refused, beside store's ErrImage*.
var (
	errAltInvalid = errors.New("image: alt text too long or with control characters")
	errNoImage    = errors.New("image: no file chosen")
)

// readImageForm reads the upload form of a picture of kind: the file's bytes (nil when none
// was chosen) and the alt text. The body is read through a limit of limit bytes (an
// *http.MaxBytesError beyond it); what is left of a larger body is read and dropped, within
// the route's own limit, so that the browser, which is still sending, gets the answer. A form
// sent url-encoded has no file.
func readImageForm(r *http.Request, kind string, limit int64) ([]byte, string, error) {
	body := r.Body
	r.Body = http.MaxBytesReader(nil, body, limit)
	defer func() { _, _ = io.Copy(io.Discard, body) }()
	err := r.ParseMultipartForm(limit)
	if errors.Is(err, http.ErrNotMultipart) {
		return nil, strings.TrimSpace(r.PostForm.Get(kind + "_alt")), nil
	}
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	alt := strings.TrimSpace(r.PostForm.Get(kind + "_alt"))
	f, _, err := r.FormFile(kind)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, alt, nil
	}
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, "", err
	}
	if len(data) == 0 {
		return nil, alt, nil // a file input left empty sends an empty part
	}
	return data, alt, nil
}

// imageRemove (POST /admin/settings/images/{kind}/remove, owner) removes the picture of kind;
// removing one that is not there changes nothing.
func (h *handlers) imageRemove(e *core.RequestEvent) error {
	kind := e.Request.PathValue("kind")
	if !slices.Contains(store.ImageKinds, kind) {
		return notFound(nil)
	}
	err := e.App.RunInTransaction(func(tx core.App) error {
		if err := store.RemoveImage(tx, kind); err != nil {
			return err
		}
		return h.imageAudit(tx, e, kind, "removed")
	})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/admin/settings?done=image_removed")
}
