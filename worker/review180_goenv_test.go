package worker

import (
	"os"
	"os/exec"
	"testing"
)

// README, Security: with --allow (and no --allow-env) a task may not set
// the variables that make a program run other code (... GOFLAGS ... "and
// their like"). GOFLAGS is refused, but GOENV is not: it names the file
// the go command reads its settings from, GOFLAGS among them, and
// /proc/self/environ is such a file, its lines the task's own variables
// (a value that starts with a newline starts a line). So a task that may
// run one allowed script that calls `go build` runs anything through
// GOFLAGS=-toolexec, without writing a file. (review180)
func TestReview180AllowListIsNotBypassedThroughGOENV(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go")
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/main.go", []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := dir + "/build.sh"
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec "+goBin+" build -o /dev/null "+dir+"/main.go\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GOENV": "/proc/self/environ",
		"JOB_NOTE": "\nGOFLAGS='-toolexec=/bin/sh -c \"touch " + dir + "/pwned\"'\n"}
	mustNotRunOffTheList(t, dir, script, env)
}
