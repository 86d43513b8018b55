package worker

import (
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A worker out of open files (or processes, or memory) cannot start a
// command: pipe2 fails with EMFILE, and the attempt ended with exit 127
// counted against the task's --retries, a task with none failing for the
// worker's fault. It counts as lost now, and the task runs again.
func TestAttemptAWorkerCannotStartForWantOfFilesIsLostNotFailed(t *testing.T) {
	var starts atomic.Int32
	testHookStart = func(cmd *exec.Cmd) error {
		if starts.Add(1) == 1 {
			return &os.SyscallError{Syscall: "pipe2", Err: syscall.EMFILE}
		}
		return cmd.Start()
	}
	t.Cleanup(func() { testHookStart = nil })
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	startWorker(t, root, "w1", nil)
	st := drovertest.OpenStore(t, root)
	id := submitCmd(t, st, 1, nil)[0] // no retries
	got := result(t, st, id)
	if got.State != store.StateSucceeded || got.Attempt != 2 || len(got.History) != 2 {
		t.Fatalf("task %s, attempt %d, %d attempts: want succeeded on attempt 2 (%+v)", got.State, got.Attempt, len(got.History), got.History)
	}
	first := got.History[0]
	if !first.Lost || first.ExitCode != 127 || !strings.Contains(first.Error, "too many open files") {
		t.Fatalf("first attempt %+v: want lost, exit 127, the start error", first)
	}
}

func TestHostFault(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&os.SyscallError{Syscall: "pipe2", Err: syscall.EMFILE}, true},
		{&os.PathError{Op: "fork/exec", Path: "/bin/true", Err: syscall.EAGAIN}, true},
		{&os.PathError{Op: "fork/exec", Path: "/bin/true", Err: syscall.ENOMEM}, true},
		{&os.SyscallError{Syscall: "pipe2", Err: syscall.ENFILE}, true},
		{&os.PathError{Op: "fork/exec", Path: "/nope", Err: syscall.ENOENT}, false},
		{&os.PathError{Op: "fork/exec", Path: "/bin/true", Err: syscall.E2BIG}, false},
		{&os.PathError{Op: "fork/exec", Path: "/etc", Err: syscall.EACCES}, false},
	} {
		if got := hostFault(c.err); got != c.want {
			t.Errorf("hostFault(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
