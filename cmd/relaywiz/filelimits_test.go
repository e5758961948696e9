package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Every file relaywiz reads has a size limit: pointed at /dev/zero a
// command fails at once with exit 64 and says which flag, instead of
// eating all memory.
func TestFilesFromFlagsAreSizeLimited(t *testing.T) {
	cases := [][]string{
		{"steps", "--profile", "/dev/zero"},
		{"check", "--host", "127.0.0.1", "--ca-file", "/dev/zero"},
		{"relay", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--allow-remote", "--client-user", "exchange", "--client-password-file", "/dev/zero"},
		{"relay", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--ca-file", "/dev/zero"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args[:1], " ")+" "+args[len(args)-2], func(t *testing.T) {
			a, _, errb := stepsTestApp()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			code := run(ctx, a, args)
			if code != exitUsage || !strings.Contains(errb.String(), "larger than") || !strings.Contains(errb.String(), args[len(args)-2]) {
				t.Fatalf("exit %d, stderr %q; want 64 naming %s and the size limit", code, errb.String(), args[len(args)-2])
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}
