//go:build integration

package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// tab drives one chromium tab through a flow: each step fails the test at once, naming itself.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// step fails the test when err is set.
func (b tab) step(name string, err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
}

// text is the text of the first element sel selects.
func (b tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	b.step("read "+sel, err)
	return s
}

// submit clicks a button or link and waits for the page it leads to, returning its status.
func (b tab) submit(sel string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	b.step("click "+sel, err)
	return res.Status
}

// click is submit for a page that must answer 200.
func (b tab) click(sel string) {
	b.t.Helper()
	if st := b.submit(sel); st != http.StatusOK {
		b.t.Fatalf("click %s: page answered %d", sel, st)
	}
}
