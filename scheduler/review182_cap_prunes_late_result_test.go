package scheduler

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// finishQueued ends a queued task succeeded now, as a worker's report would
// (its queue item gone, its result made; a late one marks its bucket).
func finishQueued(t *testing.T, st *store.Store, task *store.Task) {
	t.Helper()
	done := task.Clone()
	zero := 0
	done.State, done.ExitCode, done.FinishedAt = store.StateSucceeded, &zero, time.Now().UTC()
	err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Delete(st.Layout().QueueItem(task.ID), -1)
		return txn.Finish(done)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A result that comes late to an old bucket (a long job, a long backoff, a
// task that waited for a worker with its labels) marks its bucket, so that
// "a result comes days later" is not "pruned within a minute"
// (store.FinishEncoded; README: results are kept "7 days from when the
// result came"). But once --max-results binds — the default 1,000,000 does
// on any cluster averaging 1.7 tasks/s over the 7-day retention — a pass
// walks the buckets by their id time and prunes "whatever came late"
// (pruneResultsBefore: unmarked = -1): the late result, the newest result
// of all, goes at the very next pass, with its idempotency key, while every
// result that came before it is kept. A client that waits for it a minute
// later, or submits again with its key, finds no such task (the job runs
// again). Here: cap 10, 20 tasks finish, then a keyed task submitted two
// hours ago finishes last; one pass keeps the 10 newest ids, and the one
// result that came last is gone.
func TestReview182CapPrunesTheLateResultFirst(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-2 * time.Hour)
	long := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"long-job"}, Key: "nightly-report", SubmittedAt: at.UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{long}); err != nil {
		t.Fatal(err)
	}
	var recent []*store.Task
	for i := 0; i < 20; i++ {
		// One a bucket (a 1.024 s window), within the last minute: on time.
		sub := time.Now().Add(time.Duration(2*i-50) * time.Second)
		task := &store.Task{ID: ulid.MustNew(ulid.Timestamp(sub), rand.Reader).String(), Cmd: []string{"true"}, SubmittedAt: sub.UTC()}
		recent = append(recent, task)
	}
	if _, err := st.Submit(context.Background(), recent); err != nil {
		t.Fatal(err)
	}
	for _, task := range recent {
		finishQueued(t, st, task)
	}
	finishQueued(t, st, long) // the job submitted two hours ago ends now: the newest result
	l, _, _ := termOf(t, st, func(c *Config) { c.MaxResults = 10; c.ResultRetention = 24 * time.Hour })
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, task := range recent {
		if ok, _, err := st.Exists(lay.Result(task.ID)); err != nil {
			t.Fatal(err)
		} else if ok {
			kept++
		}
	}
	ok, _, err := st.Exists(lay.Result(long.ID))
	if err != nil {
		t.Fatal(err)
	}
	keyThere, _, _ := st.Exists(lay.Key(store.KeyHash(long.Key)))
	t.Logf("after one pass under --max-results 10: %d of the 20 earlier results kept; the late result kept: %v, its key: %v", kept, ok, keyThere)
	if !ok {
		t.Fatalf("the result that came last (a task submitted 2 h ago, finished after the 20 others) was pruned by the cap at the first pass "+
			"(its key too: %v left), while %d results that came before it were kept: the cap walks buckets by id time and prunes "+
			"late results first, so under a binding --max-results a late result lives less than a pass", keyThere, kept)
	}
}
