package hooks

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limits are the abuse defences of the visitor site. The zero value turns every one off (tests
// start from it); LimitsFromEnv gives the production defaults.
type Limits struct {
	// Booking limits form posts (book, change, cancel) per IP address.
	Booking Rate
	// Pages limits booking pages and the availability API per IP address.
	Pages Rate
	// Signin limits staff sign-in posts (and invites, the 2FA step) per IP address.
	Signin Rate
	// API limits the booking API's requests per API key.
	API Rate
	// APIAuthFail limits failed authentications at the booking API per IP address; an address
	// past it is refused every API request until it may try again.
	APIAuthFail Rate
	// BookingsPerEmail caps new bookings per e-mail address per venue-local day; 0 is no cap.
	BookingsPerEmail int
	// FormMinFill is the least time between showing the booking form and its post; a faster
	// post is a bot's. 0 turns the check off (the honeypot field is always checked).
	FormMinFill time.Duration
	// SuperuserNets, when not empty, are the only networks from which PocketBase's dashboard
	// (/_/) and its API (/api/ but Reserva's own) may be reached at all.
	SuperuserNets []netip.Prefix
}

// LimitVars are the variables LimitsFromEnv reads, with their defaults.
var LimitVars = map[string]string{
	"RESERVA_RATE_BOOKING":       "10/10m",
	"RESERVA_RATE_PAGES":         "300/1m",
	"RESERVA_RATE_SIGNIN":        "10/10m",
	"RESERVA_RATE_API":           "120/1m",
	"RESERVA_RATE_API_AUTH":      "10/10m",
	"RESERVA_BOOKINGS_PER_EMAIL": "10",
	"RESERVA_FORM_MIN_SECONDS":   "3",
	"RESERVA_SUPERUSER_IPS":      "",
}

// LimitsFromEnv reads the limits from RESERVA_* variables (getenv is os.Getenv in main), with
// the defaults of LimitVars. An invalid value is an error naming the variable.
func LimitsFromEnv(getenv func(string) string) (Limits, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return LimitVars[name]
	}
	var l Limits
	var err error
	if l.Booking, err = ParseRate(get("RESERVA_RATE_BOOKING")); err != nil {
		return l, fmt.Errorf("RESERVA_RATE_BOOKING: %w", err)
	}
	if l.Pages, err = ParseRate(get("RESERVA_RATE_PAGES")); err != nil {
		return l, fmt.Errorf("RESERVA_RATE_PAGES: %w", err)
	}
	if l.Signin, err = ParseRate(get("RESERVA_RATE_SIGNIN")); err != nil {
		return l, fmt.Errorf("RESERVA_RATE_SIGNIN: %w", err)
	}
	if l.API, err = ParseRate(get("RESERVA_RATE_API")); err != nil {
		return l, fmt.Errorf("RESERVA_RATE_API: %w", err)
	}
	if l.APIAuthFail, err = ParseRate(get("RESERVA_RATE_API_AUTH")); err != nil {
		return l, fmt.Errorf("RESERVA_RATE_API_AUTH: %w", err)
	}
	n, err := strconv.Atoi(get("RESERVA_BOOKINGS_PER_EMAIL"))
	if err != nil || n < 0 {
		return l, fmt.Errorf("RESERVA_BOOKINGS_PER_EMAIL: want a whole number, 0 for no cap (got %q)", get("RESERVA_BOOKINGS_PER_EMAIL"))
	}
	l.BookingsPerEmail = n
	secs, err := strconv.Atoi(get("RESERVA_FORM_MIN_SECONDS"))
	if err != nil || secs < 0 || secs > 600 {
		return l, fmt.Errorf("RESERVA_FORM_MIN_SECONDS: want 0 to 600 (got %q)", get("RESERVA_FORM_MIN_SECONDS"))
	}
	l.FormMinFill = time.Duration(secs) * time.Second
	if l.SuperuserNets, err = ParseNets(get("RESERVA_SUPERUSER_IPS")); err != nil {
		return l, fmt.Errorf("RESERVA_SUPERUSER_IPS: %w", err)
	}
	return l, nil
}

// ParseNets reads a comma-separated list of IP addresses and CIDR networks
// ("203.0.113.7, 10.0.0.0/8, 2001:db8::/32"); an address is a network of one.
func ParseNets(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR network", part)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// containsIP reports whether ip (as text) is inside one of nets.
func containsIP(nets []netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, n := range nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}
