package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// --max-results N: "keep at most this many finished results, oldest pruned
// first". A pass over the cap empties whole result buckets (emptyBucket),
// and a bucket is a 1.024 s window of id time holding up to 12,288 tasks
// (store.NewTaskID): one submit of a batch puts it all in one bucket. When
// that bucket is the newest and the cap binds, the pass deletes all of it:
// the newest results go with the oldest, and fewer than N, here none, are
// kept. 30 tasks submitted together and finished, --max-results 10: one pass
// keeps 0 results, where the 10 newest (or at the least some) should stay.
func TestReview182CapEmptiesTheNewestBucketWhole(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	now := time.Now()
	tasks := make([]*store.Task, 30)
	for i := range tasks {
		tasks[i] = &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now.UTC()}
	}
	if _, err := st.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		finishQueued(t, st, task)
	}
	b1, b2 := store.Bucket(tasks[0].ID)
	if lb1, lb2 := store.Bucket(tasks[len(tasks)-1].ID); lb1 != b1 || lb2 != b2 {
		t.Skip("the batch straddled two buckets; run again")
	}
	l, _, _ := termOf(t, st, func(c *Config) { c.MaxResults = 10; c.ResultRetention = 24 * time.Hour })
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, task := range tasks {
		if ok, _, err := st.Exists(lay.Result(task.ID)); err != nil {
			t.Fatal(err)
		} else if ok {
			kept++
		}
	}
	t.Logf("30 results in one bucket, --max-results 10: %d kept after one pass", kept)
	if kept == 0 {
		t.Fatalf("--max-results 10 over 30 results of one submit (one bucket) kept none: the pass empties whole buckets, the newest too, " +
			"so the cap keeps fewer than N results, down to none (README: keep at most N, oldest pruned first)")
	}
}
