package checks

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func TestDialReadyForMailAndTranscriptKeepsSecrets(t *testing.T) {
	for _, tc := range []struct {
		mech     string
		dialect  Dialect
		authLine string
	}{
		{"LOGIN", DialectExchangeServer, "~> AUTH LOGIN\n"},
		{"LOGIN", DialectGeneric, "~> AUTH LOGIN " + redacted},
		{"PLAIN", DialectGeneric, "~> AUTH PLAIN " + redacted},
	} {
		mech := tc.mech
		t.Run(mech+"/"+string(tc.dialect), func(t *testing.T) {
			port, pki := tlsFake(t, &fakeMTA{mechs: []string{mech}}, leafOpts{})
			var lines []TranscriptLine
			conn, err := Dial(context.Background(), DialOptions{
				Dialect: tc.dialect,
				Host:    fakeName, Port: port, Resolver: loopbackResolver, CAFile: pki.caFile,
				User: goodUser, Password: []byte(goodPass), Timeout: 5 * time.Second,
				Transcript: func(l TranscriptLine) { lines = append(lines, l) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if conn.TLS.Version != 0x0304 || conn.Result.AuthMechanism != mech || conn.MaxMessageSize() != 50<<20 {
				t.Errorf("tls %x mech %q size %d", conn.TLS.Version, conn.Result.AuthMechanism, conn.MaxMessageSize())
			}
			const body = "Subject: secret plans\r\n\r\nThe confidential body line.\r\n"
			if err := conn.Client.SendMail("a@example.test", []string{"b@example.test"}, strings.NewReader(body)); err != nil {
				t.Fatalf("send through the dialled client: %v", err)
			}
			if err := conn.Quit(); err != nil {
				t.Errorf("quit: %v", err)
			}

			var all strings.Builder
			for _, l := range lines {
				all.WriteString(l.String() + "\n")
			}
			text := all.String()
			plainIR := base64.StdEncoding.EncodeToString([]byte("\x00" + goodUser + "\x00" + goodPass))
			for _, secret := range []string{goodPass, base64.StdEncoding.EncodeToString([]byte(goodPass)), plainIR} {
				if strings.Contains(text, secret) {
					t.Fatalf("transcript leaks a secret (%q):\n%s", secret, text)
				}
			}
			for _, want := range []string{tc.authLine, "~> MAIL FROM:<a@example.test>", "message content not shown", "<~ 221"} {
				if !strings.Contains(text, want) {
					t.Errorf("transcript lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "confidential") || strings.Contains(text, "secret plans") {
				t.Errorf("transcript shows message content:\n%s", text)
			}
		})
	}
}

func TestDialErrorIsStageErrorWithServerReply(t *testing.T) {
	port, pki := tlsFake(t, &fakeMTA{mechs: []string{"LOGIN"}}, leafOpts{})
	_, err := Dial(context.Background(), DialOptions{
		Host: fakeName, Port: port, Resolver: loopbackResolver, CAFile: pki.caFile,
		User: goodUser, Password: []byte("nope"),
	})
	var se *StageError
	var reply *smtp.SMTPError
	if !errors.As(err, &se) || se.Stage != StageAuth || se.Hint == "" || !errors.As(err, &reply) || reply.Code != 535 {
		t.Fatalf("got %#v", err)
	}
	if st, ok := StageOf(err); !ok || st.ExitCode() != 28 {
		t.Errorf("StageOf %v %v", st, ok)
	}
}

func TestDialBudgetEndsAfterDial(t *testing.T) {
	// The dial timeout must not kill a session the caller keeps using.
	port, pki := tlsFake(t, &fakeMTA{}, leafOpts{})
	conn, err := Dial(context.Background(), DialOptions{
		Host: fakeName, Port: port, Resolver: loopbackResolver, CAFile: pki.caFile, Timeout: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(400 * time.Millisecond)
	if err := conn.Client.Noop(); err != nil {
		t.Fatalf("session died with the dial budget: %v", err)
	}
}
