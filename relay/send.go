package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

// SendOptions configure one live test send: the message goes from a local
// go-smtp client through an embedded relay (on an ephemeral loopback port)
// to the smart host, exactly the path `relaywiz relay` takes.
type SendOptions struct {
	Upstream UpstreamConfig
	// Dial overrides the upstream dialer (tests); nil: NewUpstreamDialer(Upstream).
	Dial            UpstreamDialer
	Message         *Message
	MaxMessageBytes int64 // the relay's limit; default 50 MB
	// UpstreamTimeout bounds opening the smart host connection.
	UpstreamTimeout time.Duration
	// Transcript, if set, gets both legs (AUTH redacted, body summarised).
	Transcript io.Writer
}

// SendStatus is the state of one step in a SendEvent.
type SendStatus int

const (
	StepRunning SendStatus = iota
	StepOK
	StepFailed
)

// SendEvent reports progress for `relaywiz send`, the TUI's live test and
// doctor. Steps: "relay", "connect", "mail" (during which "upstream"
// events with Stage set report the smart host connection stage by stage),
// "rcpt", "data", "done".
type SendEvent struct {
	Step    string
	Stage   checks.Stage // for Step "upstream"
	Status  SendStatus
	Detail  string
	Elapsed time.Duration // since the send started
}

// SendResult is the outcome of Send.
type SendResult struct {
	Accepted  bool
	QueueID   string
	MessageID string
	Size      int64
	// Reply is what the relay answered at the step that ended the send;
	// UpstreamReply is the smart host's own final reply, when it gave one.
	Reply         string
	UpstreamReply string
	Step          string       // StepDone when accepted, else where it stopped
	UpstreamStage checks.Stage // set when the smart host connection failed
	Hint          string       // what to do about a failure
	RelayAddr     string
	Duration      time.Duration
	Err           error // nil only when Accepted
}

// ExitCode is 0 only when the smart host accepted the message; otherwise
// the stage code `relaywiz check` uses (2 connect, 28 auth, 29 TLS, ...),
// or swaks's 23–26 when the smart host refused the transaction.
func (r SendResult) ExitCode() int {
	if r.Accepted {
		return 0
	}
	m := MessageRecord{Step: r.Step, UpstreamStage: r.UpstreamStage}
	return m.ExitCode()
}

// Send runs a live test: start the embedded relay, submit the message
// through it and report every step. progress may be nil; it is called from
// the calling goroutine and from the relay's, never concurrently.
func Send(ctx context.Context, o SendOptions, progress func(SendEvent)) SendResult {
	start := time.Now()
	events := &eventSink{start: start, fn: progress}
	res := SendResult{}
	if o.Message == nil {
		res.Err = errors.New("send: no message")
		return res
	}
	res.MessageID, res.Size = o.Message.MessageID, o.Message.Size()
	dial := o.Dial
	if dial == nil {
		dial = NewUpstreamDialer(o.Upstream)
	}
	// The relay reports the message when it gets its final reply, before
	// the client reads that reply: once submit has returned, the record
	// is there (or there is none: submit ended the transaction itself).
	messages := make(chan MessageRecord, 4)

	events.emit(SendEvent{Step: "relay", Status: StepRunning, Detail: "starting the embedded relay on loopback"})
	srv, err := Start(ctx, Options{
		Listen:          "127.0.0.1:0",
		Upstream:        dial,
		UpstreamName:    o.Upstream.Name(),
		UpstreamTimeout: o.UpstreamTimeout,
		MaxMessageBytes: o.MaxMessageBytes,
		MaxSessions:     2,
		Transcript:      o.Transcript,
		OnMessage: func(m MessageRecord) {
			select {
			case messages <- m:
			default:
			}
		},
		OnUpstreamProgress: func(e checks.Event) { events.upstream(e) },
	})
	if err != nil {
		res.Err = err
		res.Step = "relay"
		events.emit(SendEvent{Step: "relay", Status: StepFailed, Detail: err.Error()})
		return res
	}
	defer srv.Close()
	res.RelayAddr = srv.Addr()
	events.emit(SendEvent{Step: "relay", Status: StepOK, Detail: "listening on " + srv.Addr() + ", forwarding to " + o.Upstream.Name()})

	submitErr := submit(ctx, srv.Addr(), o.Message, events)

	// The relay's own record knows what the smart host said and which
	// stage failed. None when the client side gave up before a final
	// reply (every recipient refused) or go-smtp answered by itself
	// (SIZE= over the limit): then the client's error tells.
	var rec *MessageRecord
	select {
	case m := <-messages:
		rec = &m
	default:
	}
	res.Duration = time.Since(start)
	if rec != nil {
		res.Accepted = rec.Accepted && submitErr == nil
		res.QueueID = rec.QueueID
		res.Reply = rec.Reply
		res.UpstreamReply = rec.UpstreamReply
		res.Step = rec.Step
		res.UpstreamStage = rec.UpstreamStage
		if rec.Err != nil && submitErr == nil {
			submitErr = rec.Err
		}
		if rec.Accepted && submitErr != nil {
			res.Step = StepRcpt // delivered, but some recipients were refused
		}
		var se *checks.StageError
		if errors.As(rec.Err, &se) {
			res.Hint = se.Hint
		}
	}
	if !res.Accepted {
		res.Err = submitErr
		if res.Err == nil {
			res.Err = errors.New("the relay did not report the outcome of the message")
		}
		// Refusals go-smtp answers itself (SIZE= over the limit) never reach
		// the relay's session, so the client side knows the step.
		var ce *clientStepError
		if res.Step == "" && errors.As(submitErr, &ce) {
			res.Step = ce.step
			res.Reply = errText(ce.err)
		}
		if res.Step == "" {
			res.Step = "connect"
		}
		if res.Hint == "" {
			res.Hint = checks.HintFor(res.Err)
		}
		return res
	}
	detail := "accepted by " + o.Upstream.Name()
	if res.QueueID != "" {
		detail += ", queue id " + res.QueueID
	}
	events.emit(SendEvent{Step: "done", Status: StepOK, Detail: fmt.Sprintf("%s in %s", detail, res.Duration.Round(time.Millisecond))})
	return res
}

