package client

import (
	"strings"
	"testing"
)

// README, submit -f: a bad line is refused "by its number, field and what
// that takes: `line 3: retries: want a whole number, got 1.5`". The fields
// added with no_retry_exit and starting_deadline named Go types instead
// ("no_retry_exit: want a []int, got a string", "want a int, got 2.5").
func TestSpecErrorsOfNewFieldsSayWhatTheyTake(t *testing.T) {
	for line, want := range map[string]string{
		`{"cmd":["x"],"no_retry_exit":"2"}`:   "no_retry_exit: want a list of exit codes",
		`{"cmd":["x"],"no_retry_exit":[2.5]}`: "no_retry_exit: want a list of exit codes",
		`{"cmd":["x"],"starting_deadline":5}`: `starting_deadline: want a duration string`,
	} {
		_, err := ReadSpecs(strings.NewReader(line + "\n"))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "int") {
			t.Errorf("%s: %v; want %q", line, err, want)
		}
	}
}
