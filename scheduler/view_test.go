package scheduler

import (
	"context"
	"crypto/rand"
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
	_, sq := l.ready.first()
	q := l.ready.pop(sq) // placing it
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
	zoneOnly := `{"v":1,"name":"zone","cron":"CRON_TZ=UTC","catchup":"all","concurrency":"allow","task":{"cmd":["x"]},"created_at":"2026-01-01T00:00:00Z"}`
	if err := st.Create(lay.Schedule("zone"), []byte(zoneOnly)); err != nil {
		t.Fatal(err)
	}
	w := registerWorker(t, root, "w1", 4, nil)
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "the task placed", func() bool { return len(w.assignments(t)) == 1 })
	drovertest.WaitFor(t, 10*time.Second, "the odd queue item and schedule moved aside", func() bool {
		a, _, err1 := st.Exists(short)
		b, _, err2 := st.Exists(lay.Schedule("old"))
		c, _, err3 := st.Exists(lay.Schedule("zone"))
		return err1 == nil && err2 == nil && err3 == nil && !a && !b && !c
	})
}

// Queue items with a znode under them (put there by hand: Drover keeps
// none) are placed, or moved aside when malformed, with what is under them.
// ZooKeeper refused to delete them: the malformed one deposed each leader
// that tried to move it aside (two schedulers took turns some 100 times a
// second, placing nothing), and the good one was placed again and again in
// a loop that never ended.
func TestQueueItemsWithZnodesUnderThem(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	good := lay.QueueItem(submit(t, st, 1, nil)[0])
	bad := lay.QueueItem(ulid.Make().String())
	if err := st.EnsurePath(bad[:strings.LastIndexByte(bad, '/')]); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, bad + "/under", good + "/under"} {
		if err := st.Create(p, []byte("junk")); err != nil {
			t.Fatal(err)
		}
	}
	w := registerWorker(t, root, "w1", 4, nil)
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "the good task placed", func() bool { return len(w.assignments(t)) == 1 })
	waitGone(t, st, 10*time.Second, bad)
	if !s.IsLeader() || s.Epoch() != 1 {
		t.Fatalf("leader %v in epoch %d, want the first term still", s.IsLeader(), s.Epoch())
	}
}

// A malformed epoch record is moved aside in the new term's fenced
// transaction, and the count goes on from the znode's version; it used to be
// written over, and the epoch started again from 1.
func TestMalformedEpochIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	for _, data := range []string{`{"v":1,"epoch":40,"leader":"old"}`, `{"v":1,"epoch":41,"leader":"old"`} {
		if _, err := st.Set(lay.Epoch(), []byte(data), -1); err != nil {
			t.Fatal(err)
		}
	}
	_, stat, err := st.Exists(lay.Epoch())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s.IsLeader)
	if want := int64(stat.Version) + 1; s.Epoch() != want {
		t.Fatalf("epoch %d, want %d (the znode's version %d, plus one)", s.Epoch(), want, stat.Version)
	}
	names, err := st.Children(lay.Deadletter())
	if err != nil || len(names) != 1 {
		t.Fatalf("deadletter %v (%v), want the old record", names, err)
	}
	data, _, err := st.Get(lay.Deadletter() + "/" + names[0])
	if err != nil {
		t.Fatal(err)
	}
	var dl store.Deadletter
	if err := store.Decode(data, &dl); err != nil || dl.From != lay.Epoch() || !strings.Contains(string(dl.Data), `"epoch":41`) {
		t.Fatalf("deadletter record %+v (%v)", dl, err)
	}
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

// Retries whose history holds the output of their attempts are placed in
// transactions that fit: the leader's size estimate counted only an
// attempt's error, so a batch of them passed jute.maxbuffer, the connection
// dropped, and the leader built the same batch again, for ever (helper-20).
// Escapes count: a < takes 6 bytes encoded.
func TestRetriesWithOutputInTheirHistoryArePlaced(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const n = 50
	now := time.Now().UTC()
	submit(t, st, n, func(_ int, task *store.Task) {
		task.Retries = 20
		for a := 1; a <= 10; a++ {
			task.AddAttempt(store.Attempt{N: a, Worker: "w1", StartedAt: now, FinishedAt: now, ExitCode: 1, Error: strings.Repeat("<", 300),
				Stdout: strings.Repeat("<", 4096), Stderr: strings.Repeat("e", 4096)})
		}
		task.Attempt = 11
	})
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
		l.sweepEmptyQueue()
		if l.sweeping.Load() {
			return false // its deletes still running
		}
		ok, _, err := st.Exists(dir)
		return err == nil && !ok
	})
}

