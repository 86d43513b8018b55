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

// Submit bounds a bucket at MaxBucketTasks by counting what its queue and
// result directories hold. A task placed on a worker is in neither (it is
// under tasks/<w> until it reports), so while a bucket's tasks run, another
// submitter fills the bucket again, and once they all report the result
// bucket holds more than MaxBucketTasks.
func TestSubmitCountsPlacedTasksInBucket(t *testing.T) {
	root := drovertest.NewRoot()
	// A bucket's worth of tasks in a few large requests: on a loaded
	// machine their commits outlast the 2 s session of OpenStore.
	a, b := drovertest.OpenStoreFor(t, drovertest.Addr(), root, longSession), drovertest.OpenStoreFor(t, drovertest.Addr(), root, longSession)
	ctx := context.Background()
	ms := uint64(time.Now().UnixMilli())
	tasks := func(n int) []*store.Task {
		out := make([]*store.Task, n)
		for i := range out {
			out[i] = &store.Task{ID: ulid.MustNew(ms, rand.Reader).String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
		}
		return out
	}
	first := tasks(12000)
	if _, err := a.Submit(ctx, first); err != nil {
		t.Fatal(err)
	}
	// The leader places them all (as its placement multis do: delete the
	// queue item, create the assignment).
	lay := a.Layout()
	if err := a.EnsurePath(lay.WorkerTasks("w1")); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(first); start += 100 {
		txn := a.Txn()
		for _, task := range first[start:min(start+100, len(first))] {
			txn.Delete(lay.QueueItem(task.ID), store.SubmittedVersion)
			task.Worker = "w1"
			if err := txn.Assign(task); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// Another submitter (its own store: no cached size) adds 12,000 more
	// ids of the same bucket: 24,000 tasks in a bucket bounded at 16,384.
	second := tasks(12000)
	_, err := b.Submit(ctx, second)
	if !errors.Is(err, store.ErrBucketFull) {
		b1, b2 := store.Bucket(second[0].ID)
		t.Fatalf("submit of %d more ids into bucket %s/%s whose %d tasks are placed: err %v, want ErrBucketFull (the bucket's tasks would number %d, bound %d)",
			len(second), b1, b2, len(first), err, len(first)+len(second), store.MaxBucketTasks)
	}
}

// Enqueue writes one empty set per generation (up to MaxGen) besides the
// record (up to MaxRecordSize): a retry of a large task at a high
// generation is a request over jute.maxbuffer (1 MiB), which ZooKeeper
// answers by dropping the connection. The caller sees ErrConnection, an
// outcome unknown, and sends it again, never ErrTooLarge.
func TestEnqueueAtMaxGenFitsOneRequest(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	id := store.NewTaskID(time.Now())
	if err := st.EnsureBuckets(id); err != nil {
		t.Fatal(err)
	}
	// A record just under MaxRecordSize (a payload, history and tails
	// gathered on the way).
	task := &store.Task{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC(), Attempt: 2, Gen: store.MaxGen}
	task.Env = map[string]string{"PAD": strings.Repeat("x", store.MaxRecordSize-2048)}
	if data, err := store.Encode(task); err != nil {
		t.Fatalf("record of the task: %v", err)
	} else {
		t.Logf("record: %d bytes (MaxRecordSize %d)", len(data), store.MaxRecordSize)
	}
	txn := st.Txn()
	if err := txn.Enqueue(task); errors.Is(err, store.ErrTooLarge) {
		return // refused is fine; sent and dropped is not
	} else if err != nil {
		t.Fatalf("enqueue at generation %d: %v", store.MaxGen, err)
	}
	t.Logf("transaction: %d ops, %d bytes of paths and data", txn.Len(), txn.Size())
	err := txn.Commit()
	if errors.Is(err, store.ErrConnection) {
		t.Fatalf("enqueue at generation %d of a %d-byte record: %v: the request outgrew jute.maxbuffer and ZooKeeper dropped the connection (outcome unknown to the caller, who sends it again)",
			store.MaxGen, store.MaxRecordSize-2048, err)
	}
	if err != nil && !errors.Is(err, store.ErrTooLarge) {
		t.Fatal(err)
	}
}

// NewTaskID promises that a process's ids increase (a burst gets ids ahead
// of the clock, "still in submit order": the leader places FIFO by id). Its
// ids of one millisecond draw on ulid's process-wide monotonic entropy,
// which every ulid.Make of another millisecond resets, and Submit makes one
// (the name of a queue manifest) for every bucket it writes to. So the
// first id a burst makes after a submit, in the millisecond of the burst's
// last ids (drover submit -f: chunks of 1,000 run ahead of the clock), takes
// fresh random entropy and sorts before them half of the time.
func TestNewTaskIDIncreasesAcrossSubmits(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	now := time.Now().Add(time.Minute) // a burst ahead of the clock
	for i := 0; i < 40; i++ {
		first := store.NewTaskID(now)
		if _, err := st.Submit(context.Background(), []*store.Task{{ID: first, Cmd: []string{"true"}, SubmittedAt: now.UTC()}}); err != nil {
			t.Fatal(err)
		}
		next := store.NewTaskID(now)
		if next <= first {
			t.Fatalf("round %d: id %s made after %s sorts before it (same millisecond: %v)", i, next, first, next[:10] == first[:10])
		}
	}
}
