package steps

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Golden files hold the display text (UTF-8, LF) of every artifact of every
// case in allCases, so a review shows exactly how a change alters what
// admins get. The on-disk encodings are tested separately (encode_test.go).
//
//	go test ./steps -run TestGolden -update   # rewrite after an intended change
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func goldenPath(caseName, artifact string) string {
	if artifact == ExportScriptName {
		// export.ps1 does not depend on the answers: one golden for all.
		return filepath.Join("testdata", "golden", artifact+".golden")
	}
	return filepath.Join("testdata", "golden", filepath.FromSlash(caseName), artifact+".golden")
}

func TestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range allCases() {
		t.Run(c.name, func(t *testing.T) {
			arts, err := Generate(c.in)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			for _, a := range arts {
				path := goldenPath(c.name, a.Name)
				seen[path] = true
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(a.Text), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./steps -run TestGolden -update to create it)", err)
				}
				if string(want) != a.Text {
					t.Errorf("%s differs from %s; if the change is intended, run go test ./steps -run TestGolden -update and review the diff.\n%s",
						a.Name, path, firstDifference(string(want), a.Text))
				}
			}
		})
	}
	// A golden file that no case produces any more is stale.
	if !t.Failed() {
		_ = filepath.WalkDir(filepath.Join("testdata", "golden"), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".golden") && !seen[path] {
				if *update {
					return os.Remove(path)
				}
				t.Errorf("stale golden file %s: no test case produces it (run with -update to delete it)", path)
			}
			return nil
		})
	}
}

// firstDifference shows the first differing line, which is usually
// enough to see what changed.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  expected: " + wl + "\n  got:      " + gl
		}
	}
	return "(only the line ends differ)"
}
