package scheduler

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The cap holds back the results that came late within capFresh, read as
// those made at or after the bucket's last write (resultBucket.since, its
// Mzxid). But every writer marks a bucket once a minute for itself: when a
// backlog of an old window drains over several workers, each marks the
// bucket, and only the results since the LAST mark are held. A result that
// came late seconds before another writer's mark is taken for an ordinary
// one and pruned by its old id, its key with it, before results that came
// an hour earlier. Here: bucket D (2 h ago) gets late result X from worker
// 1, then late result Y from worker 2 (each marks D); bucket E (1 h ago)
// has three results on time; cap 3, two over. The two to go are E's two
// oldest (came 1 h ago); the pass prunes X, which came just now.
func TestReview187CapPrunesLateResultBeforeAnotherWritersMark(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w1 := drovertest.OpenStore(t, root) // worker 1's store
	w2 := drovertest.OpenStore(t, root) // worker 2's store
	lay := st.Layout()
	d := bucketStart(time.Now().Add(-2 * time.Hour)).Add(10 * time.Millisecond)
	e := bucketStart(time.Now().Add(-time.Hour)).Add(10 * time.Millisecond)
	var es []string
	for i := range 3 {
		es = append(es, onTimeAt(t, st, e.Add(time.Duration(10*i)*time.Millisecond)))
	}
	finishLate := func(w *store.Store, at time.Time) string {
		id := ulid.MustNew(ulid.Timestamp(at), rand.Reader).String()
		code := 0
		task := &store.Task{ID: id, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &code, SubmittedAt: d.UTC(), FinishedAt: time.Now().UTC()}
		if err := w.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
			t.Fatal(err)
		}
		return id
	}
	x := finishLate(w1, d.Add(100*time.Millisecond)) // came late now; worker 1 marks D
	y := finishLate(w2, d.Add(200*time.Millisecond)) // came late after it; worker 2 marks D again
	b1, b2 := store.Bucket(x)
	_, bst, err := st.Exists(lay.ResultBucket(b1, b2))
	if err != nil {
		t.Fatal(err)
	}
	_, xst, _ := st.Exists(lay.Result(x))
	t.Logf("D's mzxid %d (its last mark); X's czxid %d", bst.Mzxid, xst.Czxid)
	l, _, _ := termOf(t, st, dayOfHistory, func(c *Config) { c.MaxResults = 3 })
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	there := func(id string) bool { return resultsKept(t, st, id) == 1 }
	t.Logf("cap 3 over 5: X (came late now, worker 1) kept %v, Y (came late after it, worker 2) kept %v; E (came 1 h ago): %v %v %v",
		there(x), there(y), there(es[0]), there(es[1]), there(es[2]))
	if !there(x) {
		t.Fatalf("the cap pruned a result that came late seconds ago (X) and kept results that came an hour before it: " +
			"only results made at or after the bucket's last mark (another writer's, seconds later) are held back, " +
			"so X counts as an ordinary result and goes by its 2-hour-old id (README: results that came late within the last ten minutes after all the others)")
	}
}
