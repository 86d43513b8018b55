package scheduler

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A bucket old by age is read again before it is emptied, also when the
// cap binds; when a late result came to it meanwhile, the walk `continue`s:
// the whole bucket is passed over, the cap takes nothing from it, and it
// takes its share from newer buckets instead. The bucket's other results
// are the oldest of all (days old): the cap should take them first and
// hold only the late one. Here: an old bucket (2 days) with two results, a
// newer one (1 h) with three, cap 3; while the pass reads, a task of the
// old bucket finishes now. Two (of five counted) are over: the two of
// 2 days ago. The pass keeps them and prunes two of 1 h ago.
//
// Since 2026-12-05 (session 42) that is the documented trade-off: a bucket
// to which a result came late in the last ten minutes (capFresh) is held
// whole, after the others (which of its results came late is not read in
// the walk). The test now checks what stands: the late result is kept, and
// the cap prunes as many as are over, no more.
func TestReview187CapSkipsOldBucketWholeWhenALateResultCame(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := drovertest.OpenStore(t, root) // a worker's store
	old := bucketStart(time.Now().Add(-48 * time.Hour)).Add(10 * time.Millisecond)
	recent := bucketStart(time.Now().Add(-time.Hour)).Add(10 * time.Millisecond)
	var olds, recents []string
	for i := range 2 {
		olds = append(olds, onTimeAt(t, st, old.Add(time.Duration(10*i)*time.Millisecond)))
	}
	for i := range 3 {
		recents = append(recents, onTimeAt(t, st, recent.Add(time.Duration(10*i)*time.Millisecond)))
	}
	newB1, _ := store.Bucket(store.IDAt(recent))
	lateID := ulid.MustNew(ulid.Timestamp(old.Add(100*time.Millisecond)), rand.Reader).String()
	fired := false
	testHookResultsRead = func(b1 string) {
		if b1 != newB1 || fired {
			return
		}
		fired = true
		code := 0
		task := &store.Task{ID: lateID, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &code,
			SubmittedAt: old.UTC(), FinishedAt: time.Now().UTC()}
		if err := w.CommitCreatingBuckets([]string{lateID}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookResultsRead = nil })
	l, _, _ := termOf(t, st, dayOfHistory, func(c *Config) { c.MaxResults = 3 })
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if !fired {
		t.Fatal("the pass did not read the newer bucket")
	}
	count := func(ids []string) int { return resultsKept(t, st, ids...) }
	t.Logf("cap 3, two over: of 2 days ago kept %d of 2, of 1 h ago kept %d of 3, the late one kept %d",
		count(olds), count(recents), count([]string{lateID}))
	// (Two were over: the bucket held whole, the cap takes its share elsewhere.)
	if late := count([]string{lateID}); late != 1 || count(olds)+count(recents)+late != 4 {
		t.Fatalf("cap 3 counting the five before the late one: kept %d of 2 days ago, %d of 1 h ago, the late one %d; want the late one kept and two pruned",
			count(olds), count(recents), late)
	}
}
