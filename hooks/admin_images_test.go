package hooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"
	"golang.org/x/image/webp"

	"reserva/internal/backup"
	"reserva/internal/booking"
	"reserva/internal/jobs"
	"reserva/internal/store"
)

// testPicture is a w×h picture with a gradient, so encoders have something to encode.
func testPicture(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: uint8(x * 255 / max(w, 1)), G: uint8(y * 255 / max(h, 1)), B: 160, A: 255})
		}
	}
	return img
}

func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testPicture(w, h), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testPicture(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testWebP is a complete 1×1 lossless WebP of one colour, written by hand (the standard
// library and x/image only decode WebP): the VP8L header, then no transform, no colour cache,
// no meta codes, and five "simple" prefix codes of one symbol each, so the pixel takes no bits.
func testWebP(t testing.TB) []byte {
	t.Helper()
	var bits []bool
	put := func(v uint, n int) {
		for i := range n {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	put(0x2f, 8)                                       // VP8L signature
	put(0, 14)                                         // width - 1
	put(0, 14)                                         // height - 1
	put(0, 1)                                          // alpha unused
	put(0, 3)                                          // version
	put(0, 1)                                          // no transform
	put(0, 1)                                          // no colour cache
	put(0, 1)                                          // no meta prefix codes
	for _, v := range []uint{0x70, 0x20, 0xa0, 0xff} { // green, red, blue, alpha
		put(1, 1) // simple code
		put(0, 1) // one symbol
		put(1, 1) // of 8 bits
		put(v, 8)
	}
	put(1, 1) // distance: simple code, one symbol of 1 bit
	put(0, 1)
	put(0, 1)
	put(0, 1)
	payload := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		if b {
			payload[i/8] |= 1 << (i % 8)
		}
	}
	if len(payload)%2 == 1 {
		payload = append(payload, 0) // RIFF chunks have an even length
	}
	var f bytes.Buffer
	f.WriteString("RIFF")
	_ = binary.Write(&f, binary.LittleEndian, uint32(4+8+len(payload)))
	f.WriteString("WEBPVP8L")
	_ = binary.Write(&f, binary.LittleEndian, uint32(len(payload)))
	f.Write(payload)
	img, err := webp.Decode(bytes.NewReader(f.Bytes()))
	if err != nil || img.Bounds().Dx() != 1 {
		t.Fatalf("the test WebP does not decode: %v", err)
	}
	return f.Bytes()
}

// upload posts the picture upload form of kind as the browser does (multipart), with the file
// part named fileName and typed partType (what a browser claims; the server sniffs), and the
// extra fields.
func (s *testServer) upload(t testing.TB, cookie, kind, fileName, partType string, data []byte, fields ...string) response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if data != nil {
		hdr := textproto.MIMEHeader{}
		hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, kind, fileName))
		hdr.Set("Content-Type", partType)
		part, err := w.CreatePart(hdr)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/admin/settings/images/"+kind, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Cookie", cookie)
	return s.serve(req)
}

// imageURL is the URL a picture with these bytes is served at.
func imageURL(kind, ext string, data []byte) string {
	sum := sha256.Sum256(data)
	return "/images/" + kind + "-" + hex.EncodeToString(sum[:])[:16] + ext
}

