package relay

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

func TestSendThroughRelayToLab(t *testing.T) {
	lab := startTestLab(t, LabOptions{})
	cfg, _ := labUpstream(t, lab, lab.Password)
	msg, err := NewTestMessage(MessageOptions{From: "admin@example.com", To: []string{"ext@example.org"}, Trigger: "pams", AttachBytes: 100 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []SendEvent
	var tr bytes.Buffer
	res := Send(context.Background(), SendOptions{Upstream: cfg, Message: msg, Transcript: &syncWriter{w: &tr, mu: &mu}}, func(e SendEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})
	if !res.Accepted || res.Err != nil || res.ExitCode() != 0 {
		t.Fatalf("send through relay to lab failed: %+v", res)
	}
	files := emlFiles(t, lab.Dir)
	if len(files) != 1 || !strings.Contains(files[0], res.QueueID) || res.QueueID == "" {
		t.Fatalf("queue id %q, lab files %v", res.QueueID, files)
	}
	eml, _ := os.ReadFile(files[0])
	_, stored := splitTrace(t, eml)
	want, _ := readAllMsg(msg)
	if !bytes.Equal(stored, want) {
		t.Error("the lab stored something other than the composed message")
	}
	mu.Lock()
	defer mu.Unlock()
	seen := map[string]bool{}
	for _, e := range events {
		key := e.Step
		if e.Stage != "" {
			key += "/" + string(e.Stage)
		}
		if e.Status == StepOK {
			seen[key] = true
		}
		if e.Status == StepFailed {
			t.Errorf("unexpected failed step %+v", e)
		}
	}
	for _, step := range []string{"relay", "connect", "upstream/" + string(checks.StageTLS), "upstream/" + string(checks.StageAuth), "mail", "rcpt", "data", "done"} {
		if !seen[step] {
			t.Errorf("no successful %q event; got %+v", step, events)
		}
	}
	if strings.Contains(tr.String(), lab.Password) {
		t.Error("transcript shows the password")
	}
}

func TestSendReportsUpstreamAuthFailure(t *testing.T) {
	lab := startTestLab(t, LabOptions{})
	cfg, _ := labUpstream(t, lab, "wrong-password")
	msg, _ := NewTestMessage(MessageOptions{From: "admin@example.com", To: []string{"ext@example.org"}})
	res := Send(context.Background(), SendOptions{Upstream: cfg, Message: msg}, nil)
	if res.Accepted || res.UpstreamStage != checks.StageAuth || res.ExitCode() != checks.StageAuth.ExitCode() {
		t.Fatalf("want an auth-stage failure (exit 28), got %+v", res)
	}
	if res.Hint == "" || !strings.Contains(res.Reply, "authentication") {
		t.Errorf("hint %q reply %q", res.Hint, res.Reply)
	}
	if n := len(emlFiles(t, lab.Dir)); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

func TestSendOversizeRefusedBeforeData(t *testing.T) {
	f := startFakeUpstream(t, nil)
	dials := 0
	msg, _ := NewTestMessage(MessageOptions{From: "admin@example.com", To: []string{"ext@example.org"}, AttachBytes: 2 << 20})
	res := Send(context.Background(), SendOptions{Upstream: UpstreamConfig{Host: "127.0.0.1", Port: 1}, Dial: fakeDialer(f.Addr, &dials), Message: msg, MaxMessageBytes: 1 << 20}, nil)
	if res.Accepted || res.Step != StepMail || !strings.Contains(res.Err.Error(), "552") || res.ExitCode() != ExitMailRefused {
		t.Fatalf("want 552 at MAIL FROM, got %+v", res)
	}
	if dials != 0 {
		t.Error("upstream dialled for an oversize message")
	}
}

func readAllMsg(m *Message) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(m.Reader())
	return b.Bytes(), err
}

// Every recipient refused: the client gives up before DATA, so the relay
// has no final reply to report; send must still say RCPT TO (exit 24),
// with the smart host's own refusal, not "abandoned" (exit 1).
func TestSendAllRecipientsRefusedIsRcptFailure(t *testing.T) {
	userUnknown := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
	f := startFakeUpstream(t, func(f *fakeUpstream) { f.rcptErr["ext@example.org"] = userUnknown })
	msg, _ := NewTestMessage(MessageOptions{From: "admin@example.com", To: []string{"ext@example.org"}})
	res := Send(context.Background(), SendOptions{Upstream: UpstreamConfig{Host: "127.0.0.1", Port: 1}, Dial: fakeDialer(f.Addr, nil), Message: msg}, nil)
	if res.Accepted || res.Step != StepRcpt || res.ExitCode() != ExitRcptRefused {
		t.Fatalf("want a RCPT TO failure (exit 24), got step %q exit %d: %+v", res.Step, res.ExitCode(), res)
	}
	if !strings.Contains(res.Reply, "550 5.1.1 User unknown") {
		t.Errorf("reply %q does not carry the smart host's refusal", res.Reply)
	}
}
