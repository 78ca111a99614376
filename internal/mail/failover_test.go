package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTransport answers every Send with err and counts the calls.
type fakeTransport struct {
	mu       sync.Mutex
	err      error
	calls    int
	subjects []string
}

func (f *fakeTransport) Send(_ context.Context, m Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.subjects = append(f.subjects, m.Subject)
	return f.err
}

func (f *fakeTransport) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeTransport) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var (
	errTemp      = errors.New("smtp: connect to primary:587: connection refused")
	errPermanent = fmt.Errorf("smtp: send via primary:587: %w: 550 5.1.1 no such user", ErrRejected)
)

type failoverFixture struct {
	primary, secondary *fakeTransport
	clock              *fakeClock
	f                  *Failover
}

func newFailover() failoverFixture {
	x := failoverFixture{
		primary:   &fakeTransport{},
		secondary: &fakeTransport{},
		clock:     &fakeClock{now: time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)},
	}
	x.f = &Failover{Primary: x.primary, Secondary: x.secondary, Threshold: 3, Cooldown: 10 * time.Minute, Now: x.clock.Now}
	return x
}

// send sends one message and checks the answer and the relay that is active afterwards.
func (x failoverFixture) send(t *testing.T, wantErr bool, wantActive string) {
	t.Helper()
	err := x.f.Send(context.Background(), validMessage())
	if (err != nil) != wantErr {
		t.Fatalf("Send() = %v, want error: %v", err, wantErr)
	}
	if got := x.f.Active(); got != wantActive {
		t.Fatalf("Active() = %q, want %q", got, wantActive)
	}
}

func (x failoverFixture) calls(t *testing.T, wantPrimary, wantSecondary int) {
	t.Helper()
	if p, s := x.primary.count(), x.secondary.count(); p != wantPrimary || s != wantSecondary {
		t.Fatalf("calls: primary %d, secondary %d; want %d, %d", p, s, wantPrimary, wantSecondary)
	}
}

func TestFailoverStaysBelowThreshold(t *testing.T) {
	x := newFailover()
	x.primary.fail(errTemp)
	x.send(t, true, "primary")
	x.send(t, true, "primary")
	x.calls(t, 2, 0)

	// A success ends the streak: two more failures still do not switch.
	x.primary.fail(nil)
	x.send(t, false, "primary")
	x.primary.fail(errTemp)
	x.send(t, true, "primary")
	x.send(t, true, "primary")
	x.calls(t, 5, 0)
}

func TestFailoverSwitchesAndComesBack(t *testing.T) {
	x := newFailover()
	x.primary.fail(errTemp)
	x.send(t, true, "primary")
	x.send(t, true, "primary")
	// The third failure switches, and the same message goes to the secondary at once.
	x.send(t, false, "secondary")
	x.calls(t, 3, 1)

	// While switched, the primary is left alone until the cooldown ends.
	x.clock.advance(9 * time.Minute)
	x.send(t, false, "secondary")
	x.calls(t, 3, 2)

	// Cooldown over: the primary is tried, still fails, the message goes to the secondary.
	x.clock.advance(time.Minute)
	x.send(t, false, "secondary")
	x.calls(t, 4, 3)
	// ... and the next try of the primary waits for another full cooldown.
	x.clock.advance(9 * time.Minute)
	x.send(t, false, "secondary")
	x.calls(t, 4, 4)

	// The primary is back: the next try after the cooldown succeeds and switches back.
	x.primary.fail(nil)
	x.clock.advance(time.Minute)
	x.send(t, false, "primary")
	x.calls(t, 5, 4)
	x.send(t, false, "primary")
	x.calls(t, 6, 4)
}

func TestFailoverPermanentErrorsDoNotCount(t *testing.T) {
	x := newFailover()
	x.primary.fail(errPermanent)
	for range 5 {
		x.send(t, true, "primary")
	}
	x.calls(t, 5, 0)

	// A permanent rejection shows the relay is up: it ends a streak of temporary failures.
	x.primary.fail(errTemp)
	x.send(t, true, "primary")
	x.send(t, true, "primary")
	x.primary.fail(errPermanent)
	x.send(t, true, "primary")
	x.primary.fail(errTemp)
	x.send(t, true, "primary")
	x.send(t, true, "primary")
	x.calls(t, 10, 0)
	x.send(t, false, "secondary")

	// Invalid messages never reach a relay and never count.
	y := newFailover()
	y.primary.fail(fmt.Errorf("smtp: send via primary:587: %w: subject is empty", ErrInvalidMessage))
	for range 5 {
		y.send(t, true, "primary")
	}
	y.calls(t, 5, 0)
}

