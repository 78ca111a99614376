package views

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"reserva/internal/booking"
)

// Every text a visitor reads lives in locales/<language>.json: a second language is a new file.
// A message is either a string (a fmt format, explicit argument indexes allowed: "%[2]s") or an
// object of plural cases keyed "one", "other", "=0", … selected by the first argument.
//
//go:embed locales/*.json
var localeFiles embed.FS

// Msg is a message key with its arguments, for texts decided by a handler and rendered by a view.
type Msg struct {
	Key  string
	Args []any
}

// M builds a Msg.
func M(key string, args ...any) Msg { return Msg{Key: key, Args: args} }

// IsZero reports whether m holds no message.
func (m Msg) IsZero() bool { return m.Key == "" }

// Locale renders messages, dates and times in one language.
type Locale struct {
	tag     language.Tag
	printer *message.Printer
	keys    map[string]struct{}
	clock12 bool
}

type localeSet struct {
	byTag   map[language.Tag]*Locale
	matcher language.Matcher
	tags    []language.Tag
	byName  sync.Map // NewLocale's answers by the name asked for: matching a name costs more than a page's other work
	// MatchLanguage's answers by Accept-Language header, and how many were kept.
	byAccept sync.Map
	accepted atomic.Int64
}

var (
	localesMu sync.Mutex
	locales   atomic.Pointer[localeSet] // nil until first used; LoadOverrides replaces it
)

// DefaultLanguage is the language used when a venue names none or one without a catalog.
const DefaultLanguage = "en"

// loadLocales builds the catalogs from the embedded files, with over (by language file name,
// "de", then key) in place of their own messages.
func loadLocales(over map[string]map[string]json.RawMessage) (*localeSet, error) {
	names, err := fs.Glob(localeFiles, "locales/*.json")
	if err != nil {
		return nil, fmt.Errorf("locale: list: %w", err)
	}
	b := catalog.NewBuilder(catalog.Fallback(language.MustParse(DefaultLanguage)))
	set := &localeSet{byTag: map[language.Tag]*Locale{}}
	for _, name := range names {
		raw, err := localeFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("locale: read %s: %w", name, err)
		}
		tag, err := language.Parse(strings.TrimSuffix(path.Base(name), ".json"))
		if err != nil {
			return nil, fmt.Errorf("locale: %s: %w", name, err)
		}
		var msgs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &msgs); err != nil {
			return nil, fmt.Errorf("locale: parse %s: %w", name, err)
		}
		for key, value := range over[strings.TrimSuffix(path.Base(name), ".json")] {
			msgs[key] = value
		}
		keys := make(map[string]struct{}, len(msgs))
		for key, value := range msgs {
			if err := setMessage(b, tag, key, value); err != nil {
				return nil, fmt.Errorf("locale: %s: %q: %w", name, key, err)
			}
			keys[key] = struct{}{}
		}
		set.tags = append(set.tags, tag)
		set.byTag[tag] = &Locale{tag: tag, keys: keys}
	}
	// The default language goes first: the matcher falls back to its first tag.
	def := language.MustParse(DefaultLanguage)
	if _, ok := set.byTag[def]; !ok {
		return nil, fmt.Errorf("locale: no catalog for the default language %q", DefaultLanguage)
	}
	slices.SortFunc(set.tags, func(a, b language.Tag) int {
		switch {
		case a == def:
			return -1
		case b == def:
			return 1
		}
		return strings.Compare(a.String(), b.String())
	})
	set.matcher = language.NewMatcher(set.tags)
	for tag, l := range set.byTag {
		l.printer = message.NewPrinter(tag, message.Catalog(b))
		l.clock12 = l.T("format.clock") == "12"
	}
	return set, nil
}