func TestSettingsPhotoUpload(t *testing.T) {
	t.Parallel()
	photo, logo, webpLogo := testJPEG(t, 640, 400), testPNG(t, 120, 40), testWebP(t)
	tests := []struct {
		name           string
		kind, fileName string
		partType       string
		data           []byte
		fields         []string
		want           int
		wantURL        string // served after the upload ("" when refused)
		wantType       string
		msg            string // shown when refused
	}{
		{name: "a JPEG photo with its alt text", kind: "photo", fileName: "terrace.jpg", partType: "image/jpeg", data: photo,
			fields: []string{"photo_alt", "The terrace at dusk"}, want: http.StatusSeeOther, wantURL: imageURL("photo", ".jpg", photo), wantType: "image/jpeg"},
		{name: "a PNG logo", kind: "logo", fileName: "logo.png", partType: "image/png", data: logo,
			want: http.StatusSeeOther, wantURL: imageURL("logo", ".png", logo), wantType: "image/png"},
		{name: "a WebP logo", kind: "logo", fileName: "logo.webp", partType: "image/webp", data: webpLogo,
			want: http.StatusSeeOther, wantURL: imageURL("logo", ".webp", webpLogo), wantType: "image/webp"},
		{name: "the type is sniffed, not taken from the name", kind: "photo", fileName: "photo.png", partType: "application/octet-stream",
			data: photo, want: http.StatusSeeOther, wantURL: imageURL("photo", ".jpg", photo), wantType: "image/jpeg"},
		{name: "HTML named as a JPEG", kind: "photo", fileName: "photo.jpg", partType: "image/jpeg",
			data: []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), want: http.StatusUnprocessableEntity,
			msg: "is not a JPEG, PNG or WebP picture"},
		{name: "a GIF", kind: "photo", fileName: "photo.gif", partType: "image/gif", data: []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
			want: http.StatusUnprocessableEntity, msg: "is not a JPEG, PNG or WebP picture"},
		{name: "an SVG", kind: "logo", fileName: "logo.svg", partType: "image/svg+xml",
			data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), want: http.StatusUnprocessableEntity,
			msg: "is not a JPEG, PNG or WebP picture"},
		{name: "a PNG signature over rubbish", kind: "photo", fileName: "photo.png", partType: "image/png",
			data: append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("x"), 100)...), want: http.StatusUnprocessableEntity,
			msg: "is not a JPEG, PNG or WebP picture"},
		{name: "too many pixels", kind: "photo", fileName: "wide.png", partType: "image/png", data: testPNG(t, store.MaxImageSide+1, 1),
			want: http.StatusUnprocessableEntity, msg: "more than 8,000 pixels on one side"},
		{name: "a photo of 3 MB (more than the form may carry)", kind: "photo", fileName: "big.jpg", partType: "image/jpeg",
			data: append(bytes.Clone(photo), make([]byte, 3<<20)...), want: http.StatusRequestEntityTooLarge, msg: "larger than 2 MB"},
		{name: "a photo just over 2 MB (inside the form's slack)", kind: "photo", fileName: "big.jpg", partType: "image/jpeg",
			data: append(bytes.Clone(photo), make([]byte, 2<<20-len(photo)+1)...), want: http.StatusRequestEntityTooLarge, msg: "larger than 2 MB"},
		{name: "a logo over 256 KB", kind: "logo", fileName: "logo.png", partType: "image/png",
			data: append(bytes.Clone(logo), make([]byte, 256<<10)...), want: http.StatusRequestEntityTooLarge, msg: "larger than 256 KB"},
		{name: "no file and no photo yet", kind: "photo", fields: []string{"photo_alt", "Our room"}, want: http.StatusUnprocessableEntity,
			msg: "Please choose a picture to upload."},
		{name: "an alt text with control characters", kind: "photo", fileName: "p.jpg", partType: "image/jpeg", data: photo,
			fields: []string{"photo_alt", "bell\x07"}, want: http.StatusUnprocessableEntity, msg: "unusual characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			cookie, _ := s.signedIn(t, "owner")
			res := s.upload(t, cookie, tt.kind, tt.fileName, tt.partType, tt.data, tt.fields...)
			if res.status != tt.want {
				t.Fatalf("upload = %d, want %d\n%s", res.status, tt.want, snippet(res.body))
			}
			if tt.want != http.StatusSeeOther {
				field := tt.kind
				if tt.msg == "unusual characters" {
					field = "photo_alt"
				}
				mustContain(t, "the settings page", res.body, tt.msg, `id="`+field+`-error"`, `aria-invalid="true"`)
				if n := s.count(t, "venue_images", dbx.NewExp("1=1")); n != 0 {
					t.Errorf("a refused upload stored %d pictures", n)
				}
				return
			}
			if loc := res.header.Get("Location"); loc != "/admin/settings?done=saved" {
				t.Errorf("Location = %q", loc)
			}
			got := s.get(t, tt.wantURL)
			if got.status != http.StatusOK || got.body != string(tt.data) {
				t.Fatalf("GET %s = %d, %d bytes, want the %d bytes uploaded", tt.wantURL, got.status, len(got.body), len(tt.data))
			}
			for name, want := range map[string]string{"Content-Type": tt.wantType, "X-Content-Type-Options": "nosniff",
				"Cache-Control": "public, max-age=31536000, immutable"} {
				if v := got.header.Get(name); v != want {
					t.Errorf("GET %s: %s = %q, want %q", tt.wantURL, name, v, want)
				}
			}
			if n := s.count(t, "audit_log", dbx.HashExp{"action": "settings." + tt.kind, "target": "venue/" + tt.kind}); n != 1 {
				t.Errorf("%d audit entries for the upload, want 1", n)
			}
		})
	}
}

