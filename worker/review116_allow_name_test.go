package worker

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// README: `--allow PATTERN` "restricts the programs it runs (glob on the
// absolute path or the name)"; `--allow` "admits programs, not what they
// do: an allowed shell or interpreter runs what its arguments say". A name
// pattern (`--allow echo`) is there so that a task may name the program as
// its PATH finds it (`echo hi`), but policy.allowed matches it against the
// base name of ANY absolute path the task gives: a task that names
// /some/dir/echo runs whatever file is called echo there. With a list of
// two harmless programs, cp and echo, one task copies /bin/sh to DIR/echo
// and the next runs DIR/echo -c ..., a shell the list never admitted.
func TestAllowListNamePatternAdmitsOnlyWhatPathFinds(t *testing.T) {
	if _, err := exec.LookPath("cp"); err != nil {
		t.Skip("no cp on PATH")
	}
	dir := t.TempDir()
	pol := policy{allow: []string{"cp", "echo"}}
	copyShell := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{"cp", "/bin/sh", dir + "/echo"}}
	if out := execute(context.Background(), copyShell, "w-exec", store.OutputTail, time.Now, pol); out.ExitCode != 0 {
		t.Fatalf("cp (on the list) did not run: exit %d %q", out.ExitCode, out.Err)
	}
	run := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAB", Attempt: 1, Cmd: []string{dir + "/echo", "-c", "touch " + dir + "/pwned"}}
	out := execute(context.Background(), run, "w-exec", store.OutputTail, time.Now, pol)
	if _, err := os.Stat(dir + "/pwned"); err == nil {
		t.Fatalf("--allow cp --allow echo: a task ran %s/echo, a copy of /bin/sh, as \"echo\" (exit %d %q): a name pattern admits that name in any directory", dir, out.ExitCode, out.Err)
	}
}
