package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/creds"
)

// troubleTestApp runs headers/explain in-process with the given stdin and
// environment; no terminal unless the test sets the TTY flags.
func troubleTestApp(stdin io.Reader, env map[string]string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	return &app{
		stdin:  stdin,
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return env[k] },
		store:  func() creds.Store { return creds.NewMemory() },
	}, &out, &errb
}

// corpus is the troubleshoot package's test corpus: the CLI must agree
// with the analyser on every message.
func corpus(name string) string { return filepath.Join("..", "..", "troubleshoot", "testdata", name) }

func TestHeadersExitStatusPerVerdict(t *testing.T) {
	cases := []struct {
		file string
		args []string
		code int
		want string
	}{
		{"secure-pams-onprem.eml", nil, exitOK, "SECURE:"},
		{"label-present.eml", nil, exitOK, "Vertrouwelijk"},
		{"direct-unsecured.eml", nil, exitHeadersNotSecure, "NOT SECURE:"},
		{"no-tls-hop.eml", nil, exitHeadersNotSecure, "NO TLS"},
		{"no-received.eml", nil, exitHeadersUnknown, "CANNOT TELL:"},
		{"loop.eml", nil, exitOK, "loop:"},
		// the same secure message judged against another provider name: the
		// rule fired but no hop reached that provider
		{"secure-pams-onprem.eml", []string{"--provider-host", "*.other-provider.example"}, exitHeadersNotSecure, "the Exchange rule fired"},
	}
	for _, c := range cases {
		t.Run(c.file+strings.Join(c.args, "_"), func(t *testing.T) {
			a, out, errb := troubleTestApp(nil, nil)
			code := run(context.Background(), a, append(append([]string{"headers"}, c.args...), corpus(c.file)))
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s%s", code, c.code, out, errb)
			}
			if !strings.Contains(out.String(), c.want) {
				t.Errorf("output lacks %q:\n%s", c.want, out)
			}
			if errb.Len() != 0 {
				t.Errorf("unexpected stderr: %s", errb)
			}
		})
	}
}

func TestHeadersJSONContract(t *testing.T) {
	for _, c := range []struct {
		file   string
		secure string
	}{{"secure-pams-onprem.eml", "true"}, {"direct-unsecured.eml", "false"}, {"no-received.eml", "null"}} {
		a, out, _ := troubleTestApp(nil, nil)
		run(context.Background(), a, []string{"headers", "--json", corpus(c.file)})
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("%s: stdout is not one JSON document: %v\n%s", c.file, err, out)
		}
		var keys []string
		for k := range doc {
			keys = append(keys, k)
		}
		if len(doc) != 7 || doc["hops"] == nil || doc["markers"] == nil || doc["labels"] == nil || doc["verdict"] == nil ||
			doc["input"] == nil || doc["summary"] == nil || doc["antispam"] == nil {
			t.Errorf("%s: top-level keys %v", c.file, keys)
		}
		var verdict map[string]json.RawMessage
		if err := json.Unmarshal(doc["verdict"], &verdict); err != nil || len(verdict) != 2 {
			t.Fatalf("%s: verdict %s", c.file, doc["verdict"])
		}
		if got := string(verdict["secure"]); got != c.secure {
			t.Errorf("%s: secure %s, want %s", c.file, got, c.secure)
		}
		var reasons []map[string]any
		if err := json.Unmarshal(verdict["reasons"], &reasons); err != nil || len(reasons) == 0 || reasons[0]["message"] == "" {
			t.Errorf("%s: reasons %s", c.file, verdict["reasons"])
		}
		if !strings.HasPrefix(string(doc["hops"]), "[") || !strings.HasPrefix(string(doc["labels"]), "[") {
			t.Errorf("%s: hops/labels must be arrays, got %s / %s", c.file, doc["hops"], doc["labels"])
		}
		if strings.Contains(out.String(), `\u003c`) {
			t.Errorf("%s: addresses HTML-escaped in JSON", c.file)
		}
	}
}

func TestHeadersFromStdin(t *testing.T) {
	msg, err := os.ReadFile(corpus("pasted-lf.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"headers"}, {"headers", "-"}} {
		a, out, errb := troubleTestApp(bytes.NewReader(msg), nil)
		if code := run(context.Background(), a, args); code != exitOK {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errb)
		}
		if !strings.Contains(out.String(), "cmg.cryptshare.example.org") {
			t.Errorf("%v: output lacks the gateway:\n%s", args, out)
		}
		if errb.Len() != 0 {
			t.Errorf("prompt printed without a terminal: %q", errb)
		}
	}
	// On a terminal the prompt goes to stderr, never into --json output.
	a, out, errb := troubleTestApp(bytes.NewReader(msg), nil)
	a.stdinTTY = true
	run(context.Background(), a, []string{"headers", "--json"})
	if !strings.Contains(errb.String(), "empty line") || !json.Valid(out.Bytes()) {
		t.Errorf("prompt/JSON mixed up: stderr %q stdout %q", errb, out)
	}
}

func TestHeadersBadInputIsUsageError(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.eml")
	gz, err := os.ReadFile(corpus("huge-header.eml.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	if err := os.WriteFile(huge, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"headers", filepath.Join(dir, "missing.eml")}, "", `FILE "`},
		{[]string{"headers", dir}, "", "is a directory"},
		{[]string{"headers", huge}, "", "1024 KiB"},
		{[]string{"headers"}, "", "no mail headers"},
		{[]string{"headers"}, "hello\nworld\n", "no mail headers"},
		{[]string{"headers", "--provider-host", "smtp://x", corpus("loop.eml")}, "", "--provider-host"},
		{[]string{"headers", "--trigger-label", "Confidential", corpus("loop.eml")}, "", "--trigger-label"},
		{[]string{"headers", "--slow-hop", "0s", corpus("loop.eml")}, "", "--slow-hop"},
		{[]string{"headers", "a.eml", "b.eml"}, "", "accepts at most 1 arg"},
	}
	for _, c := range cases {
		a, out, errb := troubleTestApp(strings.NewReader(c.stdin), nil)
		code := run(context.Background(), a, c.args)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", c.args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: stderr %q lacks %q", c.args, errb, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: stdout not empty on error: %s", c.args, out)
		}
	}
}

func TestHeadersColourOnlyOnTerminalWithoutNO_COLOR(t *testing.T) {
	for _, c := range []struct {
		tty     bool
		noColor bool
		want    bool
	}{{false, false, false}, {true, false, true}, {true, true, false}} {
		env := map[string]string{}
		if c.noColor {
			env["NO_COLOR"] = "1"
		}
		a, out, _ := troubleTestApp(nil, env)
		a.stdoutTTY = c.tty
		run(context.Background(), a, []string{"headers", corpus("direct-unsecured.eml")})
		if has := strings.Contains(out.String(), "\x1b["); has != c.want {
			t.Errorf("tty=%v NO_COLOR=%v: escapes=%v\n%q", c.tty, c.noColor, has, out.String())
		}
	}
}

func TestHeadersHelpTeaches(t *testing.T) {
	a, out, _ := troubleTestApp(nil, nil)
	if code := run(context.Background(), a, []string{"headers", "--help"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Exit status", "  3 ", "  4 ", "--provider-host", "zivver.com", "Internet headers", "relaywiz headers -"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
