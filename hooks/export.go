package hooks

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/views"
)

// subjectQueries select, per collection of personalFields, the rows that belong to one person
// ({:e}: their address in lower case). Columns that hold only secrets' hashes are left out.
var subjectQueries = []struct{ collection, sql string }{
	{"customers", `SELECT * FROM customers WHERE email = {:e}`},
	{"bookings", `SELECT b.*, o.name AS offering_name FROM bookings b LEFT JOIN offerings o ON o.id = b.offering
		WHERE (b.email != '' AND lower(b.email) = {:e}) OR b.customer IN (SELECT id FROM customers WHERE email = {:e})
		ORDER BY b.start`},
	{"outbox", `SELECT * FROM outbox WHERE lower(to_email) = {:e} ORDER BY created`},
	{"visitor_links", `SELECT * FROM visitor_links WHERE email = {:e} ORDER BY created`},
	{"visitor_sessions", `SELECT * FROM visitor_sessions WHERE email = {:e} ORDER BY created`},
	{"gdpr_requests", `SELECT * FROM gdpr_requests WHERE subject = {:e} ORDER BY created`},
	{"participants", `SELECT p.* FROM participants p JOIN bookings b ON b.id = p.booking
		WHERE (b.email != '' AND lower(b.email) = {:e}) OR b.customer IN (SELECT id FROM customers WHERE email = {:e})
		ORDER BY p.created`},
	{"waitlist", `SELECT * FROM waitlist WHERE email = {:e} ORDER BY created`},
	{"walkins", `SELECT * FROM walkins WHERE email = {:e} ORDER BY added_at`},
	// Not personal data: the notices, word for word, that the person (or their guests) consented to.
	{"privacy_notices", `SELECT * FROM privacy_notices WHERE version IN (SELECT notice_version FROM bookings
		WHERE (email != '' AND lower(email) = {:e}) OR customer IN (SELECT id FROM customers WHERE email = {:e})) ORDER BY version`},
}

// exportLeftOut are columns never exported: hashes of tokens, which identify no one.
var exportLeftOut = []string{"token_hash", "offer_token_hash"}

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
}

// exportSubject gathers the export of email (lower-cased) at now.
func exportSubject(app core.App, v *venue, email string, now time.Time) (*subjectExport, error) {
	x := &subjectExport{Subject: email, Generated: now.UTC(), Venue: v.rec.GetString("name"), Data: map[string][]map[string]string{}}
	x.Notice.Version, x.Notice.Text = v.noticeVersion(), v.rec.GetString("privacy_notice")
	for _, q := range subjectQueries {
		rows, err := app.DB().NewQuery(q.sql).Bind(dbx.Params{"e": email}).Rows()
		if err != nil {
			return nil, fmt.Errorf("export: %s: %w", q.collection, err)
		}
		list := []map[string]string{}
		for rows.Next() {
			row := dbx.NullStringMap{}
			if err := rows.ScanMap(row); err != nil {
				rows.Close()
				return nil, fmt.Errorf("export: %s: %w", q.collection, err)
			}
			out := map[string]string{}
			for k, val := range row {
				if !slices.Contains(exportLeftOut, k) {
					out[k] = val.String
				}
			}
			if sealed := out["sensitive_notes"]; sealed != "" {
				// Their own special-category note, readable: the person is entitled to it.
				if plain, err := openSensitive(sealed); err == nil {
					out["sensitive_notes"] = plain
				} else {
					out["sensitive_notes"] = "(encrypted; the venue's key is needed to read it)"
				}
			}
			list = append(list, out)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("export: %s: %w", q.collection, err)
		}
		x.Data[q.collection] = list
	}
	return x, nil
}

// writeZip writes the export as a zip: data.json, and data.html to read in a browser.
func (x *subjectExport) writeZip(w io.Writer) error {
	js, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return err
	}
	var page bytes.Buffer
	if err := views.ExportDocument(x.view()).Render(context.Background(), &page); err != nil {
		return err
	}
	z := zip.NewWriter(w)
	for _, f := range []struct {
		name string
		body []byte
	}{{"data.json", js}, {"data.html", page.Bytes()}} {
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
	d := views.ExportData{Subject: x.Subject, Venue: x.Venue, Generated: x.Generated, NoticeVersion: x.Notice.Version,
		NoticeText: x.Notice.Text}
	for _, q := range subjectQueries {
		rows := x.Data[q.collection]
		s := views.ExportSection{Title: q.collection}
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
