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
