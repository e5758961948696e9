//go:build linux

package creds

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"relaywiz/testpeers"
)

// uniqueKey keeps runs apart in a shared keyring.
func uniqueKey(t *testing.T) (host, user string) {
	b := make([]byte, 6)
	rand.Read(b)
	return "it-" + hex.EncodeToString(b) + ".relaywiz.test", "user-" + hex.EncodeToString(b) + "@example.test"
}

// secretToolLookup reads the item with libsecret's own client, which no
// relaywiz code wrote: proof the password really is in the Secret Service.
func secretToolLookup(t *testing.T, host, user string) (string, bool) {
	t.Helper()
	st := testpeers.RequireTool(t, "secret-tool")
	out, err := exec.Command(st, "lookup", "service", "relaywiz/"+host, "username", user).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 && len(out) == 0 {
			return "", false // secret-tool's "no such item"
		}
		t.Fatalf("secret-tool lookup: %v", err)
	}
	return string(out), true
}

func TestCredsKeyringIntegrationRealSecretService(t *testing.T) {
	testpeers.RequireKeyring(t)
	testpeers.RequireTool(t, "secret-tool")
	ctx := context.Background()
	host, user := uniqueKey(t)
	s := NewKeyring(DefaultTimeout)
	t.Cleanup(func() { s.Delete(context.Background(), host, user) })

	if st := s.Status(ctx, host, user); st.State != NotStored {
		t.Fatalf("fresh entry: Status = %v (%v), want not stored", st.State, st.Err)
	}
	secret := "Int-" + host + "-p@ss wörd"
	if err := s.Set(ctx, host, user, []byte(secret)); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if got, ok := secretToolLookup(t, host, user); !ok || got != secret {
		t.Fatalf("secret-tool lookup = %q, %v; want the stored secret", got, ok)
	}
	if st := s.Status(ctx, host, user); st.State != Stored {
		t.Fatalf("Status after Set = %v (%v)", st.State, st.Err)
	}
	got, err := s.Get(ctx, strings.ToUpper(host), user)
	if err != nil || string(got) != secret {
		t.Fatalf("Get = %q, %v", got, err)
	}
	Zero(got)

	// Replace keeps one item (go-keyring creates with replace=true).
	if err := s.Set(ctx, host, user, []byte("second")); err != nil {
		t.Fatal(err)
	}
	if got, _ := secretToolLookup(t, host, user); got != "second" {
		t.Fatalf("after replacing: secret-tool sees %q", got)
	}

	if err := s.Delete(ctx, host, user); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok := secretToolLookup(t, host, user); ok {
		t.Fatal("secret-tool still finds the item after Delete")
	}
	if err := s.Delete(ctx, host, user); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
}

// An item another program filed under relaywiz's naming is found: the
// naming contract (service relaywiz/<host>, username <user>) is the
// Secret Service's, not a private format.
func TestCredsKeyringIntegrationReadsItemStoredBySecretTool(t *testing.T) {
	testpeers.RequireKeyring(t)
	st := testpeers.RequireTool(t, "secret-tool")
	host, user := uniqueKey(t)
	s := NewKeyring(DefaultTimeout)
	t.Cleanup(func() { s.Delete(context.Background(), host, user) })

	cmd := exec.Command(st, "store", "--label", "relaywiz test", "service", "relaywiz/"+host, "username", user)
	cmd.Stdin = strings.NewReader("from-secret-tool")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v\n%s", err, out)
	}
	got, err := s.Get(context.Background(), host, user)
	if err != nil || string(got) != "from-secret-tool" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}
