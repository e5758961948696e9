package creds

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestMemoryRoundTripOwnsItsCopies(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	in := []byte("s3cret-Passw0rd")
	if err := s.Set(ctx, "SMTP.Example.test", "relay@example.test", in); err != nil {
		t.Fatal(err)
	}
	Zero(in) // the caller scrubs its slice right after Set

	got, err := s.Get(ctx, "smtp.example.test", "relay@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "s3cret-Passw0rd" {
		t.Fatalf("Get = %q; the store must keep its own copy", got)
	}
	Zero(got)
	again, _ := s.Get(ctx, "smtp.example.test.", "relay@example.test")
	if string(again) != "s3cret-Passw0rd" {
		t.Fatalf("zeroing a returned slice changed the store: %q", again)
	}
	if st := s.Status(ctx, "smtp.example.test", "relay@example.test"); st.State != Stored || st.Err != nil {
		t.Fatalf("Status = %+v, want stored", st)
	}
	if st := s.Status(ctx, "smtp.example.test", "other@example.test"); st.State != NotStored {
		t.Fatalf("Status for another user = %v, want not stored", st.State)
	}
	if err := s.Delete(ctx, "smtp.example.test", "relay@example.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "smtp.example.test", "relay@example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "smtp.example.test", "relay@example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
}

func TestMemoryOverwriteScrubsOldValue(t *testing.T) {
	ctx := context.Background()
	m := NewMemory().(*memory)
	if err := m.Set(ctx, "h.test", "u", []byte("first-password")); err != nil {
		t.Fatal(err)
	}
	old := m.entries[m.key("h.test", "u")]
	if err := m.Set(ctx, "h.test", "u", []byte("second")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, make([]byte, len(old))) {
		t.Fatalf("replaced secret left in memory: %q", old)
	}
}

func TestMemoryRefusesBadKeysAndCancelledContext(t *testing.T) {
	s := NewMemory()
	var ke *InvalidKeyError
	if err := s.Set(context.Background(), "", "u", []byte("x")); !errors.As(err, &ke) || ke.Field != "host" {
		t.Fatalf("empty host: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Set(ctx, "h.test", "u", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Set: %v", err)
	}
	if st := s.Status(ctx, "h.test", "u"); st.State != Unavailable || !errors.Is(st.Err, context.Canceled) {
		t.Fatalf("cancelled Status: %+v", st)
	}
}

func TestValidateKey(t *testing.T) {
	cases := []struct {
		host, user, field string
	}{
		{"smtp.zivver.com", "user@example.com", ""},
		{"127.0.0.2", "u", ""},
		{"::1", "u", ""},
		{"[::1]", "u", ""},
		{"", "u", "host"},
		{"  ", "u", "host"},
		{"smtp.zivver.com:587", "u", "host"},
		{"smtp zivver.com", "u", "host"},
		{"a/b", "u", "host"},
		{"smtp.zivver.com", "", "user"},
		{"smtp.zivver.com", " u", "user"},
		{"smtp.zivver.com", "u\n", "user"},
	}
	for _, c := range cases {
		err := ValidateKey(c.host, c.user)
		var ke *InvalidKeyError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("ValidateKey(%q,%q) = %v, want ok", c.host, c.user, err)
		case c.field != "" && (!errors.As(err, &ke) || ke.Field != c.field):
			t.Errorf("ValidateKey(%q,%q) = %v, want an error naming %s", c.host, c.user, err, c.field)
		}
	}
}

func TestServiceNameIsCaseAndBracketInsensitive(t *testing.T) {
	for in, want := range map[string]string{
		"SMTP.Zivver.com":  "relaywiz/smtp.zivver.com",
		"smtp.zivver.com.": "relaywiz/smtp.zivver.com",
		"[::1]":            "relaywiz/::1",
	} {
		if got := ServiceName(in); got != want {
			t.Errorf("ServiceName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocationNamesEachPlatformsItem(t *testing.T) {
	for goos, want := range map[string]string{
		"linux":   `service="relaywiz/smtp.example.test" username="u@example.test"`,
		"darwin":  `service "relaywiz/smtp.example.test", account "u@example.test"`,
		"windows": `"relaywiz/smtp.example.test:u@example.test"`,
	} {
		if got := location(goos, "smtp.example.test", "u@example.test"); !bytes.Contains([]byte(got), []byte(want)) {
			t.Errorf("location(%s) = %q, want it to contain %q", goos, got, want)
		}
	}
}
