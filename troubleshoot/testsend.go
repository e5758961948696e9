package troubleshoot

import (
	"context"
	"time"

	"relaywiz/checks"
	"relaywiz/relay"
)

// TestSend is the live test message RunDoctor asks a Sender for.
type TestSend struct {
	Host          string
	Port          int
	CAFile        string
	TLSServerName string
	Timeout       time.Duration // connecting to the smart host (0: the relay's default)
	User          string
	Password      []byte // nil: no AUTH; the sender must not keep it
	From          string
	To            []string
	Trigger       string // "pams" or "subject=WORD"
	Dialect       checks.Dialect
	EHLOName      string
}

// Sender submits a test message through the embedded relay. The error is
// for a message that could not be built (bad addresses): nothing was sent.
// Everything the relay or the smart host said is in the SendOutcome.
type Sender func(ctx context.Context, s TestSend) (SendOutcome, error)

// RelaySend is the production Sender: relay.Send, the same path
// `relaywiz send` takes.
func RelaySend(ctx context.Context, s TestSend) (SendOutcome, error) {
	cfg := relay.UpstreamConfig{Host: s.Host, Port: s.Port, TLSServerName: s.TLSServerName, CAFile: s.CAFile, Timeout: s.Timeout,
		Dialect: s.Dialect, EHLOName: s.EHLOName}
	if s.Password != nil {
		cfg.User, cfg.Password = s.User, s.Password
	}
	msg, err := relay.NewTestMessage(relay.MessageOptions{
		From: s.From, To: s.To, Trigger: s.Trigger,
		Route: cfg.Name() + " (relaywiz doctor)",
	})
	if err != nil {
		return SendOutcome{}, err
	}
	res := relay.Send(ctx, relay.SendOptions{Upstream: cfg, Message: msg, UpstreamTimeout: s.Timeout}, nil)
	reply := res.UpstreamReply
	if reply == "" {
		reply = res.Reply
	}
	return SendOutcome{Accepted: res.Accepted, Step: res.Step, Reply: reply, QueueID: res.QueueID, Hint: res.Hint, Err: res.Err}, nil
}
