package worker

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A command stuck in a read the kernel will not give up on SIGKILL (a FUSE
// request the server has taken is waited out uninterruptibly: an sshfs,
// s3fs or gcsfuse mount whose far end went silent) holds its attempt, and
// with it the worker's stop, for as long as the file system stays silent.
// execute kills the session on cancel (and on timeout) and then waits for
// cmd.Wait without bound (<-waited), so the attempt's goroutine never
// returns, serve's deferred wg.Wait waits for it, and Run does not return
// after its context ends: README's "a second signal stops it at once" and
// DrainTimeout's bound do not hold. The process cannot be killed, but the
// worker need not wait for it, as it abandons a Go handler that ignores its
// context a second after the context ends: a bounded wait after the kill
// (the guard keeps its session noted) would let the attempt end.
func TestStopEndsAnAttemptStuckInAnUninterruptibleRead(t *testing.T) {
	fs := mountHangingProgram(t)
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w, err := New(Config{ID: "w1", Commands: true, Store: st, Capacity: 2, DrainTimeout: time.Second, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cancel, ran := runRegistered(t, w)
	// cat starts (its program is on an ordinary file system) and blocks
	// reading the silent one.
	assign(t, st, w, &store.Task{Cmd: []string{"cat", fs.prog}})
	select {
	case <-fs.reading:
	case <-time.After(20 * time.Second):
		t.Fatal("the command never read the file")
	}
	// Stop the worker at once, as the second signal does.
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		fs.release() // answer the read, so that the command and Run end
		<-ran
		t.Fatalf("Run did not return after its context ended while a command was stuck in an uninterruptible read (stats %+v): the kill is followed by a wait without bound", w.Stats())
	}
}
