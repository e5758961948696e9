package checks

import (
	"fmt"
	"net"
	"strings"
)

// ValidateHost checks that host is a DNS name or an IP literal, so a typo
// is reported as bad input instead of as a DNS failure. Ports are not
// accepted here: pass them separately.
func ValidateHost(host string) error {
	h := strings.TrimSpace(host)
	switch {
	case h == "":
		return fmt.Errorf("host is empty")
	case h != host:
		return fmt.Errorf("host %q has surrounding spaces", host)
	}
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return nil
	}
	if strings.Contains(h, ":") {
		return fmt.Errorf("host %q contains ':' — give the port with --ports/--port, not in the host", host)
	}
	if !validHostname(h) || strings.Contains(h, "_") {
		return fmt.Errorf("host %q is not a valid DNS name (letters, digits, '-' and '.' only, e.g. smtp.zivver.com)", host)
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return fmt.Errorf("host %q is neither a valid IP address nor a DNS name", host)
	}
	return nil
}

// ValidatePort checks that p is a usable TCP port.
func ValidatePort(p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("port %d is out of range (1-65535)", p)
	}
	return nil
}
