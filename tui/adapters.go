package tui

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"relaywiz/relay"
	"relaywiz/termtext"
	"relaywiz/troubleshoot"
)

// The production implementations of the narrow dependency types, built on
// the relay package. They live here (not in cmd/relaywiz) so the
// end-to-end tests drive the wizard through exactly the wiring the binary
// uses. checks.Run is a Checker as it is.

// RelaySender sends the live test through relay.Send: an embedded relay on
// an ephemeral loopback port, forwarding to the smart host with the
// checks package's session code.
func RelaySender() Sender {
	return func(ctx context.Context, r SendRequest, transcript func(string)) (SendResult, error) {
		var headers []relay.Header
		for _, h := range r.Headers {
			hh, err := relay.ParseHeader(h)
			if err != nil {
				return SendResult{}, err
			}
			headers = append(headers, hh)
		}
		route := fmt.Sprintf("%s:%d (STARTTLS", r.Host, r.Port)
		if r.User != "" {
			route += ", AUTH as " + r.User
		}
		route += ")"
		msg, err := relay.NewTestMessage(relay.MessageOptions{
			From: r.From, To: []string{r.To}, Subject: r.Subject,
			Headers: headers, Trigger: r.Trigger, Route: route, Now: r.Now,
		})
		if err != nil {
			return SendResult{}, err
		}
		lw := &lineWriter{emit: transcript}
		res := relay.Send(ctx, relay.SendOptions{
			Upstream: relay.UpstreamConfig{
				Host: r.Host, Port: r.Port, CAFile: r.CAFile, TLSServerName: r.TLSServerName,
				User: r.User, Password: r.Password,
			},
			Message:    msg,
			Transcript: lw,
		}, func(ev relay.SendEvent) {
			transcript(progressLine(ev))
		})
		lw.flush()
		out := SendResult{
			Accepted: res.Accepted, Reply: res.Reply, UpstreamReply: res.UpstreamReply,
			QueueID: res.QueueID, Step: res.Step, Hint: res.Hint, Elapsed: res.Duration,
		}
		if !res.Accepted {
			return out, res.Err
		}
		return out, nil
	}
}

// doctorSender lets the Troubleshoot screen's test send (RunDoctor) go
// through the wizard's Sender, so it takes the same path as the live test
// step (and the same fake in tests). The form asks for one recipient.
func doctorSender(send Sender, now func() time.Time) troubleshoot.Sender {
	return func(ctx context.Context, t troubleshoot.TestSend) (troubleshoot.SendOutcome, error) {
		req := SendRequest{
			Host: t.Host, Port: t.Port, CAFile: t.CAFile, TLSServerName: t.TLSServerName,
			From: t.From, Trigger: t.Trigger, Now: now(),
		}
		if len(t.To) > 0 {
			req.To = t.To[0]
		}
		if t.Password != nil {
			req.User, req.Password = t.User, t.Password
		}
		res, err := send(ctx, req, func(string) {})
		reply := res.UpstreamReply
		if reply == "" {
			reply = res.Reply
		}
		return troubleshoot.SendOutcome{
			Accepted: res.Accepted && err == nil, Step: res.Step, Reply: reply, QueueID: res.QueueID, Hint: res.Hint, Err: err,
		}, nil
	}
}

// progressLine renders a send step like a transcript note.
func progressLine(ev relay.SendEvent) string {
	mark := "…"
	switch ev.Status {
	case relay.StepOK:
		mark = markOK
	case relay.StepFailed:
		mark = markFail
	}
	step := ev.Step
	if ev.Stage != "" {
		step += " " + string(ev.Stage)
	}
	return fmt.Sprintf("== %s %s: %s", mark, step, termtext.Escape(ev.Detail))
}

// lineWriter turns the relay's transcript writer into one call per line.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		w.emit(termtext.Escape(line))
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(termtext.Escape(strings.TrimRight(string(w.buf), "\r\n")))
		w.buf = nil
	}
}

// RelayLab starts relay.StartLab on a free loopback port, so a second
// wizard (or `relaywiz lab`) on the default port does not get in the way.
func RelayLab() LabStarter {
	return func(ctx context.Context, dir string) (*relay.Lab, error) {
		return relay.StartLab(ctx, relay.LabOptions{Listen: "127.0.0.1:0", Dir: dir})
	}
}
