package store_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// A submit that read a key naming a task still kept, and then finds that
// task gone (retention pruned it with its key and entry) and the key made
// anew by another submit, at the same version, must not take the new key
// over: the key now names a task that is kept. Retention's delete of a key
// (scheduler/retention.go, emptyBucket) does not move the key's shard on,
// so the shard check of the take-over (keys.go, takenKeys) does not see the
// key come back: both the new task and the submit's own are written with
// one key, and both run. (Found by review: ABA of a key pruned and made anew.)
func TestSubmitDoesNotTakeAKeyPrunedAndMadeAgain(t *testing.T) {
	root := drovertest.NewRoot()
	a, b := drovertest.OpenStore(t, root), drovertest.OpenStore(t, root)
	lay := b.Layout()
	key := lay.Key(store.KeyHash("k"))
	// The key's first task, finished two days ago: retention of a day
	// prunes it.
	at := time.Now().Add(-48 * time.Hour)
	first := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	if res, err := b.Submit(context.Background(), []*store.Task{first}); err != nil || res[0].Existing {
		t.Fatalf("submit: %+v %v", res, err)
	}
	done := first.Clone()
	zero := 0
	done.State, done.ExitCode, done.FinishedAt = store.StateSucceeded, &zero, at
	if err := b.CommitCreatingBuckets([]string{first.ID}, func(txn *store.Txn) error {
		txn.Delete(lay.QueueItem(first.ID), -1)
		return txn.Finish(done)
	}); err != nil {
		t.Fatal(err)
	}
	// A result after it: the leader's cap of one result prunes first (its
	// bucket, made now, would age a day from now by its creation). (Both
	// came late lately, in buckets made now: the cap takes them in the
	// order they came, first's first; an on-time one would go before.)
	recentAt := at.Add(time.Hour)
	recent := &store.Task{ID: ulid.MustNew(ulid.Timestamp(recentAt), rand.Reader).String(), Cmd: []string{"true"}, SubmittedAt: recentAt}
	if _, err := b.Submit(context.Background(), []*store.Task{recent}); err != nil {
		t.Fatal(err)
	}
	rdone := recent.Clone()
	rdone.State, rdone.ExitCode, rdone.FinishedAt = store.StateSucceeded, &zero, time.Now()
	if err := b.CommitCreatingBuckets([]string{recent.ID}, func(txn *store.Txn) error {
		txn.Delete(lay.QueueItem(recent.ID), -1)
		return txn.Finish(rdone)
	}); err != nil {
		t.Fatal(err)
	}
	var third store.SubmitResult
	store.SetKeyRecordsRead(a, func() {
		store.SetKeyRecordsRead(a, nil)
		// Between a's read of the key (naming first) and of first's entry:
		// a leader's retention pass prunes first with its key and entry...
		s, err := scheduler.New(scheduler.Config{ID: "s1", Store: b, Log: drovertest.Logger(t), ResultRetention: 24 * time.Hour, MaxResults: 1})
		if err != nil {
			t.Fatal(err)
		}
		stop := drovertest.Run(t, "scheduler s1", s.Run)
		drovertest.WaitFor(t, 20*time.Second, "first pruned with its key", func() bool {
			ok, _, err := b.Exists(key)
			if err != nil {
				t.Fatal(err)
			}
			gone, _, err := b.Exists(lay.Result(first.ID))
			if err != nil {
				t.Fatal(err)
			}
			return !ok && !gone
		})
		stop()
		// ...and another submit makes the key anew, for its own task.
		third = submitKeyed(t, b, "k")
		if third.Existing {
			t.Errorf("submit after the key was pruned: %+v, want a new task", third)
		}
	})
	got := submitKeyed(t, a, "k")
	data, _, err := b.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	var rec store.KeyRecord
	if err := store.Decode(data, &rec); err != nil {
		t.Fatal(err)
	}
	if !got.Existing || got.ID != third.ID {
		t.Fatalf("the submit that read the key before it was pruned: %+v, want %s (the key now names %s; %s was written with the same key)",
			got, third.ID, rec.Task, third.ID)
	}
}
