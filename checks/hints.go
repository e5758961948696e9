package checks

import (
	"fmt"
	"strings"
)

// Hints are the sentence an admin reads under a failed stage: what most
// likely happened and what to do next. Server replies go through the
// shared reply-code catalogue (replycodes.go) first, so `check`,
// `explain` and `doctor` give the same advice for the same reply.

// replyHint prefers the catalogue's advice for an SMTP reply in err and
// falls back to the stage-specific sentence.
func replyHint(err error, fallback string) string {
	if h := HintFor(err); h != "" {
		return h
	}
	return fallback
}

func hintDNSNotFound(host string) string {
	return fmt.Sprintf("The name %q does not exist in DNS (NXDOMAIN). Check the spelling against the provider's documentation (Zivver: smtp.zivver.com); "+
		"if it is right, this machine's DNS cannot resolve external names (split DNS): ask for the name to be forwarded, or run the check from a machine that can.", host)
}

func hintDNSFailure() string {
	return "The DNS resolver did not give an answer (timeout or server failure), which says nothing about the name itself. " +
		"Check this machine's DNS servers (ipconfig /all, resolv.conf) and that they may resolve external names, then run the check again."
}

func hintConnectRefused(port int) string {
	return fmt.Sprintf("The host answered, but nothing accepts connections on port %d (or a firewall actively rejects them). "+
		"Check the host name and port against the provider's documentation; the smart host listens on 25 and 587.", port)
}

func hintConnectTimeout(port int) string {
	if port == 25 {
		return "No answer at all on port 25: the port is filtered. Outbound port 25 is blocked on most cloud networks (Azure, AWS, GCP) and by many ISPs. " +
			"Use port 587 for the connector, or ask the network team to allow TCP 25 outbound to the smart host."
	}
	return fmt.Sprintf("No answer at all on port %d: a firewall drops the traffic. Ask the network team to allow TCP %d outbound from this server to the smart host.", port, port)
}

func hintConnectUnreachable() string {
	return "There is no route to the smart host from this machine. Check the network configuration (default gateway, an IPv6 address without IPv6 connectivity, a proxy-only network); " +
		"mail servers need direct outbound TCP to the smart host."
}

func hintBannerTimeout(port int) string {
	return fmt.Sprintf("Port %d accepted the connection but the server never sent its 220 greeting. A firewall or proxy in between is holding the connection, "+
		"or the server is overloaded; try again later and try the other port, and have the network team check for SMTP inspection or proxying.", port)
}

func hintBannerClosed() string {
	return "The connection was closed before the server greeted. The provider may accept connections only from registered IP addresses, " +
		"or a firewall drops the session: check that this server's public IP is allowed at the provider."
}

func hintBannerMasked() string {
	return "The greeting is masked with '*' or 'X': a firewall's SMTP inspection (e.g. Cisco ASA/PIX ESMTP inspection) is rewriting the session, " +
		"and it also strips STARTTLS. Ask the network team to disable ESMTP inspection for traffic to the smart host."
}

func hintEHLORejected(name string) string {
	return fmt.Sprintf("The server rejected our EHLO as %q. Set --ehlo to this server's fully qualified public name (the name Exchange's send connector uses).", name)
}

func hintNoSTARTTLS(masked bool) string {
	if masked {
		return "STARTTLS is missing and the session shows signs of a firewall's SMTP inspection (masked banner/extensions), which strips STARTTLS. " +
			"Disable ESMTP inspection for the smart host; the Exchange connector requires TLS and cannot send without it."
	}
	return "The server did not offer STARTTLS, so the Exchange connector (which requires TLS) cannot send securely. " +
		"Make sure you reached the provider's smart host and not an internal relay or proxy, and that no firewall strips STARTTLS."
}

func hintSTARTTLSInjection() string {
	return "The server sent data right after agreeing to STARTTLS, before the TLS handshake. That is a STARTTLS command-injection attempt or a broken middlebox; " +
		"do not route mail over this path until the network path is checked."
}

func hintTLSVersion(version string) string {
	return fmt.Sprintf("The server negotiated %s. TLS below 1.2 is insecure and refused by Exchange Online and current Windows; the provider must enable TLS 1.2 or 1.3 "+
		"(if a firewall intercepts TLS, it is the firewall that needs updating).", version)
}

