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

// TestCleanEnvWorkerRunsOnlyTheProgramItLookedUpAndChecked: README, since
// 41c9a08: "A program given by name is looked up in the PATH the worker
// gives its commands: its own, or /usr/local/bin:/usr/bin:/bin when it has
// none or runs them with --clean-env". When that lookup (lookIn) finds
// nothing, execute checks the bare name against --allow as
// filepath.Abs(name), a path in the worker's working directory, and passes
// the bare name to exec.Command "to keep the lookup error for Start to
// report"; but exec.Command looks the name up again, in the worker's own
// PATH, and runs what it finds there. So a --clean-env worker runs [prog]
// from a directory of its own PATH that its commands do not have (systemd
// gives a service /usr/local/sbin and /usr/sbin, which the default PATH
// lacks), where `--shell prog` fails 127; and with an allow-list that
// admits its working directory (WorkingDirectory=/opt/jobs, --allow
// '/opt/jobs/*'), a program outside the list runs: the name was checked as
// /opt/jobs/prog. Here the worker's directory is the test's, allowed, and
// the program is in a directory of the worker's PATH only.
func TestCleanEnvWorkerRunsOnlyTheProgramItLookedUpAndChecked(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "drover-review112-own"), []byte("#!/bin/sh\necho ran\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH")) // the worker's own PATH has dir
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.CleanEnv, c.Allow = true, []string{wd + "/*", "/bin/sh"} })
	old := lookups.Load()
	lookups.Store(&lookupCache{now: time.Now})
	t.Cleanup(func() { lookups.Store(old) })

	shell := &store.Task{Shell: true, Cmd: []string{"drover-review112-own"}}
	argv := &store.Task{Cmd: []string{"drover-review112-own"}}
	assign(t, st, w, shell)
	assign(t, st, w, argv)
	if got := result(t, st, shell.ID); got.ExitCode == nil || *got.ExitCode != 127 {
		t.Fatalf("shell task on a --clean-env worker: state %s, exit %v, stdout %q, error %q", got.State, deref(got.ExitCode), got.Stdout, got.Error)
	}
	if got := result(t, st, argv.ID); got.State == store.StateSucceeded || got.Stdout != "" {
		t.Fatalf("argv task [drover-review112-own] on a --clean-env worker with --allow %s/*: it ran %s/drover-review112-own (state %s, stdout %q), "+
			"outside the allow-list, found in the worker's own PATH, not in the default PATH its commands get and README says it is looked up in "+
			"(checked as %s/drover-review112-own; the shell task: exit 127)",
			wd, dir, got.State, got.Stdout, wd)
	}
}
