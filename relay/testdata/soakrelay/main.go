// Command soakrelay runs the relay with default settings for the soak test
// (relay/soak_linux_test.go), in a process of its own so the test can
// measure its peak RSS without the race detector's overhead. It forwards to
// the upstream named by the environment and answers "stats" on stdin with
// its goroutine and file descriptor counts.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"relaywiz/relay"
)

func main() {
	port, _ := strconv.Atoi(os.Getenv("SOAK_UPSTREAM_PORT"))
	cfg := relay.UpstreamConfig{
		Host: os.Getenv("SOAK_UPSTREAM_HOST"), Port: port, CAFile: os.Getenv("SOAK_UPSTREAM_CA"),
		User: os.Getenv("SOAK_UPSTREAM_USER"), Password: []byte(os.Getenv("SOAK_UPSTREAM_PASSWORD")),
	}
	srv, err := relay.Start(context.Background(), relay.Options{Listen: "127.0.0.1:0", Upstream: relay.NewUpstreamDialer(cfg), UpstreamName: cfg.Name()})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("listening", srv.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "stats" {
			fds, _ := os.ReadDir("/proc/self/fd")
			fmt.Println("stats", runtime.NumGoroutine(), len(fds))
		}
	}
	srv.Close()
}
