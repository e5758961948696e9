// Command relaywiz checks, configures and tests the route from Microsoft
// Exchange to a secure-mail provider's authenticated smart host.
//
// main stays thin: it wires the real process environment into the app and
// turns the returned error into a documented exit status (see exit.go).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, newProcessApp(), os.Args[1:])
	stop()
	os.Exit(code)
}
