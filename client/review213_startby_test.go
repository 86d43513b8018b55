package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// README, submit --starting-deadline: a task "whose first attempt has not
// started D after its start, the submit or its --at/--in, ... is ended
// cancelled ..., by the leader's clock"; and --at: "a time past, by the
// leader's clock, runs it at once".
//
// An --at a little past (within pastStart, kept for the leader to judge)
// with a starting deadline shorter than how far past it is made a task
// whose start_by had passed before it was written: acknowledged, then
// cancelled at once, never placed. An --at further past (more than a day)
// is taken for now, and its deadline counts from the submit: a time less
// past got the worse outcome. A start past runs at once, so its deadline
// counts from the submit too.
func TestStartingDeadlineOfAStartPastCountsFromTheSubmit(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for _, past := range []time.Duration{time.Hour, 23 * time.Hour, 48 * time.Hour} {
		task, err := TaskSpec{Cmd: []string{"true"}, At: now.Add(-past), StartingDeadline: 10 * time.Minute}.Task(now)
		if err != nil {
			t.Fatal(err)
		}
		if !task.StartBy.After(now) {
			t.Errorf("at %v past, starting deadline 10m: start_by %v, already past at the submit (%v): cancelled before it could start",
				past, task.StartBy, now)
		}
	}
}

// A client whose clock is behind the leader's submits a task with a
// starting deadline while a worker is free: it should run. Its start_by
// was reckoned by the client's clock (the submit's time plus the
// deadline), so a client 10 minutes behind wrote a start_by already 9
// minutes past for the leader, which ended the task at once, cancelled,
// "not started by its starting deadline", never placed. The leader takes
// a submit's time by its queue item's creation, not the client's clock
// (leader.notBefore), and a schedule's add, pause, resume and trigger are
// stamped with ZooKeeper's clock for the same reason (schedule_clock_test).
func TestStartingDeadlineFromAClientClockBehind(t *testing.T) {
	root := drovertest.NewRoot()
	runLeader(t, root)
	runCommandWorker(t, root, "w1")
	c := New(drovertest.OpenStore(t, root))
	c.now = func() time.Time { return time.Now().Add(-10 * time.Minute) } // this host's clock
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}, StartingDeadline: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := c.Wait(ctx, res[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.StateSucceeded {
		t.Fatalf("submitted with a starting deadline of 1m by a client 10m behind, a worker free: ended %s (%q), start_by %v; want succeeded",
			got.State, got.Error, got.StartBy)
	}
}
