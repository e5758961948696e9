package checks

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePorts(t *testing.T) {
	for in, want := range map[string][]int{
		"25,587":        {25, 587},
		"25, 587":       {25, 587},
		"25 587":        {25, 587},
		" 587 ":         {587},
		"587,25,587":    {587, 25},
		"2525 465 , 25": {2525, 465, 25},
		"25\t587":       {25, 587},
	} {
		got, err := ParsePorts(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParsePorts(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, mention := range map[string]string{
		"":                   "no port",
		"  ":                 "no port",
		"0":                  "0",
		"70000":              "70000",
		"25,smtp":            `"smtp"`,
		"25,,587":            "empty",
		",587":               "empty",
		"587,":               "empty",
		"25;587":             `"25;587"`,
		"-25":                `"-25"`,
		"25,465,587,2525,26": "at most",
	} {
		_, err := ParsePorts(in)
		if err == nil {
			t.Errorf("ParsePorts(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), mention) {
			t.Errorf("ParsePorts(%q) error %q does not mention %q", in, err, mention)
		}
	}
}

func TestValidateHostRejectsUnderscore(t *testing.T) {
	if err := ValidateHost("mail-gw_01.example.org"); err == nil {
		t.Fatal("ValidateHost accepted '_'")
	}
}
