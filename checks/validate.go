package checks

import (
	"fmt"
	"net"
	"strconv"
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

// MaxPorts bounds a port list: smart hosts listen on at most a handful of
// ports (25, 465, 587, 2525), every port is a concurrent session to the
// provider, and the wizard shows one column per port on an 80-column
// screen. A longer list is almost certainly a mistake.
const MaxPorts = 4

// ParsePorts reads a port list such as "25,587", "25, 587" or "25 587":
// port numbers separated by commas and/or white space. Duplicates are
// dropped, keeping the first occurrence's place. Every entry must be a
// port number (ValidatePort); an empty entry ("25,,587"), no port at all,
// or more than MaxPorts distinct ports is an error naming what is wrong.
// Callers prefix the error with their flag or field name.
func ParsePorts(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no port given; list port numbers separated by commas or spaces, e.g. 25,587")
	}
	var ports []int
	seen := map[int]bool{}
	for _, piece := range strings.Split(s, ",") {
		fields := strings.Fields(piece)
		if len(fields) == 0 {
			return nil, fmt.Errorf("%q has an empty entry; separate port numbers with one comma or spaces, e.g. 25,587", s)
		}
		for _, f := range fields {
			p, err := parsePortNumber(f)
			if err != nil {
				return nil, err
			}
			if !seen[p] {
				seen[p] = true
				ports = append(ports, p)
			}
		}
	}
	if len(ports) > MaxPorts {
		return nil, fmt.Errorf("%q lists %d ports; give at most %d (e.g. 25,587)", s, len(ports), MaxPorts)
	}
	return ports, nil
}

// parsePortNumber accepts decimal digits only, so "+25", "-25" and "0x19"
// are named as the bad entry instead of slipping through strconv.
func parsePortNumber(f string) (int, error) {
	if strings.Trim(f, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a port number (e.g. 25,587)", f)
	}
	p, err := strconv.Atoi(f)
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", f)
	}
	return p, ValidatePort(p)
}
