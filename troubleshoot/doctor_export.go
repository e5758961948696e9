package troubleshoot

import (
	"fmt"
	"strings"

	"relaywiz/audit"
)

// SettingExchange blames an object of the Exchange organisation (a rule, a
// connector, a domain) that an export showed; Detail names it.
const SettingExchange = "exchange"

// auditOrder puts the Exchange findings after the network's of the same
// severity: a smart host that cannot be reached explains more than a rule,
// but a wrong rule explains more than a warning about the headers.
const auditOrder = 60

// diagnoseExport adds the findings of the live organisation's audit, in
// the audit's order (most likely cause first), each naming its object.
func diagnoseExport(rep *audit.Report, err error, add func(Finding)) {
	if err != nil {
		add(Finding{Severity: SevWarn, Setting: SettingExchange, order: auditOrder,
			Title:  "the export does not show which set-up the organisation has",
			Detail: err.Error(),
			Fix:    "run relaywiz audit --export FILE --scenario ID with the scenario's answers"})
		return
	}
	if rep == nil {
		return
	}
	for i, f := range rep.Findings {
		sev := SevInfo
		switch f.Severity {
		case "fail":
			sev = SevFail
		case "warn":
			sev = SevWarn
		}
		detail := fmt.Sprintf("Exchange object: %s (audit finding %s)", orDefault(f.Object, "the organisation"), f.Code)
		add(Finding{Severity: sev, Setting: exportSetting(f.Code), order: auditOrder + i,
			Title: f.Message, Detail: detail, Fix: f.Fix})
	}
	bad := 0
	for _, m := range rep.Messages {
		if !m.OK {
			bad++
		}
	}
	if bad == 0 && rep.Exit() == 0 {
		add(Finding{Severity: SevOK, Setting: SettingExchange, order: auditOrder + len(rep.Findings),
			Title: fmt.Sprintf("the exported organisation routes all %d audited messages as scenario %s intends", len(rep.Messages), rep.Scenario)})
	}
}

// exportSetting maps an audit finding to the doctor's settings.
func exportSetting(code string) string {
	switch {
	case strings.HasPrefix(code, "rule-"), strings.HasPrefix(code, "condition-"), code == "stop-rule-above", code == "loop",
		code == "route-connector-missing":
		return SettingRule
	case strings.Contains(code, "connector"), strings.HasPrefix(code, "tls-"), code == "ip-smart-host-auth-tls", code == "other-connector", code == "no-route":
		return SettingConnector
	case strings.HasPrefix(code, "placeholder"), strings.HasPrefix(code, "contact"):
		return SettingPlaceholder
	}
	return SettingExchange
}

func exportSeverity(rep *audit.Report, err error) Severity {
	switch {
	case err != nil:
		return SevWarn
	case rep != nil && rep.Exit() != 0:
		return SevFail
	}
	return SevOK
}
