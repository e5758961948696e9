//go:build !windows

package steps

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/testpeers"
)

// The project's own lexer (pslex_test.go) checks the scripts against what
// the templates are meant to produce. This test asks an independent parser:
// tree-sitter-powershell, a third-party PowerShell grammar, run by
// .ci/psgrammar/parse.mjs under node. Every golden .ps1 and every script
// the tests generate (all cases, and every injection value that passes
// validation, in the bytes written to disk: BOM, CRLF) must parse without
// an ERROR or MISSING node. The grammar's one known bug (upper-case numeric
// multipliers such as 1MB) is handled narrowly inside parse.mjs.
//
// The tooling is installed by `make psgrammar-deps` (npm ci into
// .ci/psgrammar). Outside CI a missing node or grammar skips; under CI=true
// it fails. The check runs on the build host only (not in the windows test
// binaries under Wine, where node does not exist).

func psGrammarTool(t *testing.T) (node, script string) {
	t.Helper()
	node = testpeers.RequireTool(t, "node")
	dir, err := filepath.Abs(filepath.Join("..", ".ci", "psgrammar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, need := range []string{"tree-sitter", "tree-sitter-powershell"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", need, "package.json")); err != nil {
			msg := "PowerShell grammar not installed (" + need + "): run `make psgrammar-deps`"
			if testpeers.InCI() {
				t.Fatal("integration peer missing under CI: " + msg)
			}
			t.Skip(msg)
		}
	}
	return node, filepath.Join(dir, "parse.mjs")
}

// parsePS runs the grammar over files and returns its report and whether
// everything parsed.
func parsePS(t *testing.T, node, script string, files []string) (string, bool) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(node, append([]string{script}, files...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return out.String(), true
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return out.String(), false
	}
	t.Fatalf("PowerShell grammar did not run: %v\n%s", err, out.String())
	return "", false
}

func writePS(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(name))
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScriptsParseWithPowerShellGrammar(t *testing.T) {
	node, script := psGrammarTool(t)
	dir := t.TempDir()
	var files []string

	goldens, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*", "*.ps1.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(goldens) < 20 {
		t.Fatalf("only %d golden .ps1 files found; the test would prove little", len(goldens))
	}
	files = append(files, goldens...)

	for _, c := range allCases() {
		arts, err := Generate(c.in)
		if err != nil {
			t.Fatalf("Generate(%s): %v", c.name, err)
		}
		for _, a := range arts {
			if strings.HasSuffix(a.Name, ".ps1") {
				files = append(files, writePS(t, dir, c.name+"-"+a.Name, a.Content))
			}
		}
	}
	for _, f := range injectableFields {
		for i, v := range nastyValues {
			in := f.base()
			f.set(&in, v)
			if in.Validate() != nil {
				continue
			}
			arts, err := Generate(in)
			if err != nil {
				t.Fatalf("Generate(%s = %q): %v", f.name, v, err)
			}
			for _, a := range arts {
				if strings.HasSuffix(a.Name, ".ps1") {
					files = append(files, writePS(t, dir, f.name+"-"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+"-"+a.Name, a.Content))
				}
			}
		}
	}
	report, ok := parsePS(t, node, script, files)
	if !ok {
		t.Fatalf("tree-sitter-powershell found syntax errors:\n%s", report)
	}
	t.Logf("%s", strings.TrimSpace(report))
}

// The grammar check itself must be able to fail, and its workaround for
// upper-case multipliers must stay narrow: a real syntax error next to an
// upper-case 1MB is still reported.
func TestPowerShellGrammarCatchesErrors(t *testing.T) {
	node, script := psGrammarTool(t)
	dir := t.TempDir()
	good := writePS(t, dir, "good.ps1", []byte("\ufeff$limit = [int64]$MB * 1MB\r\nSet-SendConnector -MaxMessageSize 40MB\r\n'50MB in a string'\r\n"))
	if report, ok := parsePS(t, node, script, []string{good}); !ok {
		t.Fatalf("valid PowerShell with upper-case multipliers was refused:\n%s", report)
	}
	cases := map[string]string{
		"unclosed.ps1":   "if ($a -gt 1MB) {\r\n    Write-Host 'x'\r\n",
		"operand.ps1":    "$b = (1 + )\r\n",
		"quote.ps1":      "Write-Host 'never closed\r\n",
		"multiplier.ps1": "$a = 1MB +\r\n",
	}
	for name, src := range cases {
		p := writePS(t, dir, name, []byte(src))
		if report, ok := parsePS(t, node, script, []string{p}); ok {
			t.Errorf("%s: invalid PowerShell %q passed the grammar check:\n%s", name, src, report)
		}
	}
}
