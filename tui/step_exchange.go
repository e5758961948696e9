package tui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/files"
	"relaywiz/steps"
)

// exchangeStep is step 6: the generated Exchange changes, one tab per
// artifact (checklist, apply, undo, verify, .reg), scrollable; w writes
// them all to a folder (atomically, through files.WriteArtifacts), c
// copies the one on screen.
type exchangeStep struct {
	c    *Common
	w, h int
	keys exchangeKeys

	tab    int
	vp     viewport.Model
	prompt textinput.Model
	mode   exchangeMode
	note   string // result of the last write or copy
	noteOK bool
	// pendingDir is the folder an overwrite is being confirmed for.
	pendingDir string
	genErr     error  // why the artifacts could not be generated
	route      string // the route tab: where the mail goes (routeOverview)
}

type exchangeMode int

const (
	exViewing exchangeMode = iota
	exAskDir
	exAskOverwrite
	exWriting
)

type exchangeKeys struct {
	Next, NextTab, PrevTab, Write, Copy, Scroll, Confirm, Cancel, Yes, No key.Binding
}

func newExchangeStep(c *Common) *exchangeStep {
	ti := textinput.New()
	ti.Prompt = "Folder: "
	ti.CharLimit = 1024
	return &exchangeStep{
		c:      c,
		vp:     viewport.New(80, 10),
		prompt: ti,
		keys: exchangeKeys{
			Next:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
			NextTab: key.NewBinding(key.WithKeys("tab", "right", "l"), key.WithHelp("tab/→", "next file")),
			PrevTab: key.NewBinding(key.WithKeys("shift+tab", "left", "h"), key.WithHelp("shift+tab/←", "previous file")),
			Write:   key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "write all to a folder")),
			Copy:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy this file")),
			Scroll:  key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓/pgup/pgdn", "scroll")),
			Confirm: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "write")),
			Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
			Yes:     key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "replace them")),
			No:      key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "keep them")),
		},
	}
}

type (
	artifactsWrittenMsg struct {
		dir string
		res files.Result
		err error
	}
	copiedMsg struct {
		name string
		err  error
	}
)

func (artifactsWrittenMsg) owner() StepID { return StepExchange }
func (copiedMsg) owner() StepID           { return StepExchange }

func (s *exchangeStep) Title() string    { return "Exchange steps" }
func (s *exchangeStep) Typing() bool     { return s.mode == exAskDir }
func (s *exchangeStep) Busy() string     { return "" }
func (s *exchangeStep) Leave()           { s.mode = exViewing }
func (s *exchangeStep) Init() tea.Cmd    { return nil }
func (s *exchangeStep) HandlesEsc() bool { return s.mode == exAskDir || s.mode == exAskOverwrite }

func (s *exchangeStep) SetSize(w, h int) {
	s.w, s.h = w, h
	s.vp.Width = w
	s.vp.Height = max(h-4, 1) // below the tabs and a rule, above two lines of notes
	s.prompt.Width = max(w-12, 10)
	s.refresh()
}

func (s *exchangeStep) ShortHelp() []key.Binding {
	if s.genErr != nil {
		return nil
	}
	switch s.mode {
	case exAskDir:
		return []key.Binding{s.keys.Confirm, s.keys.Cancel}
	case exAskOverwrite:
		return []key.Binding{s.keys.Yes, s.keys.No}
	case exWriting:
		return nil
	}
	return []key.Binding{s.keys.Next, s.keys.NextTab, s.keys.Write, s.keys.Copy}
}

func (s *exchangeStep) FullHelp() [][]key.Binding {
	if s.mode != exViewing {
		return [][]key.Binding{s.ShortHelp()}
	}
	return [][]key.Binding{{s.keys.Next, s.keys.NextTab, s.keys.PrevTab}, {s.keys.Write, s.keys.Copy, s.keys.Scroll}}
}

// Enter generates the artifacts from the answers (steps.Generate is pure).
func (s *exchangeStep) Enter() tea.Cmd {
	ses := s.c.Session
	s.mode = exViewing
	s.genErr = nil
	if ses.Artifacts == nil {
		arts, err := steps.Generate(ses.Inputs)
		if err != nil {
			s.genErr = fmt.Errorf("could not generate the Exchange steps: %w", err)
			return ErrorCmd(s.genErr)
		}
		ses.Artifacts = arts
		s.tab = 0
		s.note = ""
	}
	s.route = routeOverview(ses)
	if s.tab > len(ses.Artifacts) {
		s.tab = 0
	}
	s.refresh()
	return nil
}

