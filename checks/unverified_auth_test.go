package checks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// With --insecure-skip-verify the TLS peer is whoever answered: the
// password must not be handed to it. The fake offers AUTH and would
// accept the credentials, so only the client's refusal keeps them back.
func TestNoCredentialsToUnverifiedServer(t *testing.T) {
	f := &fakeMTA{mechs: []string{"LOGIN", "PLAIN"}}
	port, _ := tlsFake(t, f, leafOpts{}) // no CAFile: the test CA is not trusted
	var lines []TranscriptLine
	p, rep := probe(t, port, func(o *Options) {
		o.InsecureSkipVerify = true
		o.User, o.Password = goodUser, []byte(goodPass)
		o.Transcript = func(l TranscriptLine) { lines = append(lines, l) }
	})
	for _, l := range lines {
		if l.Dir == Sent && strings.HasPrefix(strings.ToUpper(l.Text), "AUTH") {
			t.Fatalf("AUTH sent to a server whose certificate was not verified: %q", l.Text)
		}
	}
	if m := f.usedMech(); m != "" {
		t.Fatalf("the server received AUTH %s", m)
	}
	st := mustFailAt(t, p, rep, StageAuth)
	if p.Auth != AuthSkipped {
		t.Errorf("auth %q, want %q", p.Auth, AuthSkipped)
	}
	if !strings.Contains(st.Hint, "not verified") || !strings.Contains(st.Hint, "--insecure-skip-verify") || !strings.Contains(st.Hint, "never sends the password") {
		t.Errorf("hint does not say why: %q", st.Hint)
	}
	if p.TLS == nil || p.TLS.Verified {
		t.Errorf("tls %+v: want verified=false reported", p.TLS)
	}
}

// Dial (relay upstream, creds test, doctor) refuses the same way: an
// auth-stage error, nothing sent.
func TestDialRefusesCredentialsToUnverifiedServer(t *testing.T) {
	f := &fakeMTA{mechs: []string{"PLAIN"}}
	port, _ := tlsFake(t, f, leafOpts{names: []string{"other.example"}})
	conn, err := Dial(context.Background(), DialOptions{
		Host: fakeName, Port: port, Resolver: loopbackResolver, InsecureSkipVerify: true,
		User: goodUser, Password: []byte(goodPass), Timeout: 5 * time.Second,
	})
	if err == nil {
		conn.Close()
		t.Fatal("Dial authenticated to a server whose certificate was not verified")
	}
	var se *StageError
	if !errors.As(err, &se) || se.Stage != StageAuth || !errors.Is(err, ErrUnverifiedServer) {
		t.Fatalf("err %v, want an auth-stage StageError wrapping ErrUnverifiedServer", err)
	}
	if m := f.usedMech(); m != "" {
		t.Fatalf("the server received AUTH %s", m)
	}
}

// Without credentials, skipping verification still gets a usable session
// (the lab and self-signed test servers rely on it).
func TestDialUnverifiedWithoutCredentialsStillWorks(t *testing.T) {
	port, _ := tlsFake(t, &fakeMTA{}, leafOpts{})
	conn, err := Dial(context.Background(), DialOptions{
		Host: fakeName, Port: port, Resolver: loopbackResolver, InsecureSkipVerify: true, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Quit()
}
