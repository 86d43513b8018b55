package scheduler

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// emptyBucket now reads the keys of every result of a bucket (keysOf: its
// key index entry, then its key) before the cap's pick takes the few it
// needs: it used to cut the ids to the cap's limit first. Over the cap in a
// steady state, each pass prunes a handful from the oldest bucket — up to
// 12,288 results of one submit, keyed ones having an entry and a key each —
// and reads the keys of all that remain there, every pass, to delete a
// few. Here: a bucket of 2 h ago holds 150 keyed results; cap n;
// each pass, one more result comes (one over). A steady-state pass deleting
// one result sends some 300 requests, two for each result left in the
// bucket.
func TestReview187CapReadsEveryKeyOfABucketToPruneOne(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	p := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreAt(t, p.Addr(), root) // the leader's, counted
	lay := st.Layout()
	const n = 150
	d := bucketStart(time.Now().Add(-2 * time.Hour)).Add(10 * time.Millisecond)
	var tasks []*store.Task
	for i := range n {
		id := ulid.MustNew(ulid.Timestamp(d.Add(time.Duration(i)*time.Millisecond)), rand.Reader).String()
		tasks = append(tasks, &store.Task{ID: id, Cmd: []string{"true"}, Key: fmt.Sprintf("k-%d", i), SubmittedAt: d.UTC()})
	}
	if _, err := st.Submit(t.Context(), tasks); err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		done := task.Clone()
		zero := 0
		done.State, done.ExitCode, done.FinishedAt = store.StateSucceeded, &zero, d.UTC() // on time
		if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
			txn.Delete(lay.QueueItem(task.ID), -1)
			return txn.Finish(done)
		}); err != nil {
			t.Fatal(err)
		}
	}
	l, _, _ := termOf(t, lst, dayOfHistory, func(c *Config) { c.MaxResults = n })
	var perPass []int64
	for pass := range 4 {
		onTimeAt(t, st, time.Now().Add(time.Duration(-pass-1)*time.Second)) // one over
		before := p.Requests()
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
		perPass = append(perPass, p.Requests()-before)
	}
	b1, b2 := store.Bucket(tasks[0].ID)
	_, bst, _ := st.Exists(lay.ResultBucket(b1, b2))
	t.Logf("requests per pass, each pruning one result (the bucket left with %d of %d): %v", bst.NumChildren, n, perPass)
	if bst.NumChildren != n-4 {
		t.Fatalf("four passes one over each should have pruned four of the old bucket's results; it holds %d", bst.NumChildren)
	}
	if perPass[3] > n {
		t.Fatalf("a steady-state pass over the cap by one sent %d requests to delete one result: emptyBucket reads every "+
			"result's key index entry and key (keysOf) before the cap's pick takes one (it cut to the limit first)", perPass[3])
	}
}