func setMessage(b *catalog.Builder, tag language.Tag, key string, value json.RawMessage) error {
	var text string
	if err := json.Unmarshal(value, &text); err == nil {
		return b.SetString(tag, key, text)
	}
	var cases map[string]string
	if err := json.Unmarshal(value, &cases); err != nil {
		return fmt.Errorf("want a string or an object of plural cases: %w", err)
	}
	if _, ok := cases["other"]; !ok {
		return fmt.Errorf("plural message without an \"other\" case")
	}
	selectors := make([]string, 0, len(cases))
	for sel := range cases {
		selectors = append(selectors, sel)
	}
	// "other" matches everything, so it must come last; exact cases ("=0") before forms.
	slices.SortFunc(selectors, func(a, b string) int {
		rank := func(s string) int {
			switch {
			case s == "other":
				return 2
			case strings.HasPrefix(s, "="), strings.HasPrefix(s, "<"):
				return 0
			}
			return 1
		}
		if c := rank(a) - rank(b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	args := make([]any, 0, 2*len(selectors))
	for _, sel := range selectors {
		args = append(args, sel, cases[sel])
	}
	return b.Set(tag, key, plural.Selectf(1, "%d", args...))
}

// Preload builds the catalogs now instead of on the first page that needs them (about 9 MB of
// allocations and 12 ms for six languages): the server calls it as it starts.
func Preload() { mustLocales() }

// Languages lists the languages that have a catalog, the default first.
func Languages() []string { return tagNames(mustLocales().tags) }

func mustLocales() *localeSet {
	if set := locales.Load(); set != nil {
		return set
	}
	localesMu.Lock()
	defer localesMu.Unlock()
	if set := locales.Load(); set != nil {
		return set
	}
	set, err := loadLocales(nil)
	if err != nil {
		// The catalogs are embedded in the binary and checked by tests: failing here is a build defect.
		panic(err)
	}
	locales.Store(set)
	return set
}

// LoadOverrides reads a venue's own wording from dir: files named like the catalogs (de.json),
// each an object of the keys to reword, a message of the same kind (text or plural cases) with
// the same format verbs as the built-in one. From then on every page and mail uses them. A
// missing dir is not an error; a bad file is, naming the file and the key, and changes nothing.
// It returns the files it read.
func LoadOverrides(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("locale overrides: %w", err)
	}
	if len(names) == 0 {
		return nil, nil
	}
	builtIn, err := loadLocales(nil)
	if err != nil {
		return nil, err
	}
	over := map[string]map[string]json.RawMessage{}
	for _, name := range names {
		lang := strings.TrimSuffix(filepath.Base(name), ".json")
		tag, err := language.Parse(lang)
		if err != nil || builtIn.byTag[tag] == nil || tag.String() != lang {
			return nil, fmt.Errorf("locale overrides: %s: no built-in catalog is called %q (there are %s)", name, lang,
				strings.Join(tagNames(builtIn.tags), ", "))
		}
		raw, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("locale overrides: %w", err)
		}
		var msgs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &msgs); err != nil {
			return nil, fmt.Errorf("locale overrides: %s is not a JSON object of messages: %w", name, err)
		}
		own, err := catalogFile(lang)
		if err != nil {
			return nil, err
		}
		for _, key := range slices.Sorted(maps.Keys(msgs)) {
			want, ok := own[key]
			if !ok {
				return nil, fmt.Errorf("locale overrides: %s: %q is not a message of Reserva's catalogs", name, key)
			}
			got := msgs[key]
			if err := sameShape(got, want); err != nil {
				return nil, fmt.Errorf("locale overrides: %s: %q: %w", name, key, err)
			}
		}
		over[lang] = msgs
	}
	set, err := loadLocales(over)
	if err != nil {
		return nil, fmt.Errorf("locale overrides: %w", err)
	}
	localesMu.Lock()
	locales.Store(set)
	localesMu.Unlock()
	return names, nil
}

// catalogFile is the built-in catalog of language lang, key by key.
func catalogFile(lang string) (map[string]json.RawMessage, error) {
	raw, err := localeFiles.ReadFile("locales/" + lang + ".json")
	if err != nil {
		return nil, fmt.Errorf("locale: %s: %w", lang, err)
	}
	var msgs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &msgs); err != nil {
		return nil, fmt.Errorf("locale: parse %s: %w", lang, err)
	}
	return msgs, nil
}

