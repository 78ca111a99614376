package mail

import (
	"math/rand/v2"
	"time"
)

// MaxAge is how long the outbox keeps trying one message, counted from its first attempt.
const MaxAge = 24 * time.Hour

// Retry schedule bounds.
const (
	backoffBase = time.Minute
	backoffCap  = 6 * time.Hour
)

// Backoff returns how long to wait after failed attempt number attempt (1-based) before the
// next one: 1m, 2m, 4m, ... doubling, capped at 6h. attempt ≤ 0 counts as 1. The result is
// deterministic; spread a crowd of retries with Jitter.
//
// With GiveUp checked before each attempt, a message is tried 12 times: at 0, 1m, 3m, 7m, 15m,
// 31m, 1h03m, 2h07m, 4h15m, 8h31m, 14h31m and 20h31m; the 13th would fall at 26h31m, past
// MaxAge.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	// 2^9 minutes already exceeds the cap; stop shifting before it can overflow.
	if attempt > 10 {
		return backoffCap
	}
	return min(backoffBase<<(attempt-1), backoffCap)
}

// Jitter returns d moved at random by up to ±10%, so messages that failed together do not all
// retry in the same second. d ≤ 0 is returned unchanged. r nil means the global source.
func Jitter(d time.Duration, r *rand.Rand) time.Duration {
	spread := int64(d / 10)
	if spread <= 0 {
		return d
	}
	var n int64
	if r != nil {
		n = r.Int64N(2*spread + 1)
	} else {
		n = rand.Int64N(2*spread + 1)
	}
	return d - time.Duration(spread) + time.Duration(n)
}

// GiveUp reports whether a message first attempted at firstAttempt has run out of time at now:
// now - firstAttempt ≥ MaxAge.
func GiveUp(firstAttempt, now time.Time) bool {
	return now.Sub(firstAttempt) >= MaxAge
}
