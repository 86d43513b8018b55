package scheduler

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// bucketStart is the start of the 1.024 s result bucket holding t.
func bucketStart(t time.Time) time.Time {
	ms := t.UnixMilli() / 1024 * 1024
	return time.UnixMilli(ms)
}

// onTimeAt makes a result of a task submitted at sub (its id's time),
// finished on time.
func onTimeAt(t *testing.T, st *store.Store, sub time.Time) string {
	t.Helper()
	id := ulid.MustNew(ulid.Timestamp(sub), rand.Reader).String()
	code := 0
	task := &store.Task{ID: id, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &code, SubmittedAt: sub.UTC(), FinishedAt: sub.UTC()}
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
		t.Fatal(err)
	}
	return id
}

// resultsKept counts the results of ids still there.
func resultsKept(t *testing.T, st *store.Store, ids ...string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		if ok, _, err := st.Exists(st.Layout().Result(id)); err != nil {
			t.Fatal(err)
		} else if ok {
			n++
		}
	}
	return n
}

// lateDuringPass is two results in a bucket of two days ago (olds), three
// in one of an hour ago (recents), and a result of the old bucket (lateID)
// that a worker's store w finishes now, once a pass has read the old
// bucket and reads the newer one; fired reports whether it came.
type lateDuringPass struct {
	olds, recents []string
	lateID        string
	fired         func() bool
}

func newLateDuringPass(t *testing.T, st, w *store.Store) lateDuringPass {
	t.Helper()
	old := bucketStart(time.Now().Add(-48 * time.Hour)).Add(10 * time.Millisecond)
	recent := bucketStart(time.Now().Add(-time.Hour)).Add(10 * time.Millisecond)
	var p lateDuringPass
	for i := range 2 {
		p.olds = append(p.olds, onTimeAt(t, st, old.Add(time.Duration(10*i)*time.Millisecond)))
	}
	for i := range 3 {
		p.recents = append(p.recents, onTimeAt(t, st, recent.Add(time.Duration(10*i)*time.Millisecond)))
	}
	newB1, _ := store.Bucket(store.IDAt(recent))
	p.lateID = ulid.MustNew(ulid.Timestamp(old.Add(100*time.Millisecond)), rand.Reader).String()
	fired := false
	testHookResultsRead = func(b1 string) {
		if b1 != newB1 || fired {
			return
		}
		fired = true
		// The old bucket has been read; its late result comes now.
		code := 0
		task := &store.Task{ID: p.lateID, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &code,
			SubmittedAt: old.UTC(), FinishedAt: time.Now().UTC()}
		if err := w.CommitCreatingBuckets([]string{p.lateID}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookResultsRead = nil })
	p.fired = func() bool { return fired }
	return p
}

// The cap prunes "only as many as are over" from a bucket: emptyBucket
// takes the limit's oldest ids, then skips among them the results of runs a
// schedule tracks (and those whose key could not be read). The skipped ones
// are not replaced by the bucket's next results, so the pass deletes fewer
// than it should there and moves on to the next bucket, pruning results
// that came after results it leaves. Here: bucket A (3 h ago) holds a
// tracked run's result (its oldest) and two others, bucket B (1 h ago)
// three; cap 3 (the tracked one counts not). Two are over: A's two
// untracked results. The pass deletes A's second, keeps A's third, and
// deletes B's first, which came an hour and more after it.
func TestReview184CapLimitSkipsTrackedThenPrunesNewer(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	a := bucketStart(time.Now().Add(-3 * time.Hour)).Add(10 * time.Millisecond)
	b := bucketStart(time.Now().Add(-time.Hour)).Add(10 * time.Millisecond)
	var as, bs []string
	for i := range 3 {
		as = append(as, onTimeAt(t, st, a.Add(time.Duration(10*i)*time.Millisecond)))
		bs = append(bs, onTimeAt(t, st, b.Add(time.Duration(10*i)*time.Millisecond)))
	}
	l, _, _ := termOf(t, st, dayOfHistory, func(c *Config) { c.MaxResults = 3 })
	// A schedule holds the oldest run active (its outcome not filed yet),
	// as startPrune hands a pass trackedRuns().
	l.tracked = map[string]bool{as[0]: true}
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	there := func(id string) bool { return resultsKept(t, st, id) == 1 }
	t.Logf("A (3 h ago): tracked %v, %v, %v; B (1 h ago): %v, %v, %v",
		there(as[0]), there(as[1]), there(as[2]), there(bs[0]), there(bs[1]), there(bs[2]))
	if !there(as[0]) {
		t.Fatal("the tracked run's result was pruned")
	}
	if there(as[2]) && !there(bs[0]) {
		t.Fatalf("the cap (3, two over) kept a result of 3 h ago (%s) and pruned one of 1 h ago (%s): "+
			"emptyBucket cuts its ids to the limit before it skips the tracked run among them, so it deletes one fewer "+
			"there and the pass takes the shortfall from the next, newer bucket (README: oldest pruned first)", as[2], bs[0])
	}
}