func TestSettingsPhotoAccessAndRemoval(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	photo, logo := testJPEG(t, 800, 500), testPNG(t, 90, 30)
	owner, _ := s.signedIn(t, "owner")
	manager, _ := s.signedIn(t, "manager")
	photoURL, logoURL := imageURL("photo", ".jpg", photo), imageURL("logo", ".png", logo)

	// Only the owner changes the pictures.
	for _, role := range []string{"manager", ""} {
		cookie := map[string]string{"manager": manager}[role]
		if res := s.upload(t, cookie, "photo", "p.jpg", "image/jpeg", photo); res.status != http.StatusForbidden {
			t.Errorf("upload as %q = %d, want 403", role, res.status)
		}
		if res := s.as(t, cookie, http.MethodPost, "/admin/settings/images/photo/remove", url.Values{}); res.status != http.StatusForbidden {
			t.Errorf("remove as %q = %d, want 403", role, res.status)
		}
	}
	if res := s.upload(t, owner, "banner", "p.jpg", "image/jpeg", photo); res.status != http.StatusNotFound {
		t.Errorf("upload of an unknown kind = %d, want 404", res.status)
	}

	// A booking page kept before the logo must not be served after it.
	if res := s.get(t, "/book/dinner?date=2026-11-27&party=2"); res.status != http.StatusOK || strings.Contains(res.body, "venue-logo") {
		t.Fatalf("booking page before the logo: %d", res.status)
	}
	for kind, data := range map[string][]byte{"photo": photo, "logo": logo} {
		if res := s.upload(t, owner, kind, kind+".img", "image/x-whatever", data, "photo_alt", "The dining room"); res.status != http.StatusSeeOther {
			t.Fatalf("upload %s = %d\n%s", kind, res.status, snippet(res.body))
		}
	}
	mustContain(t, "booking page after the logo", s.get(t, "/book/dinner?date=2026-11-27&party=2").body,
		`<img class="logo" src="`+logoURL+`" alt="" width="90" height="30"`)
	home := s.get(t, "/").body
	mustContain(t, "home with the pictures", home, `src="`+photoURL+`" alt="The dining room" width="800" height="500"`,
		`src="`+logoURL+`"`)
	settings := s.as(t, owner, http.MethodGet, "/admin/settings", nil).body
	mustContain(t, "settings with the pictures", settings, photoURL, logoURL, "800 × 500 pixels", `value="The dining room"`,
		`action="/admin/settings/images/photo/remove"`, `action="/admin/settings/images/logo/remove"`)

	// The alt text alone (no file; the browser sends an empty file part).
	if res := s.upload(t, owner, "photo", "", "application/octet-stream", []byte{}, "photo_alt", "Candles on the tables"); res.status != http.StatusSeeOther {
		t.Fatalf("alt text change = %d\n%s", res.status, snippet(res.body))
	}
	mustContain(t, "home after the alt text", s.get(t, "/").body, `src="`+photoURL+`" alt="Candles on the tables"`)
	// An empty alt text falls back to the venue's name.
	if res := s.as(t, owner, http.MethodPost, "/admin/settings/images/photo", url.Values{"photo_alt": {""}}); res.status != http.StatusSeeOther {
		t.Fatalf("empty alt text = %d", res.status)
	}
	mustContain(t, "home without an alt text", s.get(t, "/").body, `src="`+photoURL+`" alt="Demo Bistro &amp; Pottery"`)

	// A replaced photo gets a new URL; the old one is gone.
	other := testJPEG(t, 400, 300)
	if res := s.upload(t, owner, "photo", "new.jpg", "image/jpeg", other); res.status != http.StatusSeeOther {
		t.Fatalf("replace = %d", res.status)
	}
	if res := s.get(t, photoURL); res.status != http.StatusNotFound {
		t.Errorf("the replaced photo's URL = %d, want 404", res.status)
	}
	if res := s.get(t, imageURL("photo", ".jpg", other)); res.status != http.StatusOK {
		t.Errorf("the new photo = %d", res.status)
	}
	photoURL = imageURL("photo", ".jpg", other)

	// Removal: the pages drop the pictures and their URLs answer 404; removing again is fine.
	for _, kind := range []string{"photo", "logo", "photo"} {
		res := s.as(t, owner, http.MethodPost, "/admin/settings/images/"+kind+"/remove", url.Values{})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/settings?done=image_removed" {
			t.Errorf("remove %s = %d to %q", kind, res.status, res.header.Get("Location"))
		}
	}
	for _, u := range []string{photoURL, logoURL, "/images/photo-", "/images/nothing.jpg", "/images/photo-0123456789abcdef.jpg"} {
		if res := s.get(t, u); res.status != http.StatusNotFound {
			t.Errorf("GET %s after removal = %d, want 404", u, res.status)
		}
	}
	home = s.get(t, "/").body
	mustNotContain(t, "home after removal", home, "/images/", "venue-photo", "venue-logo")
	mustNotContain(t, "booking page after removal", s.get(t, "/book/dinner?date=2026-11-27&party=2").body, "venue-logo")
	mustContain(t, "settings after removal", s.as(t, owner, http.MethodGet, "/admin/settings?done=image_removed", nil).body,
		"The picture has been removed.", "No photo yet.", "No logo yet.")
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "settings.photo", "detail": "removed"}); n != 1 {
		t.Errorf("%d audit entries of the photo's removal, want 1", n)
	}
}

