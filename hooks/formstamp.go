package hooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// stamper signs the moment a form was shown. A post carrying a stamp younger than the
// minimum fill time (or none, or a forged one) did not come from a person reading the form.
// The key lives in memory: after a restart an old form is simply sent again.
type stamper struct{ key []byte }

func newStamper() *stamper {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return &stamper{key: k}
}

func (s *stamper) mac(unix string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(unix))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// stamp returns the hidden field value for a form shown at t.
func (s *stamper) stamp(t time.Time) string {
	unix := strconv.FormatInt(t.Unix(), 10)
	return unix + "." + s.mac(unix)
}

// shownAt returns when the form carrying v was shown; false for a missing or forged stamp.
func (s *stamper) shownAt(v string) (time.Time, bool) {
	unix, mac, ok := strings.Cut(v, ".")
	if !ok || len(unix) > 12 || !hmac.Equal([]byte(mac), []byte(s.mac(unix))) {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}