func (s *exchangeStep) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	ses := s.c.Session
	switch msg := msg.(type) {
	case artifactsWrittenMsg:
		if s.mode != exWriting {
			return s, nil
		}
		s.mode = exViewing
		var conflict *files.ConflictError
		switch {
		case errors.As(msg.err, &conflict):
			// Show what would change before replacing anything.
			s.mode, s.pendingDir = exAskOverwrite, msg.dir
			s.vp.SetContent(s.diffView(conflict))
			s.vp.GotoTop()
		case msg.err != nil:
			s.note, s.noteOK = "Could not write the files: "+msg.err.Error(), false
		default:
			var paths []string
			unchanged := 0
			for _, f := range msg.res.Files {
				paths = append(paths, f.Path)
				if f.State == files.StateUnchanged {
					unchanged++
				}
			}
			ses.Written, ses.WrittenDir, ses.OutDir = paths, msg.dir, msg.dir
			switch {
			case unchanged == len(paths):
				s.note = fmt.Sprintf("%s %s already up to date in %s", markOK, capitalize(count(len(paths), "file")), msg.dir)
			case unchanged > 0:
				s.note = fmt.Sprintf("%s Wrote %s (%d already up to date) to %s", markOK, count(len(paths)-unchanged, "file"), unchanged, msg.dir)
			default:
				s.note = fmt.Sprintf("%s Wrote %s to %s", markOK, count(len(paths), "file"), msg.dir)
			}
			s.noteOK = true
		}
		return s, nil
	case copiedMsg:
		if msg.err != nil {
			s.note, s.noteOK = "No clipboard here ("+msg.err.Error()+"). On a server without a desktop, write the files (w) and open them instead.", false
		} else {
			s.note, s.noteOK = fmt.Sprintf("%s Copied %s to the clipboard.", markOK, msg.name), true
		}
		return s, nil
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	if s.mode == exAskDir {
		var cmd tea.Cmd
		s.prompt, cmd = s.prompt.Update(msg)
		return s, cmd
	}
	return s, nil
}

func (s *exchangeStep) handleKey(msg tea.KeyMsg) tea.Cmd {
	ses := s.c.Session
	switch s.mode {
	case exWriting:
		return nil
	case exAskDir:
		switch {
		case key.Matches(msg, s.keys.Cancel):
			s.mode = exViewing
			return nil
		case key.Matches(msg, s.keys.Confirm):
			dir := strings.TrimSpace(s.prompt.Value())
			if dir == "" {
				s.note, s.noteOK = "Give a folder to write the files to.", false
				return nil
			}
			return s.write(dir, false)
		}
		var cmd tea.Cmd
		s.prompt, cmd = s.prompt.Update(msg)
		return cmd
	case exAskOverwrite:
		switch {
		case key.Matches(msg, s.keys.Yes):
			s.refresh()
			return s.write(s.pendingDir, true)
		case key.Matches(msg, s.keys.No):
			s.mode = exViewing
			s.refresh()
			s.note, s.noteOK = "Kept the files already in "+s.pendingDir+"; nothing was written.", false
			return nil
		}
		var cmd tea.Cmd
		s.vp, cmd = s.vp.Update(msg) // scroll through the differences
		return cmd
	}
	n := len(ses.Artifacts) + 1 // the artifacts and the route tab
	switch {
	case s.genErr != nil:
		return nil
	case key.Matches(msg, s.keys.Next):
		return nextStep
	case key.Matches(msg, s.keys.NextTab) && n > 0:
		s.tab = (s.tab + 1) % n
		s.refresh()
		s.vp.GotoTop()
	case key.Matches(msg, s.keys.PrevTab) && n > 0:
		s.tab = (s.tab + n - 1) % n
		s.refresh()
		s.vp.GotoTop()
	case msg.Type == tea.KeyRunes && len(msg.Runes) == 1 && msg.Runes[0] >= '1' && int(msg.Runes[0]-'1') < n:
		s.tab = int(msg.Runes[0] - '1')
		s.refresh()
		s.vp.GotoTop()
	case key.Matches(msg, s.keys.Write):
		if s.c.Deps.Write == nil {
			s.note, s.noteOK = "Writing files is not available here.", false
			return nil
		}
		s.mode = exAskDir
		s.prompt.SetValue(s.defaultDir())
		s.prompt.CursorEnd()
		return s.prompt.Focus()
	case key.Matches(msg, s.keys.Copy) && s.tab < len(ses.Artifacts):
		return s.copyCurrent()
	default:
		var cmd tea.Cmd
		s.vp, cmd = s.vp.Update(msg)
		return cmd
	}
	return nil
}

