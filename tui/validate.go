package tui

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
)

// Pure validators for the form fields. huh runs them inside Update, on
// every key press, so they check syntax only: no DNS, no file access.

// validateHost accepts a DNS name or an IP address, without a port.
func validateHost(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return errors.New("the smart host is required (e.g. smtp.zivver.com)")
	case net.ParseIP(strings.Trim(s, "[]")) != nil:
		return nil
	case strings.Contains(s, ":"):
		return errors.New("give the host name only; the ports go in the next field")
	case strings.ContainsAny(s, " \t/@"):
		return fmt.Errorf("%q is not a host name", s)
	case len(s) > 253:
		return errors.New("a host name has at most 253 characters")
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q is not a host name (empty or over-long label)", s)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not a host name (a label starts or ends with '-')", s)
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Errorf("%q is not a host name (character %q)", s, r)
			}
		}
	}
	return nil
}

// validateOptionalHost is validateHost for fields that may stay empty.
func validateOptionalHost(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return validateHost(s)
}

// parsePorts reads "25, 587" (commas or spaces) into distinct ports.
func parsePorts(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	if len(fields) == 0 {
		return nil, errors.New("give at least one port (25 and 587 are the smart-host ports)")
	}
	var ports []int
	seen := map[int]bool{}
	for _, f := range fields {
		p, err := strconv.Atoi(f)
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%q is not a port number (1-65535)", f)
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	if len(ports) > 4 {
		return nil, errors.New("check at most 4 ports at a time")
	}
	return ports, nil
}

func validatePorts(s string) error {
	_, err := parsePorts(s)
	return err
}

func formatPorts(ports []int) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = strconv.Itoa(p)
	}
	return strings.Join(parts, ", ")
}

// validatePathSyntax accepts an empty or single-line path.
func validatePathSyntax(s string) error {
	if strings.ContainsAny(s, "\n\r\x00") {
		return errors.New("a file path is one line")
	}
	return nil
}

// validateAddress checks an e-mail address (local@domain, no display name).
func validateAddress(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("an e-mail address is required")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return fmt.Errorf("%q is not an e-mail address (like name@example.org)", s)
	}
	if err := validateHost(s[strings.LastIndex(s, "@")+1:]); err != nil {
		return fmt.Errorf("%q: the part after @ is not a domain", s)
	}
	return nil
}

// validateUser checks an SMTP user name: may be empty (no account yet).
func validateUser(s string) error {
	if s != strings.TrimSpace(s) {
		return errors.New("the user name has leading or trailing spaces")
	}
	if strings.ContainsAny(s, "\r\n\t") {
		return errors.New("the user name is one line without tabs")
	}
	if len(s) > 256 {
		return errors.New("the user name is longer than 256 characters")
	}
	return nil
}
