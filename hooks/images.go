package hooks

import (
	"bytes"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/store"
)

// imagePath is where the venue's pictures are served (GET /images/{file}).
const imagePath = "/images/"

// image (GET /images/{file}) serves one of the venue's pictures from memory. The file name
// carries the hash of the picture's bytes (store.Image.FileName), so one name is one content
// for good: browsers may keep it a year. Another name, a replaced or removed picture's
// included, is a 404. The type sent is the one sniffed when the picture was uploaded, with
// nosniff, so a browser never reads the bytes as anything but that image.
func (h *handlers) image(e *core.RequestEvent) error {
	name := e.Request.PathValue("file")
	kind, _, _ := strings.Cut(name, "-")
	if !slices.Contains(store.ImageKinds, kind) {
		return notFound(nil)
	}
	img, data, err := h.st.ImageData(e.App, kind)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(nil)
	}
	if err != nil {
		return err
	}
	if img.FileName() != name {
		return notFound(nil)
	}
	hd := e.Response.Header()
	hd.Set("Content-Type", img.ContentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", `"`+img.SHA256[:32]+`"`)
	// ServeContent answers HEAD, If-None-Match and ranges; the type set above is kept.
	http.ServeContent(e.Response, e.Request, name, time.Time{}, bytes.NewReader(data))
	return nil
}
