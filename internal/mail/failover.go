package mail

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Failover defaults.
const (
	defaultThreshold = 3
	defaultCooldown  = 10 * time.Minute
)

// Failover is a Transport that sends through Primary and moves to Secondary after Threshold
// consecutive temporary failures of the primary. While on the secondary it gives the primary
// one message again once Cooldown has passed since the switch (or since the last such try); a
// success there moves back to the primary. Primary is required; with Secondary nil Failover
// is just Primary.
//
// Only temporary failures count (see IsPermanent): a permanent rejection means the primary is
// up and answering, so it ends a streak of failures, and an invalid message or a cancelled ctx
// says nothing about the relay at all. Permanent errors are returned as they are, never
// retried on the secondary.
//
// The zero values mean Threshold 3, Cooldown 10 minutes and Now time.Now. Failover is safe for
// concurrent use. NB! Use it through a pointer and do not copy it after the first Send: it
// holds its state and a mutex.
type Failover struct {
	Primary, Secondary Transport
	Threshold          int
	Cooldown           time.Duration
	Now                func() time.Time

	mu          sync.Mutex
	failures    int       // consecutive temporary failures of the primary
	onSecondary bool      // switched
	retryAt     time.Time // while switched: when the primary gets its next try
}

// Send sends m through the active relay. When a temporary failure of the primary makes it
// switch (or a retry of the primary fails while switched), the same message is sent through
// the secondary at once, and the error returned is the secondary's (joined with the
// primary's, so IsPermanent reflects the secondary's answer).
func (f *Failover) Send(ctx context.Context, m Message) error {
	if f.Secondary == nil {
		return f.Primary.Send(ctx, m)
	}

	f.mu.Lock()
	now := f.now()
	usePrimary := !f.onSecondary
	if f.onSecondary && !now.Before(f.retryAt) {
		// One message tries the primary; concurrent ones keep using the secondary until it
		// answers or the next cooldown ends.
		usePrimary = true
		f.retryAt = now.Add(f.cooldown())
	}
	f.mu.Unlock()

	if !usePrimary {
		return f.Secondary.Send(ctx, m)
	}

	err := f.Primary.Send(ctx, m)
	if !f.recordPrimary(ctx, err) {
		return err
	}
	if serr := f.Secondary.Send(ctx, m); serr != nil {
		return fmt.Errorf("failover: primary: %w; secondary: %w", err, serr)
	}
	return nil
}

// recordPrimary updates the state after the primary answered err and reports whether the
// message should now go to the secondary.
func (f *Failover) recordPrimary(ctx context.Context, err error) (trySecondary bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case err == nil:
		f.failures = 0
		f.onSecondary = false
		return false
	case ctx.Err() != nil || errors.Is(err, ErrInvalidMessage):
		// Says nothing about the relay.
		return false
	case IsPermanent(err):
		// The relay answered, so it is up: the streak of failures ends.
		if !f.onSecondary {
			f.failures = 0
		}
		return false
	case f.onSecondary:
		// The retry after the cooldown failed: stay switched; retryAt was moved on already.
		return true
	}
	f.failures++
	if f.failures < f.threshold() {
		return false
	}
	f.failures = 0
	f.onSecondary = true
	f.retryAt = f.now().Add(f.cooldown())
	return true
}

// Active returns "primary" or "secondary": the relay new messages go to, for the dashboard.
func (f *Failover) Active() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.onSecondary && f.Secondary != nil {
		return "secondary"
	}
	return "primary"
}

func (f *Failover) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Failover) threshold() int {
	if f.Threshold > 0 {
		return f.Threshold
	}
	return defaultThreshold
}

func (f *Failover) cooldown() time.Duration {
	if f.Cooldown > 0 {
		return f.Cooldown
	}
	return defaultCooldown
}
