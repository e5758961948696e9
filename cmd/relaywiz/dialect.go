package main

// --as: which Exchange connector relaywiz speaks as (checks.Dialect). Shared
// by check, doctor, send, relay and creds test, so every command that talks
// to the smart host judges it the same way.

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"relaywiz/checks"
)

const asFlagUsage = "the client to speak as: exchange-server (an Exchange Server send connector, default), " +
	"exchange-online (an Exchange Online outbound connector: port 25, no AUTH) or generic (any SMTP server)"

// dialectNote ends the --help of the other commands that take --as.
const dialectNote = "\n\n--as picks the client relaywiz speaks as (default exchange-server: what an Exchange\nServer send connector sends, bare AUTH LOGIN, no SNI, one BDAT <n> LAST). See\n'relaywiz check --help' for each dialect and the Exchange errors relaywiz predicts."

func addAsFlag(f *pflag.FlagSet, dst *string) {
	f.StringVar(dst, "as", string(checks.DefaultDialect), asFlagUsage)
}

// parseAs reads --as, refusing what the dialect cannot do: an Exchange
// Online connector has no credentials to send.
func parseAs(value, user string) (checks.Dialect, error) {
	d, err := checks.ParseDialect(value)
	if err != nil {
		return "", usageErrorf("--as: %v", err)
	}
	if d == checks.DialectExchangeOnline && user != "" {
		return "", usageErrorf("--user: Exchange Online's outbound connector cannot log in to a smart host " +
			"(New-OutboundConnector has no user name or password); the provider recognises the tenant by its SPF record " +
			"instead. Drop --user, or use --as exchange-server for an on-premises send connector")
	}
	return d, nil
}

// onlineAs reports whether --as names the Exchange Online dialect. The
// commands then take no user name from the profile (it belongs to an
// on-premises connector); only a --user typed is refused.
func onlineAs(value string) bool {
	d, err := checks.ParseDialect(value)
	return err == nil && d == checks.DialectExchangeOnline
}

// dialectHelp is the part of --help that says what each dialect does and
// which Exchange errors relaywiz predicts.
func dialectHelp() string {
	var b strings.Builder
	b.WriteString("Dialects (--as):\n")
	for _, d := range checks.Dialects() {
		fmt.Fprintf(&b, "  %-16s %s\n", d, wrapIndent(d.Describe(), 19, 78))
	}
	b.WriteString("\nExchange errors relaywiz predicts (JSON: exchange_error; the queue shows them as\n" +
		"451 4.4.0 Primary target IP address responded with: \"...\", retried, no NDR at first):\n")
	for _, e := range checks.ExchangeErrors() {
		fmt.Fprintf(&b, "  %s\n      %s\n", e.Text, wrapIndent(e.When, 6, 78))
	}
	b.WriteString("Points marked INFERRED follow from Exchange's behaviour; Microsoft does not document them.")
	return b.String()
}

// wrapIndent wraps s at width, indenting continuation lines by indent.
func wrapIndent(s string, indent, width int) string {
	var b strings.Builder
	col := indent
	for i, w := range strings.Fields(s) {
		if i > 0 && col+1+len(w) > width {
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = indent
		} else if i > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

// askPassword asks for the password on the terminal when none is stored
// (or the keyring cannot be used), as send and relay do; ok is false when
// there is no terminal to ask on.
func (a *app) askPassword(host, user string, pm *passwordMissingError) (secret []byte, ok bool, err error) {
	f, isFile := a.stdin.(*os.File)
	if !isFile || !a.stdinTTY {
		return nil, false, nil
	}
	if pm.KeyringUnavailable() {
		fmt.Fprintf(a.stderr, "The OS keyring cannot be used (%v).\n", pm.Cause)
	} else {
		fmt.Fprintf(a.stderr, "No password stored for %s on %s (store it with 'relaywiz creds set --smart-host %s --user %s' to skip this question).\n", user, host, host, user)
	}
	fmt.Fprintf(a.stderr, "Password for %s on %s (not echoed): ", user, host)
	secret, err = readHidden(f)
	fmt.Fprintln(a.stderr)
	if err != nil {
		return nil, true, fmt.Errorf("reading the password from the terminal: %w", err)
	}
	if len(secret) == 0 {
		return nil, true, usageErrorf("password: empty")
	}
	return secret, true, nil
}
