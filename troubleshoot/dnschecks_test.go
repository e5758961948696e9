package troubleshoot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

// fakeResolver answers from maps; names without an entry are NXDOMAIN.
// It never touches the network.
type fakeResolver struct {
	hosts   map[string][]string
	mx      map[string][]*net.MX
	txt     map[string][]string
	fail    map[string]error // per name, for any lookup
	queries []string
}

func nx(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeResolver) look(kind, name string) error {
	f.queries = append(f.queries, kind+" "+name)
	if err := f.fail[name]; err != nil {
		return err
	}
	return nil
}

func (f *fakeResolver) LookupHost(_ context.Context, h string) ([]string, error) {
	if err := f.look("A", h); err != nil {
		return nil, err
	}
	if v, ok := f.hosts[h]; ok {
		return v, nil
	}
	return nil, nx(h)
}

func (f *fakeResolver) LookupMX(_ context.Context, n string) ([]*net.MX, error) {
	if err := f.look("MX", n); err != nil {
		return nil, err
	}
	if v, ok := f.mx[n]; ok {
		return v, nil
	}
	return nil, nx(n)
}

func (f *fakeResolver) LookupTXT(_ context.Context, n string) ([]string, error) {
	if err := f.look("TXT", n); err != nil {
		return nil, err
	}
	if v, ok := f.txt[n]; ok {
		return v, nil
	}
	return nil, nx(n)
}

var errServFail = &net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}

func TestPlaceholderDomain(t *testing.T) {
	r := &fakeResolver{
		hosts: map[string][]string{"taken.example": {"192.0.2.10"}},
		mx:    map[string][]*net.MX{"taken.example": {{Host: "mx.taken.example.", Pref: 10}}},
		fail:  map[string]error{"broken.example": errServFail},
	}
	ctx := context.Background()
	if f := CheckPlaceholderDomain(ctx, r, "relay-placeholder.invalid"); f.Severity != SevOK {
		t.Errorf("non-existent domain: %+v", f)
	}
	f := CheckPlaceholderDomain(ctx, r, "taken.example")
	if f.Severity != SevFail || len(f.Records) != 2 || f.Records[0] != "MX 10 mx.taken.example" {
		t.Errorf("existing domain: %+v", f)
	}
	if f := CheckPlaceholderDomain(ctx, r, "broken.example"); f.Severity != SevWarn || !strings.Contains(f.Message, "could not tell") {
		t.Errorf("resolver failure must not pass: %+v", f)
	}
}

func TestSPF(t *testing.T) {
	r := &fakeResolver{txt: map[string][]string{
		"corp.example":               {"MS=ms12345", "v=spf1 include:_spf.corp.example ip4:203.0.113.10 -all"},
		"_spf.corp.example":          {"v=spf1 include:spf.protection.outlook.com ~all"},
		"spf.protection.outlook.com": {"v=spf1 ip4:40.92.0.0/15 -all"},
		"nospf.example":              {"google-site-verification=abc"},
		"double.example":             {"v=spf1 -all", "v=spf1 mx -all"},
		"loop.example":               {"v=spf1 include:loop2.example -all"},
		"loop2.example":              {"v=spf1 include:loop.example -all"},
		"deep.example":               {"v=spf1 include:d1.example -all"},
	}, fail: map[string]error{"servfail.example": errServFail}}
	// a chain deeper than the RFC 7208 lookup limit
	for i := 1; i <= 12; i++ {
		next := fmt.Sprintf("d%d.example", i+1)
		if i == 12 {
			next = "spf.protection.outlook.com"
		}
		r.txt[fmt.Sprintf("d%d.example", i)] = []string{"v=spf1 include:" + next + " -all"}
	}
	ctx := context.Background()
	want := []string{"spf.protection.outlook.com"}

	fs := CheckSPF(ctx, r, "corp.example", want)
	if len(fs) != 2 || fs[0].Severity != SevOK || !strings.Contains(fs[0].Message, "include:_spf.corp.example ip4:203.0.113.10 -all") {
		t.Fatalf("corp.example: %+v", fs)
	}
	if fs[1].Severity != SevOK {
		t.Errorf("nested include not found: %+v", fs[1])
	}
	if fs := CheckSPF(ctx, r, "corp.example", []string{"spf.zivver.example"}); fs[1].Severity != SevWarn || !strings.Contains(fs[1].Message, "does not include") {
		t.Errorf("missing include: %+v", fs)
	}
	if fs := CheckSPF(ctx, r, "nospf.example", want); len(fs) != 1 || fs[0].Severity != SevFail || !strings.Contains(fs[0].Message, "no SPF record") {
		t.Errorf("no SPF: %+v", fs)
	}
	if fs := CheckSPF(ctx, r, "unknown.example", nil); fs[0].Severity != SevFail {
		t.Errorf("NXDOMAIN sender: %+v", fs)
	}
	if fs := CheckSPF(ctx, r, "double.example", nil); fs[0].Severity != SevFail || !strings.Contains(fs[0].Message, "2 SPF records") {
		t.Errorf("two records: %+v", fs)
	}
	if fs := CheckSPF(ctx, r, "servfail.example", want); len(fs) != 1 || fs[0].Severity != SevWarn {
		t.Errorf("servfail: %+v", fs)
	}
	// cycles end; the wanted include is not there
	if fs := CheckSPF(ctx, r, "loop.example", want); fs[1].Severity != SevWarn {
		t.Errorf("loop: %+v", fs)
	}
	// beyond 10 lookups the walk stops and says so
	r.queries = nil
	fs = CheckSPF(ctx, r, "deep.example", want)
	if fs[1].Severity != SevWarn || !strings.Contains(fs[1].Message, "more than 10 lookups") {
		t.Errorf("deep: %+v", fs)
	}
	if n := len(r.queries); n > spfLookupLimit+1 {
		t.Errorf("%d TXT lookups, want at most %d", n, spfLookupLimit+1)
	}
}

