package scheduler

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The late results the cap holds back (cameLate) are listed with tracked
// runs' results among them, and the end phase cuts that list to the count
// over before emptyBucket leaves the tracked ones out: a tracked run that
// came late first takes a place among the n to go and is not deleted, so
// the pass deletes one fewer than it is over, and every pass does the same
// for as long as the run is tracked and fresh (the cap counts it out:
// trackedResults). Here: bucket D (2 h ago) gets three late results, the
// first a run a schedule tracks; cap 1, so one is over (3 - 1 tracked -
// 1). Two passes delete nothing.
func TestReview187CapHeldTrackedResultTakesACutPlace(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := drovertest.OpenStore(t, root) // a worker's store
	lay := st.Layout()
	d := bucketStart(time.Now().Add(-2 * time.Hour)).Add(10 * time.Millisecond)
	var ids []string
	for i := range 3 {
		id := ulid.MustNew(ulid.Timestamp(d.Add(time.Duration(10*(i+1))*time.Millisecond)), rand.Reader).String()
		code := 0
		task := &store.Task{ID: id, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &code, SubmittedAt: d.UTC(), FinishedAt: time.Now().UTC()}
		if err := w.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	l, _, _ := termOf(t, st, dayOfHistory, func(c *Config) { c.MaxResults = 1 })
	l.tracked = map[string]bool{ids[0]: true} // a schedule's run, its outcome not filed yet
	for range 2 {
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
	}
	kept := resultsKept(t, st, ids[1:]...)
	tracked, _, _ := st.Exists(lay.Result(ids[0]))
	t.Logf("cap 1, one over (3 results, 1 tracked): tracked kept %v, untracked kept %d of 2 after two passes", tracked, kept)
	if kept > 1 {
		t.Fatalf("two passes over the cap by one kept all %d untracked late results: the end phase cuts the held list to the "+
			"count over with the tracked run's result in it (the first to come), and emptyBucket then leaves that one out, "+
			"deleting nothing (ARCHITECTURE: tracked runs left out before it counts)", kept)
	}
}
