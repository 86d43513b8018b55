package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// tallyWithdrawn counts a lost-reply withdrawal that landed only when the
// task's record is found as its result or its queue item. When another
// leader, in between, placed the retry the withdrawal queued, the record is
// an assignment on another worker (its History holds the withdrawn attempt,
// ended as a wrote it): a, leading again, reads two NoNodes and never counts
// it. README: withdrawals "whose write committed but whose reply was lost
// ... are counted by the scheduler that wrote them once its next view as
// leader finds them landed". tallyPlaced looks elsewhere in the same spot
// (LookupTaskIn, review131); tallyWithdrawn does not, so
// drover_attempts_withdrawn_total summed over the schedulers falls short at
// every failover that meets a worker loss.
func TestReview170WithdrawalLostReplyThenPlacedByAnotherIsCounted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreFor(t, px.Addr(), root, 4*time.Second)
	w2 := registerWorker(t, root, "w2", 1, nil)
	logs := shownOnFailure(t)
	a, stopA := runScheduler(t, lst, "a", withLog(logs, "a"))
	drovertest.WaitFor(t, 20*time.Second, "a leading with w2 in view", func() bool {
		s := a.Stats()
		return s.Leader && s.ViewReady && s.Workers == 1
	})
	id := ulid.Make().String()
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "attempt 1 placed on w2", func() bool { return len(w2.assignments(t)) == 1 })

	// w2 is lost: a withdraws attempt 1 and queues attempt 2; that write
	// lands, its reply lost.
	requeued := st.Layout().QueueItem(id)
	px.DropRepliesAfter([]byte(requeued))
	if err := st.Delete(st.Layout().Worker("w2"), -1); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 15*time.Second, "a's withdrawal committed, its reply dropped", func() bool {
		ok, _, err := st.Exists(requeued)
		return err == nil && ok && px.Dropping()
	})
	px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "a's session expired (its election znode gone)", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})

	// b leads and places the queued attempt 2 on w1.
	registerWorker(t, root, "w1", 1, nil)
	b, stopB := runScheduler(t, st, "b", withLog(logs, "b"))
	second := st.Layout().Assignment("w1", id, 2)
	drovertest.WaitFor(t, 30*time.Second, "b placed attempt 2 on w1", func() bool {
		ok, _, err := st.Exists(second)
		return err == nil && ok
	})
	stopB()

	px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "a leading again, its view rebuilt", func() bool {
		s := a.Stats()
		return a.Epoch() > b.Epoch() && s.Leader && s.ViewReady
	})
	stopA()
	if got := a.Stats().Recovered + b.Stats().Recovered; got != 1 {
		t.Fatalf("drover_attempts_withdrawn_total: a %d + b %d = %d for the 1 withdrawal (a's, of attempt 1 on lost w2, "+
			"landed with its reply lost; b placed the retry it queued on w1): a, leading again, found neither a result "+
			"nor a queue item and never counted it", a.Stats().Recovered, b.Stats().Recovered, got)
	}
}
