//go:build linux

package relay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/testpeers"
)

// TestIntegrationSoakThroughRelayToPostfix: 50 concurrent clients send 4
// messages each (1 KB to 256 KB) through a relay with default settings
// (20 sessions, so most clients first get 421 and retry, as an MTA does)
// to the real Postfix; some abandon a MAIL/RCPT transaction in between.
// Every message the relay accepted must be in the Maildir exactly once,
// none may be refused with 5xx, the relay process's peak RSS stays under
// 64 MB, and its goroutines and file descriptors return to where they
// started once the upstream pool has idled out.
//
// The relay runs as a process of its own (testdata/soakrelay, built
// without the race detector) so its RSS is its own.
func TestIntegrationSoakThroughRelayToPostfix(t *testing.T) {
	m := testpeers.RequireMTA(t)
	if testing.Short() {
		t.Skip("soak test")
	}
	bin := filepath.Join(t.TempDir(), "soakrelay")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/soakrelay").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SOAK_UPSTREAM_HOST="+m.Host, "SOAK_UPSTREAM_PORT="+strconv.Itoa(m.Port587),
		"SOAK_UPSTREAM_CA="+m.CAFile, "SOAK_UPSTREAM_USER="+m.User, "SOAK_UPSTREAM_PASSWORD="+m.Password)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() }()
	out := bufio.NewScanner(stdout)
	if !out.Scan() || !strings.HasPrefix(out.Text(), "listening ") {
		t.Fatalf("relay did not start: %q", out.Text())
	}
	addr := strings.TrimPrefix(out.Text(), "listening ")
	stats := func() (goroutines, fds int) {
		t.Helper()
		io.WriteString(stdin, "stats\n")
		if !out.Scan() {
			t.Fatal("relay gone")
		}
		if _, err := fmt.Sscanf(out.Text(), "stats %d %d", &goroutines, &fds); err != nil {
			t.Fatalf("stats %q: %v", out.Text(), err)
		}
		return
	}
	g0, f0 := stats()

	const clients, perClient = 50, 4
	local := uniqueLocal("soak")
	rcpt := local + "@" + m.SinkDomain
	var mu sync.Mutex
	accepted := map[string]int{}
	var failures []string
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i)))
			for j := 0; j < perClient; j++ {
				id := fmt.Sprintf("soak-%d-%d-%s@relaywiz.test", i, j, local)
				size := 1<<10 + rng.Intn(255<<10)
				err := soakSend(addr, rcpt, id, size, i%10 == 0, time.Now().Add(90*time.Second))
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("client %d message %d: %v", i, j, err))
				} else {
					accepted[id]++
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	t.Logf("%d messages accepted in %s", len(accepted), time.Since(start).Round(time.Millisecond))
	for _, f := range failures {
		t.Error(f)
	}

	// Every accepted message in the Maildir exactly once.
	seen := map[string]int{}
	deadline := time.Now().Add(60 * time.Second)
	for {
		seen = map[string]int{}
		files, _ := filepath.Glob(filepath.Join(m.MaildirFor(local), "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			if i := bytes.Index(b, []byte("Message-Id: <")); i >= 0 {
				rest := b[i+len("Message-Id: <"):]
				if k := bytes.IndexByte(rest, '>'); k >= 0 {
					seen[string(rest[:k])]++
				}
			}
		}
		if len(seen) >= len(accepted) || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	for id := range accepted {
		if seen[id] != 1 {
			t.Errorf("message %s accepted by the relay is in the Maildir %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if accepted[id] == 0 {
			t.Errorf("message %s is in the Maildir %d times but the relay never accepted it", id, n)
		}
	}

	if peak := vmHWMOf(t, cmd.Process.Pid); peak >= 64<<20 {
		t.Errorf("relay peak RSS %.1f MB, want < 64 MB", float64(peak)/(1<<20))
	} else {
		t.Logf("relay peak RSS %.1f MB", float64(peak)/(1<<20))
	}

	// Parked upstream connections close after the 30 s pool idle time;
	// then everything must be back where it started.
	var g, f int
	for end := time.Now().Add(45 * time.Second); ; time.Sleep(time.Second) {
		g, f = stats()
		if g == g0 && f == f0 || time.Now().After(end) {
			break
		}
	}
	if g != g0 || f != f0 {
		t.Errorf("after the soak: %d goroutines and %d fds, at the start %d and %d", g, f, g0, f0)
	}
}

// soakSend delivers one message like an MTA would: a 4xx (or a dropped
// connection) is retried after a pause until deadline, a 5xx is final.
// With abandon it first opens and abandons a transaction (MAIL, RCPT,
// QUIT) on a connection of its own.
func soakSend(addr, rcpt, id string, size int, abandon bool, deadline time.Time) error {
	body := soakMessage(rcpt, id, size)
	var last error
	for time.Now().Before(deadline) {
		err := soakAttempt(addr, rcpt, body, abandon)
		if err == nil {
			return nil
		}
		var se *smtp.SMTPError
		if errors.As(err, &se) && se.Code >= 500 {
			return err
		}
		last = err
		time.Sleep(time.Duration(100+rand.Intn(300)) * time.Millisecond)
	}
	return fmt.Errorf("not accepted before the deadline; last: %w", last)
}

func soakAttempt(addr, rcpt string, body []byte, abandon bool) error {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello("soak.test"); err != nil {
		return err
	}
	if abandon {
		if err := c.Mail("soak@example.com", nil); err != nil {
			return err
		}
		if err := c.Rcpt(rcpt, nil); err != nil {
			return err
		}
		if err := c.Reset(); err != nil {
			return err
		}
	}
	if _, err := sendVia(c, "soak@example.com", []string{rcpt}, body); err != nil {
		return err
	}
	if abandon {
		// And one more left open at QUIT, for the pool to clean.
		if err := c.Mail("soak@example.com", nil); err == nil {
			_ = c.Rcpt(rcpt, nil)
		}
	}
	return c.Quit()
}

func soakMessage(rcpt, id string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <soak@example.com>\r\nTo: <%s>\r\nSubject: soak\r\nMessage-Id: <%s>\r\n\r\n", rcpt, id)
	line := strings.Repeat("soak line 0123456789 abcdefghijklmnopqrstuvwxyz", 1) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.Bytes()
}

// vmHWMOf reads the peak resident set size of pid in bytes.
func vmHWMOf(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}
