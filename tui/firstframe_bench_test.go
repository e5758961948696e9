package tui

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/files"
	"relaywiz/steps"
)

// firstFrameGoal is the budget from start to the first screen.
const firstFrameGoal = 150 * time.Millisecond

func benchOptions() Options {
	return Options{
		Check:    checks.Run,
		Creds:    creds.NewMemory(),
		Send:     RelaySender(),
		StartLab: RelayLab(),
		Write:    files.WriteArtifacts,
		// A returning user: the profile is applied before the first frame.
		Profile: files.Profile{Steps: steps.Defaults(steps.PAMSOnPrem),
			SmartHost: files.SmartHostProfile{Host: "smtp.zivver.com", Ports: []int{25, 587}, User: "svc@example.org"}},
		ProfilePath: "/home/admin/.config/relaywiz/profile.json",
	}
}

// BenchmarkFirstFrameModel: building the wizard and rendering its first
// screen, without a terminal.
func BenchmarkFirstFrameModel(b *testing.B) {
	for i := 0; i < b.N; i++ {
		m, err := New(context.Background(), benchOptions())
		if err != nil {
			b.Fatal(err)
		}
		m.Init()
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		if m.View() == "" {
			b.Fatal("empty first frame")
		}
		m.Close()
	}
}

// firstWrite signals when the first screen has been written: the
// program writes terminal set-up sequences before it, so wait for the
// header text itself.
type firstWrite struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	once sync.Once
	done chan struct{}
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.Contains(w.buf.Bytes(), []byte("Step 1 of 8")) {
		w.once.Do(func() { close(w.done) })
	}
	return len(p), nil
}

// BenchmarkFirstFrameProgram: from tea.NewProgram to the first frame on
// the (fake) terminal, as `relaywiz` with no arguments does it. Fails if
// the mean exceeds the 150 ms goal.
func BenchmarkFirstFrameProgram(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		m, err := New(context.Background(), benchOptions())
		if err != nil {
			b.Fatal(err)
		}
		out := &firstWrite{done: make(chan struct{})}
		p := tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(out), tea.WithoutSignalHandler())
		done := make(chan struct{})
		go func() {
			_, _ = p.Run()
			close(done)
		}()
		select {
		case <-out.done:
		case <-time.After(5 * time.Second):
			b.Fatal("no frame within 5s")
		}
		total += time.Since(start)
		p.Quit()
		<-done
		m.Close()
	}
	mean := total / time.Duration(b.N)
	b.ReportMetric(float64(mean.Microseconds())/1000, "ms/first-frame")
	if mean > firstFrameGoal {
		b.Fatalf("first frame after %s on average, goal %s", mean, firstFrameGoal)
	}
}

var _ io.Writer = (*firstWrite)(nil)