func TestFailoverPermanentErrorIsReturned(t *testing.T) {
	x := newFailover()
	x.primary.fail(errPermanent)
	err := x.f.Send(context.Background(), validMessage())
	if !errors.Is(err, ErrRejected) || !IsPermanent(err) {
		t.Errorf("Send() = %v, want the primary's permanent error", err)
	}
}

func TestFailoverCancelledContextDoesNotCount(t *testing.T) {
	x := newFailover()
	x.primary.fail(context.Canceled)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 5 {
		if err := x.f.Send(ctx, validMessage()); err == nil {
			t.Fatal("Send() = nil, want error")
		}
	}
	if got := x.f.Active(); got != "primary" {
		t.Errorf("Active() = %q, want primary", got)
	}
	x.calls(t, 5, 0)
}

func TestFailoverSecondaryFailsToo(t *testing.T) {
	x := newFailover()
	x.primary.fail(errTemp)
	x.secondary.fail(errPermanent)
	x.send(t, true, "primary")
	x.send(t, true, "primary")
	err := x.f.Send(context.Background(), validMessage())
	if err == nil {
		t.Fatal("Send() = nil, want error")
	}
	for _, want := range []string{"primary: " + errTemp.Error(), "secondary: " + errPermanent.Error()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Send() = %q, want it to contain %q", err, want)
		}
	}
	// The answer that counts is the secondary's: the message was rejected for good.
	if !IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = false, want true", err)
	}
	if got := x.f.Active(); got != "secondary" {
		t.Errorf("Active() = %q, want secondary", got)
	}
}

func TestFailoverWithoutSecondary(t *testing.T) {
	primary := &fakeTransport{err: errTemp}
	f := &Failover{Primary: primary}
	for range 10 {
		if err := f.Send(context.Background(), validMessage()); !errors.Is(err, errTemp) {
			t.Fatalf("Send() = %v, want %v", err, errTemp)
		}
	}
	if got := f.Active(); got != "primary" {
		t.Errorf("Active() = %q, want primary", got)
	}
	if got := primary.count(); got != 10 {
		t.Errorf("primary calls = %d, want 10", got)
	}
}

func TestFailoverDefaults(t *testing.T) {
	primary, secondary := &fakeTransport{err: errTemp}, &fakeTransport{}
	clock := &fakeClock{now: time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)}
	f := &Failover{Primary: primary, Secondary: secondary, Now: clock.Now}
	for range 3 {
		_ = f.Send(context.Background(), validMessage())
	}
	if got := f.Active(); got != "secondary" {
		t.Fatalf("after 3 failures Active() = %q, want secondary (default threshold 3)", got)
	}
	primary.fail(nil)
	clock.advance(10*time.Minute - time.Second)
	_ = f.Send(context.Background(), validMessage())
	if got := f.Active(); got != "secondary" {
		t.Fatalf("before 10m Active() = %q, want secondary (default cooldown 10m)", got)
	}
	clock.advance(time.Second)
	_ = f.Send(context.Background(), validMessage())
	if got := f.Active(); got != "primary" {
		t.Fatalf("after 10m Active() = %q, want primary", got)
	}
}

// TestFailoverConcurrent is meant for -race: many sends at once through a failing primary.
// Exactly Threshold-1 of them fail; the one that reaches the threshold and all later ones,
// including those already in flight on the primary, end up on the secondary.
func TestFailoverConcurrent(t *testing.T) {
	x := newFailover()
	x.primary.fail(errTemp)
	const n = 64
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
	)
	for range n {
		wg.Go(func() {
			err := x.f.Send(context.Background(), validMessage())
			_ = x.f.Active()
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if want := x.f.Threshold - 1; failed != want {
		t.Errorf("failed sends = %d, want %d", failed, want)
	}
	if got, want := x.secondary.count(), n-(x.f.Threshold-1); got != want {
		t.Errorf("secondary calls = %d, want %d", got, want)
	}
	if got := x.f.Active(); got != "secondary" {
		t.Errorf("Active() = %q, want secondary", got)
	}
}
