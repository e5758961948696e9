//go:build linux

package main

// Tests that run the built relaywiz binary as a person would: the README's
// first-run walk-through (lab + send) in a network namespace that has
// nothing but loopback, and the relay's peak memory while it streams a
// 40 MB message, measured from /proc/PID/status of the relay process.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/relay"
	"relaywiz/testpeers"
)

// TestRelayBinary builds relaywiz once (into the test's temp dir, removed
// afterwards) and runs the binary-level relay scenarios on it.
func TestRelayBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "relaywiz")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("ReadmeWalkthroughLabAndSendNoNetwork", func(t *testing.T) { testReadmeWalkthrough(t, bin) })
	t.Run("Streams40MBInBoundedMemoryToLab", func(t *testing.T) { testStreamsToLab(t, bin) })
	t.Run("IntegrationStreams40MBToPostfixInBoundedMemory", func(t *testing.T) { testStreamsToPostfix(t, bin) })
}

// The walk-through, as the README tells it, scripted. $PORT is 2587 (the
// default) inside a private network namespace, a free port otherwise.
const walkthroughScript = `set -u
[ -n "${NETNS:-}" ] && ip link set lo up
"$BIN" lab --listen 127.0.0.1:$PORT --dir "$DIR" >"$DIR/lab.out" 2>&1 &
LAB=$!
i=0
until grep -q 'Press Ctrl+C' "$DIR/lab.out" 2>/dev/null; do
	i=$((i+1)); [ $i -gt 100 ] && { echo "lab did not start"; cat "$DIR/lab.out"; kill $LAB; exit 99; }
	sleep 0.1
done
PW=$(awk '$1=="password"{print $2}' "$DIR/lab.out")
printf '%s\n' "$PW" | "$BIN" send --upstream 127.0.0.1:$PORT --ca-file "$DIR/relaywiz-lab-ca.pem" \
	--user relaywiz --password-stdin --to you@example.com >"$DIR/send.out" 2>&1
rc=$?
kill -INT $LAB
wait $LAB
echo "lab exit $?" >>"$DIR/lab.out"
exit $rc
`

