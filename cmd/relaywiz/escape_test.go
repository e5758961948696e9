package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// hostileBanner sets the window title and writes the clipboard (OSC 52)
// when printed raw.
const hostileBanner = "evil.test ESMTP \x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07ready"

// startBannerServer greets with the hostile banner and refuses EHLO, so
// the banner appears in the report.
func startBannerServer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.WriteString(c, "220 "+hostileBanner+"\r\n")
				buf := make([]byte, 512)
				c.Read(buf)
				io.WriteString(c, "554 5.7.1 \x1b[2Jno \x1b[32mSECURE\r\n")
				c.Read(buf)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func TestCheckEscapesServerTextButJSONStaysExact(t *testing.T) {
	port := startBannerServer(t)
	a, out, errb := checkTestApp("", nil, nil)
	run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", strconv.Itoa(port), "--verbose"})
	for name, text := range map[string]string{"stdout": out.String(), "stderr (--verbose transcript)": errb.String()} {
		if strings.ContainsAny(text, "\x1b\x07") {
			t.Errorf("%s carries raw control characters: %q", name, text)
		}
	}
	if !strings.Contains(out.String(), `\x1b]0;pwned\x07`) {
		t.Errorf("the banner is not shown escaped:\n%s", out.String())
	}

	a, out, _ = checkTestApp("", nil, nil)
	run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", strconv.Itoa(port), "--json"})
	var rep struct {
		Ports []struct {
			Stages []struct {
				Name   string `json:"name"`
				Detail string `json:"detail"`
			} `json:"stages"`
		} `json:"ports"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out.String())
	}
	if len(rep.Ports) != 1 || len(rep.Ports[0].Stages) < 3 || !strings.Contains(rep.Ports[0].Stages[2].Detail, hostileBanner) {
		t.Errorf("JSON stages %q, want the banner exact in the banner stage", rep.Ports)
	}
}

// An RFC 2047 subject that decodes to "clear the screen, paint SECURE"
// and a raw escape in another header are shown escaped by `headers`;
// its JSON keeps them exact.
func TestHeadersEscapeDecodedSubject(t *testing.T) {
	payload := "\x1b[2J\x1b[HSECURE: the message passed"
	msg := "Received: from a.example.com (a.example.com [192.0.2.1]) by b.example.com with ESMTPS id 1; Mon, 2 Mar 2026 10:00:00 +0000\r\n" +
		"Subject: =?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(payload)) + "?=\r\n" +
		"From: \x1b]52;c;aGk=\x07 <a@example.com>\r\n" +
		"To: <b@example.org>\r\n\r\n"
	a, out, _ := troubleTestApp(strings.NewReader(msg), nil)
	run(context.Background(), a, []string{"headers", "-"})
	if strings.ContainsAny(out.String(), "\x1b\x07") {
		t.Fatalf("raw control characters in the report:\n%q", out.String())
	}
	if !regexp.MustCompile(`Subject:\s+\\x1b\[2J\\x1b\[HSECURE`).MatchString(out.String()) || !strings.Contains(out.String(), `\x1b]52;c;aGk=\x07`) {
		t.Errorf("subject and From not shown escaped:\n%s", out.String())
	}

	a, out, _ = troubleTestApp(strings.NewReader(msg), nil)
	run(context.Background(), a, []string{"headers", "--json", "-"})
	var an struct {
		Markers struct {
			Subject string `json:"subject"`
		} `json:"markers"`
	}
	if err := json.Unmarshal(out.Bytes(), &an); err != nil {
		t.Fatalf("json: %v", err)
	}
	if an.Markers.Subject != payload {
		t.Errorf("JSON subject %q, want %q exactly", an.Markers.Subject, payload)
	}
}
