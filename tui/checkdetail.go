package tui

import (
	"fmt"
	"strings"
	"time"

	"relaywiz/checks"
	"relaywiz/termtext"
)

// renderCheckDetail is step 3's detail view (key d): per port what the
// stage table can only hint at in a cell — the certificate (subject, SANs,
// issuer, expiry, days left, whether it verified with and without SNI),
// the AUTH mechanisms, SIZE — and then the SMTP conversation. Everything
// the server sent is escaped (termtext), since it is the network's text.
func renderCheckDetail(st *Styles, r checks.Report, lines []checks.TranscriptLine, w int) string {
	var b strings.Builder
	b.WriteString(st.Title.Render("Details for "+termtext.Escape(r.Host)+" (d: back to the table)") + "\n")
	row := func(label, value string) {
		b.WriteString(hang(fmt.Sprintf("  %-13s", label), value, w) + "\n")
	}
	for _, p := range r.Ports {
		mark := markOK
		if !p.OK {
			mark = markFail
		}
		b.WriteString("\n" + st.Selected.Render(fmt.Sprintf("Port %d %s", p.Port, mark)) + "\n")
		if p.Banner != "" {
			row("Greeting", termtext.Truncate(p.Banner, 200))
		}
		if t := p.TLS; t != nil {
			row("TLS", t.Version+" "+t.Cipher)
			row("Subject", termtext.Escape(t.Subject))
			row("SANs", termtext.Escape(strings.Join(t.SANs, ", ")))
			row("Issuer", termtext.Escape(t.Issuer))
			row("Expires", expiry(t))
			row("Verified", verified(t))
			row("SNI", sniResult(t))
		} else {
			row("TLS", "not reached")
		}
		row("AUTH", authLine(p))
		row("SIZE", sizeLine(p.SizeLimit))
	}
	b.WriteString("\n" + st.Selected.Render("Conversation (AUTH redacted)") + "\n")
	if len(lines) == 0 {
		b.WriteString("  (none recorded)\n")
	}
	for _, l := range lines {
		b.WriteString(wrap("  "+termtext.Truncate(l.String(), 400), w) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func expiry(t *checks.TLSInfo) string {
	date := t.NotAfter
	if at, err := time.Parse(time.RFC3339, t.NotAfter); err == nil {
		date = at.UTC().Format("2006-01-02")
	}
	switch {
	case t.DaysLeft < 0:
		return fmt.Sprintf("%s (expired %d days ago)", date, -t.DaysLeft)
	case t.DaysLeft == 1:
		return date + " (1 day left)"
	}
	return fmt.Sprintf("%s (%d days left)", date, t.DaysLeft)
}

func verified(t *checks.TLSInfo) string {
	if t.Verified {
		return markOK + " yes, for " + termtext.Escape(t.ServerName)
	}
	why := t.VerifyError
	if why == "" {
		why = "not verified"
	}
	return markFail + " no: " + termtext.Escape(why)
}

// sniResult says what the handshake sent and, when the certificate without
// SNI did not verify, what the server shows when the name is sent.
func sniResult(t *checks.TLSInfo) string {
	var s string
	if t.SNI {
		s = "sent " + termtext.Escape(t.ServerName)
	} else {
		s = "not sent, as Exchange Server does"
	}
	if w := t.WithSNI; w != nil {
		s += "; with SNI the server shows " + termtext.Escape(w.Subject)
		if w.Verified {
			s += " (verifies)"
		} else {
			s += " (does not verify either)"
		}
	}
	return s
}

func authLine(p checks.PortResult) string {
	if len(p.AuthMechanisms) == 0 {
		return "none offered"
	}
	s := strings.Join(p.AuthMechanisms, " ")
	if p.AuthMechanism != "" {
		s += " (logged in with " + p.AuthMechanism + ")"
	}
	return termtext.Escape(s)
}

func sizeLine(n int64) string {
	if n <= 0 {
		return "no limit advertised"
	}
	return fmt.Sprintf("%d bytes (%.1f MB)", n, float64(n)/(1<<20))
}
