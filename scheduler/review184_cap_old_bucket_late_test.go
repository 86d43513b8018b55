package scheduler

import (
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A bucket old by the age rule is read again before it is emptied, unless
// the cap binds too (pruneResultsBefore: `case !over`), and emptied whole,
// with no version check: a late result that came to it since the pass read
// it — the newest result of all, which the age rule keeps for the retention
// from when it came and the cap would prune last — goes with the old ones,
// its key with it, however few results the cap is over by. A pass over very
// many buckets reads for a minute or more before it walks; a backlog's late
// results land meanwhile. Here: an old bucket (2 days) with two results, a
// newer one (1 h) with three, cap 4 (one over); while the pass reads, a
// task of the old bucket finishes now. The pass deletes it.
func TestReview184CapOverAndOldEmptiesALateResultThatJustCame(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := drovertest.OpenStore(t, root) // a worker's store
	lay := st.Layout()
	p := newLateDuringPass(t, st, w)
	lateID := p.lateID
	oldB1, _ := store.Bucket(p.olds[0])
	newB1, _ := store.Bucket(p.recents[0])
	l, _, _ := termOf(t, st, dayOfHistory, func(c *Config) { c.MaxResults = 4 })
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if !p.fired() {
		t.Fatalf("the pass did not read %s after %s", newB1, oldB1)
	}
	ok, _, err := st.Exists(lay.Result(lateID))
	if err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(lateID)
	_, stat, _ := st.Exists(lay.ResultBucket(b1, b2))
	t.Logf("old bucket after the pass: %d results; the late result kept: %v", stat.NumChildren, ok)
	if !ok {
		t.Fatalf("a result that came during the pass (a 2-day-old task finished now) was pruned with its old bucket: the cap, one over, " +
			"empties an old bucket whole without reading it again (the age rule alone reads it again and keeps it), " +
			"so the newest result of all goes, with its key, seconds after it came (README: kept 24h from when it came; cap: oldest first)")
	}
}
