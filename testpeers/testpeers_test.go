package testpeers

import (
	"bufio"
	"net"
	"os/exec"
	"path/filepath"
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

// TestMTAHasOwnMasterCf guards the private Postfix instance against the
// machine's own: .ci/peers.sh once copied /etc/postfix/master.cf, so an
// address-bound service of the system Postfix (127.0.0.2:smtp, a
// submissions port, a content filter) was bound a second time by the test
// instance, which then took live connections. The instance's master.cf must
// be the script's own: every listener on the peer's address and only the
// services the test smart host needs.
func TestMTAHasOwnMasterCf(t *testing.T) {
	m := RequireMTA(t)
	postconf := RequireTool(t, "postconf")
	conf := filepath.Join(filepath.Dir(filepath.Dir(m.CAFile)), "postfix-conf")
	out, err := exec.Command(postconf, "-c", conf, "-M").Output()
	if err != nil {
		t.Fatalf("postconf -c %s -M: %v", conf, err)
	}
	own := map[string]bool{
		m.Host + ":smtp/inet": true, m.Host + ":submission/inet": true, "sink/unix": true,
		"pickup/unix": true, "cleanup/unix": true, "qmgr/unix": true, "tlsmgr/unix": true,
		"rewrite/unix": true, "bounce/unix": true, "defer/unix": true, "trace/unix": true,
		"verify/unix": true, "flush/unix": true, "proxymap/unix": true, "proxywrite/unix": true,
		"smtp/unix": true, "relay/unix": true, "showq/unix": true, "error/unix": true,
		"retry/unix": true, "discard/unix": true, "anvil/unix": true, "scache/unix": true,
		"postlog/unix-dgram": true,
	}
	listeners := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		svc := f[0] + "/" + f[1]
		if !own[svc] {
			t.Errorf("master.cf of the test instance has %s, which the script does not define (copied from the system's?)", svc)
		}
		if f[1] == "inet" || f[1] == "pass" {
			if !strings.HasPrefix(f[0], m.Host+":") {
				t.Errorf("listener %q is not bound to the peer address %s", f[0], m.Host)
			}
			listeners++
		}
	}
	if listeners != 2 {
		t.Errorf("%d listeners in the test instance's master.cf, want 2 (smtp and submission on %s)", listeners, m.Host)
	}
}
