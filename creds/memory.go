package creds

import (
	"context"
	"sync"
)

// memory is a Store for tests: it holds copies in a map and behaves like a
// working keyring (ErrNotFound, validation, context cancellation).
type memory struct {
	mu      sync.Mutex
	entries map[memKey][]byte
}

type memKey struct{ service, user string }

// NewMemory returns an empty in-memory Store. It never touches the OS
// keyring or the disk; use it in unit tests and nowhere else.
func NewMemory() Store {
	return &memory{entries: map[memKey][]byte{}}
}

func (m *memory) key(host, user string) memKey {
	return memKey{ServiceName(host), user}
}

func (m *memory) Set(ctx context.Context, host, user string, secret []byte) error {
	if err := ValidateKey(host, user); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.key(host, user)
	Zero(m.entries[k])
	m.entries[k] = append([]byte(nil), secret...)
	return nil
}

func (m *memory) Get(ctx context.Context, host, user string) ([]byte, error) {
	if err := ValidateKey(host, user); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.entries[m.key(host, user)]
	if !ok {
		return nil, ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

func (m *memory) Delete(ctx context.Context, host, user string) error {
	if err := ValidateKey(host, user); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.key(host, user)
	v, ok := m.entries[k]
	if !ok {
		return ErrNotFound
	}
	Zero(v)
	delete(m.entries, k)
	return nil
}

func (m *memory) Status(ctx context.Context, host, user string) Status {
	return statusVia(ctx, m, host, user)
}

// statusVia derives a Status from Get and scrubs the secret at once: the
// keyring APIs have no "exists" call, and Status must never hand it out.
func statusVia(ctx context.Context, s Store, host, user string) Status {
	secret, err := s.Get(ctx, host, user)
	Zero(secret)
	switch {
	case err == nil:
		return Status{State: Stored}
	case isNotFound(err):
		return Status{State: NotStored}
	default:
		return Status{State: Unavailable, Err: err}
	}
}
