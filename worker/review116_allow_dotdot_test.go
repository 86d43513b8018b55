package worker

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// README: --allow is a "glob on the absolute path" of the program.
// policy.allowed takes the absolute path by filepath.Abs, which cleans
// ".." lexically, while exec resolves it after following symlinks: a
// program D/shared/../evil is matched as D/evil, and runs as the file
// evil beside what D/shared points to. With --allow 'D/*' and a
// directory D/shared -> S/jobs (a scratch area kept elsewhere, say
// /var/tmp/jobs), a task runs S/evil, which the list never admitted.
func TestAllowListMatchesThePathThatRuns(t *testing.T) {
	base := t.TempDir()
	allowed, scratch := base+"/jobs", base+"/scratch"
	for _, d := range []string{allowed, scratch + "/jobs"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(scratch+"/jobs", allowed+"/shared"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(scratch+"/evil", []byte("#!/bin/sh\ntouch "+base+"/pwned\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pol := policy{allow: []string{allowed + "/*"}}
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{allowed + "/shared/../evil"}}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, pol)
	if _, err := os.Stat(base + "/pwned"); err == nil {
		t.Fatalf("--allow '%s/*': a task ran %s/evil as %s/shared/../evil (exit %d %q): the list matched the lexically cleaned path, not the one exec ran",
			allowed, scratch, allowed, out.ExitCode, out.Err)
	}
}
