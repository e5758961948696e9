package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// check, creds test, send and doctor print a failed stage with the same
// mark and hint layout (check_render.go), and doctor's probe part is
// check's stage list itself: a wrong password, told four ways.
func TestStageListsShareMarksAndLayout(t *testing.T) {
	isolateProfile(t)
	port, ca := startCheckFake(t)
	fake := []string{"--smart-host", "127.0.0.1", "--ca-file", ca, "--user", fakeUser, "--password-stdin"}
	lab := startCmdLab(t)

	outputs := map[string]string{}
	a, out, _ := checkTestApp("not-it\n", nil, nil)
	run(context.Background(), a, append([]string{"check", "--ports", fmt.Sprint(port)}, fake...))
	outputs["check"] = out.String()
	a, out, _ = checkTestApp("not-it\n", nil, nil)
	run(context.Background(), a, append([]string{"doctor", "--port", fmt.Sprint(port), "--ports", ""}, fake...))
	outputs["doctor"] = out.String()
	a, out, _ = credsTestApp("not-it\n", nil)
	run(context.Background(), a, append([]string{"creds", "test", "--port", fmt.Sprint(port)}, fake...))
	outputs["creds test"] = out.String()
	ra, rout, _ := relayTestApp("not-it\n", nil)
	run(context.Background(), ra, append([]string{"send", "--password-stdin", "--to", "ext@example.org"}, labArgs(lab)...))
	outputs["send"] = rout.String()

	failMark := regexp.MustCompile(`(?m)^\s*✗ .*\bauth\b`)
	hint := regexp.MustCompile(`(?m)^    hint: \S`)
	for name, o := range outputs {
		if !failMark.MatchString(o) {
			t.Errorf("%s: no ✗ line for the failed auth stage:\n%s", name, o)
		}
		if !hint.MatchString(o) {
			t.Errorf("%s: no hint in check's layout (four spaces, \"hint: \"):\n%s", name, o)
		}
		if strings.Contains(o, "[FAIL]") || strings.Contains(o, "FAIL ") {
			t.Errorf("%s: a mark of its own:\n%s", name, o)
		}
	}
	// The stage list: mark, name column, timing, detail; doctor's probe
	// part is the very same lines as check's.
	stageLine := regexp.MustCompile(`(?m)^  (✓|✗|!|-) [a-z_]{1,8} +\d+(\.\d)? m?s  .*$`)
	// Timings (with the column's padding) and the client port vary.
	strip := regexp.MustCompile(` +\d+(\.\d)? m?s  |from 127\.0\.0\.1:\d+`)
	lines := func(o string) []string {
		var ls []string
		for _, l := range stageLine.FindAllString(o, -1) {
			ls = append(ls, strip.ReplaceAllString(l, "T"))
		}
		return ls
	}
	check, doctor := lines(outputs["check"]), lines(outputs["doctor"])
	if len(check) < 8 || strings.Join(check, "\n") != strings.Join(doctor, "\n") {
		t.Errorf("doctor's stage list differs from check's:\ncheck:\n%s\ndoctor:\n%s", strings.Join(check, "\n"), strings.Join(doctor, "\n"))
	}
	if i, j := strings.Index(outputs["doctor"], " 1. ✗"), strings.Index(outputs["doctor"], "  ✗ auth"); i < 0 || j < i {
		t.Errorf("doctor: the numbered findings come first, then the stage list:\n%s", outputs["doctor"])
	}
}
