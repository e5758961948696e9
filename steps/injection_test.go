package steps

import (
	"strings"
	"testing"
)

// Every generated .ps1 must lex cleanly, and no line of a script may
// hold an unfinished string.
func TestScriptsLex(t *testing.T) {
	for _, c := range allCases() {
		g := generated(t, c.in)
		for _, f := range []string{FormatApply, FormatUndo, FormatVerify} {
			toks, err := lexPS(g[f])
			if err != nil {
				t.Errorf("%s %s: %v", c.name, f, err)
				continue
			}
			for _, tok := range toks {
				if (tok.kind == tokSingle || tok.kind == tokDouble) && strings.Contains(tok.text, "\n") {
					t.Errorf("%s %s: a string literal spans lines at offset %d: %.60q", c.name, f, tok.pos, tok.text)
				}
			}
		}
	}
}

// fieldSetter puts a value into one input field of one scenario, for the
// injection tests.
type fieldSetter struct {
	name string
	base func() Inputs
	set  func(in *Inputs, v string)
}

var injectableFields = []fieldSetter{
	{"pams-onprem name", func() Inputs { return baseInputs(PAMSOnPrem) }, func(in *Inputs, v string) { in.Name = v }},
	{"pams-onprem contact alias", func() Inputs { return baseInputs(PAMSOnPrem) }, func(in *Inputs, v string) { in.ContactAlias = v }},
	{"relay-onprem sender", func() Inputs {
		in := baseInputs(RelayOnPrem)
		in.Triggers = []Trigger{{TriggerSender, "benign@example.com"}}
		return in
	}, func(in *Inputs, v string) { in.Triggers = []Trigger{{TriggerSender, v + "@example.com"}} }},
	{"relay-online subject", func() Inputs { return baseInputs(RelayOnline) }, func(in *Inputs, v string) { in.Triggers = []Trigger{{TriggerSubject, v}} }},
	{"relay-online name", func() Inputs { return baseInputs(RelayOnline) }, func(in *Inputs, v string) { in.Name = v }},
	{"cryptshare-online subject", func() Inputs { return baseInputs(CryptshareOnline) }, func(in *Inputs, v string) { in.Triggers = []Trigger{{TriggerSubject, v}} }},
	{"cryptshare-onprem old connector", func() Inputs {
		in := baseInputs(CryptshareOnPrem)
		in.Connectors = []string{"benign"}
		return in
	}, func(in *Inputs, v string) { in.Connectors = []string{v} }},
	{"codetwo connector", func() Inputs { return baseInputs(CodeTwoOnline) }, func(in *Inputs, v string) { in.Connectors = []string{v} }},
	{"codetwo add-on rule", func() Inputs { return baseInputs(CodeTwoOnline) }, func(in *Inputs, v string) { in.AddonRule = v }},
}

// checkNoInjection generates the scripts once with a harmless value and
// once with v in the same field. If v passes validation, the two sets of
// scripts must have the same skeleton (everything outside single-quoted
// literals, comments and double-quoted strings included): v may change
// what is inside a literal, never the code around it. And v must reach the
// script intact, as the content of a literal.
func checkNoInjection(t *testing.T, f fieldSetter, v string) {
	t.Helper()
	ref := f.base()
	f.set(&ref, "Benign")
	in := f.base()
	f.set(&in, v)
	if in.Validate() != nil {
		return // refused before anything is emitted: nothing to inject into
	}
	want := generated(t, ref)
	got := generated(t, in)
	for _, format := range []string{FormatApply, FormatUndo, FormatVerify} {
		wt, err := lexPS(want[format])
		if err != nil {
			t.Fatalf("%s: reference %s does not lex: %v", f.name, format, err)
		}
		gt, err := lexPS(got[format])
		if err != nil {
			t.Fatalf("%s = %q: %s does not lex: %v", f.name, v, format, err)
		}
		if ws, gs := skeleton(wt), skeleton(gt); ws != gs {
			t.Fatalf("%s = %q changes the code of %s, not just a string literal:\n%s", f.name, v, format, firstDifference(ws, gs))
		}
		found := false
		for _, tok := range gt {
			if tok.kind == tokSingle && strings.Contains(tok.value, v) {
				found = true
				break
			}
		}
		if !found && format == FormatApply {
			t.Fatalf("%s = %q: the value does not appear intact in any string literal of %s", f.name, v, format)
		}
	}
}

func TestValuesCannotInjectCode(t *testing.T) {
	accepted := 0
	for _, f := range injectableFields {
		for _, v := range nastyValues {
			in := f.base()
			f.set(&in, v)
			if in.Validate() == nil {
				accepted++
			}
			checkNoInjection(t, f, v)
		}
	}
	// Guard against a test that passes because validation refused
	// everything: quotes in names and subject words are legitimate.
	if accepted < 10 {
		t.Fatalf("only %d nasty values passed validation; the test proves nothing", accepted)
	}
}

// FuzzGeneratedScripts runs the same check on arbitrary values:
//
//	go test ./steps -run '^$' -fuzz FuzzGeneratedScripts
func FuzzGeneratedScripts(f *testing.F) {
	for _, v := range nastyValues {
		f.Add(v)
	}
	f.Add("Zivver’s ‘Relay’ – test")
	f.Add("a'b\u2019c\u2018d\u201Ae\u201Bf")
	f.Fuzz(func(t *testing.T, v string) {
		for _, field := range injectableFields {
			checkNoInjection(t, field, v)
		}
	})
}