func TestSmartHostDNS(t *testing.T) {
	r := &fakeResolver{
		hosts: map[string][]string{"smtp.provider.example": {"198.51.100.21", "198.51.100.20"}},
		mx:    map[string][]*net.MX{"provider.example": {{Host: "mx2.provider.example.", Pref: 20}, {Host: "mx1.provider.example.", Pref: 10}}},
		fail:  map[string]error{"timeout.example": errors.New("i/o timeout")},
	}
	ctx := context.Background()
	f := CheckSmartHostDNS(ctx, r, "smtp.provider.example")
	if f.Severity != SevOK || f.Records[0] != "A/AAAA 198.51.100.20" {
		t.Errorf("host: %+v", f)
	}
	f = CheckSmartHostDNS(ctx, r, "provider.example")
	if f.Severity != SevWarn || !strings.Contains(f.Message, "mx1.provider.example") || f.Records[0] != "MX 10 mx1.provider.example" {
		t.Errorf("domain with MX: %+v", f)
	}
	if f := CheckSmartHostDNS(ctx, r, "smtp.typo.example"); f.Severity != SevFail || !strings.Contains(f.Message, "does not exist") {
		t.Errorf("NXDOMAIN: %+v", f)
	}
	if f := CheckSmartHostDNS(ctx, r, "timeout.example"); f.Severity != SevFail || !strings.Contains(f.Message, "could not resolve") {
		t.Errorf("timeout: %+v", f)
	}
	r.queries = nil
	if f := CheckSmartHostDNS(ctx, r, "192.0.2.1"); f.Severity != SevInfo || len(r.queries) != 0 {
		t.Errorf("IP literal: %+v queries=%v", f, r.queries)
	}
}

func TestRunDNSChecksOrderAndSkips(t *testing.T) {
	r := &fakeResolver{
		hosts: map[string][]string{"smtp.provider.example": {"198.51.100.20"}},
		txt:   map[string][]string{"corp.example": {"v=spf1 -all"}},
	}
	fs := RunDNSChecks(context.Background(), r, DNSInput{PlaceholderDomain: " Relay.Invalid. ", SenderDomain: "corp.example", SmartHost: "smtp.provider.example"})
	var got []string
	for _, f := range fs {
		got = append(got, f.Check+":"+f.Name)
	}
	if strings.Join(got, ",") != "placeholder:relay.invalid,spf:corp.example,smarthost:smtp.provider.example" {
		t.Errorf("got %v", got)
	}
	r.queries = nil
	if fs := RunDNSChecks(context.Background(), r, DNSInput{}); len(fs) != 0 || len(r.queries) != 0 {
		t.Errorf("empty input ran checks: %v %v", fs, r.queries)
	}
}
