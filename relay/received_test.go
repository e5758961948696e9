package relay

import (
	"strings"
	"testing"
	"time"
)

// The client's HELO is whatever it typed; only a host name or an address
// literal may go into the Received line, or the header can be spoofed or
// broken (a fake "by" clause, comments, control characters).
func TestReceivedHeaderSanitisesHELO(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		helo, want string
	}{
		{"client.test", "Received: from client.test ([127.0.0.1])\r\n"},
		{"EXCH01.corp.example.com", "Received: from EXCH01.corp.example.com ([127.0.0.1])\r\n"},
		{"[192.0.2.7]", "Received: from [192.0.2.7] ([127.0.0.1])\r\n"},
		{"[IPv6:2001:db8::1]", "Received: from [IPv6:2001:db8::1] ([127.0.0.1])\r\n"},
		{"evil;by\tmx.example.com(faked)", "Received: from [127.0.0.1] ([127.0.0.1] unverified)\r\n"},
		{"host\x00name", "Received: from [127.0.0.1] ([127.0.0.1] unverified)\r\n"},
		{"héllo.example", "Received: from [127.0.0.1] ([127.0.0.1] unverified)\r\n"},
		{"[not-an-ip]", "Received: from [127.0.0.1] ([127.0.0.1] unverified)\r\n"},
		{"a..b", "Received: from [127.0.0.1] ([127.0.0.1] unverified)\r\n"},
		{strings.Repeat("a", 64) + ".example", "Received: from [127.0.0.1] ([127.0.0.1] unverified)\r\n"},
		{"", "Received: from [127.0.0.1] ([127.0.0.1] unverified)\r\n"},
	} {
		got := receivedHeader(tc.helo, "127.0.0.1", "relaywiz.localhost", "relaywiz relay", "ESMTP", "1.1", nil, now)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("HELO %q:\n got %q\nwant prefix %q", tc.helo, got, tc.want)
		}
	}
}
