package main

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"relaywiz/creds"
	"relaywiz/testpeers"
)

// creds test against the real Postfix + Dovecot SASL smart host, with the
// password in a memory store: the keyring side is covered by the
// creds_integration tests, this covers what reaches the wire and the screen.
func TestCredsIntegrationAuthTestRealMTA(t *testing.T) {
	mta := testpeers.RequireMTA(t)
	ctx := context.Background()
	tlsArgs := []string{"--host", mta.Host, "--user", mta.User, "--ca-file", mta.CAFile, "--tls-server-name", mta.ServerName}
	b64 := base64.StdEncoding.EncodeToString
	leaks := []string{mta.Password, b64([]byte(mta.Password)), b64([]byte("\x00" + mta.User + "\x00" + mta.Password))}

	for _, port := range []int{mta.Port587, mta.Port25} {
		t.Run("stored password, port "+strconv.Itoa(port), func(t *testing.T) {
			store := creds.NewMemory()
			if err := store.Set(ctx, mta.Host, mta.User, []byte(mta.Password)); err != nil {
				t.Fatal(err)
			}
			a, out, errb := credsTestApp("", store)
			code := run(ctx, a, append([]string{"creds", "test", "--verbose", "--port", strconv.Itoa(port)}, tlsArgs...))
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errb)
			}
			all := out.String() + errb.String()
			for _, want := range []string{"STARTTLS", "235", "<redacted>", "✓ " + mta.Host + ":" + strconv.Itoa(port), "certificate verified"} {
				if !strings.Contains(all, want) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
			for _, l := range leaks {
				if strings.Contains(all, l) {
					t.Fatalf("the --verbose transcript shows the password (%d-byte form):\n%s", len(l), all)
				}
			}
		})
	}

	t.Run("wrong password from stdin", func(t *testing.T) {
		a, out, _ := credsTestApp("not-"+mta.Password+"\n", creds.NewMemory())
		code := run(ctx, a, append([]string{"creds", "test", "--password-stdin", "--verbose"}, tlsArgs...))
		if code != 28 {
			t.Fatalf("exit %d, want 28 (auth)\n%s", code, out)
		}
		if !strings.Contains(out.String(), "535 5.7.8") || strings.Contains(out.String(), "not-"+mta.Password) {
			t.Errorf("want the 535 and its hint, without the password:\n%s", out)
		}
		if !strings.Contains(out.String(), `Exchange will show: 451 4.4.0 Primary target IP address responded with: "535 `) {
			t.Errorf("want the error Exchange's queue will show:\n%s", out)
		}
	})

	t.Run("certificate for another name", func(t *testing.T) {
		store := creds.NewMemory()
		store.Set(ctx, mta.Host, mta.User, []byte(mta.Password))
		a, out, _ := credsTestApp("", store)
		args := []string{"creds", "test", "--host", mta.Host, "--user", mta.User, "--ca-file", mta.CAFile, "--tls-server-name", "wrong.relaywiz.test"}
		if code := run(ctx, a, args); code != 29 {
			t.Fatalf("exit %d, want 29 (tls): the password must not be sent to an unverified host\n%s", code, out)
		}
	})
}
