package store

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/image/webp"
)

// colVenueImages holds the venue's pictures, their bytes included (base64), so that backups,
// which copy the database, carry them.
const colVenueImages = "venue_images"

// The kinds of picture a venue has, one of each at most.
const (
	ImagePhoto = "photo" // the cover photo of the home page
	ImageLogo  = "logo"  // beside the venue's name at the top of every visitor page
)

// ImageKinds are the kinds of picture, in the order the settings show them.
var ImageKinds = []string{ImagePhoto, ImageLogo}

// MaxImageBytes is the largest file accepted as a picture of kind: 2 MiB for the photo, 256 KiB
// for the logo, which every visitor page loads. 0 for an unknown kind.
func MaxImageBytes(kind string) int {
	switch kind {
	case ImagePhoto:
		return 2 << 20
	case ImageLogo:
		return 256 << 10
	}
	return 0
}

// MaxImageSide is the most pixels a picture may have on either side: a small file can describe
// a huge image, which every visitor's browser would have to unpack.
const MaxImageSide = 8000

// imageTypes are the accepted types, by the type http.DetectContentType sniffs, with the
// decoder of their header and their file name extension.
var imageTypes = map[string]struct {
	config func(io.Reader) (image.Config, error)
	ext    string
}{
	"image/jpeg": {jpeg.DecodeConfig, ".jpg"},
	"image/png":  {png.DecodeConfig, ".png"},
	"image/webp": {webp.DecodeConfig, ".webp"},
}

// The ways a picture is refused.
var (
	ErrImageKind     = errors.New("image: no such kind of picture")
	ErrImageTooLarge = errors.New("image: file too large")
	ErrImageType     = errors.New("image: not a JPEG, PNG or WebP picture")
	ErrImagePixels   = errors.New("image: too many pixels")
)

// Image is one of the venue's pictures, without its bytes.
type Image struct {
	Kind        string `db:"kind"`
	ContentType string `db:"content_type"` // sniffed from the bytes: image/jpeg, image/png or image/webp
	SHA256      string `db:"sha256"`       // of the bytes, hex
	Size        int    `db:"size"`         // bytes
	Width       int    `db:"width"`
	Height      int    `db:"height"`
	Alt         string `db:"alt"` // what it shows, for people who cannot see it; may be empty
}

// FileName is the picture's name in its URL: its kind, the first 16 hex digits of its hash and
// its type's extension ("photo-0123456789abcdef.jpg"). Other bytes get another name, so a
// browser may keep the file for good.
func (i *Image) FileName() string {
	ext := imageTypes[i.ContentType].ext
	return i.Kind + "-" + i.SHA256[:16] + ext
}

// InspectImage checks that data is a picture Reserva accepts as kind and describes it (Alt
// empty). The type is sniffed from the bytes, never taken from a file name: a JPEG, PNG or WebP
// whose header decodes as that type, at most MaxImageBytes(kind) long and MaxImageSide pixels
// on either side. It fails with ErrImageKind, ErrImageTooLarge, ErrImageType or ErrImagePixels.
func InspectImage(kind string, data []byte) (*Image, error) {
	if !slices.Contains(ImageKinds, kind) {
		return nil, fmt.Errorf("%w: %q", ErrImageKind, kind)
	}
	if len(data) > MaxImageBytes(kind) {
		return nil, fmt.Errorf("%w: %d bytes", ErrImageTooLarge, len(data))
	}
	typ := http.DetectContentType(data)
	t, ok := imageTypes[typ]
	if !ok || len(data) == 0 {
		return nil, fmt.Errorf("%w: sniffed %s", ErrImageType, typ)
	}
	cfg, err := t.config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrImageType, typ, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return nil, fmt.Errorf("%w: %d×%d", ErrImagePixels, cfg.Width, cfg.Height)
	}
	sum := sha256.Sum256(data)
	return &Image{Kind: kind, ContentType: typ, SHA256: hex.EncodeToString(sum[:]), Size: len(data),
		Width: cfg.Width, Height: cfg.Height}, nil
}

