package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"relaywiz/relay"
	"relaywiz/termtext"
)

const sendLong = `Send one test message end to end: relaywiz starts its relay on a free
loopback port, composes a proper test message (Date, Message-ID, MIME, a body
that says what it tests), submits it through the relay, and the relay hands it
to the smart host exactly as 'relaywiz relay' would (STARTTLS required,
certificate verified, AUTH only after TLS).

Every step is reported as it happens: the local relay, MAIL FROM (when the
smart host connection is opened: dns, connect, banner, EHLO, STARTTLS, TLS,
AUTH), RCPT TO, DATA, and finally the smart host's reply with its queue id and
the time taken.

Triggers make the provider's Exchange rule fire when the message goes through
Exchange rather than straight to the smart host:
  --trigger pams           adds the header "zivver-relay: zivver-message-info"
                           that Zivver's Outlook plugin sets (PAMS rule)
  --trigger subject=WORD   puts WORD in the subject (custom-relay rule)

--attach-mb N adds a generated attachment of N MB (base64 makes the message
about a third larger) to test size limits; it is generated while sending, never
held in memory.

The password for --user comes from the OS keyring ('relaywiz creds set'), the
first line of stdin with --password-stdin, or a prompt on a terminal.`

// sendExitStatus ends 'send --help' (see setExitStatusHelp).
const sendExitStatus = `  0   the smart host accepted the message
  2   DNS or TCP connect to the smart host failed   21  bad or no banner
  22  EHLO refused        29  STARTTLS/TLS/certificate   28  AUTH failed
  23  MAIL FROM refused (also: bigger than --max-size-mb)
  24  RCPT TO refused (every recipient, or some while the rest was delivered)
  25  DATA refused        26  refused at the end of DATA
  1   the embedded relay could not start, no stored password, or another failure
  64  bad input (a flag's value)
  69  the OS keyring is unavailable (use --password-stdin)
  130 interrupted`

const sendExample = `  # the quick smoke test against Zivver (password from the keyring)
  relaywiz send --smart-host smtp.zivver.com --port 587 --user relay@example.com \
    --from admin@example.com --to someone@example.org

  # make the PAMS transport rule fire, and see the conversation
  relaywiz send --smart-host smtp.zivver.com --port 587 --user relay@example.com \
    --from admin@example.com --to someone@example.org --trigger pams --verbose

  # a custom-relay keyword and a 20 MB attachment
  relaywiz send --smart-host smtp.zivver.com --user relay@example.com \
    --from admin@example.com --to someone@example.org --trigger 'subject=[secure]' --attach-mb 20

  # against the local lab smart host (see 'relaywiz lab'), no network needed
  relaywiz send --smart-host 127.0.0.1 --port 2587 --ca-file relaywiz-lab/relaywiz-lab-ca.pem \
    --user relaywiz --to you@example.com`

type sendCmdOptions struct {
	up       upstreamFlags
	to       []string
	from     string
	subject  string
	headers  []string
	trigger  string
	attachMB int
	verbose  bool
}

func newSendCmd(a *app) *cobra.Command {
	var o sendCmdOptions
	cmd := &cobra.Command{
		Use:     "send --smart-host HOST [--port 587] --to ADDR [--user USER] [--profile FILE] [flags]",
		Short:   "Send a test message through the embedded relay to the smart host",
		Long:    sendLong + dialectNote,
		Example: sendExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ps, err := o.up.fromProfile(a, cmd.Flags())
			if err != nil {
				return err
			}
			// the wizard's test sender and recipient
			fromProfile(cmd.Flags(), "from", &o.from, ps.TestFrom)
			if !cmd.Flags().Changed("to") && ps.TestRecipient != "" {
				o.to = []string{ps.TestRecipient}
			}
			return runSend(cmd.Context(), a, o)
		},
	}
	o.up.add(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&o.to, "to", nil, "recipient (repeat for more); use one outside your organisation (required)")
	f.StringVar(&o.from, "from", "", "sender address (default: --user when it is an address, else relaywiz@relaywiz.localhost)")
	f.StringVar(&o.subject, "subject", "", "subject (default: \"relaywiz test message <time>\")")
	f.StringArrayVar(&o.headers, "header", nil, "extra header 'Name: value' (repeatable)")
	f.StringVar(&o.trigger, "trigger", "", "make the provider's rule fire: pams, or subject=WORD")
	f.IntVar(&o.attachMB, "attach-mb", 0, "add a generated attachment of this many MB")
	f.BoolVar(&o.verbose, "verbose", false, "show both SMTP conversations (AUTH redacted, body summarised)")
	setExitStatusHelp(cmd, sendExitStatus)
	return cmd
}

// buildMessage validates the message flags (exit 64 naming the flag).
func (o sendCmdOptions) buildMessage(route string) (*relay.Message, error) {
	if len(o.to) == 0 {
		return nil, usageErrorf("--to: at least one recipient is required, e.g. --to someone@example.org")
	}
	if o.attachMB < 0 || o.attachMB > 1024 {
		return nil, usageErrorf("--attach-mb %d: want 0 to 1024", o.attachMB)
	}
	from := o.from
	if from == "" {
		from = "relaywiz@relaywiz.localhost"
		if strings.Contains(o.up.user, "@") {
			from = o.up.user
		}
	}
	var hs []relay.Header
	for _, h := range o.headers {
		parsed, err := relay.ParseHeader(h)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		hs = append(hs, parsed)
	}
	m, err := relay.NewTestMessage(relay.MessageOptions{
		From: from, To: o.to, Subject: o.subject, Headers: hs, Trigger: o.trigger,
		AttachBytes: int64(o.attachMB) << 20, Route: route,
	})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return m, nil
}

