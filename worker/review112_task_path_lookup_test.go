package worker

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review112.

// TestProgramIsLookedUpInTheTasksOwnPath: 41c9a08 made a worker look a
// program given by name up "in the PATH the worker gives its commands"
// (review109: the lookup must use the PATH the command is given, as the
// shell does), but only for the worker's own PATH or the default one. A
// task may set PATH itself (drover submit --env PATH=..., refused only
// with an allow-list), and its command is given that PATH (taskEnv adds
// the task's variables last); yet the program is still looked up in the
// worker's PATH. `--env PATH=DIR -- prog` fails, exit 127 "executable
// file not found", or runs another prog found in the worker's PATH, while
// `--shell prog` with the same PATH runs DIR/prog.
func TestProgramIsLookedUpInTheTasksOwnPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "drover-review112-prog"), []byte("#!/bin/sh\necho found\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	old := lookups.Load()
	lookups.Store(&lookupCache{now: time.Now})
	t.Cleanup(func() { lookups.Store(old) })

	env := map[string]string{"PATH": dir + ":/usr/bin:/bin"}
	shell := &store.Task{Shell: true, Cmd: []string{"drover-review112-prog"}, Env: env}
	argv := &store.Task{Cmd: []string{"drover-review112-prog"}, Env: env}
	assign(t, st, w, shell)
	assign(t, st, w, argv)
	if got := result(t, st, shell.ID); got.State != store.StateSucceeded || got.Stdout != "found\n" {
		t.Fatalf("shell task: state %s, stdout %q, error %q", got.State, got.Stdout, got.Error)
	}
	if got := result(t, st, argv.ID); got.State != store.StateSucceeded || got.Stdout != "found\n" {
		t.Fatalf("argv task [drover-review112-prog] with PATH=%s: state %s, exit %v, error %q; its command is given that PATH, and the shell task with it ran %s/drover-review112-prog",
			env["PATH"], got.State, deref(got.ExitCode), got.Error, dir)
	}
}
