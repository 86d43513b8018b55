package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// commitQueued says the write is in line before it commits, and writes
// queued after that commit in order, in the same multi or a later one: the
// hand-off of a slot from a report to the next running mark counts on it.
func TestCommitQueuedInLineBeforeItCommits(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	b := newBatcher(st)
	dir := root + "/order"
	if err := st.EnsurePath(dir); err != nil {
		t.Fatal(err)
	}
	queued := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- b.commitQueued(context.Background(), nil, 64, func(txn *store.Txn) error {
			txn.Create(dir+"/a", nil)
			return nil
		}, func() { close(queued) })
	}()
	// No commit loop runs yet: in line, not committed.
	select {
	case <-queued:
	case <-time.After(10 * time.Second):
		t.Fatal("queued was not called")
	}
	select {
	case err := <-first:
		t.Fatalf("committed with no commit loop running: %v", err)
	default:
	}
	second := make(chan error, 1)
	go func() {
		second <- b.commit(context.Background(), nil, 64, func(txn *store.Txn) error {
			// Fails unless the first write committed before or with it.
			txn.Check(dir+"/a", 0)
			txn.Create(dir+"/b", nil)
			return nil
		})
	}()
	drovertest.WaitFor(t, 10*time.Second, "the second write in line", func() bool { return len(b.reqs) == 2 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.run(ctx)
	for i, c := range []chan error{first, second} {
		if err := <-c; err != nil {
			t.Fatalf("write %d: %v", i+1, err)
		}
	}
}
