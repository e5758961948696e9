package tui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/relay"
	"relaywiz/steps"
)

func writeTestCA(t *testing.T, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The CA file is checked when the form is submitted: a missing file or one
// without a PEM certificate is refused naming the path; a good one passes.
func TestSmartHostChecksCAFile(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPEM, []byte("just text\n"), 0o600)
	for _, tc := range []struct {
		path, says string
		ok         bool
	}{
		{filepath.Join(dir, "missing.pem"), "missing.pem does not exist", false},
		{notPEM, "notes.txt holds no PEM certificate", false},
		{writeTestCA(t, dir), "", true},
	} {
		c, h := smartHostHarness(t, newFixture(t).options(), steps.PAMSOnPrem)
		h.key(tea.KeyEnter).key(tea.KeyEnter) // host, ports: defaults
		h.typeLine(tc.path).key(tea.KeyEnter)
		if tc.ok {
			if !h.sawMsg(nextStepMsg{}) || c.Session.CAFile != tc.path {
				t.Fatalf("%s: good CA file not accepted (session %q):\n%s", tc.path, c.Session.CAFile, h.view())
			}
			continue
		}
		if h.sawMsg(nextStepMsg{}) || c.Session.CAFile == tc.path {
			t.Fatalf("%s accepted", tc.path)
		}
		h.requireWrapped("Extra CA certificate: " + tc.path)
		h.requireWrapped(tc.says)
		// Submitting the same path again is refused in the form itself.
		h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
		h.requireView("[footer]")
		if h.sawMsg(nextStepMsg{}) {
			t.Fatalf("%s accepted on the second try", tc.path)
		}
	}
}

// The provider option names the host of the answers, not the default.
func TestSmartHostLabelFollowsTheAnswer(t *testing.T) {
	o := newFixture(t).options()
	o.StartLab = func(context.Context, string) (*relay.Lab, error) { return nil, errors.New("not started in this test") }
	c := newCommon(t, o)
	c.Session.chooseScenario(scenario(t, steps.RelayOnPrem))
	c.Session.useProvider("smtp.eu.example.net", []int{587}, "", "")
	h := stepHarness(t, newSmartHostStep(c))
	h.requireView("The provider's smart host (smtp.eu.example.net)")
	h.requireNoView("(smtp.zivver.com)")
}
