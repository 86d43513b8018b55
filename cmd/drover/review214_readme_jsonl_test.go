package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The task lines README gives for submit -f, now and as it gave them
// before (without no_retry_exit, without backoff), with its delayed and
// deadline variants, are taken, exit 0 (its "at" example, a date soon
// past, is left out). (review214)
func TestSubmitFileReadmeExamples(t *testing.T) {
	root := newRoot()
	lines := []string{
		`{"cmd":["./resize.sh","a.png"],"retries":2,"no_retry_exit":[2],"backoff":"30s","timeout":"5m","on":{"gpu":"true"},"priority":"high"}`,
		`{"cmd":["./resize.sh","a.png"],"retries":2,"no_retry_exit":[2],"timeout":"5m","on":{"gpu":"true"},"priority":"high"}`,
		`{"cmd":["./resize.sh","a.png"],"retries":2,"timeout":"5m","on":{"gpu":"true"},"priority":"high"}`,
		`{"handler":"upper","payload":"aGk="}`,
		`{"cmd":["true"],"in":"10m"}`,
		`{"cmd":["true"],"starting_deadline":"5m"}`,
		`{"cmd":["true"],"in":"10m","starting_deadline":"5m"}`,
	}
	file := filepath.Join(t.TempDir(), "t.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "submit", "-f", file)
	if r.code != 0 || strings.Count(strings.TrimSpace(r.stdout), "\n") != len(lines)-1 {
		t.Fatalf("submit -f of README's lines: %+v", r)
	}
}
