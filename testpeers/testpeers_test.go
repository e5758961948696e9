package testpeers

import (
	"bufio"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMTAGreets proves the smart host that make test starts is really there
// and speaks SMTP on both ports, so a broken peer setup shows up as one clear
// failure instead of many confusing ones elsewhere.
func TestMTAGreets(t *testing.T) {
	m := RequireMTA(t)
	for _, addr := range []string{m.Addr25(), m.Addr587()} {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || !strings.HasPrefix(line, "220 ") {
			t.Fatalf("%s greeting = %q, %v; want 220", addr, line, err)
		}
	}
}

// TestKeyringAnswers proves the Secret Service is reachable and unlocked by
// storing and reading an item with secret-tool, which no relaywiz code wrote.
func TestKeyringAnswers(t *testing.T) {
	RequireKeyring(t)
	tool := RequireTool(t, "secret-tool")
	store := exec.Command(tool, "store", "--label=relaywiz peer check", "service", "relaywiz-peer-check", "username", "probe")
	store.Stdin = strings.NewReader("peer-check-value")
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
	t.Cleanup(func() {
		_ = exec.Command(tool, "clear", "service", "relaywiz-peer-check", "username", "probe").Run()
	})
	out, err := exec.Command(tool, "lookup", "service", "relaywiz-peer-check", "username", "probe").Output()
	if err != nil || string(out) != "peer-check-value" {
		t.Fatalf("secret-tool lookup = %q, %v", out, err)
	}
}
