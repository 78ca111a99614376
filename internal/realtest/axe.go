//go:build integration

package realtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeEnv names the variable that holds the path of axe-core's axe.min.js. The repository holds
// no copy of axe-core: .ci/run downloads the pinned version from the npm registry, checks it
// against the registry's sha512 integrity and sets the variable.
const AxeEnv = "RESERVA_AXE_JS"

// AxeVersion is the axe-core release the accessibility test runs, so that a result does not
// change with the machine. A newer release is adopted by changing it here and in .ci/run.
const AxeVersion = "4.14.1"

// axeHowTo is how to get the file, printed when it is missing.
const axeHowTo = `get axe-core ` + AxeVersion + ` from the npm registry and point ` + AxeEnv + ` at it:

  axe_dir=$(mktemp -d)
  curl -fsSL https://registry.npmjs.org/axe-core/-/axe-core-` + AxeVersion + `.tgz | tar -xz -C "$axe_dir" package/axe.min.js
  export ` + AxeEnv + `="$axe_dir/package/axe.min.js"

(.ci/run does this and also checks the tarball against the registry's sha512 integrity)`

// AxeSource reads axe.min.js from the path in RESERVA_AXE_JS. A missing variable or file, or
// another release than AxeVersion, fails the test: the accessibility check is never skipped.
func AxeSource(t testing.TB) string {
	t.Helper()
	path := os.Getenv(AxeEnv)
	if path == "" {
		t.Fatalf("%s is not set: the accessibility test needs axe-core.\nTo %s", AxeEnv, axeHowTo)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v\nTo %s", AxeEnv, err, axeHowTo)
	}
	src := string(b)
	if head, _, _ := strings.Cut(src, "\n"); !strings.Contains(head, "axe v"+AxeVersion) {
		t.Fatalf("%s (%s) is not axe-core %s: its first line is %.60q.\nTo %s", AxeEnv, path, AxeVersion, head, axeHowTo)
	}
	return src
}

// AxeNode is one element that breaks a rule.
type AxeNode struct {
	// Target is axe's selector of the element (nested arrays inside frames or shadow roots).
	Target  json.RawMessage `json:"target"`
	HTML    string          `json:"html"`
	Summary string          `json:"summary"`
}

// AxeRule is one rule's result with the elements it applies to.
type AxeRule struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []AxeNode `json:"nodes"`
}

// AxeResult is what axe.run reports for a page.
type AxeResult struct {
	Version    string    `json:"version"`
	URL        string    `json:"url"`
	Violations []AxeRule `json:"violations"`
	// Incomplete are the checks axe could not decide ("needs review"); informational.
	Incomplete []AxeRule `json:"incomplete"`
}

// axeRun runs axe on the whole document (violations only, the default rule set) and returns a
// plain JSON-able summary of the result.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(r => {
  const rules = list => list.map(v => ({id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary || ''}))}));
  return {version: axe.version, url: r.url, violations: rules(r.violations), incomplete: rules(r.incomplete)};
})`

// RunAxe injects axe-core (source, from AxeSource) into the page of ctx unless it is already
// there, runs it and returns the result. The script is evaluated through the DevTools protocol:
// the page's own Content-Security-Policy (no scripts at all) stays as it is and no request is
// made for it.
func RunAxe(ctx context.Context, source string) (AxeResult, error) {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		return AxeResult{}, fmt.Errorf("look for axe: %w", err)
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](source+"\n;void 0")); err != nil {
			return AxeResult{}, fmt.Errorf("inject axe: %w", err)
		}
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[AxeResult](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return AxeResult{}, fmt.Errorf("axe.run: %w", err)
	}
	if res.Version != AxeVersion {
		return res, fmt.Errorf("axe.run ran axe-core %q, want %s", res.Version, AxeVersion)
	}
	return res, nil
}
