package worker

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// With an allow-list, a task may not set the variables that make a program
// run other code; make's MAKEFLAGS, MFLAGS and GNUMAKEFLAGS were on the
// list, but not MAKEFILES, the makefiles GNU make reads before any other.
// Those are parsed as makefiles: $(shell ...) runs at once. No file is
// needed: /proc/self/environ is make's own environment, where another of
// the task's variables holds the makefile text (a NUL ends each variable,
// and make skips the rest of a line after one, so the value starts with
// blank lines). So a task that may run one allowed script that calls make
// ran anything. (Found by review.)
func TestAllowListIsNotBypassedThroughMAKEFILES(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/Makefile", []byte("all:\n\t@echo built\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := dir + "/build.sh"
	if err := os.WriteFile(script, []byte("#!/bin/sh\nmake -C "+dir+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script},
		Env: map[string]string{"MAKEFILES": "/proc/self/environ", "JOB_NOTE": "\n\n$(shell touch " + dir + "/pwned)\n"}}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, policy{allow: []string{script}})
	if _, err := os.Stat(dir + "/pwned"); err == nil {
		t.Fatalf("a task ran a command the allow-list (%s) does not admit, through MAKEFILES (outcome: exit %d %q, stdout %q)",
			script, out.ExitCode, out.Err, out.Stdout)
	}
}
