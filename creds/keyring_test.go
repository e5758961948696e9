package creds

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// fakeBackend records calls; block, when set, holds every call until the
// test closes it (a Secret Service waiting on an invisible prompt).
type fakeBackend struct {
	mu    sync.Mutex
	items map[[2]string]string
	err   error
	block chan struct{}
	calls int
}

func (f *fakeBackend) wait() {
	f.mu.Lock()
	f.calls++
	b := f.block
	f.mu.Unlock()
	if b != nil {
		<-b
	}
}

func (f *fakeBackend) Set(s, u, p string) error {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.items[[2]string{s, u}] = p
	return nil
}

func (f *fakeBackend) Get(s, u string) (string, error) {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	p, ok := f.items[[2]string{s, u}]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return p, nil
}

func (f *fakeBackend) Delete(s, u string) error {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.items[[2]string{s, u}]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, [2]string{s, u})
	return nil
}

func newFake() *fakeBackend { return &fakeBackend{items: map[[2]string]string{}} }

func storeOver(be backend, timeout time.Duration) *keyringStore {
	return &keyringStore{be: be, timeout: timeout, goos: "linux"}
}

func TestKeyringStoreKeysByServiceAndUser(t *testing.T) {
	ctx := context.Background()
	be := newFake()
	s := storeOver(be, time.Minute)
	if err := s.Set(ctx, "Smtp.Example.test", "relay@example.test", []byte("pw-1")); err != nil {
		t.Fatal(err)
	}
	if got := be.items[[2]string{"relaywiz/smtp.example.test", "relay@example.test"}]; got != "pw-1" {
		t.Fatalf("backend items = %v; want service relaywiz/<host>, user <username>", be.items)
	}
	got, err := s.Get(ctx, "smtp.example.test", "relay@example.test")
	if err != nil || string(got) != "pw-1" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if st := s.Status(ctx, "smtp.example.test", "relay@example.test"); st.State != Stored {
		t.Fatalf("Status = %+v", st)
	}
	if err := s.Delete(ctx, "smtp.example.test", "relay@example.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "smtp.example.test", "relay@example.test"); err != ErrNotFound {
		t.Fatalf("after delete: %v, want creds.ErrNotFound (translated from go-keyring's)", err)
	}
	if st := s.Status(ctx, "smtp.example.test", "relay@example.test"); st.State != NotStored {
		t.Fatalf("Status after delete = %+v", st)
	}
}

func TestKeyringStoreTimesOutOnAHungKeyring(t *testing.T) {
	be := newFake()
	be.block = make(chan struct{})
	defer close(be.block) // let the abandoned goroutines finish
	s := storeOver(be, time.Millisecond)
	ctx := context.Background()

	for name, call := range map[string]func() error{
		"set":    func() error { return s.Set(ctx, "h.test", "u", []byte("pw")) },
		"get":    func() error { _, err := s.Get(ctx, "h.test", "u"); return err },
		"delete": func() error { return s.Delete(ctx, "h.test", "u") },
		"status": func() error { return s.Status(ctx, "h.test", "u").Err },
	} {
		err := call()
		var ue *UnavailableError
		if !errors.As(err, &ue) || ue.Reason != ReasonTimeout {
			t.Fatalf("%s on a hung keyring: %v, want ReasonTimeout", name, err)
		}
		if !strings.Contains(ue.Error(), "did not answer within 1ms") || !strings.Contains(ue.Hint, "--password-stdin") {
			t.Errorf("%s: message does not say what happened and what to do: %q", name, ue.Explain())
		}
	}
	if st := s.Status(ctx, "h.test", "u"); st.State != Unavailable {
		t.Fatalf("Status on a hung keyring = %v, want unavailable", st.State)
	}
}

func TestKeyringStoreHonoursContext(t *testing.T) {
	be := newFake()
	be.block = make(chan struct{})
	defer close(be.block)
	s := storeOver(be, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, "h.test", "u"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with cancelled ctx: %v", err)
	}
}

func TestKeyringStorePreflightRefusalSkipsTheBackend(t *testing.T) {
	be := newFake()
	s := storeOver(be, time.Minute)
	s.preflight = func() error { return errNoSessionBusForTest }
	err := s.Set(context.Background(), "h.test", "u", []byte("pw"))
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Reason != ReasonNoSessionBus {
		t.Fatalf("Set without a bus: %v, want ReasonNoSessionBus", err)
	}
	if be.calls != 0 {
		t.Fatalf("backend called %d times despite the preflight refusal", be.calls)
	}
}

var errNoSessionBusForTest = errors.New(errNoSessionBusText + ": DBUS_SESSION_BUS_ADDRESS is not set")

func TestKeyringStoreValidatesBeforeCalling(t *testing.T) {
	be := newFake()
	s := storeOver(be, time.Minute)
	var ke *InvalidKeyError
	if err := s.Set(context.Background(), "h.test:25", "u", []byte("pw")); !errors.As(err, &ke) {
		t.Fatalf("host:port accepted: %v", err)
	}
	if be.calls != 0 {
		t.Fatal("backend called with an invalid key")
	}
}
