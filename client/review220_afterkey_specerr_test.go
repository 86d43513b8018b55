package client

import (
	"strings"
	"testing"
)

// README, submit -f: a bad line is refused "by its number, field and what
// that takes: `line 3: retries: want a whole number, got 1.5`", and
// review213 (TestSpecErrorsOfNewFieldsSayWhatTheyTake) held the fields of
// its day to it. after_key, added since, has no entry in specFieldWants
// and names Go's type: `after_key: want a []string, got a string`.
// (review220)
func TestSpecErrorOfAfterKeySaysWhatItTakes(t *testing.T) {
	for _, line := range []string{
		`{"cmd":["x"],"after_key":"extract"}`,
		`{"cmd":["x"],"after_key":[1]}`,
	} {
		_, err := ReadSpecs(strings.NewReader(line + "\n"))
		if err == nil || !strings.Contains(err.Error(), "after_key: want a list") || strings.Contains(err.Error(), "[]string") {
			t.Errorf("%s: %v; want \"after_key: want a list of keys ...\", in the spec's terms, not Go's", line, err)
		}
	}
}