// A submit of one task copies it into its queue bucket's data; the copy
// counts with a listing that shows the bucket as that submit left it. A
// leader with nothing to place takes the item from the copy (played on a
// view directly, where no event loop races the test's writes): a copy that
// differs from the item (never so outside this test) shows which was used.
// Data that is no copy is moved aside and the item read itself.
func TestQueueBucketCopy(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	ctx := context.Background()
	inBucket := func(ms uint64, cmd string) *store.Task {
		return &store.Task{ID: ulid.MustNew(ms, rand.Reader).String(), Cmd: []string{cmd}, SubmittedAt: time.Now().UTC()}
	}
	ms := ulid.Now()
	one := inBucket(ms, "true")
	if _, err := st.Submit(ctx, []*store.Task{one}); err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(one.ID)
	dir := st.Layout().QueueBucket(b1, b2)
	list := func() store.Stat {
		t.Helper()
		_, stat, err := st.List(dir)
		if err != nil {
			t.Fatal(err)
		}
		return stat
	}
	c, err := st.QueueBucketCopy(b1, b2)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.For(list()); got == nil || got.ID != one.ID || got.Cmd[0] != "true" {
		t.Fatalf("copy of a lone submit: %+v", got)
	}
	if _, err := st.Submit(ctx, []*store.Task{inBucket(ms, "true"), inBucket(ms, "true")}); err != nil {
		t.Fatal(err)
	}
	if got := c.For(list()); got != nil {
		t.Fatalf("copy after a submit of two: %+v, want none", got)
	}

	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Election() + "/none"}, 1)
	defer l.stop()
	enqueue := func(bucketData func(*store.Task) []byte) (*store.Task, string) {
		t.Helper()
		task := inBucket(ms+5000, "item") // a bucket of its own: no manifests
		task.State, task.Attempt = store.StateQueued, 1
		if err := st.EnsureBuckets(task.ID); err != nil {
			t.Fatal(err)
		}
		data, err := store.EncodeSpec(task)
		if err != nil {
			t.Fatal(err)
		}
		b1, b2 := store.Bucket(task.ID)
		dir := st.Layout().QueueBucket(b1, b2)
		if err := st.Txn().Create(st.Layout().QueueItem(task.ID), data).Set(dir, bucketData(task), -1).Commit(); err != nil {
			t.Fatal(err)
		}
		return task, dir
	}
	queuedCmd := func(task *store.Task) string {
		t.Helper()
		b1, b2 := store.Bucket(task.ID)
		if err := l.syncQueueL2(b1, b2); err != nil {
			t.Fatal(err)
		}
		q := l.lookup(task.ID)
		if q == nil || q.task == nil || q.version != store.SubmittedVersion {
			t.Fatalf("view entry %+v", q)
		}
		for l.ready.Len() > 0 { // nothing to place again for the next case
			_, sq := l.ready.first()
			l.ready.pop(sq)
		}
		return q.task.Cmd[0]
	}
	x, _ := enqueue(func(task *store.Task) []byte {
		c := task.Clone()
		c.Cmd = []string{"copy"}
		data, err := store.EncodeSpec(c)
		if err != nil {
			t.Fatal(err)
		}
		return data
	})
	if got := queuedCmd(x); got != "copy" {
		t.Fatalf("queued %q, want the bucket's copy", got)
	}
	y, dir := enqueue(func(*store.Task) []byte { return []byte("{garbage") })
	if got := queuedCmd(y); got != "item" {
		t.Fatalf("queued %q, want the item itself", got)
	}
	if data, _, err := st.Get(dir); err != nil || len(data) != 0 {
		t.Fatalf("bucket data after garbage: %q %v", data, err)
	}
	if kids, err := st.Children(st.Layout().Deadletter()); err != nil || len(kids) != 1 {
		t.Fatalf("deadletter: %v %v", kids, err)
	}
}

