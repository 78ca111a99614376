package views

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"testing"
	"time"
)

func TestLocaleMessages(t *testing.T) {
	l := NewLocale("en-GB")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// The first 02:30 of the fall-back night (time.Date would not say which one it picks).
	at := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).In(berlin)
	tests := []struct{ got, want string }{
		{l.Lang(), "en"},
		{l.T("party.count", 1), "1 person"},
		{l.T("party.count", 2), "2 people"},
		{l.T("offering.duration", 120), "120 minutes"},
		{l.T("err.party_large", 8), "The largest party for this is 8 people. For larger groups, please contact the venue."},
		{l.T("err.party_small", 1), "The smallest party for this is 1 person."},
		{l.Date(at), "Sunday 25 October 2026"},
		{l.ShortDate(at), "Sun 25 Oct"},
		{l.Time(at), "02:30"},
		{l.TimeZone(at), "02:30 CEST"},
		{l.TimeZone(at.Add(time.Hour)), "02:30 CET"},
		{Span(l, at, at.Add(2*time.Hour), true), "Sunday 25 October 2026, 02:30 CEST–03:30 CET"},
		{Span(l, at, at.Add(time.Hour), true), "Sunday 25 October 2026, 02:30 CEST–02:30 CET"},
		{Span(l, at.Add(-time.Hour), at.Add(time.Hour), false), "Sunday 25 October 2026, 01:30 CEST–02:30 CET"},
		{Span(l, at.Add(2*time.Hour), at.Add(4*time.Hour), false), "Sunday 25 October 2026, 03:30–05:30"},
		{l.Clock(18 * 60), "18:00"},
		{l.Clock(25*60 + 30), "01:30"},
		{l.Clock(24 * 60), "00:00"},
		{l.Size(1000), "1 KB"},
		{l.Size(256 << 10), "256 KB"},
		{l.Size(2 << 20), "2 MB"},
		{l.Size(1468006), "1.4 MB"},
		{fmt.Sprint(l.Weekdays()), "[Monday Tuesday Wednesday Thursday Friday Saturday Sunday]"},
		{l.T("no.such.key"), "⟦no.such.key⟧"},
		{LanguageName("en"), "English"},
		{Days(l, 1), "1 day"},
		{Days(l, 30), "30 days"},
		{Days(l, 548), "548 days (about 18 months)"},
		{Days(l, 90), "90 days (about 3 months)"},
		{NewLocale("xx-unknown").Lang(), "en"},
		{NewLocale("").Lang(), "en"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestCatalogsAgree keeps every language file complete: the same keys as the default one, and
// the same kind of message (text or plural cases) for each.
func TestCatalogsAgree(t *testing.T) {
	names, err := fs.Glob(localeFiles, "locales/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no catalogs: %v", err)
	}
	load := func(name string) map[string]json.RawMessage {
		raw, err := localeFiles.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	def := load("locales/" + DefaultLanguage + ".json")
	for _, name := range names {
		other := load(name)
		for _, k := range slices.Sorted(maps.Keys(def)) {
			v, ok := other[k]
			if !ok {
				t.Errorf("%s lacks %q", name, k)
				continue
			}
			if (v[0] == '{') != (def[k][0] == '{') {
				t.Errorf("%s: %q is a different kind of message than in the default catalog", name, k)
				continue
			}
			if got, want := verbsOf(t, v), verbsOf(t, def[k]); got != want {
				t.Errorf("%s: %q fills in %s, the default catalog %s", name, k, got, want)
			}
		}
		for k := range other {
			if _, ok := def[k]; !ok {
				t.Errorf("%s has %q, unknown to the default catalog", name, k)
			}
		}
	}
}

// verbsOf lists the verbs of a message (its "other" case when it has plural cases).
func verbsOf(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	text, err := messageText(raw)
	if err != nil {
		t.Fatalf("not a message: %s", raw)
	}
	return Verbs(text)
}

func TestTelURL(t *testing.T) {
	if got := TelURL("+49 (30) 123-4567"); got != "tel:+49301234567" {
		t.Errorf("TelURL = %q", got)
	}
}