func TestSettingsPhotoServing(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner, _ := s.signedIn(t, "owner")
	photo := testJPEG(t, 320, 200)
	if res := s.upload(t, owner, "photo", "p.jpg", "image/jpeg", photo); res.status != http.StatusSeeOther {
		t.Fatalf("upload = %d", res.status)
	}
	u := imageURL("photo", ".jpg", photo)
	first := s.get(t, u)
	etag := first.header.Get("ETag")
	if etag == "" || first.header.Get("Content-Security-Policy") == "" {
		t.Errorf("headers: %v", first.header)
	}
	// Revalidation and HEAD answer without the body.
	if res := s.do(t, http.MethodGet, u, nil, "If-None-Match", etag); res.status != http.StatusNotModified || res.body != "" {
		t.Errorf("If-None-Match = %d with %d bytes, want 304", res.status, len(res.body))
	}
	if res := s.do(t, http.MethodHead, u, nil); res.status != http.StatusOK || res.body != "" || res.header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("HEAD = %d, %q, %d bytes", res.status, res.header.Get("Content-Type"), len(res.body))
	}
	// The same hash with another extension, or another kind, is not the picture.
	for _, bad := range []string{strings.TrimSuffix(u, ".jpg") + ".png", strings.Replace(u, "photo-", "logo-", 1), u + "x"} {
		if res := s.get(t, bad); res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", bad, res.status)
		}
	}
}