func hintTLSHandshake() string {
	return "The TLS handshake failed before a certificate could be checked. A firewall or proxy may intercept TLS on this port, or client and server share no protocol version or cipher; " +
		"try the other port, and check for TLS inspection on the path."
}

func hintTLSUnknownAuthority(issuer string) string {
	return fmt.Sprintf("The certificate chain does not lead to a trusted root (issuer %q). If the provider uses a private CA, pass its certificate with --ca-file; "+
		"if the issuer is your own firewall or proxy, it intercepts TLS: exempt the smart host from TLS inspection.", issuer)
}

func hintTLSExpired(notAfter string) string {
	return fmt.Sprintf("The server's certificate expired on %s; Exchange will refuse it. Tell the provider; if the date looks wrong, check this machine's clock.", notAfter)
}

func hintTLSNotYetValid(notBefore string) string {
	return fmt.Sprintf("The server's certificate is valid only from %s: check this machine's clock and time zone.", notBefore)
}

func hintTLSHostname(name string, names []string) string {
	return fmt.Sprintf("Name mismatch: you connected as %q but the certificate is for %s. Connect with a name from the certificate (--smart-host), or set --tls-server-name to it; "+
		"the Exchange send connector must use that same name, or TLS verification fails there too.", name, strings.Join(quoteAll(names), ", "))
}

func hintTLSExpiresSoon(days int) string {
	return fmt.Sprintf("The certificate expires in %d days. Ask the provider when it will be renewed; after renewal Exchange needs no change as long as the name stays the same.", days)
}

func hintTLSSkipped() string {
	return "Certificate verification was skipped (--insecure-skip-verify). Exchange will verify it: fix the failure shown in verify_error before going live."
}

func hintAuthUnverified() string {
	return "AUTH was not attempted: the certificate was not verified (--insecure-skip-verify); relaywiz never sends the password to an unverified server, because anyone in the path could present that certificate. " +
		"Make verification pass instead: trust the provider's CA with --ca-file, or give the name the certificate carries with --tls-server-name, and run without --insecure-skip-verify."
}

func hintEHLOTLS() string {
	return "The server did not accept EHLO again after STARTTLS. This is a server or middlebox fault; try the other port and report it to the provider."
}

func hintAuthBadCredentials() string {
	return "The server rejected the user name or password (535). Use the exact SMTP user name the provider generated (often the full address) and re-enter the password; " +
		"store it with `relaywiz creds set` so every check uses the same secret."
}

func hintAuthNotOffered(mechs []string) string {
	if len(mechs) == 0 {
		return "The server does not offer AUTH on this port even after TLS. Check the port (submission is 587) and whether the provider authenticates this route by IP address or certificate instead."
	}
	return fmt.Sprintf("The server offers AUTH %s, but neither LOGIN nor PLAIN, which Exchange's basic authentication needs. Ask the provider to enable AUTH LOGIN (or PLAIN) for this account.",
		strings.Join(mechs, " "))
}

func hintAuthTemporary() string {
	return "The server could not check the credentials right now (temporary failure, 454). Nothing is wrong with your settings yet: run the check again in a few minutes, and contact the provider if it persists."
}

func hintAuthProtocol() string {
	return "The AUTH exchange broke off (unexpected challenge or connection problem). Try again; if it repeats, capture the --verbose transcript (passwords are redacted) for the provider."
}

func hintTimeout(stage Stage, budget string) string {
	return fmt.Sprintf("The server stopped answering during %s within the %s budget. The path may be slow or a middlebox holds the session: try again, and raise --timeout if the link is known to be slow.", stage, budget)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	if len(out) == 0 {
		return []string{"no names at all"}
	}
	return out
}

func hintEHLONoReply() string {
	return "The server greeted but did not answer EHLO. A firewall or SMTP proxy may be cutting the session, or the server is overloaded: " +
		"try again, try the other port, and ask the provider whether connections from this server's public IP are allowed."
}

func hintReplyTooLong() string {
	return "The server's reply is far beyond anything SMTP allows: this is not a working SMTP server (wrong port, a proxy, or a hostile peer). " +
		"Check --smart-host and --ports/--port; nothing was sent."
}

func hintAuthConnectionLost() string {
	return "The server closed or reset the connection while relaywiz was logging in, without saying whether the credentials were right. " +
		"Some providers drop the connection after repeated failures or for unregistered IP addresses: wait a few minutes, run the check again, and ask the provider if it persists."
}
