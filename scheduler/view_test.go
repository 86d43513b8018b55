package scheduler

import (
	"container/heap"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/oklog/ulid/v2"
)

// A bucket listed while a task's placement is in flight shows the task's
// item; once that placement has committed, the item listed may be the task
// re-queued since (a retry). The view must not lose it when the placement
// settles. The sequence is played on a leader's view directly: in the event
// loop it is a race.
func TestRequeuedDuringPlacementStaysInView(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	id := submit(t, st, 1, nil)[0]
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Election() + "/none"}, 1)
	defer l.stop()
	b1, b2 := store.Bucket(id)
	if err := l.syncQueueL2(b1, b2); err != nil {
		t.Fatal(err)
	}
	q := heap.Pop(l.ready).(*queued) // placing it
	if q.id != id {
		t.Fatalf("view holds %s, want %s", q.id, id)
	}

	// The placement commits; the attempt fails and is re-queued.
	item := st.Layout().QueueItem(id)
	data, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Txn().Delete(item, stat.Version).Commit(); err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	task.Attempt = 2
	txn := st.Txn()
	if err := txn.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	// A relist before the placement settles sees the re-queued item.
	if err := l.syncQueueL2(b1, b2); err != nil {
		t.Fatal(err)
	}
	l.placed(placement{q: q, w: newWorkerView(1), worker: "w1", task: &store.Task{ID: id, AssignedAt: time.Now()}}, 0)

	if err := l.flushDirty(true); err != nil {
		t.Fatal(err)
	}
	got := l.lookup(id)
	if got == nil || got.attempt != 2 || l.ready.Len() != 1 {
		t.Fatalf("the re-queued task left the view (entry %+v, %d ready)", got, l.ready.Len())
	}
}

// Names and records no Drover process writes are moved aside or ignored;
// the leader keeps leading and placing (each of these once panicked it).
func TestOddZnodesDoNotStopTheLeader(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	id := submit(t, st, 1, nil)[0]
	b1, b2 := store.Bucket(id)
	lay := st.Layout()
	short := lay.QueueBucket(b1, b2) + "/abc"
	for _, p := range []string{short, lay.Queue() + "/" + strings.Repeat("A", 30), lay.Queue() + "/" + strings.Repeat("A", 30) + "/BB"} {
		if err := st.Create(p, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	noCreated := `{"v":1,"name":"old","cron":"* * * * * *","catchup":"all","concurrency":"allow","task":{"cmd":["x"]}}`
	if err := st.Create(lay.Schedule("old"), []byte(noCreated)); err != nil {
		t.Fatal(err)
	}
	w := registerWorker(t, root, "w1", 4, nil)
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "the task placed", func() bool { return len(w.assignments(t)) == 1 })
	drovertest.WaitFor(t, 10*time.Second, "the odd queue item and schedule moved aside", func() bool {
		a, _, err1 := st.Exists(short)
		b, _, err2 := st.Exists(lay.Schedule("old"))
		return err1 == nil && err2 == nil && !a && !b
	})
}

// Records the leader did not keep in memory are sized only once read: a
// batch of large ones is cut to fit one transaction instead of exceeding
// ZooKeeper's request limit (which dropped the connection, rebuilt the view
// and built the same batch again, for ever).
func TestLargeUnkeptRecordsArePlaced(t *testing.T) {
	saved := maxKept
	maxKept = 0
	t.Cleanup(func() { maxKept = saved })
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const n = 50
	big := strings.Repeat("x", 24*1024) // 50 of them: 1.2 MB
	submit(t, st, n, func(_ int, task *store.Task) { task.Cmd = []string{"echo", big} })
	w := registerWorker(t, root, "w1", n, nil)
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 30*time.Second, "every task placed", func() bool { return len(w.assignments(t)) == n })
}

// An empty bucket of a long-past window that was made again lately (a
// worker re-queueing a retry of an old task) is left for its writer; it is
// deleted once it has stood empty for BucketGrace.
func TestRemadeOldBucketIsKept(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	old := ulid.MustNew(ulid.Timestamp(time.Now().Add(-time.Hour)), ulid.DefaultEntropy()).String()
	if err := st.EnsureBuckets(old); err != nil {
		t.Fatal(err)
	}
	const grace = 300 * time.Millisecond
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t), BucketGrace: grace})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Election() + "/n_fence"}, 1)
	defer l.stop()
	if err := st.EnsurePath(l.term.Fence); err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(old)
	made := time.Now()
	if err := l.syncQueueL2(b1, b2); err != nil {
		t.Fatal(err)
	}
	dir := st.Layout().QueueBucket(b1, b2)
	if ok, _, err := st.Exists(dir); err != nil || (!ok && time.Since(made) < grace) {
		t.Fatalf("a bucket made %v ago was deleted (err %v)", time.Since(made), err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the bucket deleted after the grace", func() bool {
		if err := l.syncQueueL2(b1, b2); err != nil {
			t.Fatal(err)
		}
		ok, _, err := st.Exists(dir)
		return err == nil && !ok
	})
}
