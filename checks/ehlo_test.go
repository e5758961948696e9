package checks

import (
	"net"
	"strings"
	"testing"
)

func TestParseEHLO(t *testing.T) {
	info := parseEHLO("mx.example greets you\nPIPELINING\nSIZE 52428800\nAUTH PLAIN LOGIN\nAUTH=LOGIN\nstarttls\nXXXXXXXA")
	if info.greeting != "mx.example greets you" {
		t.Errorf("greeting %q", info.greeting)
	}
	if _, ok := info.ext["STARTTLS"]; !ok {
		t.Errorf("lower-case keyword not recognised: %v", info.keywords)
	}
	if got := strings.Join(authMechanisms(info.ext), " "); got != "LOGIN PLAIN" {
		t.Errorf("mechanisms %q", got)
	}
	if sizeLimit(info.ext) != 52428800 || !info.masked {
		t.Errorf("size %d masked %v", sizeLimit(info.ext), info.masked)
	}
}

func TestMaskedBannerDetection(t *testing.T) {
	for banner, want := range map[string]bool{
		"******************************2*0**0*2***2**00*0":  true,
		"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX":             true,
		"smtp.zivver.com ESMTP Postfix":                     false,
		"mx.example.com Microsoft ESMTP MAIL Service ready": false,
		"EXCH-XX01 ready *":                                 false,
	} {
		if got := isMaskedBanner(banner); got != want {
			t.Errorf("isMaskedBanner(%q) = %v, want %v", banner, got, want)
		}
	}
}

func TestChooseMechanism(t *testing.T) {
	for in, want := range map[string]string{
		"PLAIN LOGIN":      "LOGIN",
		"login":            "LOGIN",
		"PLAIN CRAM-MD5":   "PLAIN",
		"CRAM-MD5 XOAUTH2": "",
		"":                 "",
	} {
		if got := chooseMechanism(strings.Fields(in)); got != want {
			t.Errorf("chooseMechanism(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoginClientAnswersByPrompt(t *testing.T) {
	c := newLoginClient("u@example", "pw")
	mech, ir, _ := c.Start()
	if mech != "LOGIN" || string(ir) != "u@example" {
		t.Fatalf("start %q %q", mech, ir)
	}
	// A server that ignores the initial response and asks again.
	if r, err := c.Next([]byte("Username:")); err != nil || string(r) != "u@example" {
		t.Errorf("username prompt: %q %v", r, err)
	}
	if r, err := c.Next([]byte("Password:")); err != nil || string(r) != "pw" {
		t.Errorf("password prompt: %q %v", r, err)
	}
	if _, err := c.Next([]byte("Something else")); err == nil {
		t.Errorf("third challenge accepted")
	}
}

func TestDefaultEHLONameIsValid(t *testing.T) {
	name := defaultEHLOName(&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1})
	if !(name == "[192.0.2.7]" || (strings.Contains(name, ".") && validHostname(name))) {
		t.Errorf("default EHLO name %q is neither an FQDN nor an address literal", name)
	}
	if name := defaultEHLOName(&net.TCPAddr{IP: net.ParseIP("2001:db8::1")}); !strings.HasPrefix(name, "[IPv6:") && !strings.Contains(name, ".") {
		t.Errorf("IPv6 literal %q", name)
	}
}

func TestValidateHostAndPort(t *testing.T) {
	for _, ok := range []string{"smtp.zivver.com", "127.0.0.2", "::1", "[2001:db8::1]", "localhost", "mail-1.example.co.uk."} {
		if err := ValidateHost(ok); err != nil {
			t.Errorf("ValidateHost(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", " smtp.zivver.com", "smtp..zivver.com", "smtp.zivver.com:587", "-bad.example", "bad_host.example", "1.2.3.999", "exa mple.com", "ü.example"} {
		if err := ValidateHost(bad); err == nil {
			t.Errorf("ValidateHost(%q) accepted", bad)
		}
	}
	for p, ok := range map[int]bool{0: false, 1: true, 587: true, 65535: true, 65536: false, 70000: false, -1: false} {
		if err := ValidatePort(p); (err == nil) != ok {
			t.Errorf("ValidatePort(%d) = %v", p, err)
		}
	}
}
