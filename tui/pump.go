package tui

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"
)

// The channel pump (glow's pattern): a worker goroutine, started inside a
// Cmd, sends progress messages into a channel; each pump Cmd reads one
// and the step issues the next pump when it has handled it. The model
// only ever changes in Update, and the worker never blocks once the step
// has gone away, because it also watches the context the step cancels.

// pump reads the next message; nil once the worker has closed ch.
func pump(ch <-chan tea.Msg) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

// emitter sends msg to ch unless ctx has ended.
func emitter(ctx context.Context, ch chan<- tea.Msg) func(tea.Msg) {
	return func(msg tea.Msg) {
		select {
		case ch <- msg:
		case <-ctx.Done():
		}
	}
}

// startWorker runs work on its own goroutine, handing it an emitter for its
// progress and result messages, and returns the channel the step pumps. The
// channel closes when work returns, which ends the pump.
func startWorker(ctx context.Context, buffer int, work func(emit func(tea.Msg))) <-chan tea.Msg {
	ch := make(chan tea.Msg, buffer)
	emit := emitter(ctx, ch)
	go func() {
		defer close(ch)
		work(emit)
	}()
	return ch
}
