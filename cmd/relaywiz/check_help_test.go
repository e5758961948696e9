package main

import (
	"strings"
	"testing"
)

// The exchange-server dialect (the default) shakes hands without SNI, as
// Exchange does (checks.session.handshake; README's flag table says so):
// --help must not promise that --tls-server-name is sent as SNI.
func TestCheckHelpTLSServerNameSaysNoSNIForExchangeServer(t *testing.T) {
	a, _, _ := checkTestApp("", nil, nil)
	u := newCheckCmd(a).Flags().Lookup("tls-server-name").Usage
	if !strings.Contains(u, "never by exchange-server") {
		t.Fatalf("--tls-server-name usage %q does not say that the default dialect sends no SNI", u)
	}
}
