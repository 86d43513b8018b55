package worker

import (
	"os"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review109.

// TestWorkerWithoutPathFindsProgramsInItsCommandsPath: a worker started
// with no PATH of its own (env -i, a container or supervisor that sets
// none) gives its commands the default PATH /usr/local/bin:/usr/bin:/bin
// (taskEnv, 96dc370), but looks their programs up in its own, empty,
// PATH (exec.LookPath reads the process's): `drover submit -- echo hi`
// fails, exit 127 "executable file not found in $PATH", though its
// command would find /bin/echo, and `--shell 'echo hi'` (/bin/sh, then
// the default PATH) runs. The program should be looked up in the PATH the
// command is given.
func TestWorkerWithoutPathFindsProgramsInItsCommandsPath(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	// No remembered lookup from an earlier test may answer for this one.
	old := lookups.Load()
	lookups.Store(&lookupCache{now: time.Now})
	t.Cleanup(func() { lookups.Store(old) })
	t.Setenv("PATH", "x") // restored after the test
	os.Unsetenv("PATH")

	shell := &store.Task{Shell: true, Cmd: []string{"echo", "hi"}}
	argv := &store.Task{Cmd: []string{"echo", "hi"}}
	assign(t, st, w, shell)
	assign(t, st, w, argv)
	if got := result(t, st, shell.ID); got.State != store.StateSucceeded || got.Stdout != "hi\n" {
		t.Fatalf("shell task: state %s, stdout %q, error %q", got.State, got.Stdout, got.Error)
	}
	if got := result(t, st, argv.ID); got.State != store.StateSucceeded || got.Stdout != "hi\n" {
		t.Fatalf("argv task [echo hi] on a worker without PATH, whose commands get PATH=/usr/local/bin:/usr/bin:/bin: state %s, exit %v, error %q; want it to run as the shell task did",
			got.State, deref(got.ExitCode), got.Error)
	}
}
