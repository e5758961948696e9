package main

import (
	"bytes"
	"strings"
	"testing"
)

// Commands in advice are printed verbatim on their own lines; the prose
// around them is wrapped.
func TestWriteProseKeepsCommandsVerbatim(t *testing.T) {
	text := "Unlock the keyring in the desktop session, or use a keyring unlocked for this shell, which is what the following lines do:\n" +
		"    dbus-run-session -- bash\n" +
		"    printf '%s' \"$KP\" | gnome-keyring-daemon --unlock \\\n" +
		"        --components=secrets >/dev/null\n" +
		"(Then run relaywiz in that shell.)"
	var b bytes.Buffer
	writeProse(&b, "fix: ", "     ", text)
	got := b.String()
	for _, want := range []string{
		"         dbus-run-session -- bash\n",
		"         printf '%s' \"$KP\" | gnome-keyring-daemon --unlock \\\n",
		"             --components=secrets >/dev/null\n",
		"     (Then run relaywiz in that shell.)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasPrefix(got, "fix: Unlock the keyring") {
		t.Errorf("first line: %q", got)
	}
	for _, l := range strings.Split(strings.TrimRight(got, "\n"), "\n") {
		if len(l) > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
	}
}
