package worker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review109.

// TestAllowListChecksTheProgramItRuns: policy.allowed matches the
// allow-list against filepath.Abs of the program, which cleans ".."
// lexically, but execute then runs the path as the task wrote it, which
// the kernel resolves through symlinks. Where the allowed directory holds a
// symlink to a directory (Debian's /usr/bin/X11 -> ., or an operator's
// link to a data or upload area), "ALLOWED/link/../prog" is checked as
// ALLOWED/prog and runs prog beside the link's target, outside the list.
// README: --allow PATTERN "restricts the programs it runs (glob on the
// absolute path ...)".
func TestAllowListChecksTheProgramItRuns(t *testing.T) {
	dir := t.TempDir()
	allowed, target := filepath.Join(dir, "allowed"), filepath.Join(dir, "uploads", "inbox")
	for _, d := range []string{allowed, target} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(target, filepath.Join(allowed, "inbox")); err != nil {
		t.Fatal(err)
	}
	// Outside the allowed directory: dir/uploads/evil.
	evil := filepath.Join(dir, "uploads", "evil")
	if err := os.WriteFile(evil, []byte("#!/bin/sh\necho evil ran\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Allow = []string{allowed + "/*"} })
	task := &store.Task{Cmd: []string{allowed + "/inbox/../evil"}}
	assign(t, st, w, task)
	got := result(t, st, task.ID)
	if got.ExitCode == nil || *got.ExitCode != 126 {
		t.Fatalf("--allow %s/* ran %s (it is %s): state %s, exit %v, stdout %q, error %q; want it refused, exit 126",
			allowed, task.Cmd[0], evil, got.State, deref(got.ExitCode), got.Stdout, got.Error)
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
