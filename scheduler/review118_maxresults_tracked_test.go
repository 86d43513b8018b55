package scheduler

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestMaxResultsNotLiftedByRunsStillRunning: since 33d1d00 a retention
// pass takes len(l.tracked), every task a schedule holds active, off the
// results it counted (total-len(l.tracked) > MaxResults). But a schedule's
// active runs are mostly runs that have not finished (queued, running):
// they have no result, were never in total, and still lift the cap. With
// --max-results 5, six results and a schedule with three runs in flight,
// no result is pruned (6-3 is not over 5): --max-results is exceeded by
// up to 100 results per schedule (MaxActiveRuns). Only the tracked tasks
// that have a result should come off the count.
func TestMaxResultsNotLiftedByRunsStillRunning(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := time.Now()
	var ids []string
	for h := 8; h >= 3; h-- { // six results, one per first-level bucket
		at := now.Add(-time.Duration(h) * time.Hour)
		ids = append(ids, finished(t, st, at, at, store.StateSucceeded))
	}
	// A schedule's three runs in flight: queued tasks, no result.
	sched := &store.Schedule{Name: "hourly", Cron: "@hourly", Concurrency: "allow", Task: store.Task{Cmd: []string{"sleep", "3600"}}}
	for i := range 3 {
		id := ulid.MustNew(ulid.Timestamp(now.Add(-time.Duration(i)*time.Minute)), rand.Reader).String()
		task := &store.Task{ID: id, Cmd: []string{"sleep", "3600"}, State: store.StateQueued, Attempt: 1, SubmittedAt: now}
		if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Enqueue(task) }); err != nil {
			t.Fatal(err)
		}
		sched.Active = append(sched.Active, store.ScheduleRun{Slot: now.Add(-time.Duration(i) * time.Hour).Truncate(time.Hour), Task: id})
	}
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t), ResultRetention: 24 * time.Hour, MaxResults: 5})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Root}, 1)
	defer l.stop()
	l.schedules["hourly"] = &cronEntry{rec: sched}
	l.tracked = l.trackedRuns() // as startPrune sets it for its pass
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	left := 0
	for _, id := range ids {
		if _, _, err := st.Get(st.Layout().Result(id)); err == nil {
			left++
		}
	}
	if left > 5 {
		t.Fatalf("%d results left with --max-results 5 (none of them a schedule's run; its 3 runs in flight have no result, yet lifted the cap by 3)", left)
	}
}
