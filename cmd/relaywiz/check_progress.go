package main

// The live progress line of `relaywiz check`: one line on the terminal's
// stderr, rewritten in place while the ports are probed, erased before the
// report is printed. Only used when stderr is a terminal, so pipes and
// logs never see control characters.

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"relaywiz/checks"
)

// writerIsTerminal reports whether w is a terminal (a console on Windows).
func writerIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

type checkProgress struct {
	w     io.Writer
	host  string
	ports []int

	mu    sync.Mutex
	state map[int]string // port → current stage, or the final mark
	frame int

	done chan struct{}
	wg   sync.WaitGroup
}

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func newCheckProgress(w io.Writer, host string, ports []int) *checkProgress {
	p := &checkProgress{w: w, host: host, ports: ports, state: map[int]string{}, done: make(chan struct{})}
	for _, port := range ports {
		p.state[port] = "waiting"
	}
	return p
}

// event is the checks.Options.Progress callback.
func (p *checkProgress) event(e checks.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case checks.StageStarted:
		p.state[e.Port] = string(e.Stage) + "…"
	case checks.PortFinished:
		if e.PortResult != nil && e.PortResult.OK {
			p.state[e.Port] = "✓"
		} else {
			p.state[e.Port] = "✗"
		}
	}
}

func (p *checkProgress) start() {
	if p == nil {
		return
	}
	if !enableANSI(p.w) {
		p.w = io.Discard // a console that cannot redraw a line gets no progress
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			p.draw()
			select {
			case <-p.done:
				fmt.Fprint(p.w, "\r\x1b[K") // erase the line
				return
			case <-t.C:
			}
		}
	}()
}

func (p *checkProgress) stop() {
	if p == nil {
		return
	}
	close(p.done)
	p.wg.Wait()
}

func (p *checkProgress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	parts := make([]string, 0, len(p.ports))
	for _, port := range p.ports {
		parts = append(parts, fmt.Sprintf("%d %s", port, p.state[port]))
	}
	p.frame++
	fmt.Fprintf(p.w, "\r\x1b[K%s checking %s  %s", spinnerFrames[p.frame%len(spinnerFrames)], p.host, strings.Join(parts, "  "))
}
