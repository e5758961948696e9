package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"relaywiz/creds"
)

// credsTestApp runs commands in-process against store, with stdin as given
// and no terminal.
func credsTestApp(stdin string, store creds.Store) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	a := &app{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errb,
		getenv: func(string) string { return "" },
		store:  func() creds.Store { return store },
	}
	return a, &out, &errb
}

// failingStore is a keyring that cannot be used; every call reports err.
type failingStore struct{ err error }

func (f failingStore) Set(context.Context, string, string, []byte) error { return f.err }
func (f failingStore) Get(context.Context, string, string) ([]byte, error) {
	return nil, f.err
}
func (f failingStore) Delete(context.Context, string, string) error { return f.err }
func (f failingStore) Status(context.Context, string, string) creds.Status {
	return creds.Status{State: creds.Unavailable, Err: f.err}
}

var errLockedForTest = &creds.UnavailableError{
	Op: "read", Reason: creds.ReasonLocked,
	Detail: "the keyring's collection is locked",
	Hint:   "Unlock it with gnome-keyring-daemon --unlock.",
}

func TestCredsSetStatusDeleteLifecycle(t *testing.T) {
	store := creds.NewMemory()
	const secret = "Lifecycle-Pw-9f2c"
	key := []string{"--smart-host", "smtp.example.test", "--user", "relay@example.test"}

	a, out, errb := credsTestApp(secret+"\r\n", store)
	if code := run(context.Background(), a, append([]string{"creds", "set", "--password-stdin"}, key...)); code != 0 {
		t.Fatalf("set: exit %d, stderr %q", code, errb)
	}
	if !strings.Contains(out.String(), `service="relaywiz/smtp.example.test" username="relay@example.test"`) &&
		!strings.Contains(out.String(), "relaywiz/smtp.example.test") {
		t.Errorf("set does not say where it stored the password: %q", out)
	}
	if strings.Contains(out.String()+errb.String(), secret) {
		t.Fatalf("set echoed the secret: %q %q", out, errb)
	}
	got, err := store.Get(context.Background(), "smtp.example.test", "relay@example.test")
	if err != nil || string(got) != secret {
		t.Fatalf("stored %q, %v; want the line without CR/LF", got, err)
	}

	statusCode := func() (int, string) {
		a, out, _ := credsTestApp("", store)
		return run(context.Background(), a, append([]string{"creds", "status"}, key...)), out.String()
	}
	if code, msg := statusCode(); code != exitCredsStored || !strings.HasPrefix(msg, "stored:") || strings.Contains(msg, secret) {
		t.Fatalf("status after set: exit %d %q", code, msg)
	}

	a, out, _ = credsTestApp("", store)
	if code := run(context.Background(), a, append([]string{"creds", "delete"}, key...)); code != 0 || !strings.HasPrefix(out.String(), "Deleted") {
		t.Fatalf("delete: exit %d %q", code, out)
	}
	if code, msg := statusCode(); code != exitCredsNotStored || !strings.Contains(msg, "relaywiz creds set --smart-host smtp.example.test --user relay@example.test") {
		t.Fatalf("status after delete: exit %d %q", code, msg)
	}
	a, out, _ = credsTestApp("", store)
	if code := run(context.Background(), a, append([]string{"creds", "delete"}, key...)); code != 0 || !strings.HasPrefix(out.String(), "Nothing to delete") {
		t.Fatalf("second delete: exit %d %q", code, out)
	}
}

