package main

import (
	"strings"
	"testing"
)

// submit --env A=1 --env A=2 is accepted and keeps the last value (the
// task's env is {"A":"2"}), though the same task given as a -f line with
// "env":{"A":"1","A":"2"} is refused, exit 2 ("a name twice in env"), and
// --on a=b --on a=c is refused on the command line ("a given as b and c").
// A script's --env A="$X" --env A="$Y" silently loses a value: it should be
// refused the same way, one line, exit 2, and nothing written. (review120)
func TestSubmitEnvGivenTwiceIsBadInput(t *testing.T) {
	root := newRoot()
	// The cluster exists (a first submit made it), so a submit that takes
	// the flags writes a task and exits 0.
	if r := drover(t, root, "submit", "--", "true"); r.code != 0 {
		t.Fatalf("first submit: exit %d, stderr %q", r.code, r.stderr)
	}
	r := drover(t, root, "submit", "--env", "A=1", "--env", "A=2", "--", "echo", "x")
	if r.code == 0 {
		id := strings.TrimSpace(r.stdout)
		st := drover(t, root, "-o", "json", "status", id)
		t.Fatalf("--env A=1 --env A=2 accepted (exit 0), task %s written with env %s; want exit 2 naming A given twice, as --on and a -f line are",
			id, envOf(st.stdout))
	}
	oneLineError(t, r, 2, "A")
}

func envOf(statusJSON string) string {
	i := strings.Index(statusJSON, `"env"`)
	if i < 0 {
		return "(none)"
	}
	j := strings.Index(statusJSON[i:], "}")
	if j < 0 {
		return statusJSON[i:]
	}
	return strings.Join(strings.Fields(statusJSON[i:i+j+1]), " ")
}