// sameShape reports how message got differs from want in kind (text or plural cases) or in the
// format verbs it fills in; nil when it may stand in for it.
func sameShape(got, want json.RawMessage) error {
	gotText, gotErr := messageText(got)
	wantText, wantErr := messageText(want)
	switch {
	case gotErr != nil:
		return gotErr
	case wantErr != nil:
		return wantErr
	case isPlural(got) != isPlural(want) && isPlural(want):
		return fmt.Errorf("want plural cases (an object with at least \"other\"), as the built-in message has")
	case isPlural(got) != isPlural(want):
		return fmt.Errorf("want a text, as the built-in message is")
	}
	if g, w := Verbs(gotText), Verbs(wantText); g != w {
		return fmt.Errorf("fills in %q, the built-in message %q: keep the same %%-verbs", g, w)
	}
	return nil
}

func isPlural(raw json.RawMessage) bool {
	t := strings.TrimSpace(string(raw))
	return strings.HasPrefix(t, "{")
}

// messageText is a message's text: itself, or its "other" case.
func messageText(raw json.RawMessage) (string, error) {
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		return text, nil
	}
	var cases map[string]string
	if err := json.Unmarshal(raw, &cases); err != nil {
		return "", fmt.Errorf("want a text or an object of plural cases")
	}
	other, ok := cases["other"]
	if !ok {
		return "", fmt.Errorf("plural cases without \"other\"")
	}
	return other, nil
}