// SaveImage stores data as the venue's picture of kind with the alt text, in place of the one
// before, and returns it. data is checked with InspectImage first (its errors are returned), so
// nothing but a picture is ever stored. The change goes through the record, so the kept venue,
// the kept pictures and the kept pages follow.
func SaveImage(app core.App, kind, alt string, data []byte) (*Image, error) {
	img, err := InspectImage(kind, data)
	if err != nil {
		return nil, err
	}
	img.Alt = alt
	rec, err := app.FindFirstRecordByData(colVenueImages, "kind", kind)
	if errors.Is(err, sql.ErrNoRows) {
		col, cerr := app.FindCachedCollectionByNameOrId(colVenueImages)
		if cerr != nil {
			return nil, fmt.Errorf("image %s: %w", kind, cerr)
		}
		rec, err = core.NewRecord(col), nil
		rec.Set("kind", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", kind, err)
	}
	rec.Set("content_type", img.ContentType)
	rec.Set("sha256", img.SHA256)
	rec.Set("size", img.Size)
	rec.Set("width", img.Width)
	rec.Set("height", img.Height)
	rec.Set("alt", img.Alt)
	rec.Set("data", base64.StdEncoding.EncodeToString(data))
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("image %s: save: %w", kind, err)
	}
	return img, nil
}

// SetImageAlt changes the alt text of the picture of kind; sql.ErrNoRows when there is none.
func SetImageAlt(app core.App, kind, alt string) error {
	rec, err := app.FindFirstRecordByData(colVenueImages, "kind", kind)
	if err != nil {
		return errNotFound(err)
	}
	if rec.GetString("alt") == alt {
		return nil
	}
	rec.Set("alt", alt)
	if err := app.Save(rec); err != nil {
		return fmt.Errorf("image %s: save: %w", kind, err)
	}
	return nil
}

// RemoveImage deletes the picture of kind; sql.ErrNoRows when there is none.
func RemoveImage(app core.App, kind string) error {
	rec, err := app.FindFirstRecordByData(colVenueImages, "kind", kind)
	if err != nil {
		return errNotFound(err)
	}
	if err := app.Delete(rec); err != nil {
		return fmt.Errorf("image %s: delete: %w", kind, err)
	}
	return nil
}

const imageColumns = "kind, content_type, sha256, size, width, height, alt"

// Images reads the venue's pictures without their bytes, by kind (none: an empty map).
func Images(app core.App) (map[string]*Image, error) {
	var rows []*Image
	if err := app.DB().NewQuery("SELECT " + imageColumns + " FROM " + colVenueImages).All(&rows); err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	out := make(map[string]*Image, len(rows))
	for _, r := range rows {
		out[r.Kind] = r
	}
	return out, nil
}

// ImageData reads the picture of kind with its bytes; sql.ErrNoRows when there is none.
// Store.ImageData keeps them in memory.
func ImageData(app core.App, kind string) (*Image, []byte, error) {
	var row struct {
		Image
		Data string `db:"data"`
	}
	err := app.DB().NewQuery("SELECT " + imageColumns + ", data FROM " + colVenueImages + " WHERE kind = {:k}").
		Bind(dbx.Params{"k": kind}).One(&row)
	if err != nil {
		return nil, nil, errNotFound(err)
	}
	data, err := base64.StdEncoding.DecodeString(row.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("image %s: %w", kind, err)
	}
	img := row.Image
	return &img, data, nil
}

// keptImage is a picture kept in memory with its bytes; nil data: there is none.
type keptImage struct {
	img  Image
	data []byte
}

// ImageData is the package's ImageData, kept in memory outside transactions until a picture
// changes (absence is kept too). The bytes returned are shared: callers must not change them.
func (s *Store) ImageData(app core.App, kind string) (*Image, []byte, error) {
	if app.IsTransactional() {
		return ImageData(app, kind)
	}
	if m := s.images.Load(); m != nil {
		if k, ok := (*m)[kind]; ok {
			if k.data == nil {
				return nil, nil, sql.ErrNoRows
			}
			img := k.img
			return &img, k.data, nil
		}
	}
	gen := s.imagesGen.Load()
	img, data, err := ImageData(app, kind)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, err
	}
	k := keptImage{}
	if img != nil {
		k = keptImage{img: *img, data: data}
	}
	s.imagesMu.Lock()
	// A read that began before a change keeps nothing: it may hold the picture before it.
	if s.imagesGen.Load() == gen {
		m := map[string]keptImage{}
		if old := s.images.Load(); old != nil {
			m = maps.Clone(*old)
		}
		m[kind] = k
		s.images.Store(&m)
	}
	s.imagesMu.Unlock()
	return img, data, err
}

// dropImages forgets the kept pictures (a picture changed).
func (s *Store) dropImages() {
	s.imagesMu.Lock()
	s.imagesGen.Add(1)
	s.images.Store(nil)
	s.imagesMu.Unlock()
}
