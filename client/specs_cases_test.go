package client

import (
	"errors"
	"strings"
	"testing"
)

// A JSONL line with junk after its object is bad input, as a line of two
// objects is: dec.More() is false before a closing '}' or ']', so
// `{"cmd":["true"]}}` and `{"cmd":["true"]}]` were read as one good task.
func TestReadSpecsTrailingJunk(t *testing.T) {
	for _, line := range []string{`{"cmd":["true"]}}`, `{"cmd":["true"]}]`, `{"cmd":["true"]}]]]}`} {
		specs, err := ReadSpecs(strings.NewReader(line + "\n"))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("ReadSpecs(%q) = %d spec(s), err %v; want ErrInvalid naming line 1", line, len(specs), err)
		}
	}
}

// A file saved by an editor that writes a UTF-8 byte order mark (Notepad,
// PowerShell's Out-File) failed on line 1 with "invalid character 'ï'". The
// mark at the start of the input is no part of the first line; elsewhere it
// is still bad input.
func TestReadSpecsSkipsAByteOrderMark(t *testing.T) {
	specs, err := ReadSpecs(strings.NewReader("\ufeff{\"cmd\":[\"true\"]}\n{\"cmd\":[\"false\"]}\n"))
	if err != nil || len(specs) != 2 || specs[0].Cmd[0] != "true" {
		t.Fatalf("ReadSpecs with a byte order mark = %+v, %v; want two specs", specs, err)
	}
	if _, err := ReadSpecs(strings.NewReader("{\"cmd\":[\"true\"]}\n\ufeff{\"cmd\":[\"false\"]}\n")); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a byte order mark on line 2: %v, want ErrInvalid naming line 2", err)
	}
}

// encoding/json keeps the last of a field given twice and matches field
// names in any case: {"cmd":["rm","x"],"cmd":["true"]} ran true without a
// word, and a name given twice in env kept its last value. Such lines are
// bad input, naming the line and the field.
func TestReadSpecsRefusesRepeatedOrMiscasedFields(t *testing.T) {
	for line, want := range map[string]string{
		`{"cmd":["rm","x"],"cmd":["true"]}`:           `field "cmd" given twice`,
		`{"CMD":["true"]}`:                            `unknown field "CMD"`,
		`{"cmd":["true"],"env":{"A":"1","A":"2"}}`:    `env: "A" given twice`,
		`{"cmd":["true"],"on":{"gpu":"1","gpu":"0"}}`: `on: "gpu" given twice`,
	} {
		_, err := ReadSpecs(strings.NewReader(line + "\n"))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadSpecs(%s): %v; want ErrInvalid naming line 1 and %s", line, err, want)
		}
	}
	if specs, err := ReadSpecs(strings.NewReader(`{"cmd":["true"],"env":{"A":"1","B":"1"},"on":{"gpu":"1"}}` + "\n")); err != nil || len(specs) != 1 {
		t.Fatalf("a good line: %v, %v", specs, err)
	}
}
