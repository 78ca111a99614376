package views

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMatchLanguage(t *testing.T) {
	for _, tt := range []struct{ accept, want string }{
		{"en-US,en;q=0.9", "en"},
		{"en-GB", "en"},
		{"", ""},
		{"xx-YY", ""},
		{"pl,ru;q=0.8", ""},
		{"not a header;;", ""},
	} {
		if got := MatchLanguage(tt.accept); got != tt.want {
			t.Errorf("MatchLanguage(%q) = %q, want %q", tt.accept, got, tt.want)
		}
	}
	if !HasLanguage("en") || HasLanguage("en-GB") || HasLanguage("xx") || HasLanguage("") {
		t.Error("HasLanguage names exactly the catalogs")
	}
}

// A venue's own wording is read from files beside its data, checked against the built-in
// catalogs; a bad file is refused with the file and the key named, and changes nothing.
func TestLoadOverrides(t *testing.T) {
	t.Cleanup(func() { locales.Store(nil) }) // the built-in catalogs again for the other tests
	write := func(dir, name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	builtIn := NewLocale("en").T("book.submit")
	if files, err := LoadOverrides(filepath.Join(t.TempDir(), "none")); err != nil || len(files) != 0 {
		t.Fatalf("no directory: %v, %v", files, err)
	}
	for _, tt := range []struct{ name, file, body, want string }{
		{"unknown key", "en.json", `{"no.such.key": "x"}`, `"no.such.key" is not a message`},
		{"a verb lost", "en.json", `{"change.no_room": "No room."}`, `keep the same %-verbs`},
		{"a verb changed", "en.json", `{"change.no_room": "No room for %[1]s."}`, `keep the same %-verbs`},
		{"text for plural cases", "en.json", `{"party.count": "%d guests"}`, `want plural cases`},
		{"no other case", "en.json", `{"party.count": {"one": "%d guest"}}`, `without "other"`},
		{"not JSON", "en.json", `{"book.submit": `, `not a JSON object`},
		{"unknown language", "xx.json", `{}`, `no built-in catalog is called "xx"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(dir, tt.file, tt.body)
			_, err := LoadOverrides(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.file) {
				t.Fatalf("LoadOverrides = %v, want an error naming %s and saying %q", err, tt.file, tt.want)
			}
			if got := NewLocale("en").T("book.submit"); got != builtIn {
				t.Errorf("a refused file changed the wording: %q", got)
			}
		})
	}

	dir := t.TempDir()
	write(dir, "en.json", `{"book.submit": "Reserve the table", "party.count": {"one": "%d guest", "other": "%d guests"},
		"change.no_room": "Not enough room for %[1]d at that time."}`)
	files, err := LoadOverrides(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("LoadOverrides = %v, %v", files, err)
	}
	l := NewLocale("en")
	for _, tt := range []struct{ got, want string }{
		{l.T("book.submit"), "Reserve the table"},
		{l.T("party.count", 1), "1 guest"},
		{l.T("party.count", 4), "4 guests"},
		{l.T("change.no_room", 9), "Not enough room for 9 at that time."},
		{l.T("change.title"), "Change your booking"}, // not overridden: the built-in wording
	} {
		if tt.got != tt.want {
			t.Errorf("with overrides: %q, want %q", tt.got, tt.want)
		}
	}
	if builtIn == "Reserve the table" {
		t.Error("the built-in wording was already the override's")
	}
}
