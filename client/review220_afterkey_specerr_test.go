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

// An element of the wrong type in a list field is said to be in it, as
// for cmd: "after_key: want a list of idempotency keys, like ["extract"],
// got a number in it".
func TestSpecErrorOfAListsElement(t *testing.T) {
	for line, want := range map[string]string{
		`{"cmd":["x"],"after_key":[1]}`:       `after_key: want a list of idempotency keys, like ["extract"], got a number in it`,
		`{"cmd":["x"],"after":[true]}`:        `after: want a list of task ids, like ["01J..."], got a boolean in it`,
		`{"cmd":["x"],"no_retry_exit":["a"]}`: `no_retry_exit: want a list of exit codes, like [2, 64], got a string in it`,
		`{"cmd":["x"],"after_key":"k"}`:       `after_key: want a list of idempotency keys, like ["extract"], got a string`,
	} {
		_, err := ReadSpecs(strings.NewReader(line + "\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", line, err, want)
		}
	}
}
