package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// review167: a withdrawal (its worker lost) whose reply the leader lost
// just before its session expired, and whose next attempt the successor
// placed before the first leader led again. The withdrawal landed: the
// task's record holds the lost attempt, withdrawn once. But neither
// scheduler counts it in drover_attempts_withdrawn_total: the successor did
// not withdraw it, and the first, leading again, looks for the withdrawn
// attempt only in the task's result and queue item (tallyWithdrawn), not in
// an assignment, where the successor has put the task meanwhile (the
// placements' tally, tallyPlaced, looks there: LookupTaskIn). The sum over
// the schedulers falls behind the records for good.
func TestReview167WithdrawalLostReplyThenPlacedByAnotherIsCounted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	pa := drovertest.StartProxy(t, drovertest.Addr())
	pb := drovertest.StartProxy(t, drovertest.Addr())
	const session = 8 * time.Second
	ast := drovertest.OpenStoreFor(t, pa.Addr(), root, session)
	bst := drovertest.OpenStoreFor(t, pb.Addr(), root, session)
	logs := shownOnFailure(t)

	w1 := registerWorker(t, root, "w1", 10, nil)
	a, stopA := runScheduler(t, ast, "a", withLog(logs, "a"))
	drovertest.WaitFor(t, 20*time.Second, "a leading with w1", func() bool {
		s := a.Stats()
		return s.Leader && s.ViewReady && s.Workers == 1
	})
	b, stopB := runScheduler(t, bst, "b", withLog(logs, "b"))
	id := submit(t, st, 1, nil)[0]
	drovertest.WaitFor(t, 20*time.Second, "the task placed on w1", func() bool { return len(w1.assignments(t)) == 1 })
	w1.start(t, w1.assignments(t)[0])
	w2 := registerWorker(t, root, "w2", 10, nil)
	drovertest.WaitFor(t, 20*time.Second, "a seeing w2", func() bool { return a.Stats().Workers == 2 })

	// w1 lost: a withdraws its attempt, the reply lost; then a is cut off
	// until its session expires and b leads.
	pa.DropRepliesAfter([]byte("worker lost"))
	if err := st.Delete(st.Layout().Worker(w1.id), -1); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "a's withdrawal sent, its reply lost", pa.Dropping)
	pa.Cut(true)
	// b is cut off only once it has counted its placement: seen on w2
	// through st, its committed reply may still be on its way through
	// pb, and a write in flight when its leader is killed is left
	// uncounted by design (b placed 0 once in a few runs on a loaded host).
	drovertest.WaitFor(t, 60*time.Second, "b leading, the next attempt placed on w2 and counted", func() bool {
		s := b.Stats()
		return s.Leader && s.ViewReady && len(w2.assignments(t)) == 1 && s.Placed == 1
	})
	// b killed (cut off for good): a leads again.
	pb.Cut(true)
	pa.Cut(false)
	drovertest.WaitFor(t, 60*time.Second, "a leading again", func() bool {
		s := a.Stats()
		return s.Leader && s.ViewReady && a.Epoch() > b.Epoch()
	})
	stopA()
	stopB()

	names := w2.assignments(t)
	if len(names) != 1 || !strings.HasPrefix(names[0], id+".") {
		t.Fatalf("w2 holds %v, want the task's next attempt", names)
	}
	_, task, _ := w2.read(t, names[0])
	withdrawn := len(task.History)
	if withdrawn != 1 || !task.History[0].Lost {
		t.Fatalf("task's history %+v, want its first attempt lost", task.History)
	}
	as, bs := a.Stats(), b.Stats()
	t.Logf("a: placed %d recovered %d; b: placed %d recovered %d", as.Placed, as.Recovered, bs.Placed, bs.Recovered)
	if got := as.Recovered + bs.Recovered; got != uint64(withdrawn) {
		t.Errorf("drover_attempts_withdrawn_total: a %d + b %d = %d, the task's record shows %d attempt withdrawn "+
			"(a's withdrawal, its reply lost, landed; b placed the next attempt before a led again)",
			as.Recovered, bs.Recovered, got, withdrawn)
	}
	if got := as.Placed + bs.Placed; got != 2 {
		t.Errorf("drover_placements_total: a %d + b %d = %d, want 2", as.Placed, bs.Placed, got)
	}
}
