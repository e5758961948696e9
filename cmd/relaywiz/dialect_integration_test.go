package main

// The Exchange dialect against the real Postfix + Dovecot smart host that
// `make test` starts (testpeers): what an admin sees with --verbose, what
// Postfix logs of the relay's upstream session, and what Exchange Online's
// dialect probes. Skipped locally without the peer, failing under CI.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"relaywiz/testpeers"
)

func TestRealMTACheckVerboseShowsExchangesBareAuthLogin(t *testing.T) {
	m := testpeers.RequireMTA(t)
	a, out, errb := checkTestApp(m.Password+"\n", nil, nil)
	code := run(context.Background(), a, []string{"check", "--host", m.Host, "--tls-server-name", m.ServerName, "--ca-file", m.CAFile,
		"--ports", fmt.Sprint(m.Port587), "--user", m.User, "--password-stdin", "--verbose"})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	tr := errb.String()
	var authAt int = -1
	lines := strings.Split(tr, "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "~> AUTH LOGIN") {
			authAt = i
		}
	}
	if authAt < 0 || authAt+5 > len(lines) {
		t.Fatalf("no bare AUTH LOGIN line in the transcript:\n%s", tr)
	}
	// Exactly Exchange's exchange: prompt, user, prompt, password, 235.
	want := []string{"<~ 334 ", "~> <redacted>", "<~ 334 ", "~> <redacted>", "<~ 235 "}
	for k, w := range want {
		if !strings.Contains(lines[authAt+1+k], w) {
			t.Errorf("line %d after AUTH LOGIN is %q, want %q:\n%s", k+1, lines[authAt+1+k], w, tr)
		}
	}
	for _, secret := range []string{m.Password, base64.StdEncoding.EncodeToString([]byte(m.Password)), base64.StdEncoding.EncodeToString([]byte(m.User))} {
		if strings.Contains(tr+out.String(), secret) {
			t.Fatalf("the transcript shows a credential (%q)", secret)
		}
	}
	if !strings.Contains(out.String(), "as exchange-server") {
		t.Errorf("the verdict does not name the dialect:\n%s", out)
	}
}

