package checks

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// authGate makes Run log in once per run, whatever the number of ports: a
// wrong password tried on two ports at the same time is two failed logins,
// and lockout policies count them. One port leads (the connector's port
// when known, else the first ready); the others wait for its outcome:
// accepted → they do not repeat the login, refused (535) → they do not try.
// Any other outcome (no LOGIN offered, 454, a broken exchange) says nothing
// about the password, so the next port may lead.
type authGate struct {
	mu        sync.Mutex
	preferred int  // the connector's port; 0: first come
	prefGone  bool // the preferred port will never reach AUTH
	// prefUp: the preferred port has connected. A port ready to log in
	// waits for that only for a grace period (see enter): a filtered
	// connector port would otherwise hold every other port until the
	// budget ends.
	prefUp   bool
	leader   int  // the port logging in now; 0: none
	decided  bool // the password was judged
	accepted bool // ... and accepted
	judgedBy int  // the port that judged it
	changed  chan struct{}
}

func newAuthGate(preferred int) *authGate {
	return &authGate{preferred: preferred, changed: make(chan struct{})}
}

func (g *authGate) broadcast() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// enter returns "" when port is to log in now, else the note why it does
// not (the password was judged on another port). A preferred port that
// has not even connected within grace is taken for unreachable.
func (g *authGate) enter(ctx context.Context, port int, grace time.Duration) (string, error) {
	late := time.NewTimer(grace)
	defer late.Stop()
	gaveUp := false
	for {
		g.mu.Lock()
		if g.decided {
			by, ok := g.judgedBy, g.accepted
			g.mu.Unlock()
			if ok {
				return fmt.Sprintf("not repeated: the password was accepted on port %d (relaywiz logs in once per run)", by), nil
			}
			return fmt.Sprintf("not tried: the password was refused on port %d (one failed login per run, for lockout policies)", by), nil
		}
		mayLead := g.preferred == 0 || g.preferred == port || g.prefGone || !g.prefUp && gaveUp
		if g.leader == 0 && mayLead {
			g.leader = port
			g.mu.Unlock()
			return "", nil
		}
		wait := g.changed
		g.mu.Unlock()
		select {
		case <-wait:
		case <-late.C:
			gaveUp = true
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// done records the leader's outcome. judged: the server accepted or
// refused the credentials themselves.
func (g *authGate) done(port int, judged, accepted bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.leader != port {
		return
	}
	g.leader = 0
	if judged {
		g.decided, g.accepted, g.judgedBy = true, accepted, port
	}
	if port == g.preferred {
		g.prefGone = true
	}
	g.broadcast()
}

// connected says port has its TCP connection.
func (g *authGate) connected(port int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if port == g.preferred && !g.prefUp {
		g.prefUp = true
		g.broadcast()
	}
}

// gone says port will not log in (it failed before AUTH).
func (g *authGate) gone(port int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if port == g.preferred && !g.prefGone {
		g.prefGone = true
		g.broadcast()
	}
}