func TestCredsBadInputIsUsageError(t *testing.T) {
	cases := []struct {
		name, stdin string
		args        []string
		want        string // the field the message must name
	}{
		{"no host", "", []string{"creds", "status", "--user", "u"}, "--smart-host"},
		{"no user", "", []string{"creds", "delete", "--smart-host", "h.test"}, "--user"},
		{"host with port", "", []string{"creds", "status", "--smart-host", "h.test:587", "--user", "u"}, "--smart-host"},
		{"empty password", "\n", []string{"creds", "set", "--smart-host", "h.test", "--user", "u", "--password-stdin"}, "--password-stdin"},
		{"empty stdin", "", []string{"creds", "set", "--smart-host", "h.test", "--user", "u", "--password-stdin"}, "--password-stdin"},
		{"no terminal to prompt on", "pw\n", []string{"creds", "set", "--smart-host", "h.test", "--user", "u"}, "--password-stdin"},
		{"password as argument", "", []string{"creds", "set", "--smart-host", "h.test", "--user", "u", "--password", "x"}, "--password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := creds.NewMemory()
			a, out, errb := credsTestApp(c.stdin, store)
			code := run(context.Background(), a, c.args)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d (stdout %q stderr %q)", code, exitUsage, out, errb)
			}
			if !strings.Contains(errb.String(), c.want) {
				t.Errorf("message does not name %s: %q", c.want, errb)
			}
			if st := store.Status(context.Background(), "h.test", "u"); st.State != creds.NotStored {
				t.Errorf("something was stored despite the usage error: %v", st.State)
			}
		})
	}
}

func TestCredsKeyringUnavailableIsExplained(t *testing.T) {
	key := []string{"--smart-host", "h.test", "--user", "u"}
	cases := []struct {
		args  []string
		stdin string
		code  int
	}{
		{append([]string{"creds", "status"}, key...), "", exitCredsUnavailable},
		{append([]string{"creds", "set", "--password-stdin"}, key...), "pw\n", exitUnavailable},
		{append([]string{"creds", "delete"}, key...), "", exitUnavailable},
	}
	for _, c := range cases {
		t.Run(c.args[1], func(t *testing.T) {
			a, out, errb := credsTestApp(c.stdin, failingStore{errLockedForTest})
			if code := run(context.Background(), a, c.args); code != c.code {
				t.Fatalf("exit %d, want %d", code, c.code)
			}
			all := out.String() + errb.String()
			if !strings.Contains(all, "collection is locked") || !strings.Contains(all, "gnome-keyring-daemon --unlock") {
				t.Errorf("neither what happened nor what to do is shown: %q", all)
			}
		})
	}
}

func TestCredsSetTooLargeIsBadInput(t *testing.T) {
	tooBig := &creds.UnavailableError{Op: "store", Reason: creds.ReasonTooLarge, Detail: "too long", Hint: "shorter"}
	a, _, errb := credsTestApp("pw\n", failingStore{tooBig})
	if code := run(context.Background(), a, []string{"creds", "set", "--smart-host", "h.test", "--user", "u", "--password-stdin"}); code != exitUsage {
		t.Fatalf("exit %d, want %d; %q", code, exitUsage, errb)
	}
}

func TestCredsInterruptedStatusIsNotUnavailable(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a, _, _ := credsTestApp("", creds.NewMemory())
	if code := run(ctx, a, []string{"creds", "status", "--smart-host", "h.test", "--user", "u"}); code != exitInterrupted {
		t.Fatalf("exit %d, want %d", code, exitInterrupted)
	}
}

func TestCredsHelpTeachesExitCodes(t *testing.T) {
	a, out, _ := credsTestApp("", creds.NewMemory())
	if code := run(context.Background(), a, []string{"creds", "status", "--help"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"0   stored", "1   not stored", "3   keyring unavailable", "relaywiz creds status --smart-host"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status --help lacks %q", want)
		}
	}
}

