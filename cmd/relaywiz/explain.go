package main

// `relaywiz explain`: paste an SMTP reply or NDR text, get the meaning, the
// likely cause in an Exchange → smart host setup and the fix, from the
// shared catalogue in package checks (the same one behind every hint).

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"relaywiz/checks"
	"relaywiz/termtext"
)

const explainLong = `Explain an SMTP reply: what it means, what most likely causes it when Exchange
sends through a provider's smart host, and what to do about it.

Give the reply line as Exchange, relaywiz or the smart host printed it, a bare
enhanced status code, or the text of a non-delivery report (NDR); the words
are joined, so quoting is optional. Without arguments the text is read from
stdin (up to 64 KiB), handy for a pasted NDR or a queue's LastError.

Exchange often wraps the smart host's answer in its own ("451 4.4.0 Primary
target IP address responded with: "…"", "… -> 421 4.4.2 …", "[Message=…]"):
the innermost reply is explained first, then each wrapper.

Known in detail, among others: 530 5.7.0 (STARTTLS / AUTH first), 454 4.7.0,
534 5.7.9, 538 5.7.11, 535 5.7.8 / 5.7.3 / 5.7.139, 530 5.7.57, 550 5.7.30,
451 5.7.3 (Require basic authentication / STARTTLS is required), 550/554 5.7.1
relay denied, 550 5.7.64 TenantAttribution, 552 5.3.4, 550 5.3.4
SMTPSEND.OverAdvertisedSize, 421, 450/451/452, 501/503/504, 523 5.7.10,
550 5.1.1, and the Exchange queue and Exchange Online NDR codes 4.4.0, 4.4.1,
4.4.2, 4.4.7, 4.4.316, 4.4.317, 4.4.397, 4.7.5, 4.7.500-699, 5.1.8, 5.1.10,
5.2.2, 5.4.1, 5.4.6, 5.4.14, 5.4.300, 5.7.23, 5.7.26, 5.7.133-136, 5.7.520,
5.7.606-649, 5.7.700-750. Any other code is explained from RFC 5321/3463.

explain reads no profile (and takes no --profile): the catalogue's causes
and fixes name the setting to change, whichever smart host it is.

Exit status:
  0   explained
  1   no reply code or known wording found in the text
  64  no text given`

const explainExample = `  relaywiz explain 535 5.7.8
  relaywiz explain "550 5.7.64 TenantAttribution; Relay Access Denied"
  relaywiz explain 451 5.7.3 Require basic authentication
  relaywiz explain 5.7.139
  Get-Queue | fl LastError | relaywiz explain     # PowerShell, or paste an NDR`

// maxExplainInput bounds what is read from stdin; reply codes sit near the
// start of any NDR.
const maxExplainInput = 64 << 10

type explainOptions struct{ json bool }

func newExplainCmd(a *app) *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:     "explain CODE-OR-TEXT…",
		Short:   "Explain an SMTP reply or NDR: meaning, likely cause, fix",
		Long:    explainLong,
		Example: explainExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(a, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, `print {"code":…,"enhanced":…,"meaning":…,"cause":…,"fix":…,"temporary":…} only`)
	return cmd
}

func runExplain(a *app, o explainOptions, args []string) error {
	text := strings.TrimSpace(strings.Join(args, " "))
	if text == "" && !a.stdinTTY {
		b, err := io.ReadAll(io.LimitReader(a.stdin, maxExplainInput))
		if err != nil {
			return withExit(exitFailure, fmt.Errorf("reading stdin: %w", err))
		}
		text = strings.TrimSpace(string(b))
	}
	if text == "" {
		return usageErrorf("CODE-OR-TEXT is missing: give a reply such as \"535 5.7.8\" or paste NDR text on stdin (see 'relaywiz explain --help')")
	}

	layers := checks.ExplainLayers(text)
	if len(layers) == 0 {
		return withExit(exitFailure, fmt.Errorf("no SMTP reply code or known error text found in %q: paste the whole reply line (e.g. \"550 5.7.1 …\") or the NDR's diagnostic section", shorten(text, 80)))
	}
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		// The top level is the innermost reply (what existing scripts read);
		// layers lists every reply found, innermost first, when Exchange
		// wrapped one in another.
		doc := explainJSONOf(layers[0])
		if len(layers) > 1 {
			for _, l := range layers {
				doc.Layers = append(doc.Layers, explainJSONOf(l))
			}
		}
		return enc.Encode(doc)
	}
	st := newTroubleStyles(a)
	for i, l := range layers {
		if len(layers) > 1 {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			label := "Innermost reply (the real reason):"
			if i > 0 {
				label = "Wrapped by:"
			}
			fmt.Fprintf(a.stdout, "%s %s\n", st.bold.Render(label), termtext.Truncate(l.Text, 200))
		}
		renderExplain(a.stdout, st, l.Info)
	}
	return nil
}

type explainJSON struct {
	Text      string        `json:"text,omitempty"`
	Code      int           `json:"code,omitempty"`
	Enhanced  string        `json:"enhanced,omitempty"`
	Meaning   string        `json:"meaning"`
	Cause     string        `json:"cause"`
	Fix       string        `json:"fix"`
	Temporary bool          `json:"temporary"`
	Layers    []explainJSON `json:"layers,omitempty"`
}

func explainJSONOf(l checks.ReplyLayer) explainJSON {
	i := l.Info
	return explainJSON{Text: l.Text, Code: i.Code, Enhanced: i.Enhanced, Meaning: i.Meaning, Cause: i.Cause, Fix: i.Fix, Temporary: i.Temporary}
}

func renderExplain(w io.Writer, st troubleStyles, info checks.ReplyInfo) {
	var code []string
	if info.Code != 0 {
		code = append(code, fmt.Sprint(info.Code))
	}
	if info.Enhanced != "" {
		code = append(code, info.Enhanced)
	}
	kind := st.fail.Render("permanent failure: fix it, then resend")
	switch {
	case info.Temporary:
		kind = st.warn.Render("temporary: the sender retries by itself")
	case info.Code/100 == 2 || info.Code/100 == 3 || (info.Code == 0 && strings.HasPrefix(info.Enhanced, "2.")):
		kind = st.ok.Render("success")
	}
	fmt.Fprintf(w, "%s  %s\n\n", st.bold.Render(strings.Join(code, " ")), kind)
	for _, part := range [][2]string{{"Meaning:", info.Meaning}, {"Likely cause:", info.Cause}, {"Fix:", info.Fix}} {
		fmt.Fprintln(w, st.bold.Render(part[0]))
		writeProse(w, "  ", "  ", part[1])
	}
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