func testReadmeWalkthrough(t *testing.T, bin string) {
	dir := t.TempDir()
	script := filepath.Join(dir, "walkthrough.sh")
	if err := os.WriteFile(script, []byte(walkthroughScript), 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "BIN="+bin, "DIR="+dir)
	var cmd *exec.Cmd
	// A fresh network namespace has only a loopback interface: proof that
	// lab and send need no network at all. Unprivileged runs fall back to
	// the host's namespace on a free loopback port.
	if exec.Command("unshare", "-n", "true").Run() == nil {
		cmd = exec.Command("unshare", "-n", "sh", script)
		env = append(env, "NETNS=1", "PORT=2587")
	} else {
		t.Log("unshare -n not permitted: running in the host namespace on a free loopback port")
		cmd = exec.Command("sh", script)
		env = append(env, "PORT="+strconv.Itoa(freePort(t)))
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	sendOut, _ := os.ReadFile(filepath.Join(dir, "send.out"))
	labOut, _ := os.ReadFile(filepath.Join(dir, "lab.out"))
	if err != nil {
		t.Fatalf("walk-through failed: %v\n%s\nsend:\n%s\nlab:\n%s", err, out, sendOut, labOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("want one .eml in %s, got %v\nsend:\n%s", dir, files, sendOut)
	}
	id := strings.TrimSuffix(filepath.Base(files[0]), ".eml")
	if !strings.Contains(string(sendOut), "queue id    "+id) {
		t.Errorf("send did not report the lab's queue id %s:\n%s", id, sendOut)
	}
	if !strings.Contains(string(labOut), "lab: accepted "+id) || !strings.Contains(string(labOut), "lab exit 0") {
		t.Errorf("lab output:\n%s", labOut)
	}
	eml, _ := os.ReadFile(files[0])
	var msgID string
	for _, line := range strings.Split(string(sendOut), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "message" && f[1] == "id" {
			msgID = f[2]
		}
	}
	if msgID == "" || !strings.Contains(string(eml), "Message-ID: "+msgID) {
		t.Errorf("the .eml is not the message send reported (%q)", msgID)
	}
}

// vmHWM reads the peak resident set size of pid in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// bodyReader produces a size-byte message of CRLF lines without holding it.
func bodyReader(size int64) io.Reader {
	line := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 1) + "\r\n" // 64 bytes
	head := "Subject: streaming test\r\nMessage-ID: <stream@relaywiz.test>\r\n\r\n"
	return io.MultiReader(strings.NewReader(head), io.LimitReader(&repeatReader{s: line}, size-int64(len(head))))
}

type repeatReader struct {
	s   string
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

const streamSize = 40 << 20

// relayRSS relays a 40 MB message through the built binary to upstream and
// returns the relay process's peak RSS.
func relayRSS(t *testing.T, bin string, upstreamArgs []string, password, rcpt string) int64 {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"relay", "--listen", addr, "--password-stdin"}, upstreamArgs...)...)
	cmd.Stdin = strings.NewReader(password + "\n")
	stderr, _ := cmd.StderrPipe()
	var stdout lockedBuffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(stderr)
	started := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "listening on") {
			started = true
			break
		}
	}
	if !started {
		t.Fatal("relay did not start")
	}
	go io.Copy(io.Discard, stderr)

	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("a@example.com", []string{rcpt}, bodyReader(streamSize)); err != nil {
		t.Fatalf("relaying 40 MB: %v", err)
	}
	c.Quit()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "result=accepted") {
		if time.Now().After(deadline) {
			t.Fatalf("no accepted session line: %q", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The client may add a final CRLF; anything less than 40 MB would mean
	// the relay cut the message.
	var relayed int64
	for _, f := range strings.Fields(stdout.String()) {
		if v, ok := strings.CutPrefix(f, "size="); ok {
			relayed, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if relayed < streamSize || relayed > streamSize+2 {
		t.Errorf("session line shows size %d, want 40 MB: %s", relayed, stdout.String())
	}
	return vmHWM(t, cmd.Process.Pid)
}

const rssLimit = 64 << 20

func testStreamsToLab(t *testing.T, bin string) {
	if testing.Short() {
		t.Skip("moves 40 MB")
	}
	lab, err := relay.StartLab(context.Background(), relay.LabOptions{Listen: "127.0.0.1:0", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	peak := relayRSS(t, bin, []string{"--upstream", lab.Addr, "--ca-file", lab.CAFile, "--user", lab.User}, lab.Password, "b@example.org")
	files, _ := filepath.Glob(filepath.Join(lab.Dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("lab holds %d messages", len(files))
	}
	if st, _ := os.Stat(files[0]); st.Size() < streamSize {
		t.Errorf("lab stored %d bytes, want at least %d", st.Size(), streamSize)
	}
	t.Logf("relay peak RSS while streaming 40 MB: %.1f MB", float64(peak)/(1<<20))
	if peak >= rssLimit {
		t.Errorf("relay peak RSS %.1f MB, want < 64 MB: the body is being buffered", float64(peak)/(1<<20))
	}
}

func testStreamsToPostfix(t *testing.T, bin string) {
	m := testpeers.RequireMTA(t)
	peak := relayRSS(t, bin, []string{"--upstream", m.Addr587(), "--ca-file", m.CAFile, "--user", m.User}, m.Password, "stream@"+m.SinkDomain)
	t.Logf("relay peak RSS while streaming 40 MB to Postfix: %.1f MB", float64(peak)/(1<<20))
	if peak >= rssLimit {
		t.Errorf("relay peak RSS %.1f MB, want < 64 MB", float64(peak)/(1<<20))
	}
}
