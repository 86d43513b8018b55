package client

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// getDataRequest is the body of a ZooKeeper getData request of path
// without a watch: its op code, the path, and the watch flag.
func getDataRequest(path string) []byte {
	b := binary.BigEndian.AppendUint32(nil, 4) // OpGetData
	b = binary.BigEndian.AppendUint32(b, uint32(len(path)))
	return append(append(b, path...), 0)
}

// A single-task wait that sees the result exist, and reads it after a
// retry took it away (the task queued again), waits on for the next
// result, as WaitAll does for one listed and gone before its read
// (TestWaitAllOutlivesAResultRetriedBetweenItsListingAndItsRead).
// WaitResultIn returned the read's ErrNoNode: drover wait and submit
// --wait failed, exit 1, with ZooKeeper's "node does not exist", for a
// task still going. (Found by review.)
func TestWaitOutlivesAResultRetriedBetweenItsExistsAndItsRead(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	other := New(st)
	res, err := other.Submit(context.Background(), []TaskSpec{{Cmd: []string{"false"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	// Once the wait has looked the task up (queued), it finishes, and the
	// wait's read of its result is held back.
	testHookWaitResult = func() {
		finishAllFailed(t, st, []string{id})
		m := getDataRequest(st.Layout().Result(id))
		px.HoldAt(m)
	}
	t.Cleanup(func() { testHookWaitResult = nil })
	type outcome struct {
		task *store.Task
		err  error
	}
	done := make(chan outcome, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		task, err := c.Wait(ctx, id)
		done <- outcome{task, err}
	}()
	select {
	case <-px.Held():
	case o := <-done:
		t.Fatalf("the wait ended before reading the result: %+v", o)
	case <-time.After(20 * time.Second):
		t.Fatal("the wait never read the result")
	}
	// Another client retries the task: its result goes, it is queued again.
	if _, err := other.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	px.Release()
	// It fails again: the wait's answer is this second result.
	drovertest.WaitFor(t, 10*time.Second, "the retried task queued", func() bool {
		_, _, err := st.Get(st.Layout().QueueItem(id))
		return err == nil
	})
	finishAllFailed(t, st, []string{id})
	o := <-done
	if o.err != nil || o.task == nil || o.task.Attempt != 2 {
		t.Fatalf("wait for a task retried as its result was read: %+v, %v; want it to wait for, and return, the second attempt's result", o.task, o.err)
	}
}