func runSend(ctx context.Context, a *app, o sendCmdOptions) error {
	cfg, err := o.up.parse()
	if err != nil {
		return err
	}
	// Validate the message before asking for a password.
	if _, err := o.buildMessage(""); err != nil {
		return err
	}
	source, done, err := o.up.login(ctx, a, &cfg)
	if err != nil {
		return err
	}
	defer done()
	route := cfg.Name() + " (STARTTLS required"
	if cfg.User != "" {
		route += ", AUTH as " + cfg.User
	}
	msg, err := o.buildMessage(route + ")")
	if err != nil {
		return err
	}

	p := newSendPrinter(a)
	fmt.Fprintf(a.stdout, "relaywiz send: test message from <%s> to <%s>, %d bytes\n", msg.From, strings.Join(msg.To, ">, <"), msg.Size())
	fmt.Fprintf(a.stdout, "  via %s\n", describeUpstream(cfg, source))
	if o.from == "" {
		fmt.Fprintf(a.stdout, "  (no --from given: sending as %s; most providers only accept senders of your own domains)\n", msg.From)
	}
	opts := relay.SendOptions{
		Upstream:        cfg,
		Message:         msg,
		MaxMessageBytes: int64(o.up.maxSizeMB) << 20,
		UpstreamTimeout: o.up.timeout,
	}
	if o.verbose {
		opts.Transcript = a.stderr
	}
	res := relay.Send(ctx, opts, p.event)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if limit := opts.MaxMessageBytes; !res.Accepted && limit > 0 && msg.Size() > limit {
		// The embedded relay refused it, not Exchange and not the smart host:
		// say which limit and how big the message really is.
		res.Hint = oversizeHint(msg.Size(), o.attachMB, o.up.maxSizeMB)
	}
	p.summary(res, cfg.Name())
	if code := res.ExitCode(); code != 0 {
		return withExit(code, nil)
	}
	return nil
}

// oversizeHint names relaywiz's own limit and the encoded size, which is
// about a third above the attachment's size because of base64.
func oversizeHint(size int64, attachMB, maxMB int) string {
	mb := float64(size) / (1 << 20)
	h := fmt.Sprintf("the message is %.1f MB once encoded", mb)
	if attachMB > 0 {
		h += fmt.Sprintf(" (--attach-mb %d grows by about a third in base64)", attachMB)
	}
	return h + fmt.Sprintf(", over relaywiz's own --max-size-mb %d. Raise --max-size-mb (not above the SIZE the smart host advertises, see `relaywiz check`) or lower --attach-mb.", maxMB)
}

// sendPrinter renders progress lines: one per finished step, coloured only
// on a terminal without NO_COLOR.
type sendPrinter struct {
	a                *app
	ok, failed, hint string
}

func newSendPrinter(a *app) *sendPrinter {
	// The marks of check's stage list, coloured only where check's are.
	st := newCheckStyles(a)
	return &sendPrinter{a: a, ok: st.ok.Render("✓"), failed: st.fail.Render("✗"), hint: st.fail.Render("hint:")}
}

func (p *sendPrinter) event(e relay.SendEvent) {
	if e.Status == relay.StepRunning {
		return
	}
	mark := p.ok
	if e.Status == relay.StepFailed {
		mark = p.failed
	}
	step := e.Step
	if e.Stage != "" {
		step = "  " + string(e.Stage)
	}
	fmt.Fprintf(p.a.stdout, "  %s %-10s %s (%s)\n", mark, step, termtext.Escape(e.Detail), e.Elapsed.Round(time.Millisecond))
}

func (p *sendPrinter) summary(r relay.SendResult, upstream string) {
	w := p.a.stdout
	if r.Accepted {
		fmt.Fprintf(w, "\nAccepted by %s: %s\n", upstream, termtext.Escape(r.UpstreamReply))
		if r.QueueID != "" {
			fmt.Fprintf(w, "  queue id    %s\n", termtext.Escape(r.QueueID))
		}
		fmt.Fprintf(w, "  message id  %s\n  size        %d bytes\n  time        %s\n", r.MessageID, r.Size, r.Duration.Round(time.Millisecond))
		return
	}
	where := r.Step
	if r.UpstreamStage != "" {
		where += ", smart host stage " + string(r.UpstreamStage)
	}
	reply := r.Reply
	if reply == "" && r.Err != nil {
		reply = r.Err.Error()
	}
	// Replies and hints quote the smart host: escaped.
	if strings.HasPrefix(reply, "2") && r.Err != nil {
		// The smart host took the message for some recipients and refused
		// the others: a failure, but "NOT delivered … 250" would be false.
		fmt.Fprintf(w, "\nNOT delivered to every recipient (refused at %s): %s\n", where, termtext.Escape(r.Err.Error()))
		fmt.Fprintf(w, "  the smart host accepted it for the others: %s\n", termtext.Escape(reply))
	} else {
		fmt.Fprintf(w, "\nNOT delivered (failed at %s): %s\n", where, termtext.Escape(reply))
	}
	if r.UpstreamReply != "" && !strings.Contains(reply, r.UpstreamReply) {
		fmt.Fprintf(w, "  smart host said: %s\n", termtext.Escape(r.UpstreamReply))
	}
	if r.Hint != "" {
		writeHint(w, p.hint, termtext.EscapeLines(strings.TrimSpace(r.Hint))) // check's hint layout
	}
	fmt.Fprintf(w, "  time: %s\n", r.Duration.Round(time.Millisecond))
}
