package tui

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"

	"relaywiz/checks"
)

// Pure validators for the form fields. huh runs them inside Update, on
// every key press, so they check syntax only: no DNS, no file access.

// validateHost accepts what `relaywiz check` and doctor accept
// (checks.ValidateHost), after trimming the spaces a form invites, so the
// wizard never saves a host those commands later refuse. Two messages are
// worded for the form instead of the command line.
func validateHost(s string) error {
	h := strings.TrimSpace(s)
	err := checks.ValidateHost(h)
	switch {
	case err == nil:
		return nil
	case h == "":
		return errors.New("the smart host is required (e.g. smtp.zivver.com)")
	case strings.Contains(h, ":") && net.ParseIP(strings.Trim(h, "[]")) == nil:
		return errors.New("give the host name only; the ports go in the next field")
	}
	return err
}

// validateOptionalHost is validateHost for fields that may stay empty.
func validateOptionalHost(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return validateHost(s)
}

// validatePorts checks the ports field with the same rules as `check
// --ports` (checks.ParsePorts, which also reads it once it is valid).
func validatePorts(s string) error {
	_, err := checks.ParsePorts(s)
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
