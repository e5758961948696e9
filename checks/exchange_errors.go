package checks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-smtp"
)

// The errors an Exchange send connector itself produces when it cannot use
// a smart host, and the form in which the admin finds them in Exchange's
// queue (Get-Queue / Queue Viewer, LastError). relaywiz predicts them per
// failing stage (StageResult.ExchangeError), so the check names the exact
// text the admin will see after changing Exchange. Sources: Microsoft's
// cmdlet reference for the connector settings, and the transport behaviour
// of Exchange Server 2016/2019 (see README, "Dialects").
const (
	// ExchangeRequireBasicAuth: the EHLO reply after TLS has no line whose
	// first word is exactly AUTH listing LOGIN (only "AUTH=LOGIN", or only
	// PLAIN).
	ExchangeRequireBasicAuth = "451 5.7.3 Require basic authentication"
	// ExchangeRequireSTARTTLS: BasicAuthRequireTLS and the smart host does
	// not offer STARTTLS.
	ExchangeRequireSTARTTLS = "451 5.7.3 Require STARTTLS to do basic authentication"
	// ExchangeNoCredentials: the connector has no credentials stored.
	ExchangeNoCredentials = "454 4.7.0 Temporary authentication failure"
	// ExchangeCertValidation: the certificate does not chain to a trusted
	// root or names none of the connector's smart hosts (an IP smart host
	// never matches).
	ExchangeCertValidation = "454 4.7.5 Certificate validation failure"
	// ExchangeOverAdvertisedSize: the message is larger than the smart
	// host's SIZE; Exchange checks this itself, on unauthenticated
	// sessions only.
	ExchangeOverAdvertisedSize = "550 5.3.4 SMTPSEND.OverAdvertisedSize"
	// ExchangeIllegalAuthResponse: a 334 reply of more than one line.
	ExchangeIllegalAuthResponse = "AUTH response was illegally formatted"
	// ExchangeUnableToConnect: TCP connect refused or timed out.
	ExchangeUnableToConnect = "421 4.2.1 Unable to connect"
	// ExchangeDNSFailed: the smart host's name does not resolve.
	ExchangeDNSFailed = "451 4.4.0 DNS query failed"
)

// ExchangeQueueText is how a failed attempt to reach the smart host shows
// in Exchange's queue: the message stays queued in Retry and is retried (no
// NDR at first; after the expiration timeout 4.4.7 / 5.4.300).
func ExchangeQueueText(reply string) string {
	return `451 4.4.0 Primary target IP address responded with: "` + reply + `"`
}

// ExchangeError is one entry of the list README and --help print.
type ExchangeError struct {
	Text string // the error Exchange produces
	When string // what relaywiz saw that predicts it
}

// ExchangeErrors lists every Exchange error relaywiz predicts.
func ExchangeErrors() []ExchangeError {
	return []ExchangeError{
		{ExchangeRequireBasicAuth, "after TLS no EHLO line is exactly \"AUTH ...\" listing LOGIN (only AUTH=LOGIN, or only PLAIN)"},
		{ExchangeRequireSTARTTLS, "the smart host offers no STARTTLS (BasicAuthRequireTLS)"},
		{ExchangeNoCredentials, "a user name but no password (the connector has no credentials)"},
		{ExchangeCertValidation, "the certificate is untrusted or does not name the smart host; always for an IP-address smart host; " +
			"also when only the SNI certificate matches (Exchange sends no SNI, INFERRED)"},
		{ExchangeIllegalAuthResponse, "a 334 reply of more than one line during AUTH LOGIN"},
		{ExchangeOverAdvertisedSize, "a message larger than the advertised SIZE on an unauthenticated session"},
		{ExchangeUnableToConnect, "TCP connect refused or timed out"},
		{ExchangeDNSFailed, "the smart host's name does not resolve"},
		{ExchangeQueueText("<the smart host's reply>"), "any refusal by the smart host (banner, EHLO, AUTH 535, ...), as the queue shows it"},
	}
}

// exchangeErrorFor predicts what Exchange shows for a failure at stage st
// with cause err. "" when nothing useful can be said (generic dialect,
// or a failure relaywiz only has because it checks more than Exchange).
func exchangeErrorFor(d Dialect, st Stage, err error, predicted string) string {
	if !d.Exchange() || err == nil {
		return ""
	}
	if predicted != "" {
		if strings.HasPrefix(predicted, "451 4.4.0 ") {
			return predicted
		}
		return ExchangeQueueText(predicted)
	}
	var se *smtp.SMTPError
	switch {
	case st == StageDNS:
		return ExchangeDNSFailed
	case st == StageConnect:
		return ExchangeQueueText(ExchangeUnableToConnect)
	case errors.As(err, &se):
		return ExchangeQueueText(replyText(se))
	}
	return ""
}

// SizeNote is the sentence shown next to a smart host's SIZE limit: the
// limit applies to the encoded message, and Exchange itself compares
// sizes only on unauthenticated sessions.
func SizeNote(limit int64) string {
	size := sizeWords(limit)
	return fmt.Sprintf("Size: the smart host takes messages up to %s. MIME encoding makes attachments about a third larger "+
		"(a %s message holds about %s of attachments). Exchange compares the size with SIZE itself only on "+
		"unauthenticated sessions (%s); with AUTH the smart host refuses too large a message after receiving it.",
		size, size, sizeWords(limit*3/4), ExchangeOverAdvertisedSize)
}

// sizeWords names a byte count for the size note: whole MB for the usual
// limits, finer below, so a small SIZE never reads "0 MB".
func sizeWords(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// PredictExchangeError is the Exchange error for a failed Dial (its
// *StageError), for callers that have no StageResult: "" when none applies.
func PredictExchangeError(err error) string {
	var se *StageError
	if !errors.As(err, &se) {
		return ""
	}
	return se.ExchangeError
}
