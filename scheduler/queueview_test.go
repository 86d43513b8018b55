package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// emptyQueueBuckets makes n empty queue buckets (and their result buckets)
// under one first-level bucket an hour old, as results of old tasks written
// leave them, and returns that bucket's name.
func emptyQueueBuckets(t *testing.T, st *store.Store, n int) string {
	t.Helper()
	b1, _ := store.Bucket(store.IDAt(time.Now().Add(-time.Hour)))
	// The first-level bucket's window spans 1,024 of the second level's.
	start := store.BucketEnd(b1, "").Add(-1024*store.BucketWindow + time.Millisecond)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = store.IDAt(start.Add(time.Duration(i) * store.BucketWindow))
		if got, _ := store.Bucket(ids[i]); got != b1 {
			t.Fatalf("bucket %d of %d is under %s, not %s", i, n, got, b1)
		}
	}
	var failed error
	store.Pipelined(n, func(i int) {
		if err := st.EnsureBuckets(ids[i]); err != nil {
			failed = err
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
	return b1
}

// A takeover lists every queue bucket, most of them empty where results of
// old tasks were written (a result's write makes its task's queue bucket
// too): listed one after another, 160,000 of them kept a leader's view from
// being ready for 65 s, nothing placed meanwhile. Listed pipelined, a
// first-level bucket's costs a few round trips, not one per bucket.
func TestViewListsQueueBucketsPipelined(t *testing.T) {
	const n = 512
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	b1 := emptyQueueBuckets(t, st, n)
	px := drovertest.StartProxy(t, drovertest.Addr())
	s, _ := runScheduler(t, drovertest.OpenStoreAt(t, px.Addr(), root), "s1")
	drovertest.WaitFor(t, 30*time.Second, "the view is ready", func() bool { return s.Stats().ViewReady })
	trips := px.RoundTrips()
	if trips >= n/4 {
		t.Fatalf("building a view over %d empty queue buckets under %s took %d round trips: one per bucket", n, b1, trips)
	}
	t.Logf("%d round trips for a view over %d queue buckets", trips, n)
}
