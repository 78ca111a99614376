package store

import (
	"fmt"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// subjectQueries select, per collection of PersonalFields, the rows that belong to one person
// ({:e}: their address in lower case). Columns that hold only secrets' hashes are left out.
var subjectQueries = []struct{ collection, sql string }{
	{colCustomers, `SELECT * FROM customers WHERE email = {:e}`},
	{colBookings, `SELECT b.*, o.name AS offering_name FROM bookings b LEFT JOIN offerings o ON o.id = b.offering
		WHERE (b.email != '' AND lower(b.email) = {:e}) OR b.customer IN (SELECT id FROM customers WHERE email = {:e})
		ORDER BY b.start`},
	{colOutbox, `SELECT * FROM outbox WHERE lower(to_email) = {:e} ORDER BY created`},
	{colVisitorLinks, `SELECT * FROM visitor_links WHERE email = {:e} ORDER BY created`},
	{colVisitorSessions, `SELECT * FROM visitor_sessions WHERE email = {:e} ORDER BY created`},
	{colGDPRRequests, `SELECT * FROM gdpr_requests WHERE subject = {:e} ORDER BY created`},
	{colParticipants, `SELECT p.* FROM participants p JOIN bookings b ON b.id = p.booking
		WHERE (b.email != '' AND lower(b.email) = {:e}) OR b.customer IN (SELECT id FROM customers WHERE email = {:e})
		ORDER BY p.created`},
	{colSMSOutbox, `SELECT s.* FROM sms_outbox s JOIN bookings b ON b.id = s.booking
		WHERE (b.email != '' AND lower(b.email) = {:e}) OR b.customer IN (SELECT id FROM customers WHERE email = {:e})
		ORDER BY s.created`},
	{colPayments, `SELECT p.id, p.booking, p.kind, p.status, p.amount, p.currency, p.created, p.updated FROM payments p
		JOIN bookings b ON b.id = p.booking
		WHERE (b.email != '' AND lower(b.email) = {:e}) OR b.customer IN (SELECT id FROM customers WHERE email = {:e})
		ORDER BY p.created`},
	{colWaitlist, `SELECT * FROM waitlist WHERE email = {:e} ORDER BY created`},
	{colWalkins, `SELECT * FROM walkins WHERE email = {:e} ORDER BY added_at`},
	// Not personal data: the notices, word for word, that the person (or their guests) consented to.
	{colPrivacyNotices, `SELECT * FROM privacy_notices WHERE version IN (SELECT notice_version FROM bookings
		WHERE (email != '' AND lower(email) = {:e}) OR customer IN (SELECT id FROM customers WHERE email = {:e})) ORDER BY version`},
}

// exportLeftOut are columns never exported: hashes of tokens, which identify no one, and the
// sealed link a queued mail carries.
var exportLeftOut = []string{"token_hash", "offer_token_hash", "token"}

// ExportCollections are the collections of a person's export, in the order it lists them.
func ExportCollections() []string {
	out := make([]string, len(subjectQueries))
	for i, q := range subjectQueries {
		out[i] = q.collection
	}
	return out
}

// openForExport is a sealed note in clear for its person ("" stays ""), or a sentence saying
// it cannot be read without the venue's key.
func openForExport(sealed string) string {
	plain, err := OpenSensitive(sealed)
	if err != nil {
		return "(encrypted; the venue's key is needed to read it)"
	}
	return plain
}

// SubjectData gathers everything Reserva keeps about email (lower case): per collection, the
// person's rows, every column as text. Their own sensitive notes and their profile note (as
// "profile_note") are decrypted: the person is entitled to read them.
func SubjectData(app core.App, email string) (map[string][]map[string]string, error) {
	data := map[string][]map[string]string{}
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
				out["sensitive_notes"] = openForExport(sealed)
			}
			// The profile note is exported readable, under the name of what it holds.
			if sealed, ok := out["profile_note_sealed"]; ok {
				delete(out, "profile_note_sealed")
				out["profile_note"] = openForExport(sealed)
			}
			list = append(list, out)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("export: %s: %w", q.collection, err)
		}
		data[q.collection] = list
	}
	return data, nil
}
