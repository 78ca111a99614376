package views

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The catalogs and the code agree: every message the code names exists in the default catalog
// (so in every catalog, TestCatalogsAgree), every message of the catalog is named by the code,
// and no key is built at run time ("status." + s): each is written out, so this test sees it.
func TestEveryKeyIsUsedAndExists(t *testing.T) {
	root := ".."
	var sources []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "pb_data" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		name := d.Name()
		if strings.HasSuffix(name, "_templ.go") || strings.HasSuffix(name, "_test.go") {
			return nil // generated from the .templ files; tests may name keys that do not exist
		}
		if strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".templ") {
			sources = append(sources, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := localeFiles.ReadFile("locales/" + DefaultLanguage + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var catalog map[string]json.RawMessage
	if err := json.Unmarshal(raw, &catalog); err != nil {
		t.Fatal(err)
	}

	literal := regexp.MustCompile(`"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)
	// A message named directly: T("key", M("key", Msg{Key: "key".
	named := regexp.MustCompile(`(?:\.T\(|\bM\(|Key: )"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)
	built := regexp.MustCompile(`(?:\.T\(|\bM\()"[a-z0-9_.]+" *\+|Sprintf\("[a-z_]+\.%`)
	used := map[string]bool{}
	for _, path := range sources {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
		for _, m := range named.FindAllStringSubmatch(string(src), -1) {
			if _, ok := catalog[m[1]]; !ok {
				t.Errorf("%s names the message %q, which no catalog has", path, m[1])
			}
		}
		for _, m := range built.FindAllString(string(src), -1) {
			t.Errorf("%s builds a message key at run time (%s): write each key out", path, m)
		}
	}
	if len(sources) < 50 || len(used) < 300 {
		t.Fatalf("read %d files and %d names: the walk no longer finds the source", len(sources), len(used))
	}
	var unused []string
	for key := range catalog {
		if !used[key] {
			unused = append(unused, key)
		}
	}
	slices.Sort(unused)
	for _, key := range unused {
		t.Errorf("the catalogs hold %q, which no code names", key)
	}
}