// defaultDir is the folder offered for the files: the last one used, the
// configured one, or ./relaywiz-<scenario>.
func (s *exchangeStep) defaultDir() string {
	ses := s.c.Session
	switch {
	case ses.OutDir != "":
		return ses.OutDir
	case s.c.Deps.OutDir != "":
		return s.c.Deps.OutDir
	}
	return "relaywiz-" + string(ses.Scenario.ID)
}

// write hands copies of the artifacts to the writer in a Cmd.
func (s *exchangeStep) write(dir string, force bool) tea.Cmd {
	s.mode = exWriting
	s.note = "Writing…"
	arts := append([]steps.Artifact(nil), s.c.Session.Artifacts...)
	write := s.c.Deps.Write
	return func() tea.Msg {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return artifactsWrittenMsg{dir: dir, err: err}
		}
		res, err := write(abs, arts, force)
		return artifactsWrittenMsg{dir: abs, res: res, err: err}
	}
}

func (s *exchangeStep) copyCurrent() tea.Cmd {
	clip := s.c.Deps.Clipboard
	a := s.c.Session.Artifacts[s.tab]
	if clip == nil {
		s.note, s.noteOK = "No clipboard available. Write the files (w) and open them instead.", false
		return nil
	}
	name, text := a.Name, a.Text
	return func() tea.Msg { return copiedMsg{name: name, err: clip(text)} }
}

// refresh puts the current artifact into the viewport, wrapped to the
// width (a cut-off PowerShell line would be worse than a wrapped one).
func (s *exchangeStep) refresh() {
	arts := s.c.Session.Artifacts
	if len(arts) > 0 && s.tab == len(arts) {
		s.vp.SetContent(wrap(s.route, max(s.w-1, 20)))
		return
	}
	if len(arts) == 0 || s.tab >= len(arts) {
		s.vp.SetContent("")
		return
	}
	s.vp.SetContent(wrap(arts[s.tab].Text, max(s.w-1, 20)))
}

// diffView lists how the files on disk differ from the new ones.
func (s *exchangeStep) diffView(c *files.ConflictError) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("These files in %s differ from the new ones (- on disk, + new):\n", c.Dir))
	for _, f := range c.Changed {
		b.WriteString("\n--- " + f.Name + "\n" + f.Diff + "\n")
	}
	return wrap(b.String(), max(s.w-1, 20))
}

func (s *exchangeStep) tabsView() string {
	st := s.c.Styles
	var parts []string
	for i, a := range s.c.Session.Artifacts {
		if i == s.tab {
			parts = append(parts, st.ActiveTab.Render("["+a.Name+"]"))
		} else {
			parts = append(parts, st.Tab.Render(" "+a.Name+" "))
		}
	}
	if s.tab == len(s.c.Session.Artifacts) {
		parts = append(parts, st.ActiveTab.Render("["+routeTab+"]"))
	} else {
		parts = append(parts, st.Tab.Render(" "+routeTab+" "))
	}
	// Each tab carries its own padding: joined without more, the six files
	// of the PAMS scenarios and the route still fit 80 columns.
	return strings.Join(parts, "")
}

func (s *exchangeStep) View() string {
	st := s.c.Styles
	if s.genErr != nil {
		return st.Fail.Render(wrap(markFail+" "+s.genErr.Error(), max(s.w-2, 20))) + "\n\n" +
			wrap("Go back (esc) to check the Exchange details, then come here again.", max(s.w-2, 20))
	}
	var b strings.Builder
	b.WriteString(s.tabsView() + "\n")
	b.WriteString(rule(st, s.w) + "\n")
	b.WriteString(fit(s.vp.View(), s.w, s.vp.Height) + "\n")
	pos := fmt.Sprintf("%3.0f%%", s.vp.ScrollPercent()*100)
	switch s.mode {
	case exAskDir:
		b.WriteString(s.prompt.View())
	case exAskOverwrite:
		b.WriteString(fit(st.Warn.Render(wrap(markWarn+" Replace them with the new ones? (y/n, ↑/↓ to read the changes) "+s.pendingDir, max(s.w-1, 20))), s.w, 2))
	default:
		line := s.note
		w := max(s.w-1, 20)
		switch {
		case line == "" && s.tab == len(s.c.Session.Artifacts):
			// c copies a file; the route is not one
			line = st.Subtle.Render("w writes all files; this tab is where the mail goes with them. " + pos)
		case line == "":
			line = st.Subtle.Render("w writes all files, c copies this one. " + pos)
		case s.noteOK:
			line = st.OK.Render(wrap(line, w))
		default:
			line = st.Warn.Render(wrap(line, w))
		}
		b.WriteString(fit(line, s.w, 2))
	}
	return b.String()
}
