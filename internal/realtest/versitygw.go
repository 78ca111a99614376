//go:build integration

package realtest

import (
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// VersityGW is a running versitygw: an S3-compatible store on loopback over a directory.
type VersityGW struct {
	Endpoint             string // http://127.0.0.1:port
	AccessKey, SecretKey string
	Dir                  string // the directory holding the buckets
}

// StartVersityGW runs versitygw (installed by .ci/run with go install) on a free loopback port,
// storing into a temp directory, with bucket created.
func StartVersityGW(t testing.TB, bucket string) *VersityGW {
	t.Helper()
	bin := Binary(t, "versitygw", "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	v := &VersityGW{AccessKey: "reserva-test", SecretKey: "reserva-test-secret", Dir: t.TempDir()}
	// A bucket of the posix backend is a directory.
	if err := os.Mkdir(v.Dir+"/"+bucket, 0o700); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	v.Endpoint = "http://" + addr
	cmd := exec.Command(bin, "--port", addr, "posix", v.Dir)
	// The machine may set AWS_CA_BUNDLE, which some AWS-SDK-based tools fail on.
	cmd.Env = append(filterEnv(os.Environ(), "AWS_CA_BUNDLE"), "ROOT_ACCESS_KEY="+v.AccessKey, "ROOT_SECRET_KEY="+v.SecretKey)
	p := Start(t, "versitygw", cmd)
	p.WaitReady(t, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	})
	return v
}

func filterEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if len(kv) > len(name) && kv[:len(name)+1] == name+"=" {
			continue
		}
		out = append(out, kv)
	}
	return out
}
