package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A retry of a cancelled task reads its result; before its write lands the
// result is written again (the worker filing the cancelled attempt's output
// into it, "a moment after the cancel", with a set at the version read), so
// the retry's multi fails its version check, and its reply is lost. The
// look for the lost write finds the result still there, same czxid, and
// Retry sends the retry again at the version it read the first time: it
// fails again, a bad version, and drover retry exits 1 with ZooKeeper's
// internals ("znode version mismatch"), though nothing stands in the way
// of the retry: the same race with its reply heard looks again and
// succeeds (Retry's first loop). The resend should read the result again.
func TestReview162LostRetryReplyOverAResultRewrittenIsSentAtTheVersionRead(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	res, err := New(st).Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	if _, err := New(st).Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	testHookRetryCommit = func() {
		testHookRetryCommit = nil
		// The worker files the cancelled attempt's output: a set of the
		// result at the version read.
		data, stat, err := st.Get(lay.Result(id))
		if err != nil {
			t.Error(err)
			return
		}
		if err := st.Txn().Set(lay.Result(id), data, stat.Version).Commit(); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookRetryCommit = nil })
	px.DropRepliesAfter([]byte(`"state":"queued"`))
	type outcome struct {
		t   *store.Task
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		got, err := c.Retry(context.Background(), id)
		done <- outcome{got, err}
	}()
	drovertest.WaitFor(t, 10*time.Second, "the retry's write sent", px.Dropping)
	px.Cut(true) // its reply (a version mismatch) is lost
	px.Cut(false)
	var got outcome
	select {
	case got = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("retry did not return")
	}
	now, err := New(st).Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.err != nil || now.State != store.StateQueued {
		t.Fatalf("a retry whose write failed a version check (the result rewritten meanwhile), its reply lost: "+
			"it failed with %q and the task is %s; the same race with its reply heard reads the result again and queues it", got.err, now.State)
	}
}
