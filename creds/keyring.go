package creds

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultTimeout bounds each keyring call. A healthy keyring answers in
// milliseconds; a Secret Service waiting on an unlock prompt nobody sees
// never answers, and the wizard must not hang on it (go-keyring has no
// context support, issue #131). cli/cli uses 3 s; a little more leaves room
// for a loaded machine.
const DefaultTimeout = 5 * time.Second

// backend is the subset of go-keyring relaywiz uses, so tests can put a
// slow or failing fake behind the real timeout and translation code.
type backend interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (goKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

type keyringStore struct {
	be      backend
	timeout time.Duration
	goos    string
	// preflight runs before every call and may refuse it without touching
	// the backend (Linux: no session bus, where godbus would otherwise
	// autolaunch a dbus-daemon and orphan it).
	preflight func() error
}

// NewKeyring returns the Store backed by the OS keyring. Every call gives up
// after timeout (DefaultTimeout if <= 0) with a ReasonTimeout error; the
// abandoned keyring call finishes in the background and its result is
// discarded.
func NewKeyring(timeout time.Duration) Store {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &keyringStore{be: goKeyring{}, timeout: timeout, goos: runtime.GOOS, preflight: sessionBusPreflight}
}

// call runs fn in a goroutine and waits for it, the timeout or ctx,
// whichever comes first (the cli/cli pattern). fn's own error is translated.
func (k *keyringStore) call(ctx context.Context, op string, fn func() error) error {
	if k.preflight != nil {
		if err := k.preflight(); err != nil {
			return translate(op, k.goos, k.timeout, err)
		}
	}
	done := make(chan error, 1) // buffered: an abandoned call must not block forever on send
	go func() { done <- fn() }()
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return translate(op, k.goos, k.timeout, err)
	case <-timer.C:
		return translate(op, k.goos, k.timeout, errTimedOut)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (k *keyringStore) Set(ctx context.Context, host, user string, secret []byte) error {
	if err := ValidateKey(host, user); err != nil {
		return err
	}
	// go-keyring takes a string, which Go cannot scrub; this conversion is
	// the one copy of the secret relaywiz cannot zero.
	pw := string(secret)
	return k.call(ctx, "store", func() error { return k.be.Set(ServiceName(host), user, pw) })
}

func (k *keyringStore) Get(ctx context.Context, host, user string) ([]byte, error) {
	if err := ValidateKey(host, user); err != nil {
		return nil, err
	}
	// A call abandoned on timeout may still deliver the secret later; the
	// flag lets it scrub its own copy instead of leaving it to the GC.
	var (
		mu        sync.Mutex
		result    []byte
		abandoned bool
	)
	err := k.call(ctx, "read", func() error {
		s, err := k.be.Get(ServiceName(host), user)
		if err != nil {
			return err
		}
		b := []byte(s)
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			Zero(b)
		} else {
			result = b
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		abandoned = true
		Zero(result)
		return nil, err
	}
	return result, nil
}

func (k *keyringStore) Delete(ctx context.Context, host, user string) error {
	if err := ValidateKey(host, user); err != nil {
		return err
	}
	return k.call(ctx, "delete", func() error { return k.be.Delete(ServiceName(host), user) })
}

func (k *keyringStore) Status(ctx context.Context, host, user string) Status {
	return statusVia(ctx, k, host, user)
}
