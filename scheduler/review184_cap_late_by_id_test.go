package scheduler

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// When a deferred late bucket's turn comes and the cap needs only some of
// its results, emptyBucket takes the oldest ids: in a late bucket the id
// says when a task was submitted, not when its result came, and the late
// result (the very one that made the bucket late) is the newest result of
// all yet may have the oldest id. Here: a bucket of 2 h ago holds a result
// that came now (the first task submitted in that window: it waited for a
// worker) and three on time; cap 3, one over. The pass prunes the result
// that came now, its key with it, and keeps the three of 2 h ago — the
// review182 defect, by another way.
func TestReview184CapPrunesTheLateResultByItsOldId(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	d := bucketStart(time.Now().Add(-2 * time.Hour))
	lateTask := &store.Task{ID: ulid.MustNew(ulid.Timestamp(d.Add(time.Millisecond)), rand.Reader).String(), Cmd: []string{"long-job"},
		Key: "nightly-report", SubmittedAt: d.UTC()}
	if _, err := st.Submit(t.Context(), []*store.Task{lateTask}); err != nil {
		t.Fatal(err)
	}
	var ds []string
	for i := range 3 {
		ds = append(ds, onTimeAt(t, st, d.Add(time.Duration(10*(i+1))*time.Millisecond)))
	}
	finishQueued(t, st, lateTask) // ends now: late, the newest result
	l, _, _ := termOf(t, st, dayOfHistory, func(c *Config) { c.MaxResults = 3 })
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	kept := resultsKept(t, st, ds...)
	ok, _, err := st.Exists(lay.Result(lateTask.ID))
	if err != nil {
		t.Fatal(err)
	}
	keyThere, _, _ := st.Exists(lay.Key(store.KeyHash(lateTask.Key)))
	t.Logf("cap 3 over 4: results of 2 h ago kept %d of 3; the one that came now kept %v, its key %v", kept, ok, keyThere)
	if !ok {
		t.Fatalf("the cap, one over, pruned the result that came last (key left: %v) and kept %d that came 2 h before it: "+
			"a deferred late bucket is cut to the oldest ids, and the late result's id is its oldest (README: a late one after those that came before it)", keyThere, kept)
	}
}
