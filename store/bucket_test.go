package store_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestNewTaskIDPacesBuckets(t *testing.T) {
	now := time.Now()
	perBucket := map[string]int{}
	prev := ""
	for i := 0; i < 3*store.MaxBucketTasks; i++ {
		id := store.NewTaskID(now) // a burst: the clock does not move
		if err := store.ValidateTaskID(id); err != nil {
			t.Fatal(err)
		}
		if id <= prev {
			t.Fatalf("ids not increasing: %s after %s", id, prev)
		}
		prev = id
		b1, b2 := store.Bucket(id)
		perBucket[b1+b2]++
	}
	for b, n := range perBucket {
		if n > store.MaxBucketTasks {
			t.Fatalf("bucket %s got %d ids; at most %d", b, n, store.MaxBucketTasks)
		}
	}
}

func TestSubmitRefusesOverfullBucket(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	ms := uint64(time.Now().UnixMilli())
	tasks := make([]*store.Task, store.MaxBucketTasks+1)
	for i := range tasks {
		tasks[i] = &store.Task{ID: ulid.MustNew(ms, ulid.DefaultEntropy()).String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
	}
	if _, err := st.Submit(context.Background(), tasks); !errors.Is(err, store.ErrBucketFull) {
		t.Fatalf("submit of %d ids in one millisecond: %v, want ErrBucketFull", len(tasks), err)
	}
	if ok, _, _ := st.Exists(st.Layout().QueueItem(tasks[0].ID)); ok {
		t.Fatal("a refused submit wrote tasks")
	}
}

// A long-lived store trusts a bucket's size it read less than BucketFresh
// ago; after that it reads again and the bound holds against other writers.
func TestSubmitRereadsBucketSizeWhenStale(t *testing.T) {
	root := drovertest.NewRoot()
	// A bucket's worth of tasks in a few large requests: on a loaded
	// machine their commits outlast the 2 s session of OpenStore.
	a, b := drovertest.OpenStoreFor(t, drovertest.Addr(), root, longSession), drovertest.OpenStoreFor(t, drovertest.Addr(), root, longSession)
	now := time.Now()
	store.SetClock(a, func() time.Time { return now })
	ms := uint64(time.Now().UnixMilli())
	tasks := func(n int) []*store.Task {
		out := make([]*store.Task, n)
		for i := range out {
			out[i] = &store.Task{ID: ulid.MustNew(ms, rand.Reader).String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
		}
		return out
	}
	ctx := context.Background()
	if _, err := a.Submit(ctx, tasks(1)); err != nil {
		t.Fatal(err)
	}
	// Another writer fills the bucket to one below the bound.
	if _, err := b.Submit(ctx, tasks(store.MaxBucketTasks-2)); err != nil {
		t.Fatal(err)
	}
	// a's size of the bucket is fresh: it submits without reading, so two
	// more fit as far as it knows. (Other writers' tasks within BucketFresh
	// are what the margin between the trusted size and the bound is for.)
	if _, err := a.Submit(ctx, tasks(2)); err != nil {
		t.Fatalf("submit on a fresh size: %v", err)
	}
	now = now.Add(store.BucketFresh)
	if _, err := a.Submit(ctx, tasks(1)); !errors.Is(err, store.ErrBucketFull) {
		t.Fatalf("submit into a full bucket after its size went stale: %v, want ErrBucketFull", err)
	}
	// A fresh read of a bucket too full to trust is no licence either.
	if _, err := a.Submit(ctx, tasks(1)); !errors.Is(err, store.ErrBucketFull) {
		t.Fatalf("second submit into a full bucket: %v, want ErrBucketFull", err)
	}
}

// A request too large for the client's buffer is never sent; it comes back
// as ErrTooLarge, not as the client library's own error.
func TestOversizedRequestIsTooLarge(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	p := st.Layout().Deadletter() + "/huge"
	if err := st.Create(p, make([]byte, 2<<20)); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("create of 2 MiB: err %v, want ErrTooLarge", err)
	}
	if err := st.Create(p, []byte("small")); err != nil {
		t.Fatalf("the connection did not survive: %v", err)
	}
}

// A result that comes late marks its bucket for retention, once a
// store.LateResult for a stream of them; one on time writes nothing more.
func TestLateResultsMarkTheirBucket(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	submitted := time.Now().Add(-time.Hour)
	id := func() string { return ulid.MustNew(ulid.Timestamp(submitted), rand.Reader).String() }
	b1, b2 := store.Bucket(id())
	dir := st.Layout().ResultBucket(b1, b2)
	// appended: built in a part of its own, and appended to the transaction
	// committed (Txn.Append), which must carry the mark it remembers.
	finish := func(id string, at time.Time, appended bool) {
		t.Helper()
		zero := 0
		task := &store.Task{ID: id, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &zero, FinishedAt: at}
		part := st.Txn()
		if err := part.Finish(task); err != nil {
			t.Fatal(err)
		}
		if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error {
			if appended {
				txn.Fence(st.Layout().Root, -1).Append(part)
				return nil
			}
			return txn.Finish(task)
		}); err != nil {
			t.Fatal(err)
		}
	}
	// version is the bucket's, and checks that its first-level bucket was
	// marked as often (retention keeps that one's count while it is not).
	version := func() (int32, int32) {
		t.Helper()
		_, stat, err := st.Exists(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, first, err := st.Exists(st.Layout().ResultBucket(b1, ""))
		if err != nil {
			t.Fatal(err)
		}
		if first.Version != stat.Version {
			t.Fatalf("first-level bucket marked %d times, its bucket %d", first.Version, stat.Version)
		}
		return stat.Version, stat.DataLength
	}
	finish(id(), submitted.Add(time.Second), false) // on time
	if v, n := version(); v != 0 || n != 0 {
		t.Fatalf("a result on time marked its bucket: version %d, %d bytes", v, n)
	}
	now := time.Now()
	finish(id(), now, true)
	if v, n := version(); v != 1 || n == 0 {
		t.Fatalf("a late result: bucket at version %d with %d bytes, want marked once", v, n)
	}
	finish(id(), now.Add(10*time.Second), false)
	if v, _ := version(); v != 1 {
		t.Fatalf("a second late result within %v marked the bucket again (version %d)", store.LateResult, v)
	}
	finish(id(), now.Add(store.LateResult+time.Second), true)
	if v, _ := version(); v != 2 {
		t.Fatalf("a late result %v after the mark did not mark again (version %d)", store.LateResult, v)
	}
}

// TestAppendedPartsMarkABucketOnce: parts that each finish a late result
// in one bucket (a replace schedule's cancelled runs of one slot) and are
// appended to one transaction mark the bucket once, as one transaction
// finishing both would.
func TestAppendedPartsMarkABucketOnce(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	submitted := time.Now().Add(-time.Hour)
	ids := []string{ulid.MustNew(ulid.Timestamp(submitted), rand.Reader).String(), ulid.MustNew(ulid.Timestamp(submitted), rand.Reader).String()}
	var parts []*store.Txn
	size := 0
	for _, id := range ids {
		zero := 0
		part := st.Txn()
		if err := part.Finish(&store.Task{ID: id, Cmd: []string{"true"}, State: store.StateCancelled, ExitCode: &zero, FinishedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		parts, size = append(parts, part), size+part.Size()
	}
	var ops, bytes int
	if err := st.CommitCreatingBuckets(ids, func(txn *store.Txn) error {
		txn.Fence(st.Layout().Root, -1)
		for _, p := range parts {
			txn.Append(p)
		}
		ops, bytes = txn.Len(), txn.Size()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(ids[0])
	_, stat, err := st.Get(st.Layout().ResultBucket(b1, b2))
	if err != nil {
		t.Fatal(err)
	}
	// The fence, two results, the bucket's mark and its first-level bucket's.
	if stat.Version != 1 || ops != 5 || bytes >= size+len(st.Layout().Root) {
		t.Fatalf("bucket marked %d times; %d ops of %d bytes (parts: %d); want 1 mark, 5 ops, fewer bytes", stat.Version, ops, bytes, size)
	}
}

// TestCommitCreatingBucketsOnlyForCreates: a delete that finds no node is
// the caller's condition (the item went meanwhile), not a missing bucket:
// it is not tried again, and makes no bucket.
func TestCommitCreatingBucketsOnlyForCreates(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	id := store.NewTaskID(time.Now().Add(-time.Hour)) // a bucket nobody made
	tries := 0
	err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error {
		tries++
		txn.Delete(st.Layout().QueueItem(id), 0)
		return nil
	})
	if !errors.Is(err, store.ErrNoNode) || tries != 1 {
		t.Fatalf("err %v after %d tries, want ErrNoNode after 1", err, tries)
	}
	b1, b2 := store.Bucket(id)
	if ok, _, err := st.Exists(st.Layout().QueueBucket(b1, b2)); err != nil || ok {
		t.Fatalf("bucket made: %v %v", ok, err)
	}
}

// A result written where neither of its task's buckets stands (the queue
// bucket swept after the task was placed, the result bucket pruned) makes
// the result bucket only: it made the queue bucket too, empty, for the
// leader to watch and sweep (results of old tasks written while no leader
// ran left 160,000 of them, and a takeover listed them for a minute).
func TestResultMakesNoQueueBucket(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	id := store.NewTaskID(time.Now().Add(-time.Hour)) // buckets nobody made
	code := 0
	err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error {
		return txn.Finish(&store.Task{ID: id, Cmd: []string{"true"}, State: store.StateSucceeded, Attempt: 1, ExitCode: &code})
	})
	if err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(id)
	if ok, _, err := st.Exists(st.Layout().ResultBucket(b1, b2)); err != nil || !ok {
		t.Fatalf("result bucket: %v %v", ok, err)
	}
	for _, dir := range []string{st.Layout().QueueBucket(b1, b2), st.Layout().Queue() + "/" + b1} {
		if ok, _, err := st.Exists(dir); err != nil || ok {
			t.Fatalf("queue bucket %s made by a result's write: %v %v", dir, ok, err)
		}
	}
}

func TestIsBucket(t *testing.T) {
	b1, b2 := store.Bucket(ulid.Make().String())
	for _, c := range []struct {
		b1, b2 string
		want   bool
	}{
		{b1, b2, true}, {b1, "", true}, {"000000", "00", true},
		{"00junk", "", false}, {b1, "!!", false}, {strings.ToLower(b1), "", false},
		{b1 + "0", "", false}, {b1, b2 + "0", false}, {"800000", "", false}, {"", "", false},
	} {
		if got := store.IsBucket(c.b1, c.b2); got != c.want {
			t.Errorf("IsBucket(%q, %q) = %v, want %v", c.b1, c.b2, got, c.want)
		}
	}
}

// Enqueue creates a task's item at version 1 + its generation + the
// attempts before its own, so that no item of a task is made at the version
// of an earlier one, and EnqueueRetried (a retry) also a manifest in the
// bucket naming the task; Finish makes the result at version Gen; beyond
// MaxGen Enqueue refuses, rather than build a transaction past what
// ZooKeeper takes.
func TestEnqueueGenerations(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	for _, c := range []struct {
		gen, attempt int
		retried      bool
		version      int32
	}{{0, 1, false, 1}, {0, 4, false, 4}, {3, 1, true, 4}, {3, 2, false, 5}, {store.MaxGen, 1, true, 1 + store.MaxGen}} {
		id := ulid.Make().String()
		task := &store.Task{ID: id, Cmd: []string{"true"}, Attempt: c.attempt, Gen: c.gen}
		err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error {
			if c.retried {
				return txn.EnqueueRetried(task.Clone())
			}
			return txn.Enqueue(task.Clone())
		})
		if err != nil {
			t.Fatal(err)
		}
		data, stat, err := st.Get(lay.QueueItem(id))
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.DecodeTask(data)
		if err != nil || got.Gen != c.gen || stat.Version != c.version || stat.Version != store.EnqueuedVersionOf(task) {
			t.Fatalf("%+v: item %+v (%v) at version %d", c, got, err, stat.Version)
		}
		b1, b2 := store.Bucket(id)
		dir := lay.QueueBucket(b1, b2)
		var requeued []string
		kids, err := st.Children(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kids {
			if !store.IsManifestName(k) {
				continue
			}
			data, _, err := st.Get(dir + "/" + k)
			if err != nil {
				t.Fatal(err)
			}
			copies, again, err := store.DecodeQueueManifest(data)
			if err != nil || len(copies) != 0 {
				t.Fatalf("manifest %s: %v", data, err)
			}
			for _, a := range again {
				if a == id { // the other tasks of the test may share the bucket
					requeued = append(requeued, a)
				}
			}
		}
		if want := map[bool]int{false: 0, true: 1}[c.retried]; len(requeued) != want {
			t.Fatalf("%+v: %d manifests name the task, want %d", c, len(requeued), want)
		}
		done := got.Clone()
		zero := 0
		done.State, done.ExitCode, done.FinishedAt = store.StateSucceeded, &zero, time.Now()
		if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error {
			txn.Delete(lay.QueueItem(id), stat.Version)
			return txn.Finish(done)
		}); err != nil {
			t.Fatal(err)
		}
		if _, rstat, err := st.Get(lay.Result(id)); err != nil || rstat.Version != int32(c.gen) {
			t.Fatalf("%+v: result at version %d (%v), want %d", c, rstat.Version, err, c.gen)
		}
	}
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Attempt: 1, Gen: store.MaxGen + 1}
	if err := st.Txn().Enqueue(task); err == nil {
		t.Fatal("enqueue past MaxGen accepted")
	}
}
