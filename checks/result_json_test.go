package checks

import (
	"encoding/json"
	"strings"
	"testing"
)

// A stage that passed with a warning (STARTTLS missing before a failing
// AUTH, a certificate about to expire) must not read as a plain pass in
// --json: scripts see "warning": true next to "ok": true.
func TestStageJSONCarriesTheWarning(t *testing.T) {
	b, err := json.Marshal(StageResult{Name: StageStartTLS, OK: true, Warning: true, Hint: "not offered"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"warning":true`) {
		t.Fatalf("stage JSON %s has no warning", b)
	}
	b, _ = json.Marshal(StageResult{Name: StageStartTLS, OK: true})
	if strings.Contains(string(b), `"warning"`) {
		t.Fatalf("a clean pass shows a warning key: %s", b)
	}
}