func TestHomeShowsVenueDetailsAndHours(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// The demo dinner opens Tuesday to Sunday 17:00–23:00; a late bar runs past midnight on
	// Fridays, and a lunch on Tuesdays overlaps nothing.
	bar := s.addOffering(t, store.Offering{Name: "Late bar", Slug: "bar", Kind: booking.KindSlot, Duration: 60, Interval: 30, Capacity: 10,
		Mode: booking.ModePeople, MinParty: 1, MaxParty: 4, Horizon: 30, Active: true, Sort: 3}, "22:00", "23:00")
	if _, err := s.app.DB().NewQuery("DELETE FROM opening_hours WHERE offering = {:o} AND weekday != 5").Bind(dbx.Params{"o": bar.ID}).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.DB().NewQuery("UPDATE opening_hours SET closes = '25:00' WHERE offering = {:o}").Bind(dbx.Params{"o": bar.ID}).Execute(); err != nil {
		t.Fatal(err)
	}
	dinner := s.offering(t, "dinner")
	if _, err := store.AddHours(s.app, dinner.ID, mustHours(t, 2, "12:00", "14:30")); err != nil {
		t.Fatal(err)
	}
	res := s.get(t, "/")
	if res.status != http.StatusOK {
		t.Fatalf("home = %d", res.status)
	}
	body := res.body
	mustContain(t, "home", body, `data-testid="venue-address">Beispielstraße 1, 10115 Berlin</p>`,
		`href="tel:+49301234567"`, "Opening hours")
	day := regexp.MustCompile(`(?s)<div(?: class="today" aria-current="date")? data-testid="hours-(\d)"><dt>([^<]*)</dt><dd>(.*?)</dd></div>`)
	var got []string
	for _, m := range day.FindAllStringSubmatch(body, -1) {
		got = append(got, m[2]+" "+strings.Join(strings.Fields(strings.ReplaceAll(m[3], "<br>", " & ")), " "))
	}
	want := []string{"Monday Closed", "Tuesday 12:00–14:30 & 17:00–23:00", "Wednesday 17:00–23:00", "Thursday 17:00–23:00",
		"Friday 17:00–01:00", "Saturday 17:00–23:00", "Sunday 17:00–23:00"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("opening hours:\n%s\nwant (Monday first, the bar's 22:00–01:00 joined with the dinner's Friday):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// testNow is a Tuesday in Berlin.
	mustContain(t, "today", body, `<div class="today" aria-current="date" data-testid="hours-2">`)
	if strings.Count(body, `aria-current="date"`) != 1 {
		t.Errorf("more than one day is today")
	}
	// A venue without a photo keeps the single column; the offerings follow the details.
	mustNotContain(t, "home without a photo", body, "with-photo", "<img")
	if i, j := strings.Index(body, `data-testid="hours"`), strings.Index(body, `data-testid="offering-dinner"`); i < 0 || j < i {
		t.Errorf("the offerings do not follow the opening hours")
	}
}

func mustHours(t testing.TB, wd int, opens, closes string) booking.Hours {
	t.Helper()
	o, err1 := booking.ParseClock(opens)
	c, err2 := booking.ParseClock(closes)
	if err1 != nil || err2 != nil {
		t.Fatalf("hours %s–%s", opens, closes)
	}
	return booking.Hours{Weekday: time.Weekday(wd), Open: o, Close: c}
}

// TestVenuePhotoBackup: the pictures are in the database, so a backup carries them and a
// restore brings them back byte for byte; changing one makes the next backup necessary.
func TestVenuePhotoBackup(t *testing.T) {
	t.Parallel()
	s, keyFile := backupServer(t, true)
	owner, _ := s.signedIn(t, "owner")
	photo := testJPEG(t, 1200, 800)
	if res := s.upload(t, owner, "photo", "p.jpg", "image/jpeg", photo, "photo_alt", "The garden"); res.status != http.StatusSeeOther {
		t.Fatalf("upload = %d", res.status)
	}
	snap, err := s.jobs.TakeBackup(s.now)
	if err != nil || snap.Skipped {
		t.Fatalf("backup = %+v, %v", snap, err)
	}
	if snap.Manifest.Rows["venue_images"] != 1 {
		t.Errorf("the manifest counts %d pictures", snap.Manifest.Rows["venue_images"])
	}
	ids, err := backup.LoadIdentities(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "pb_data")
	if _, err := jobs.RestoreInto(filepath.Join(s.jobs.BackupConfig().Dir, snap.Manifest.File), &snap.Manifest, ids, restored); err != nil {
		t.Fatalf("restore: %v", err)
	}
	again, err := tests.NewTestApp(restored)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Cleanup()
	img, data, err := store.ImageData(again, store.ImagePhoto)
	if err != nil || !bytes.Equal(data, photo) || img.Alt != "The garden" || img.ContentType != "image/jpeg" || img.Width != 1200 {
		t.Fatalf("restored photo: %+v, %d bytes, %v", img, len(data), err)
	}

	// Unchanged: the next run skips. A new photo, then its removal, each make a backup necessary.
	if snap, err := s.jobs.TakeBackup(s.now.Add(5 * time.Minute)); err != nil || !snap.Skipped {
		t.Errorf("unchanged data: %+v, %v; want a skip", snap, err)
	}
	if res := s.upload(t, owner, "photo", "p.jpg", "image/jpeg", testJPEG(t, 600, 400)); res.status != http.StatusSeeOther {
		t.Fatalf("replace = %d", res.status)
	}
	if snap, err := s.jobs.TakeBackup(s.now.Add(10 * time.Minute)); err != nil || snap.Skipped {
		t.Errorf("after a new photo: %+v, %v; want a backup", snap, err)
	}
	if res := s.as(t, owner, http.MethodPost, "/admin/settings/images/photo/remove", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("remove = %d", res.status)
	}
	if snap, err := s.jobs.TakeBackup(s.now.Add(15 * time.Minute)); err != nil || snap.Skipped {
		t.Errorf("after removing the photo: %+v, %v; want a backup", snap, err)
	}
}