// A task waiting out a retry backoff that is cancelled and retried (here in
// one transaction, as a client's Cancel and Retry land when the leader does
// not list the bucket between them) is queued again under the same name,
// with a record of its own: no backoff, the retries the retry left. The
// leader placed the record it held (at the same version: both items were
// made by Enqueue), so the task waited out the old backoff and ran with the
// old retries.
func TestCancelledAndRetriedBackoffTaskRunsTheRetry(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	id := submit(t, st, 1, func(_ int, task *store.Task) { task.Retries = 3 })[0]
	// Attempt 1 failed; attempt 2 waits out an hour's backoff.
	item := lay.QueueItem(id)
	data, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	task.AddAttempt(store.Attempt{N: 1, Worker: "w0", ExitCode: 1})
	task.Attempt, task.NotBefore = 2, time.Now().Add(time.Hour).UTC()
	txn := st.Txn().Delete(item, stat.Version)
	if err := txn.Enqueue(task.Clone()); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}

	w := registerWorker(t, root, "w1", 1, nil)
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "the leader holds the task", func() bool {
		return s.IsLeader() && s.counters.queued[prioIndex(store.PriorityNormal)].Load() == 1
	})

	// Cancelled and retried: the record as client.Retry writes it (the
	// attempt that never ran, one retry left for the one failure so far,
	// no backoff, the next generation).
	held, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	next, err := store.DecodeTask(held)
	if err != nil {
		t.Fatal(err)
	}
	next.Retries, next.NotBefore, next.Gen = next.Failures(), time.Time{}, next.Gen+1
	txn = st.Txn().Delete(item, stat.Version)
	if err := txn.EnqueueRetried(next.Clone()); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}

	name := store.AssignmentName(id, 2)
	drovertest.WaitFor(t, 10*time.Second, "the retried task placed", func() bool {
		got := w.assignments(t)
		return len(got) == 1 && got[0] == name
	})
	data, _, err = st.Get(lay.Assignment("w1", id, 2))
	if err != nil {
		t.Fatal(err)
	}
	placed, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	if placed.Retries != 1 || placed.Gen != 1 || len(placed.History) != 1 {
		t.Fatalf("placed %+v: want the retried record (1 retry, 1 attempt in history), generation 1 (kept)", placed)
	}
	drovertest.WaitFor(t, 5*time.Second, "the retry's note deleted", func() bool { return queueManifests(t, st, id) == 0 })
}