func TestRealMTACheckAsExchangeOnlineProbesPort25WithoutAUTH(t *testing.T) {
	m := testpeers.RequireMTA(t)
	if m.Port25 != 25 {
		t.Skipf("the peer's port 25 is %d; Exchange Online only ever uses 25", m.Port25)
	}
	a, out, errb := checkTestApp("", nil, nil)
	code := run(context.Background(), a, []string{"check", "--as", "exchange-online", "--host", m.Host, "--tls-server-name", m.ServerName,
		"--ca-file", m.CAFile, "--json", "--verbose"})
	var doc struct {
		As    string `json:"as"`
		OK    bool   `json:"ok"`
		Ports []struct {
			Port   int    `json:"port"`
			Auth   string `json:"auth"`
			Stages []struct {
				Name string `json:"name"`
			} `json:"stages"`
		} `json:"ports"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || code != 0 {
		t.Fatalf("exit %d (%v)\n%s\n%s", code, err, out, errb)
	}
	if doc.As != "exchange-online" || !doc.OK || len(doc.Ports) != 1 || doc.Ports[0].Port != 25 || doc.Ports[0].Auth != "skipped" {
		t.Fatalf("report %+v", doc)
	}
	for _, st := range doc.Ports[0].Stages {
		if st.Name == "auth" {
			t.Error("Exchange Online's dialect ran an auth stage")
		}
	}
	if strings.Contains(errb.String(), "AUTH ") && regexp.MustCompile(`[~-]> AUTH`).MatchString(errb.String()) {
		t.Errorf("AUTH was sent:\n%s", errb)
	}
	if strings.Contains(errb.String(), fmt.Sprintf("[%d]", m.Port587)) && m.Port587 != 25 {
		t.Errorf("port %d was probed:\n%s", m.Port587, errb)
	}
	// The human report says whose network the probe ran from.
	a, out, errb = checkTestApp("", nil, nil)
	if code := run(context.Background(), a, []string{"check", "--as", "exchange-online", "--host", m.Host, "--tls-server-name", m.ServerName,
		"--ca-file", m.CAFile}); code != 0 || !strings.Contains(out.String(), "runs from your network, not Microsoft's") {
		t.Errorf("exit %d; want the note that the port-25 check runs from the admin's network:\n%s\n%s", code, out, errb)
	}
}

// The relay's upstream session submits as Exchange does: Postfix offers
// CHUNKING, so the message goes as one BDAT <n> LAST (Postfix's log counts
// the commands of every session: "bdat=1", no "data=").
func TestRealMTARelayUpstreamUsesBDAT(t *testing.T) {
	m := testpeers.RequireMTA(t)
	logFile := filepath.Join(filepath.Dir(m.MaildirDir), "postfix.log") // .ci/peers.sh writes it next to the Maildir
	before, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("Postfix's log: %v", err)
	}
	a, out, errb := checkTestApp(m.Password+"\n", nil, nil)
	code := run(context.Background(), a, []string{"send", "--upstream", fmt.Sprintf("%s:%d", m.Host, m.Port587), "--tls-server-name", m.ServerName,
		"--ca-file", m.CAFile, "--user", m.User, "--password-stdin", "--from", m.User, "--to", "bdat@" + m.SinkDomain, "--verbose"})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	if !regexp.MustCompile(`~> BDAT \d+ LAST`).MatchString(errb.String()) || strings.Contains(errb.String(), "upstream] [587] ~> DATA") {
		t.Errorf("the upstream transcript shows no BDAT <n> LAST (or DATA):\n%s", errb)
	}
	// Postfix logs the session summary when the connection closes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		after, _ := os.ReadFile(logFile)
		fresh := string(after[min(len(before), len(after)):])
		for _, line := range strings.Split(fresh, "\n") {
			if strings.Contains(line, "disconnect from") && strings.Contains(line, "auth=1") && strings.Contains(line, "bdat=1") {
				if strings.Contains(line, " data=") {
					t.Fatalf("the session used DATA as well: %s", line)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Postfix session with bdat=1 after the send; new log lines:\n%s", fresh)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// --as reaches the relay's upstream: generic keeps DATA, and Exchange
// Online refuses a port other than 25 and any --user (exit 64).
func TestSendAsGenericUsesDATAAndOnlineRefusesWhatItCannotDo(t *testing.T) {
	m := testpeers.RequireMTA(t)
	a, out, errb := checkTestApp(m.Password+"\n", nil, nil)
	code := run(context.Background(), a, []string{"send", "--as", "generic", "--upstream", fmt.Sprintf("%s:%d", m.Host, m.Port587), "--tls-server-name", m.ServerName,
		"--ca-file", m.CAFile, "--user", m.User, "--password-stdin", "--from", m.User, "--to", "generic@" + m.SinkDomain, "--verbose"})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	if !strings.Contains(errb.String(), "~> DATA") || strings.Contains(errb.String(), "~> BDAT") || !strings.Contains(errb.String(), "~> AUTH LOGIN "+"<redacted>") {
		t.Errorf("generic: want DATA and AUTH LOGIN with initial response upstream:\n%s", errb)
	}
	for _, args := range [][]string{
		{"send", "--as", "exchange-online", "--upstream", m.Host + ":587", "--from", "a@example.com", "--to", "b@example.org"},
		{"send", "--as", "exchange-online", "--upstream", m.Host + ":25", "--user", m.User, "--from", "a@example.com", "--to", "b@example.org"},
	} {
		a, _, errb := checkTestApp("", nil, nil)
		if code := run(context.Background(), a, args); code != exitUsage || !strings.Contains(errb.String(), "Exchange Online") {
			t.Errorf("%v: exit %d %s", args, code, errb)
		}
	}
}
