package realtest

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback address ("127.0.0.1:port") free at the time of the call.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// FreePort is FreeAddr's port.
func FreePort(t testing.TB) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	n := 0
	for _, c := range port {
		n = n*10 + int(c-'0')
	}
	return n
}
