package tui

import (
	"context"
	"errors"
	"time"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/files"
	"relaywiz/relay"
	"relaywiz/steps"
	"relaywiz/troubleshoot"
)

// Checker runs the multi-port probe (checks.Run in production). Progress
// events arrive through o.Progress while it runs.
type Checker func(ctx context.Context, o checks.Options) checks.Report

// SendRequest is one live test message, submitted through the embedded
// relay to the smart host the way Exchange's send connector will.
type SendRequest struct {
	Host          string
	Port          int
	CAFile        string
	TLSServerName string
	User          string
	Password      []byte // the sender must not keep it
	From          string
	To            string
	Subject       string
	// Trigger makes the provider's rule fire: "pams" (the zivver-relay
	// header the Outlook plug-in sets) or "subject=WORD".
	Trigger string
	// Headers are extra "Name: value" header lines.
	Headers []string
	// Now dates the message (the wizard's clock).
	Now time.Time
}

// SendResult is what the smart host said about the test message.
type SendResult struct {
	Accepted bool
	// Reply is the final reply the relay gave the test client;
	// UpstreamReply the smart host's own, when it gave one.
	Reply         string
	UpstreamReply string
	QueueID       string
	Step          string // where a failed send stopped (mail, rcpt, data ...)
	Hint          string // what to do about a failure
	Elapsed       time.Duration
}

// Sender submits a test message (relay.Send in production, see
// RelaySender). transcript receives each line of the conversation with
// AUTH already redacted; it is called from the goroutine doing the I/O.
// The error is non-nil exactly when the smart host did not accept.
type Sender func(ctx context.Context, r SendRequest, transcript func(line string)) (SendResult, error)

// LabStarter starts the stand-in smart host (relay.StartLab in
// production), storing its CA and received messages under dir. The lab
// stops when ctx ends.
type LabStarter func(ctx context.Context, dir string) (*relay.Lab, error)

// ArtifactWriter writes the generated files into dir atomically
// (files.WriteArtifacts in production). Without force, existing files
// that would change are left alone and the error is a
// *files.ConflictError carrying the diffs.
type ArtifactWriter func(dir string, arts []steps.Artifact, force bool) (files.Result, error)

// ProfileSaver stores the non-secret answers (files.SaveProfile to the
// profile path in production).
type ProfileSaver func(p files.Profile) error

// Options are the wizard's dependencies. Everything that touches the
// network, the keyring, the disk or the clock comes in here, so tests run
// the whole wizard with fakes.
type Options struct {
	Check    Checker     // required
	Creds    creds.Store // required
	Send     Sender      // nil: the live test explains it is unavailable
	StartLab LabStarter  // nil: no lab offer
	// Resolver answers the Troubleshoot screen's DNS checks (placeholder
	// domain, SPF); nil: the system resolver (net.DefaultResolver).
	Resolver troubleshoot.Resolver
	// LabDir is where a lab started from the wizard keeps its CA and mail.
	LabDir string
	// Write and Clipboard back the Exchange steps screen's keys.
	Write     ArtifactWriter
	Clipboard func(text string) error
	// OutDir is the folder offered for the generated files.
	OutDir string
	// Profile is the saved answers to start from (may be empty);
	// ProfilePath is shown to the user and SaveProfile writes there.
	Profile     files.Profile
	ProfilePath string
	SaveProfile ProfileSaver
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// CheckTimeout bounds each port's probe (checks default when zero).
	CheckTimeout time.Duration
}

func (o *Options) validate() error {
	if o.Check == nil {
		return errors.New("tui: Options.Check is required")
	}
	if o.Creds == nil {
		return errors.New("tui: Options.Creds is required")
	}
	return nil
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
