package steps

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"text/template"

	"relaywiz/assets"
)

// The templates are parsed once; parsing can only fail if the embedded
// files are broken, which the tests catch.
var (
	tmplOnce sync.Once
	tmpl     *template.Template
	tmplErr  error
)

func templates() (*template.Template, error) {
	tmplOnce.Do(func() {
		sub, err := fs.Sub(assets.Templates, "templates/steps")
		if err != nil {
			tmplErr = err
			return
		}
		t := template.New("steps").Option("missingkey=error")
		t.Funcs(templateFuncs(t))
		tmpl, tmplErr = t.ParseFS(sub, "*.tmpl")
	})
	return tmpl, tmplErr
}

// templateFuncs are the helpers the templates may use. "ps" is the only
// way a value reaches a .ps1 file (see PSQuote).
func templateFuncs(t *template.Template) template.FuncMap {
	return template.FuncMap{
		"ps":    psValue,
		"plain": plainValue,
		"md":    mdCode,
		"pad": func(s string, width int) string {
			if len(s) >= width {
				return s
			}
			return s + strings.Repeat(" ", width-len(s))
		},
		// include renders a block chosen at run time (apply-SendConnector,
		// ...), which {{template}} cannot do.
		"include": func(name string, data any) (string, error) {
			var b bytes.Buffer
			if err := t.ExecuteTemplate(&b, name, data); err != nil {
				return "", err
			}
			return b.String(), nil
		},
		"add": func(a, b int) int { return a + b },
		"cap": func(s string) string {
			if s == "" {
				return s
			}
			return strings.ToUpper(s[:1]) + s[1:]
		},
		"mdText": mdText,
		// attachmentMB is how much attachment data fits in a message of
		// size mb once Base64 has grown it by a third.
		"attachmentMB": func(mb int) int { return mb * 3 / 4 },
		// encodedMB is the message size needed to carry mb of attachments.
		"encodedMB": func(mb int) int { return (mb*4 + 2) / 3 },
		// psText quotes relaywiz's own prose for Write-Host; the same
		// function as values, so there is one quoting rule in the file.
		"psText": PSQuote,
		// psCmd writes one PowerShell command line with quoted arguments,
		// for the checklist's copy-and-paste lines.
		"psCmd": psCommand,
	}
}

// psCommand renders `Cmdlet -Param value ...` from alternating parameter
// names and values, each value through psValue.
func psCommand(cmdlet string, pairs ...any) (string, error) {
	if len(pairs)%2 != 0 {
		return "", fmt.Errorf("psCmd %s: odd number of arguments", cmdlet)
	}
	var b strings.Builder
	b.WriteString(cmdlet)
	for i := 0; i < len(pairs); i += 2 {
		name, ok := pairs[i].(string)
		if !ok {
			return "", fmt.Errorf("psCmd %s: parameter name %v is not a string", cmdlet, pairs[i])
		}
		b.WriteString(" -" + name + " ")
		v := pairs[i+1]
		if pv, ok := v.(*psVar); ok {
			v = pv.Value // the checklist shows literal values, not variables
		}
		b.WriteString(psValue(v))
	}
	return b.String(), nil
}

// mdText escapes relaywiz's own prose for Markdown: angle brackets
// (<GUID>, <gateway IP>) would otherwise be read as HTML tags.
func mdText(s string) string {
	return strings.NewReplacer("<", `\<`, ">", `\>`).Replace(s)
}

// mdCode renders a value as Markdown inline code. The fence is one
// backtick longer than the longest run inside, so no value can close it.
func mdCode(v any) string {
	if pv, ok := v.(*psVar); ok {
		v = pv.Value
	}
	if _, ok := v.(localServer); ok {
		return "*" + plainValue(v) + "*" // a description, not a value to type
	}
	s := plainValue(v)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			if run > longest {
				longest = run
			}
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// render executes one top-level template for the plan (or, for
// export.ps1, the data that script needs).
func render(name string, p any) (string, error) {
	t, err := templates()
	if err != nil {
		return "", fmt.Errorf("steps: parse templates: %w", err)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, p); err != nil {
		return "", fmt.Errorf("steps: render %s: %w", name, err)
	}
	text := tidy(b.String())
	if strings.HasSuffix(name, ".md.tmpl") {
		text = wrapMarkdown(text, checklistWidth)
	}
	return text, nil
}

// tidy trims trailing spaces and collapses runs of blank lines that
// conditional template blocks leave behind, so the output reads as if
// written by hand.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimLeft(strings.TrimRight(strings.Join(out, "\n"), "\n"), "\n") + "\n"
}
