package scheduler

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestResultIsKeptForTheRetentionFromWhenItCame: README promises a result
// is kept for --result-retention "from submit, or from when the result came
// if that was later". A result marks its bucket (and so is aged from when
// it came) only when it finishes more than store.LateResult (a minute)
// after its bucket's one-second window; any task that runs under about a
// minute is aged from its submit time instead. With --result-retention 1m,
// a task that ran 55 s has its result pruned 10 s after it came, before a
// script's `drover status`/`wait` reads it, 50 s before the retention says.
func TestResultIsKeptForTheRetentionFromWhenItCame(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	now := time.Now()
	// Submitted 55 s ago, its result came now.
	id := finished(t, st, now.Add(-55*time.Second), now, store.StateSucceeded)
	later := now.Add(10 * time.Second) // 10 s after the result came
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = time.Minute
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later) // and ZooKeeper's with it
	})
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := st.Exists(lay.Result(id)); err != nil || !ok {
		t.Fatalf("a result that came 10 s ago was pruned with --result-retention 1m (exists %v, %v): it was aged from its task's submit 65 s ago", ok, err)
	}
}

// TestKeyOfATaskMovedAsideIsNotLeftForEver: a keyed task whose record is
// moved to deadletter (store.Quarantine: a queue item that does not decode,
// say) takes its key index entry with it, but its key stays under keys/:
// only a result, pruned, drops a key, and only a later submit of the same
// key takes it over. Once retention has pruned the bucket and the
// deadletter record, nothing names the key any more, and it is never
// deleted: each such task leaves a znode in ZooKeeper for good, where
// deadletter records themselves are capped and aged out.
func TestKeyOfATaskMovedAsideIsNotLeftForEver(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	keyed := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	other := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, SubmittedAt: at}
	if _, err := st.Submit(context.Background(), []*store.Task{keyed, other}); err != nil {
		t.Fatal(err)
	}
	moveQueueItemAside(t, st, keyed.ID)
	succeed(t, st, other)
	later := time.Now().Add(48 * time.Hour)
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later)
	})
	for range 3 {
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
	}
	if kids, err := st.Children(lay.Deadletter()); err != nil || len(kids) != 0 {
		t.Fatalf("deadletter %v (%v), want it pruned", kids, err)
	}
	b1, b2 := store.Bucket(keyed.ID)
	if ok, _, err := st.Exists(lay.ResultBucket(b1, b2)); err != nil || ok {
		t.Fatalf("result bucket still there (%v)", err)
	}
	if ok, _, err := st.Exists(lay.Key(store.KeyHash("k"))); err != nil || ok {
		t.Fatalf("the key of a task moved aside two days ago is still in ZooKeeper (exists %v, %v) after retention pruned its bucket and its deadletter record: nothing will ever delete it", ok, err)
	}
}

// TestLateResultInABucketMadeAnewByAnotherWriterIsKept: the variant of
// TestLateResultInABucketPrunedByTheCapIsKept in which the old bucket the
// cap pruned is made anew not by the late result's writer (which forgets its
// marks when its own commit finds the bucket gone) but by another writer
// first: a worker or the leader queueing again an attempt of a task of that
// old bucket (its queue bucket long swept) makes the queue and result
// buckets (store.ensureBuckets), the result bucket unmarked. The first
// writer, having marked that bucket less than store.LateResult before,
// commits its next late result into it without a mark, and the next pass
// prunes that result by age at once, with the cap not reached.
func TestLateResultInABucketMadeAnewByAnotherWriterIsKept(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := drovertest.OpenStore(t, root)  // a worker's store: it writes the late results
	w2 := drovertest.OpenStore(t, root) // another worker's: it queues a task again
	lay := st.Layout()
	now := time.Now()
	old := now.Add(-48 * time.Hour) // one bucket two days old
	// Two late results in the old bucket (marked by the first), one on
	// time an hour ago.
	finished(t, w, old, now.Add(-30*time.Second), store.StateSucceeded)
	finished(t, w, old, now.Add(-25*time.Second), store.StateSucceeded)
	finished(t, st, now.Add(-time.Hour), now.Add(-time.Hour), store.StateSucceeded)
	b1, b2 := store.Bucket(store.IDAt(old))
	later := now.Add(2 * time.Minute) // past BucketGrace of the buckets made now
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.MaxResults = 1
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later)
	})
	// Three results, a cap of one: the bucket whose results came first
	// goes, both its results (the cap prunes in the order results came).
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	l.s.cfg.MaxResults = 2 // from now on
	if ok, _, err := st.Exists(lay.ResultBucket(b1, b2)); err != nil || ok {
		t.Fatalf("the old bucket is still there (%v): the cap should have pruned it", err)
	}
	// Its queue bucket, if results made one (they make result buckets
	// only now), is swept by the leader when empty and old
	// (sweepEmptyQueue); then another worker queues a task of the old
	// bucket again (a failed attempt with retries left): its commit makes
	// the buckets anew.
	if err := st.Delete(lay.QueueBucket(b1, b2), -1); err != nil && !errors.Is(err, store.ErrNoNode) {
		t.Fatal(err)
	}
	again := &store.Task{ID: ulid.MustNew(ulid.Timestamp(old), rand.Reader).String(), Cmd: []string{"true"},
		SubmittedAt: old, Attempt: 2, NotBefore: now.Add(time.Hour)}
	if err := w2.CommitCreatingBuckets([]string{again.ID}, func(txn *store.Txn) error { return txn.Enqueue(again) }); err != nil {
		t.Fatal(err)
	}
	// The first worker's next late result of the old bucket: two results,
	// at the cap.
	late := finished(t, w, old, now.Add(-20*time.Second), store.StateSucceeded)
	_, stat, err := st.Exists(lay.ResultBucket(b1, b2))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Get(lay.Result(late)); err != nil {
		t.Fatalf("a result that came two minutes ago, with 2 results kept at --max-results 2 and a day's retention: %v (its bucket marked: %v)", err, stat.DataLength > 0)
	}
}
