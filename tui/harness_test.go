package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

func TestMain(m *testing.M) {
	// Golden files and string assertions see text only, as with NO_COLOR.
	lipgloss.SetColorProfile(termenv.Ascii)
	code := m.Run()
	if binPath != "" { // the binary the tmux tests built
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// harness drives a model the way tea.Program would, but on the test's
// goroutine: Update runs here, Cmds run on goroutines and their messages
// are delivered by settle. Timer-driven messages (cursor blink, spinner
// ticks) are dropped so views are deterministic.
type harness struct {
	t     *testing.T
	m     tea.Model
	msgs  chan tea.Msg
	quit  bool
	seen  []tea.Msg // every message delivered, for assertions on navigation
	limit time.Duration
}

func newHarness(t *testing.T, m tea.Model) *harness {
	t.Helper()
	h := &harness{t: t, m: m, msgs: make(chan tea.Msg, 256), limit: 10 * time.Second}
	return h
}

// init runs Init and settles.
func (h *harness) init() *harness {
	h.run(h.m.Init())
	h.settle()
	return h
}

// run executes cmd in the background, expanding batches and sequences.
func (h *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		defer func() { _ = recover() }() // a send after the test ended
		h.exec(cmd)
	}()
}

func (h *harness) exec(cmd tea.Cmd) {
	msg := cmd()
	if msg == nil {
		return
	}
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			if c != nil {
				go h.exec(c)
			}
		}
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
		for i := 0; i < v.Len(); i++ { // tea.Sequence: in order
			if c, _ := v.Index(i).Interface().(tea.Cmd); c != nil {
				h.exec(c)
			}
		}
		return
	}
	h.msgs <- msg
}

// dropped reports timer messages that only animate.
func dropped(msg tea.Msg) bool {
	name := fmt.Sprintf("%T", msg)
	return strings.HasPrefix(name, "cursor.") || name == "spinner.TickMsg" || name == "tea.windowSizeMsg"
}

// send delivers msg now and runs its Cmd, then settles.
func (h *harness) send(msg tea.Msg) *harness {
	h.t.Helper()
	h.deliver(msg)
	h.settle()
	return h
}

func (h *harness) deliver(msg tea.Msg) {
	if _, ok := msg.(tea.QuitMsg); ok {
		h.quit = true
		return
	}
	h.seen = append(h.seen, msg)
	var cmd tea.Cmd
	h.m, cmd = h.m.Update(msg)
	h.run(cmd)
}

// settle delivers messages until none has arrived for a short while.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.After(h.limit)
	for {
		select {
		case msg := <-h.msgs:
			if dropped(msg) {
				continue
			}
			h.deliver(msg)
		case <-time.After(80 * time.Millisecond):
			return
		case <-deadline:
			h.t.Fatalf("model did not settle within %s", h.limit)
		}
	}
}

// waitFor settles until cond holds (for work that takes real time, such
// as a check against the lab).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(h.limit)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, h.view())
		}
		select {
		case msg := <-h.msgs:
			if !dropped(msg) {
				h.deliver(msg)
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (h *harness) key(k tea.KeyType) *harness { return h.send(tea.KeyMsg{Type: k}) }

func (h *harness) runes(s string) *harness {
	for _, r := range s {
		h.deliver(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	h.settle()
	return h
}

// typeLine types s into the focused field and presses enter.
func (h *harness) typeLine(s string) *harness {
	return h.runes(s).key(tea.KeyEnter)
}

// clear empties the focused text field.
func (h *harness) clear() *harness {
	h.deliver(tea.KeyMsg{Type: tea.KeyCtrlU})
	h.deliver(tea.KeyMsg{Type: tea.KeyCtrlK})
	h.settle()
	return h
}

// view is what the model draws; for a step on its own it adds the form
// error line the root puts in the footer, so step tests see it too.
func (h *harness) view() string {
	v := ansi.Strip(h.m.View())
	if fs, ok := h.m.(formShower); ok {
		if e := formError(fs.shownForm()); e != "" {
			v += "\n[footer] " + e
		}
	}
	return v
}

func (h *harness) sawMsg(want tea.Msg) bool {
	for _, m := range h.seen {
		if reflect.DeepEqual(m, want) {
			return true
		}
	}
	return false
}

// requireView waits (up to the harness limit) until the screen shows every
// substr: work in a Cmd may report later than settle's quiet period on a
// loaded machine, and a positive assertion should not race it.
func (h *harness) requireView(substr ...string) {
	h.t.Helper()
	h.requireScreen(substr, strings.Contains)
}

// requireScreen is requireView and requireWrapped with the match as a
// parameter.
func (h *harness) requireScreen(texts []string, has func(view, text string) bool) {
	h.t.Helper()
	all := func() bool {
		v := h.view()
		for _, s := range texts {
			if !has(v, s) {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(h.limit)
	for !all() && time.Now().Before(deadline) {
		select {
		case msg := <-h.msgs:
			if !dropped(msg) {
				h.deliver(msg)
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
	v := h.view()
	for _, s := range texts {
		if !has(v, s) {
			h.t.Fatalf("screen does not show %q:\n%s", s, v)
		}
	}
}

func (h *harness) requireNoView(substr ...string) {
	h.t.Helper()
	v := h.view()
	for _, s := range substr {
		if strings.Contains(v, s) {
			h.t.Fatalf("screen shows %q but should not:\n%s", s, v)
		}
	}
}

// testCtx ends with the test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}

// containsWrapped reports whether text appears in view, ignoring how the
// view wrapped it (line breaks, box borders and indentation).
func containsWrapped(view, text string) bool {
	norm := func(s string) string {
		s = strings.NewReplacer("│", " ", "┃", " ", "\n", " ").Replace(s)
		return strings.Join(strings.Fields(s), " ")
	}
	return strings.Contains(norm(view), norm(text))
}

// helpKeys lists the keys a step offers in the footer, space-separated.
func helpKeys(s Step) string {
	var out []string
	for _, b := range s.ShortHelp() {
		out = append(out, b.Help().Key)
	}
	return strings.Join(out, " ")
}

// requireWrapped is requireView for text the screen may have wrapped.
func (h *harness) requireWrapped(texts ...string) {
	h.t.Helper()
	h.requireScreen(texts, containsWrapped)
}