func TestCredsPasswordHelper(t *testing.T) {
	ctx := context.Background()
	store := creds.NewMemory()
	if err := store.Set(ctx, "h.test", "u", []byte("from-keyring")); err != nil {
		t.Fatal(err)
	}

	t.Run("stdin wins and only the first line is read", func(t *testing.T) {
		a, _, _ := credsTestApp("from-stdin\r\nSUBJECT: rest stays\n", store)
		secret, src, err := a.password(ctx, "h.test", "u", true)
		if err != nil || string(secret) != "from-stdin" || src != passwordFromStdin {
			t.Fatalf("got %q %q %v", secret, src, err)
		}
		rest := new(bytes.Buffer)
		rest.ReadFrom(a.stdin)
		if rest.String() != "SUBJECT: rest stays\n" {
			t.Fatalf("stdin after the password line = %q", rest)
		}
	})
	t.Run("keyring", func(t *testing.T) {
		a, _, _ := credsTestApp("", store)
		secret, src, err := a.password(ctx, "H.TEST", "u", false)
		if err != nil || string(secret) != "from-keyring" || src != passwordFromKeyring {
			t.Fatalf("got %q %q %v", secret, src, err)
		}
	})
	t.Run("not stored", func(t *testing.T) {
		a, _, _ := credsTestApp("", store)
		_, _, err := a.password(ctx, "h.test", "nobody", false)
		var pm *passwordMissingError
		if !errors.As(err, &pm) || pm.KeyringUnavailable() || !errors.Is(err, creds.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
		if !strings.Contains(pm.Note(), "AUTH skipped") || !strings.Contains(pm.Note(), "relaywiz creds set --smart-host h.test --user nobody") {
			t.Errorf("note does not say what to do: %q", pm.Note())
		}
	})
	t.Run("keyring unavailable", func(t *testing.T) {
		a, _, _ := credsTestApp("", failingStore{errLockedForTest})
		_, _, err := a.password(ctx, "h.test", "u", false)
		var pm *passwordMissingError
		if !errors.As(err, &pm) || !pm.KeyringUnavailable() || pm.Hint() == "" {
			t.Fatalf("got %v", err)
		}
		if !strings.Contains(pm.Note(), "--password-stdin") {
			t.Errorf("note lacks the one-run way forward: %q", pm.Note())
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, stdin := range []string{"", "\n", "\r\n", strings.Repeat("x", maxPasswordLen+1) + "\n"} {
			a, _, _ := credsTestApp(stdin, store)
			if _, _, err := a.password(ctx, "h.test", "u", true); exitCodeOf(err) != exitUsage {
				t.Errorf("stdin %.20q: %v, want a usage error", stdin, err)
			}
		}
		a, _, _ := credsTestApp("", store)
		if _, _, err := a.password(ctx, "", "u", false); exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), "--smart-host") {
			t.Errorf("empty host: %v", err)
		}
	})
	t.Run("password without newline at EOF", func(t *testing.T) {
		a, _, _ := credsTestApp("no-newline", store)
		secret, _, err := a.password(ctx, "h.test", "u", true)
		if err != nil || string(secret) != "no-newline" {
			t.Fatalf("got %q %v", secret, err)
		}
	})
}

func TestCredsTestWithoutPasswordOrKeyring(t *testing.T) {
	args := []string{"creds", "test", "--smart-host", "127.0.0.2", "--user", "u"}
	a, _, errb := credsTestApp("", creds.NewMemory())
	if code := run(context.Background(), a, args); code != exitFailure || !strings.Contains(errb.String(), "relaywiz creds set --smart-host 127.0.0.2 --user u") {
		t.Fatalf("not stored: exit %d %q", code, errb)
	}
	a, _, errb = credsTestApp("", failingStore{errLockedForTest})
	if code := run(context.Background(), a, args); code != exitUnavailable || !strings.Contains(errb.String(), "gnome-keyring-daemon --unlock") {
		t.Fatalf("keyring unavailable: exit %d %q", code, errb)
	}
}

