package worker

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// A start given up because the task's timeout fired while its exec hung
// (the attempt's context still live) panics: execute builds "killed: " +
// context.Cause(ctx).Error() before it looks at ctx.Err(), and the cause of
// a context not ended is nil. The worker process dies (nil pointer
// dereference at exec.go:216), and every command it runs with it
// (Pdeathsig): a task with a --timeout whose program sits on a mount gone
// silent takes the worker down, then the next worker it is retried on.
// Seen in a real worker with a FUSE program (review134_hungexec_freeze's
// first version); here the hung exec is a start that does not return.
func TestReview134TimeoutDuringHungStartPanics(t *testing.T) {
	release, returned := make(chan struct{}), make(chan struct{})
	testHookStart = func(cmd *exec.Cmd) error {
		<-release
		close(returned)
		return fmt.Errorf("exec hung, then failed")
	}
	t.Cleanup(func() { close(release); <-returned; testHookStart = nil })
	fire := make(chan time.Time, 1)
	fire <- time.Now() // the task's timeout: passed while the exec hangs
	saved := timeoutAfter
	timeoutAfter = func(time.Duration) (<-chan time.Time, func()) { return fire, func() {} }
	t.Cleanup(func() { timeoutAfter = saved })

	task := &store.Task{ID: "01JTIMEOUTSTARTHUNG0000000", Attempt: 1, Cmd: []string{"true"}, Timeout: store.MillisOf(time.Second)}
	var out outcome
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		out = execute(context.Background(), task, "w1", store.OutputTail, time.Now, policy{})
	}()
	if panicked != nil {
		t.Fatalf("execute panicked when the task's timeout fired during a hung start (the worker process dies): %v", panicked)
	}
	if out.ExitCode != -1 || !strings.HasPrefix(out.Err, "timeout after") {
		t.Fatalf("outcome %+v, want a timeout", out)
	}
}
