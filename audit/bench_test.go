package audit

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// benchOrg is a plan in a busy organisation: 200 neighbour rules and 20
// neighbour connectors around it.
func benchOrg(b *testing.B, in steps.Inputs) (*exchange.Org, []Case) {
	r := rand.New(rand.NewPCG(1, 2))
	var ns []Neighbour
	ns = append(ns, Neighbour{ID: "bench", Add: func(org *exchange.Org, in steps.Inputs) {
		org.Groups = map[string][]string{"all staff": {OrgUser, OrgColleague}}
		for i := 0; i < 200; i++ {
			rule := benignRule(r, i)
			rule.Priority = len(org.TransportRules)
			org.TransportRules = append(org.TransportRules, rule)
		}
		for i := 0; i < 20; i++ {
			benignConnectors(r, org, in, i)
		}
	}})
	org, err := Build(in, ns)
	if err != nil {
		b.Fatal(err)
	}
	base := DefaultCases(in)
	var cases []Case
	for i := 0; len(cases) < 100; i++ {
		c := base[i%len(base)]
		c.Message = c.Message.Clone()
		c.Message.Subject = fmt.Sprintf("%s %d", c.Message.Subject, i)
		cases = append(cases, c)
	}
	return org, cases
}

// Acceptance: auditing a plan with 200 neighbour rules and 20 connectors
// for 100 messages takes under 50 ms (see the ns/op of each scenario).
func BenchmarkAudit200Rules20Connectors100Messages(b *testing.B) {
	for _, in := range scenarioInputs() {
		b.Run(string(in.Scenario), func(b *testing.B) {
			org, cases := benchOrg(b, in)
			if len(org.TransportRules) < 200 || len(org.SendConnectors)+len(org.OutboundConnectors) < 20 || len(cases) != 100 {
				b.Fatalf("rules %d, connectors %d, messages %d", len(org.TransportRules), len(org.SendConnectors)+len(org.OutboundConnectors), len(cases))
			}
			b.ResetTimer()
			for b.Loop() {
				rep := Audit(org, in, cases, nil)
				if len(rep.Messages) != 100 {
					b.Fatal("messages lost")
				}
			}
		})
	}
}