// submit is the client side: a plain go-smtp client talking to our own
// relay on loopback, announcing the exact size so an oversize message is
// refused at MAIL FROM.
func submit(ctx context.Context, addr string, m *Message, ev *eventSink) error {
	step, err := submitSteps(ctx, addr, m, ev)
	if err != nil {
		return &clientStepError{step: step, err: err}
	}
	return nil
}

// clientStepError is a failed submission to the embedded relay and the step
// (StepMail, StepRcpt, ...) it failed at.
type clientStepError struct {
	step string
	err  error
}

func (e *clientStepError) Error() string { return e.err.Error() }
func (e *clientStepError) Unwrap() error { return e.err }

func submitSteps(ctx context.Context, addr string, m *Message, ev *eventSink) (string, error) {
	ev.emit(SendEvent{Step: "connect", Status: StepRunning, Detail: "connecting to the relay at " + addr})
	c, err := smtp.Dial(addr)
	if err != nil {
		ev.emit(SendEvent{Step: "connect", Status: StepFailed, Detail: err.Error()})
		return "connect", fmt.Errorf("connect to the embedded relay: %w", err)
	}
	defer c.Close()
	// Let a cancelled context interrupt a blocking step.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Hello("localhost"); err != nil {
		ev.emit(SendEvent{Step: "connect", Status: StepFailed, Detail: err.Error()})
		return "connect", fmt.Errorf("greet the embedded relay: %w", err)
	}
	ev.emit(SendEvent{Step: "connect", Status: StepOK, Detail: "connected to the relay"})

	ev.emit(SendEvent{Step: "mail", Status: StepRunning, Detail: fmt.Sprintf("MAIL FROM:<%s> SIZE=%d — the relay now opens the smart host connection (TLS, AUTH)", m.From, m.Size())})
	if err := c.Mail(m.From, &smtp.MailOptions{Size: m.Size()}); err != nil {
		ev.emit(SendEvent{Step: "mail", Status: StepFailed, Detail: errText(err)})
		return StepMail, err
	}
	// With PIPELINING upstream the relay answers MAIL before the smart
	// host has seen it: its verdict on the sender arrives with the first
	// recipient's reply (relay/pipeline.go), so do not claim it here.
	ev.emit(SendEvent{Step: "mail", Status: StepOK, Detail: "sender accepted by the relay (the smart host's verdict on it comes with the first recipient at the latest)"})

	ev.emit(SendEvent{Step: "rcpt", Status: StepRunning, Detail: fmt.Sprintf("RCPT TO: %d recipient(s)", len(m.To))})
	accepted := 0
	var rcptErr error
	for _, to := range m.To {
		if err := c.Rcpt(to, nil); err != nil {
			rcptErr = err
			ev.emit(SendEvent{Step: "rcpt", Status: StepFailed, Detail: "<" + to + ">: " + errText(err)})
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return StepRcpt, rcptErr
	}
	ev.emit(SendEvent{Step: "rcpt", Status: StepOK, Detail: fmt.Sprintf("sender and %d of %d recipient(s) accepted by the smart host", accepted, len(m.To))})

	ev.emit(SendEvent{Step: "data", Status: StepRunning, Detail: fmt.Sprintf("sending %d bytes", m.Size())})
	w, err := c.Data()
	if err != nil {
		ev.emit(SendEvent{Step: "data", Status: StepFailed, Detail: errText(err)})
		return StepData, err
	}
	if _, err := io.Copy(w, m.Reader()); err != nil {
		ev.emit(SendEvent{Step: "data", Status: StepFailed, Detail: err.Error()})
		return StepData, fmt.Errorf("send the message to the relay: %w", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		ev.emit(SendEvent{Step: "data", Status: StepFailed, Detail: errText(err)})
		return StepDot, err
	}
	ev.emit(SendEvent{Step: "data", Status: StepOK, Detail: "250 " + resp.StatusText})
	if rcptErr != nil {
		// Delivered, but not to everyone: that is not a pass.
		_ = c.Quit()
		return StepRcpt, rcptErr
	}
	_ = c.Quit()
	return StepDone, nil
}

func errText(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return replyFirstLine(se)
	}
	return err.Error()
}

// eventSink serialises progress callbacks (the relay's dial runs on the
// server goroutine while submit waits for the MAIL reply).
type eventSink struct {
	start time.Time
	fn    func(SendEvent)
	mu    sync.Mutex
}

func (s *eventSink) emit(e SendEvent) {
	if s.fn == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Elapsed = time.Since(s.start)
	s.fn(e)
}

func (s *eventSink) upstream(e checks.Event) {
	switch e.Kind {
	case checks.StageStarted:
		s.emit(SendEvent{Step: "upstream", Stage: e.Stage, Status: StepRunning})
	case checks.StageFinished:
		st := StepOK
		if !e.Result.OK {
			st = StepFailed
		}
		d := e.Result.Detail
		if !e.Result.OK && e.Result.Hint != "" {
			d += " — " + e.Result.Hint
		}
		s.emit(SendEvent{Step: "upstream", Stage: e.Stage, Status: st, Detail: d})
	}
}
