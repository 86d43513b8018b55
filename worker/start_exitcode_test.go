package worker

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A program that is found but cannot be run (not executable, or a script
// with no #! line) ended with exit 127, a shell's "not found"; a shell says
// 126 for it, as Drover does now. Not found stays 127. (Noted by review109.)
func TestStartFailuresExitAsAShellSays(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	startWorker(t, root, "w1", nil)
	st := drovertest.OpenStore(t, root)
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	noshebang := filepath.Join(dir, "noshebang")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\ntrue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noshebang, []byte("true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prog string
		want int
	}{{noexec, 126}, {noshebang, 126}, {filepath.Join(dir, "missing"), 127}} {
		ids := submitCmd(t, st, 1, func(task *store.Task) { task.Cmd = []string{tc.prog} })
		got := result(t, st, ids[0])
		if got.ExitCode == nil || *got.ExitCode != tc.want {
			code := "none"
			if got.ExitCode != nil {
				code = strconv.Itoa(*got.ExitCode)
			}
			t.Errorf("%s: exit %s (%s), want %d", filepath.Base(tc.prog), code, got.Error, tc.want)
		}
	}
}
