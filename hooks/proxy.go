package hooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxy is the reverse proxy Reserva runs behind, as `reserva serve --trusted-proxy` says.
// Only a peer whose own address is in Nets may tell the client's address (in Header) and that
// the client came over HTTPS (X-Forwarded-Proto: https); from anyone else both headers are
// ignored. The server's handler is wrapped (trust) before anything reads an address, so
// PocketBase's RealIP, its logs and rate limits, Reserva's limits, the staff and superuser
// allow-lists all see the same client.
//
// PocketBase's own setting (trusted proxy headers, stored in the database) believed the
// header from every peer and outlived the flag that set it; Reserva empties it on every start
// and refuses it in PocketBase's settings API (see register).
type Proxy struct {
	Nets   []netip.Prefix
	Header string // the client's address; X-Forwarded-For unless told otherwise
}

// DefaultProxyHeader is the header a trusted proxy sets unless --trusted-proxy-header says.
const DefaultProxyHeader = "X-Forwarded-For"

// Set configures p from the command line: nets is a comma-separated list of the proxy's own
// addresses or networks, header the header carrying the client's address.
func (p *Proxy) Set(nets, header string) error {
	parsed, err := ParseNets(nets)
	if err != nil {
		return fmt.Errorf("--trusted-proxy: %w", err)
	}
	header = strings.TrimSpace(header)
	switch {
	case len(parsed) == 0 && header != "":
		return errors.New("--trusted-proxy-header needs --trusted-proxy (the addresses of your proxy): " +
			"without them anyone could set the header and pass for any address")
	case len(parsed) > 0 && header == "":
		header = DefaultProxyHeader
	}
	if header != "" && strings.EqualFold(header, "X-Forwarded-Proto") {
		return errors.New("--trusted-proxy-header: X-Forwarded-Proto carries the scheme, not the client's address")
	}
	p.Nets, p.Header = parsed, http.CanonicalHeaderKey(header)
	return nil
}

// On reports whether a proxy is trusted at all.
func (p *Proxy) On() bool { return p != nil && len(p.Nets) > 0 }

// String describes the setting for the dashboard: the proxy's networks and the header.
func (p *Proxy) String() string {
	if !p.On() {
		return ""
	}
	nets := make([]string, len(p.Nets))
	for i, n := range p.Nets {
		nets[i] = n.String()
		if n.IsSingleIP() {
			nets[i] = n.Addr().String()
		}
	}
	return strings.Join(nets, ", ")
}

func (p *Proxy) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, n := range p.Nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// httpsKey marks a request that a trusted proxy received over HTTPS.
type httpsKey struct{}

// viaHTTPS reports whether the client reached the site over HTTPS: directly, or through a
// trusted proxy that says so. Secure cookies and HSTS follow it.
func viaHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	on, _ := r.Context().Value(httpsKey{}).(bool)
	return on
}

// trust wraps the server's handler: a request from a trusted proxy gets the client's address
// as its RemoteAddr, and the HTTPS mark when the proxy says https. Other requests pass as
// they came.
func (p *Proxy) trust(next http.Handler) http.Handler {
	if !p.On() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, port, err := net.SplitHostPort(r.RemoteAddr)
		peer, perr := netip.ParseAddr(host)
		if err != nil || perr != nil || !p.trusts(peer) {
			next.ServeHTTP(w, r)
			return
		}
		r2 := r.WithContext(r.Context()) // a shallow copy: the server's own request stays as it was
		if client, ok := p.client(r.Header.Values(p.Header)); ok {
			r2.RemoteAddr = net.JoinHostPort(client.String(), port)
		}
		if protos := r.Header.Values("X-Forwarded-Proto"); len(protos) > 0 {
			parts := strings.Split(protos[len(protos)-1], ",")
			if strings.EqualFold(strings.TrimSpace(parts[len(parts)-1]), "https") {
				r2 = r2.WithContext(context.WithValue(r2.Context(), httpsKey{}, true))
			}
		}
		next.ServeHTTP(w, r2)
	})
}

// client reads the client's address from the proxy's header values. A list (X-Forwarded-For:
// client, proxy1, proxy2) is read from the right, the end the trusted proxies appended to:
// the first address that is not one of them is the client; what lies further left was sent
// by the client and may be anything. An unreadable entry ends the search: the address is then
// the nearest proxy's.
func (p *Proxy) client(values []string) (netip.Addr, bool) {
	var entries []string
	for _, v := range values {
		entries = append(entries, strings.Split(v, ",")...)
	}
	var last netip.Addr
	for i := len(entries) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(entries[i]))
		if err != nil {
			return last, last.IsValid()
		}
		a = a.Unmap().WithZone("")
		if !p.trusts(a) {
			return a, true
		}
		last = a
	}
	return last, last.IsValid()
}