func TestCredsTestBadInput(t *testing.T) {
	base := []string{"creds", "test", "--user", "u"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--smart-host", "127.0.0.2", "--port", "0"}, "--port"},
		{[]string{"--smart-host", "127.0.0.2", "--port", "70000"}, "--port"},
		{[]string{"--smart-host", "127.0.0.2", "--ca-file", "/nonexistent/ca.pem"}, "--ca-file"},
		{[]string{"--smart-host", "bad_host!"}, "--smart-host"},
		{[]string{"--smart-host", "127.0.0.2", "--timeout", "0s"}, "--timeout"},
	} {
		a, _, errb := credsTestApp("", creds.NewMemory())
		if code := run(context.Background(), a, append(base, c.args...)); code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d %q; want 64 naming %s", c.args, code, errb, c.want)
		}
	}
}

// Without a terminal and without --password-stdin, the message must not
// blame a flag that was not given, and must name the one to use.
func TestCredsSetWithoutTerminalPointsToPasswordStdin(t *testing.T) {
	a, _, errb := credsTestApp("", creds.NewMemory())
	code := run(context.Background(), a, []string{"creds", "set", "--smart-host", "smtp.example.test", "--user", "relay@example.test"})
	msg := errb.String()
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; %q", code, exitUsage, msg)
	}
	if strings.Contains(msg, "--password-stdin:") || !strings.Contains(msg, "no terminal") || !strings.Contains(msg, "pass it with --password-stdin") {
		t.Errorf("message %q: want it to say there is no terminal and to pass the password with --password-stdin", msg)
	}
}

// On a terminal an unusable keyring is reported before the password is
// asked for, not after it was typed twice.
func TestCredsSetOnTerminalChecksKeyringFirst(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	saved := readHidden
	defer func() { readHidden = saved }()
	asked := 0
	readHidden = func(*os.File) ([]byte, error) { asked++; return []byte("pw"), nil }
	a, _, errb := credsTestApp("", failingStore{errLockedForTest})
	a.stdin, a.stdinTTY = r, true
	if code := run(context.Background(), a, []string{"creds", "set", "--smart-host", "h.test", "--user", "u"}); code != exitUnavailable {
		t.Fatalf("exit %d, want %d: %s", code, exitUnavailable, errb)
	}
	if asked != 0 || strings.Contains(errb.String(), "Password for") {
		t.Errorf("asked for the password %d times before saying the keyring is unavailable: %q", asked, errb)
	}
}

// After storing on a terminal, creds set offers the login test; "n" skips it.
func TestCredsSetOnTerminalOffersTheTest(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	saved := readHidden
	defer func() { readHidden = saved }()
	readHidden = func(*os.File) ([]byte, error) { return []byte("pw"), nil }
	store := creds.NewMemory()
	a, out, errb := credsTestApp("", store)
	a.stdin, a.stdinTTY = r, true
	if _, err := w.WriteString("n\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if code := run(context.Background(), a, []string{"creds", "set", "--smart-host", "h.test", "--user", "u"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.Contains(errb.String(), "Test the login on h.test port 587 now? [Y/n]") {
		t.Errorf("no test offered: %q", errb)
	}
	if !strings.Contains(out.String(), "Stored the password") || strings.Contains(out.String(), "accepted") {
		t.Errorf("stdout %q", out)
	}
	if st := store.Status(context.Background(), "h.test", "u"); st.State != creds.Stored {
		t.Errorf("not stored: %v", st.State)
	}
}

// --host, the name before the shared vocabulary, is still read as
// --smart-host, and does not show in the help.
func TestCredsOldHostFlagStillWorks(t *testing.T) {
	store := creds.NewMemory()
	a, _, errb := credsTestApp("pw\n", store)
	if code := run(context.Background(), a, []string{"creds", "set", "--host", "h.test", "--user", "u", "--password-stdin"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if st := store.Status(context.Background(), "h.test", "u"); st.State != creds.Stored {
		t.Fatalf("not stored under h.test: %v", st.State)
	}
	a, out, _ := credsTestApp("", store)
	run(context.Background(), a, []string{"creds", "set", "--help"})
	if strings.Contains(out.String(), "--host") || !strings.Contains(out.String(), "--smart-host") {
		t.Errorf("help:\n%s", out)
	}
}
