package hooks

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"reserva/internal/store"
	"reserva/views"
)

// subjectExport is everything Reserva keeps about one person.
type subjectExport struct {
	Subject   string    `json:"subject"`
	Generated time.Time `json:"generated"`
	Venue     string    `json:"venue"`
	// Notice is the privacy notice in force now; each booking names the version consented to.
	Notice struct {
		Version int    `json:"version"`
		Text    string `json:"text"`
	} `json:"privacy_notice"`
	// Data holds the person's rows of each collection, every column as text.
	Data map[string][]map[string]string `json:"data"`
	// l is the language of the readable copy (data.html).
	l *views.Locale
}

// exportSubject gathers the export of email (lower-cased) at now, its readable copy in l.
func exportSubject(app core.App, v *store.Venue, l *views.Locale, email string, now time.Time) (*subjectExport, error) {
	data, err := store.SubjectData(app, email)
	if err != nil {
		return nil, err
	}
	x := &subjectExport{Subject: email, Generated: now.UTC(), Venue: v.Name, Data: data, l: l}
	x.Notice.Version, x.Notice.Text = v.NoticeVersion(), v.PrivacyNotice
	return x, nil
}

// writeZipDownload sends the export as a zip download named name.
func writeZipDownload(e *core.RequestEvent, name string, x *subjectExport) error {
	e.Response.Header().Set("Content-Type", "application/zip")
	e.Response.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.WriteHeader(http.StatusOK)
	return x.writeZip(e.Response)
}

// writeZip writes the export as a zip: data.json, and data.html to read in a browser.
func (x *subjectExport) writeZip(w io.Writer) error {
	js, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return err
	}
	var doc bytes.Buffer
	if err := views.ExportDocument(x.view()).Render(context.Background(), &doc); err != nil {
		return err
	}
	z := zip.NewWriter(w)
	for _, f := range []struct {
		name string
		body []byte
	}{{"data.json", js}, {"data.html", doc.Bytes()}} {
		fw, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: x.Generated})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.body); err != nil {
			return err
		}
	}
	return z.Close()
}

// view is the export as tables, one per collection, columns in a stable order.
func (x *subjectExport) view() views.ExportData {
	d := views.ExportData{L: x.l, Subject: x.Subject, Venue: x.Venue, Generated: x.Generated, NoticeVersion: x.Notice.Version,
		NoticeText: x.Notice.Text}
	for _, collection := range store.ExportCollections() {
		rows := x.Data[collection]
		s := views.ExportSection{Title: x.l.Name(views.ExportSectionNames, collection)}
		for _, row := range rows {
			for k := range row {
				if !slices.Contains(s.Columns, k) {
					s.Columns = append(s.Columns, k)
				}
			}
		}
		slices.Sort(s.Columns)
		for _, row := range rows {
			cells := make([]string, len(s.Columns))
			for i, c := range s.Columns {
				cells[i] = row[c]
			}
			s.Rows = append(s.Rows, cells)
		}
		d.Sections = append(d.Sections, s)
	}
	return d
}