// A placement of a record whose item a cancel and a retry replaced before
// the view learnt of it (played on a view directly: in the event loop it is
// a race with the retry's watch event) fails, and the item is read again.
// Both items were made by Enqueue, at version 1, so the placement, which
// deletes the item at the version the view read, took the retry's item and
// assigned the record it held.
func TestPlacementOfARecordRetriedMeanwhileFails(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	id := submit(t, st, 1, func(_ int, task *store.Task) { task.Retries = 3 })[0]
	// Attempt 1 failed; attempt 2 is queued (waiting for a worker).
	item := lay.QueueItem(id)
	data, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	task.AddAttempt(store.Attempt{N: 1, Worker: "w0", ExitCode: 1})
	task.Attempt = 2
	txn := st.Txn().Delete(item, stat.Version)
	if err := txn.Enqueue(task.Clone()); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: lay.Election() + "/n_fence"}, 1)
	defer l.stop()
	for _, p := range []string{l.term.Fence, lay.WorkerTasks("w1")} {
		if err := st.EnsurePath(p); err != nil {
			t.Fatal(err)
		}
	}
	b1, b2 := store.Bucket(id)
	if err := l.syncQueueL2(b1, b2); err != nil {
		t.Fatal(err)
	}
	_, sq := l.ready.first()
	q := l.ready.pop(sq) // about to be placed

	// Cancelled and retried meanwhile, as client.Retry writes it.
	data, stat, err = st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	next, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	next.Retries, next.Gen = next.Failures(), next.Gen+1
	txn = st.Txn().Delete(item, stat.Version)
	if err := txn.Enqueue(next.Clone()); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}

	w := newWorkerView(1)
	w.ID, w.Capacity = "w1", 1
	l.workers["w1"] = w
	if err := l.commitEach([]placement{{q: q, w: w, worker: "w1", reg: 1, at: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if data, _, err := st.Get(lay.Assignment("w1", id, 2)); err == nil {
		placed, _ := store.DecodeTask(data)
		t.Fatalf("placed %+v: the record held, over the retry's item", placed)
	}
	got := l.lookup(id)
	if got == nil || got.version != store.EnqueuedVersionOf(next) || got.task == nil || got.task.Retries != 1 {
		t.Fatalf("view holds %+v: want the retry's item, read again", got)
	}
}

// A view rebuilt after a lost connection waits for the placements of the
// view before that are still in flight. It did not: one that committed
// after the rebuilt view listed its queue item left the task queued in that
// view, and once the attempt failed and its retry was queued under the same
// name at the same version (generation 0, version 1, as the item placed),
// a relist found the name known and read nothing; the next placement then
// deleted the new item and assigned the record held. The failed attempt ran
// again under its own number, its failure and the retry's backoff lost.
func TestRebuildWaitsForThePlacementsInFlight(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	w := registerWorker(t, root, "w", 4, nil)

	// A task on its second attempt: attempt 1 failed, and the retry was
	// queued (version 1) with its backoff passed.
	id := ulid.Make().String()
	task := &store.Task{ID: id, Cmd: []string{"false"}, Retries: 1, SubmittedAt: time.Now().UTC(), Attempt: 2}
	task.AddAttempt(store.Attempt{N: 1, Worker: "w", FinishedAt: time.Now().UTC(), ExitCode: 1})
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Enqueue(task.Clone()) }); err != nil {
		t.Fatal(err)
	}
	l, _, _ := termOf(t, st)
	sync := func() {
		t.Helper()
		if err := l.syncWorkers(); err != nil {
			t.Fatal(err)
		}
		if err := l.applyTaskList(<-l.lists); err != nil {
			t.Fatal(err)
		}
		if err := l.syncQueueRoot(); err != nil {
			t.Fatal(err)
		}
	}
	sync()

	// The placement's transaction waits until the rebuild waits for it;
	// had the rebuild not waited, until the rebuilt view had listed.
	release := make(chan struct{})
	releaseOnce := func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}
	testHookDispatch = func() { <-release }
	testHookAwaitPlacements = releaseOnce
	defer func() { testHookDispatch, testHookAwaitPlacements = nil, nil }()
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	if l.inflight != 1 {
		t.Fatalf("%d placements in flight; want 1", l.inflight)
	}
	if err := l.awaitPlacements(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.reset()
	sync()
	releaseOnce()
	placed := lay.Assignment("w", id, 2)
	drovertest.WaitFor(t, 10*time.Second, "attempt 2 placed", func() bool {
		ok, _, err := st.Exists(placed)
		return err == nil && ok
	})

	// The worker runs attempt 2, which fails: attempt 3 is queued with an
	// hour's backoff.
	data, stat, err := st.Get(placed)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	next := rec.Clone()
	next.AddAttempt(store.Attempt{N: 2, Worker: "w", FinishedAt: time.Now().UTC(), ExitCode: 1})
	next.Attempt, next.NotBefore = 3, time.Now().Add(time.Hour).UTC()
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error {
		txn.Delete(placed, stat.Version)
		return txn.Enqueue(next.Clone())
	}); err != nil {
		t.Fatal(err)
	}

	// The rebuilt view relists the bucket (its watch fired) and places.
	b1, b2 := store.Bucket(id)
	if err := l.syncQueueL2(b1, b2); err != nil {
		t.Fatal(err)
	}
	if q := l.lookup(id); q != nil && int(q.attempt) != 3 {
		t.Errorf("the rebuilt view holds attempt %d of the task, queued now as attempt 3", q.attempt)
	}
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	for l.inflight > 0 {
		if err := l.settle(<-l.results); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.assignments(t); len(got) != 0 {
		t.Fatalf("placed %v: the failed attempt 2 runs again under its own number, an hour before attempt 3's backoff ends", got)
	}
	if _, _, err := st.Get(lay.QueueItem(id)); err != nil {
		t.Fatalf("attempt 3's queue item: %v", err)
	}
}
