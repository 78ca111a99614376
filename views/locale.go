package views

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
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
}

var (
	locales     *localeSet
	localesErr  error
	localesOnce sync.Once
)

// DefaultLanguage is the language used when a venue names none or one without a catalog.
const DefaultLanguage = "en"

func loadLocales() (*localeSet, error) {
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

// Languages lists the languages that have a catalog, the default first.
func Languages() []string {
	set := mustLocales()
	out := make([]string, len(set.tags))
	for i, t := range set.tags {
		out[i] = t.String()
	}
	return out
}

func mustLocales() *localeSet {
	localesOnce.Do(func() { locales, localesErr = loadLocales() })
	if localesErr != nil {
		// The catalogs are embedded in the binary and checked by tests: failing here is a build defect.
		panic(localesErr)
	}
	return locales
}

// NewLocale returns the catalog that best matches a BCP 47 language name such as "en-GB";
// an unknown or empty name gets the default language.
func NewLocale(name string) *Locale {
	set := mustLocales()
	if tag, err := language.Parse(name); err == nil {
		_, i, conf := set.matcher.Match(tag)
		if conf != language.No {
			return set.byTag[set.tags[i]]
		}
	}
	return set.byTag[set.tags[0]]
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
	return l.T("format.date_short", l.T(fmt.Sprintf("weekday_short.%d", t.Weekday())), t.Day(),
		l.T(fmt.Sprintf("month_short.%d", t.Month())))
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

func (l *Locale) weekday(d time.Weekday) string { return l.T(fmt.Sprintf("weekday.%d", d)) }
func (l *Locale) month(m time.Month) string     { return l.T(fmt.Sprintf("month.%d", m)) }