// fmtVerb is a formatting verb of a message: %s, %d, %[2]s, %02[1]d.
var (
	fmtVerb  = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*[a-zA-Z%]`)
	verbArgN = regexp.MustCompile(`\[(\d+)\]`)
)

// Verbs lists the format verbs of a message text by argument, sorted ("%[1]s %[2]d"): a
// translation may place them in another order, but must fill in the same ones.
func Verbs(text string) string {
	verbs := fmtVerb.FindAllString(text, -1)
	next := 1
	out := verbs[:0]
	for _, v := range verbs {
		if v == "%%" {
			continue
		}
		if !strings.Contains(v, "[") { // an implicit argument: the next one
			v = v[:1] + "[" + strconv.Itoa(next) + "]" + v[1:]
		}
		if m := verbArgN.FindStringSubmatch(v); m != nil {
			n, _ := strconv.Atoi(m[1])
			next = n + 1
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func tagNames(tags []language.Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.String()
	}
	return out
}

// MatchLanguage is the catalog that best serves an Accept-Language header ("de" for
// "de-AT,de;q=0.9,en;q=0.5"), or "" when none of its languages has one.
func MatchLanguage(accept string) string {
	if accept == "" {
		return ""
	}
	set := mustLocales()
	if l, ok := set.byAccept.Load(accept); ok {
		return l.(string)
	}
	lang := ""
	if tags, _, err := language.ParseAcceptLanguage(accept); err == nil && len(tags) > 0 {
		if _, i, conf := set.matcher.Match(tags...); conf >= language.High {
			lang = set.tags[i].String()
		}
	}
	// Browsers send few distinct headers: the answers are kept, up to a bound (the header is the
	// client's to choose).
	if len(accept) <= 200 && set.accepted.Add(1) <= 4096 {
		set.byAccept.Store(accept, lang)
	}
	return lang
}

// HasLanguage reports whether code is the name of a catalog ("de"; not "de-AT", not "xx").
func HasLanguage(code string) bool {
	for _, t := range mustLocales().tags {
		if t.String() == code {
			return true
		}
	}
	return false
}

// NewLocale returns the catalog that best matches a BCP 47 language name such as "en-GB";
// an unknown or empty name gets the default language.
func NewLocale(name string) *Locale {
	set := mustLocales()
	if l, ok := set.byName.Load(name); ok {
		return l.(*Locale)
	}
	l := set.byTag[set.tags[0]]
	if tag, err := language.Parse(name); err == nil {
		if _, i, conf := set.matcher.Match(tag); conf != language.No {
			l = set.byTag[set.tags[i]]
		}
	}
	if len(name) <= 35 { // names come from settings and headers: keep only those that can be stored
		set.byName.Store(name, l)
	}
	return l
}

// LanguageName is how the language of catalog code names itself ("English", "Deutsch"): each
// catalog holds its own name.
func LanguageName(code string) string { return NewLocale(code).T("language.name") }

// Lang is the language's BCP 47 name, for the page's lang attribute.
func (l *Locale) Lang() string { return l.tag.String() }

// Has reports whether the catalog holds key.
func (l *Locale) Has(key string) bool {
	_, ok := l.keys[key]
	return ok
}

// T renders the message key with args. NB! A key missing from the catalog renders as
// "⟦key⟧" so that tests and reviewers spot it; it never fails a page.
func (l *Locale) T(key string, args ...any) string {
	if !l.Has(key) {
		return "⟦" + key + "⟧"
	}
	return l.printer.Sprintf(key, args...)
}

// M renders a Msg.
func (l *Locale) M(m Msg) string { return l.T(m.Key, m.Args...) }

// Date renders the local date of t, e.g. "Tuesday 24 November 2026".
func (l *Locale) Date(t time.Time) string {
	// The year is passed as text: numbers are formatted with the locale's digit grouping ("2,026").
	return l.T("format.date", l.weekday(t.Weekday()), t.Day(), l.month(t.Month()), strconv.Itoa(t.Year()))
}

// ShortDate renders the local date of t without the year, e.g. "Tue 24 Nov".
func (l *Locale) ShortDate(t time.Time) string {
	return l.T("format.date_short", l.T(weekdayShortKeys[t.Weekday()]), t.Day(),
		l.T(monthShortKeys[t.Month()-1]))
}

// Time renders the local wall-clock time of t, e.g. "19:30" or "7:30 PM".
func (l *Locale) Time(t time.Time) string {
	if !l.clock12 {
		return l.T("format.time", t.Hour(), t.Minute())
	}
	h := t.Hour() % 12
	if h == 0 {
		h = 12
	}
	if t.Hour() < 12 {
		return l.T("format.time_am", h, t.Minute())
	}
	return l.T("format.time_pm", h, t.Minute())
}

// TimeZone renders t's time with its zone abbreviation, e.g. "02:30 CEST": used where a local
// time occurs twice (a DST fall-back night) so the visitor sees which one.
func (l *Locale) TimeZone(t time.Time) string {
	name, _ := t.Zone()
	return l.Time(t) + " " + name
}

// Clock renders the wall-clock time of an opening rule, e.g. "18:00"; a time past 24:00
// (after midnight) reads as the next day's clock: 25:00 is "01:00".
func (l *Locale) Clock(c booking.Clock) string {
	m := (int(c)%(24*60) + 24*60) % (24 * 60)
	return l.Time(time.Date(2000, 1, 1, m/60, m%60, 0, 0, time.UTC))
}

// Spans renders opening or closed spans as "12:00–15:00, 18:00–01:00" (a time after midnight
// as the next day's clock).
func (l *Locale) Spans(spans []booking.Span) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = l.T("home.hours_span", l.Clock(s.Open), l.Clock(s.Close))
	}
	return strings.Join(parts, ", ")
}

// Weekdays are the days of the week in the locale's order: from the first day of its week
// ("format.week_start", 0 for Sunday, 1 for Monday).
func (l *Locale) Weekdays() []time.Weekday {
	first, err := strconv.Atoi(l.T("format.week_start"))
	if err != nil || first < 0 || first > 6 {
		first = int(time.Monday)
	}
	days := make([]time.Weekday, 7)
	for i := range days {
		days[i] = time.Weekday((first + i) % 7)
	}
	return days
}

// Size renders a file size in binary units, as the upload limits are: "340 KB", "1.4 MB".
func (l *Locale) Size(n int) string {
	if n < 1<<20 {
		return l.T("format.kilobytes", (n+1023)>>10)
	}
	return l.T("format.megabytes", math.Round(float64(n)/(1<<20)*10)/10)
}

func (l *Locale) weekday(d time.Weekday) string { return l.T(weekdayKeys[d]) }
func (l *Locale) month(m time.Month) string     { return l.T(monthKeys[m-1]) }
