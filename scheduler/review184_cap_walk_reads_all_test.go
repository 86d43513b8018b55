package scheduler

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Over the cap, the walk now passes every bucket marked late (deferred)
// and goes on to the next, until it meets a bucket that ended after the
// oldest deferred one's late mark; and it drops the count of every
// first-level bucket it walks ("read again next pass"), whether it pruned
// there or not. When the results kept are mostly late ones (tasks that ran,
// or waited in a backlog, longer than the span of ids the cap keeps), every
// pass walks — and reads, and makes the next pass read again — every
// first-level bucket, to prune a handful: settled counts (resultCounts) no
// longer spare the reads, and no pass may read all buckets every minute
// (docs/PERFORMANCE.md). Here: 8 first-level buckets, each a bucket whose
// two results came late (an hour before the passes, so their counts
// settle); results keep coming one a pass, the cap one below. Every
// steady-state pass reads all 8.
func TestReview184CapWalkReadsEveryBucketEachPass(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	base := time.Now().Add(-5 * time.Hour)
	const b1s = 8
	for i := range b1s {
		sub := base.Add(time.Duration(i) * 20 * time.Minute) // 20 min apart: one first-level bucket each (17.5 min)
		for j := range 2 {
			id := ulid.MustNew(ulid.Timestamp(sub.Add(time.Duration(j)*time.Millisecond)), rand.Reader).String()
			code := 0
			task := &store.Task{ID: id, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &code, SubmittedAt: sub.UTC(), FinishedAt: time.Now().UTC()}
			if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	later := time.Now().Add(time.Hour) // the late marks settle (settleAfter)
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.MaxResults = 2*b1s - 1
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later)
	})
	reads := 0
	testHookResultsRead = func(string) { reads++ }
	t.Cleanup(func() { testHookResultsRead = nil })
	var perPass []int
	for pass := range 4 {
		if pass > 0 {
			// One more result, on time, since the last pass: one over again.
			sub := time.Now().Add(time.Duration(-pass) * time.Second)
			onTimeAt(t, st, sub)
		}
		reads = 0
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
		perPass = append(perPass, reads)
	}
	t.Logf("first-level bucket reads per pass (a takeover's first, then steady state, one result over each): %v of %d+ buckets", perPass, b1s)
	if perPass[2] >= b1s && perPass[3] >= b1s {
		t.Fatalf("steady-state passes over the cap by one result each read every first-level bucket (%v): the walk passes the late "+
			"buckets to the end and drops each walked count, so no count settles; a pass should read what it prunes from", perPass)
	}
}
