//go:build integration

// The integration layer drives the real binary and real components that .ci/run installs and
// starts (internal/realtest). A missing component fails the test: nothing here is skipped.
package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"

	"reserva/internal/realtest"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// reservaBinary builds the reserva binary once per test run.
func reservaBinary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "reserva-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "reserva")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// instance is a running reserva process.
type instance struct {
	*realtest.Process
	URL string
	Dir string
}

// startReserva runs `reserva serve` on a free loopback port with a fresh data directory and
// env added to the test's environment, and waits until /healthz answers.
func startReserva(t testing.TB, env []string, args ...string) *instance {
	t.Helper()
	return startReservaIn(t, "", env, args...)
}

// startReservaIn is startReserva on the data directory dir (a fresh one when empty).
func startReservaIn(t testing.TB, dir string, env []string, args ...string) *instance {
	t.Helper()
	addr := realtest.FreeAddr(t)
	inst := runReserva(t, dir, env, append([]string{"serve", "--http", addr}, args...)...)
	inst.URL = "http://" + addr
	inst.WaitReady(t, func() error {
		res, err := http.Get(inst.URL + "/healthz")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz: %d", res.StatusCode)
		}
		return nil
	})
	return inst
}

// runReserva starts the reserva binary with args, --dir dir (a fresh one when empty) and env
// added to the test's environment. The process is killed when the test ends.
func runReserva(t testing.TB, dir string, env []string, args ...string) *instance {
	t.Helper()
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "pb_data")
	}
	cmd := exec.Command(reservaBinary(t), append(args, "--dir", dir)...)
	cmd.Env = append(os.Environ(), env...)
	return &instance{Process: realtest.Start(t, "reserva", cmd), Dir: dir}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// staffClient is a signed-in staff member's HTTP client (a cookie jar; redirects not followed).
type staffClient struct {
	base   string
	client *http.Client
}

// signInStaff signs in at /admin/login with a password (accounts without 2FA).
func signInStaff(t testing.TB, base, email, password string) *staffClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	must(t, err)
	c := &staffClient{base: base, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	res := c.post(t, "/admin/login", url.Values{"email": {email}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/" {
		t.Fatalf("sign-in as %s = %d → %s", email, res.StatusCode, res.Header.Get("Location"))
	}
	return c
}

func (c *staffClient) post(t testing.TB, path string, form url.Values) *http.Response {
	t.Helper()
	res, err := c.client.PostForm(c.base+path, form)
	must(t, err)
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// form reads the fields of the form marked data-testid=testID on the page at path, as a
// browser would send them unchanged: inputs (checkboxes and radios when checked), text areas,
// selects (the selected option).
func (c *staffClient) form(t testing.TB, path, testID string) url.Values {
	t.Helper()
	res, err := c.client.Get(c.base + path)
	must(t, err)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", path, res.StatusCode)
	}
	doc, err := html.Parse(res.Body)
	must(t, err)
	attr := func(n *html.Node, key string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val, true
			}
		}
		return "", false
	}
	var form *html.Node
	for n := range doc.Descendants() {
		if id, _ := attr(n, "data-testid"); n.Type == html.ElementNode && n.Data == "form" && id == testID {
			form = n
			break
		}
	}
	if form == nil {
		t.Fatalf("no form %q on %s", testID, path)
	}
	vals := url.Values{}
	for n := range form.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		name, ok := attr(n, "name")
		if !ok {
			continue
		}
		switch n.Data {
		case "input":
			typ, _ := attr(n, "type")
			_, checked := attr(n, "checked")
			if (typ == "checkbox" || typ == "radio") && !checked || typ == "submit" {
				continue
			}
			v, _ := attr(n, "value")
			vals.Add(name, v)
		case "textarea":
			var b strings.Builder
			for ch := range n.Descendants() {
				if ch.Type == html.TextNode {
					b.WriteString(ch.Data)
				}
			}
			vals.Add(name, b.String())
		case "select":
			first, chosen := "", ""
			for o := range n.Descendants() {
				if o.Type == html.ElementNode && o.Data == "option" {
					v, _ := attr(o, "value")
					if first == "" {
						first = v
					}
					if _, sel := attr(o, "selected"); sel && chosen == "" {
						chosen = v
					}
				}
			}
			if chosen == "" {
				chosen = first
			}
			vals.Add(name, chosen)
		}
	}
	return vals
}
