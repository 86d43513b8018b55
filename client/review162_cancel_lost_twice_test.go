package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A cancel is applied and its reply lost; before its look, another client
// retries the task (queued again, its history kept, a new generation).
// Cancel's look finds the task queued and takes that for "not applied"
// (unknown = nil) and cancels it a second time: one drover cancel is
// applied twice, and the other client's retry is undone without a word.
// Retry, in the same spot, fails ErrUnconfirmed, "another client retried
// it" (README: "a retry not found applied, nor found not applied ...
// exits 1 saying what it found"); Cancel should likewise see that the
// task moved on past its cancel (a later generation, RetriedAt after its
// FinishedAt) and not cancel it again.
func TestReview162LostCancelReplyCancelsAnotherClientsRetryToo(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	other := New(st)
	res, err := other.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	testHookReconnecting = func() {
		testHookReconnecting = nil
		// Between the lost reply and the look: another client retries
		// the task this cancel ended.
		if _, err := other.Retry(context.Background(), id); err != nil {
			t.Errorf("the other client's retry: %v", err)
		}
	}
	t.Cleanup(func() { testHookReconnecting = nil })
	px.DropRepliesAfter([]byte(`"state":"cancelled"`))
	type outcome struct {
		t   *store.Task
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		got, err := c.Cancel(context.Background(), id)
		done <- outcome{got, err}
	}()
	drovertest.WaitFor(t, 10*time.Second, "the cancel applied", func() bool {
		ok, _, err := st.Exists(st.Layout().Result(id))
		return err == nil && ok
	})
	px.Cut(true) // its reply is lost
	px.Cut(false)
	got := <-done
	now, err := other.Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if now.State != store.StateQueued {
		t.Fatalf("one drover cancel, applied (reply lost), then another client's retry: the task is %s (gen %d) and the cancel returned %v; "+
			"the cancel's look took the retried task for a cancel not applied and cancelled it again, undoing the retry", now.State, now.Gen, got.err)
	}
}
