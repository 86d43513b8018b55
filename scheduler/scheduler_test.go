package scheduler

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/oklog/ulid/v2"
)

func leaders(ss ...*Scheduler) (n int, who *Scheduler) {
	for _, s := range ss {
		if s.IsLeader() {
			n++
			who = s
		}
	}
	return n, who
}

func TestElectionOneLeaderAndHandover(t *testing.T) {
	root := drovertest.NewRoot()
	a, stopA := runScheduler(t, drovertest.OpenStore(t, root), "a")
	b, stopB := runScheduler(t, drovertest.OpenStore(t, root), "b")
	c, stopC := runScheduler(t, drovertest.OpenStore(t, root), "c")
	stops := map[*Scheduler]func(){a: stopA, b: stopB, c: stopC}
	drovertest.WaitFor(t, 10*time.Second, "a leader", func() bool { n, _ := leaders(a, b, c); return n == 1 })
	_, first := leaders(a, b, c)
	firstEpoch := first.Epoch()

	// A graceful stop resigns: the next candidate leads at once.
	stops[first]()
	drovertest.WaitFor(t, 5*time.Second, "a new leader", func() bool {
		n, who := leaders(a, b, c)
		return n == 1 && who != first
	})
	_, second := leaders(a, b, c)
	if second.Epoch() <= firstEpoch {
		t.Fatalf("epoch did not grow: %d then %d", firstEpoch, second.Epoch())
	}
	st := drovertest.OpenStore(t, root)
	rec, _, err := st.Epoch()
	if err != nil || rec.Epoch != second.Epoch() {
		t.Fatalf("epoch record %+v (%v), want epoch %d", rec, err, second.Epoch())
	}
}

// A znode with a candidate's name in the election directory that no
// session holds (made by hand) is moved aside by the candidate behind it,
// and is no candidate to Candidates. It sorted first in line, so no
// scheduler ever led again, and drover leader named it the leader.
func TestElectionZnodeNoSessionHoldsIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	bogus := st.Layout().Election() + "/n_bogus-0000000000"
	if err := st.Create(bogus, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	s, _ := runScheduler(t, drovertest.OpenStore(t, root), "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s.IsLeader)
	if ok, _, err := st.Exists(bogus); err != nil || ok {
		t.Fatalf("the bogus candidate is still there (%v)", err)
	}
	if kids, err := st.Children(st.Layout().Deadletter()); err != nil || len(kids) != 1 {
		t.Fatalf("deadletter %v (%v), want the bogus candidate", kids, err)
	}
	// One made while s1 leads stays until a candidate stands behind it, but
	// is no candidate meanwhile.
	if err := st.Create(bogus, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	line, err := st.Candidates()
	if err != nil || len(line) != 1 || line[0].Info.ID != "s1" {
		t.Fatalf("candidates %+v (%v), want s1 alone", line, err)
	}
}

// A znode no session holds that cannot be moved aside (an ACL set by hand
// on deadletter/ refuses the copy's create) is tried again after a pause, and the
// candidate behind it still stops when asked. It was tried again at once, in
// a loop that never looked at ctx: thousands of requests a second, memory
// that grew with each watch set, and a scheduler that SIGTERM did not stop.
func TestElectionZnodeThatCannotBeMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st1, st2 := drovertest.OpenStoreAt(t, px.Addr(), root), drovertest.OpenStoreAt(t, px.Addr(), root)
	bogus := lay.Election() + "/n_bogus-0000000000"
	if err := st.Create(bogus, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	setACL(t, lay.Deadletter(), "world:anyone:rda")
	// tried waits until a candidate has joined the line and sent its try
	// to move the bogus znode aside (a listing, a watch, a read, the
	// deadletter directory's stat and the transaction, after the join).
	tried := func(since int64) {
		t.Helper()
		drovertest.WaitFor(t, 10*time.Second, "a try to move the bogus znode aside", func() bool { return px.Requests()-since >= 6 })
	}
	s1, err := New(Config{ID: "s1", Store: st1, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	since := px.Requests()
	go func() { ran <- s1.Run(ctx) }()
	tried(since)
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("s1: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("s1 did not stop when asked, behind a znode it could not move aside")
	}
	// Tried again: once deadletter/ takes records again, the next try
	// moves it aside.
	since = px.Requests()
	s2, _ := runScheduler(t, st2, "s2")
	tried(since)
	setACL(t, lay.Deadletter(), "world:anyone:cdrwa")
	drovertest.WaitFor(t, 3*moveAsideRetry, "s2 leads", s2.IsLeader)
	if kids, err := st.Children(lay.Deadletter()); err != nil || len(kids) != 1 {
		t.Fatalf("deadletter %v (%v), want the bogus candidate", kids, err)
	}
}

func TestPlacementCapacityLabelsPriority(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	plain := registerWorker(t, root, "plain", 2, nil)

	// Queue before any leader runs: the leader must find it on takeover.
	gpuTask := submit(t, st, 1, func(_ int, task *store.Task) { task.On = map[string]string{"gpu": "true"} })
	low := submit(t, st, 1, func(_ int, task *store.Task) { task.Priority = store.PriorityLow })
	normal := submit(t, st, 2, nil)
	high := submit(t, st, 1, func(_ int, task *store.Task) { task.Priority = store.PriorityHigh })
	runScheduler(t, st, "s1")

	drovertest.WaitFor(t, 10*time.Second, "plain worker full", func() bool { return len(plain.assignments(t)) == 2 })
	got := strings.Join(plain.assignments(t), ",")
	// Capacity 2: high first, then the oldest normal; never the gpu task.
	if !strings.Contains(got, high[0]) || !strings.Contains(got, normal[0]) {
		t.Fatalf("plain worker got %s; want high %s and oldest normal %s", got, high[0], normal[0])
	}
	// Finishing work frees slots; the rest drains in order, low last, and the
	// gpu task still waits for a worker with its label.
	for _, name := range plain.assignments(t) {
		plain.finish(t, name)
	}
	drovertest.WaitFor(t, 10*time.Second, "second normal and low placed", func() bool {
		got := strings.Join(plain.assignments(t), ",")
		return strings.Contains(got, normal[1]) && strings.Contains(got, low[0])
	})
	for _, name := range plain.assignments(t) {
		plain.finish(t, name)
	}
	gpu := registerWorker(t, root, "gpu", 1, map[string]string{"gpu": "true"})
	drovertest.WaitFor(t, 10*time.Second, "gpu task on the gpu worker", func() bool {
		got := gpu.assignments(t)
		return len(got) == 1 && strings.HasPrefix(got[0], gpuTask[0])
	})
	if got := plain.assignments(t); len(got) != 0 {
		t.Fatalf("plain worker got %v; the gpu task needs gpu=true", got)
	}
	// Assignments carry the placement's registration and epoch.
	data, _, err := st.Get(st.Layout().Assignment("gpu", gpuTask[0], 1))
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	if task.Reg != gpu.reg || task.Epoch < 1 || task.Worker != "gpu" || task.State != store.StateAssigned {
		t.Fatalf("assignment record %+v", task)
	}
}

// Commands share a placement shape whatever their program, so a command
// that a free worker's allow-list refuses is skipped alone: a command of
// another program behind it, which the list admits, is placed.
func TestAllowListRefusalSkipsOnlyThatCommand(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	data, err := store.Encode(&store.WorkerInfo{ID: "w", Host: "test", Capacity: 2, Allow: []string{"ok-*"}, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	stat, _, err := st.CreateEphemeral(context.Background(), st.Layout().Worker("w"), data)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsurePath(st.Layout().WorkerTasks("w")); err != nil {
		t.Fatal(err)
	}
	w := &fakeWorker{st: st, id: "w", reg: stat.Czxid}
	refused := submit(t, st, 2, func(_ int, task *store.Task) { task.Cmd = []string{"bad"} })
	admitted := submit(t, st, 1, func(_ int, task *store.Task) { task.Cmd = []string{"ok-1"} })
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "the admitted command placed", func() bool {
		got := w.assignments(t)
		return len(got) == 1 && strings.HasPrefix(got[0], admitted[0])
	})
	for _, id := range refused {
		if _, _, err := st.Get(st.Layout().QueueItem(id)); err != nil {
			t.Fatalf("refused command %s left the queue: %v", id, err)
		}
	}
}

// A placement that gives an idle worker its only assignment copies it into
// the worker's directory data; one onto a worker with work does not.
func TestLoneAssignmentCopiedForIdleWorker(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 2, nil)
	runScheduler(t, st, "s1")
	first := submit(t, st, 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "first placed", func() bool { return len(w.assignments(t)) == 1 })
	dirCopy := func() *store.Task {
		t.Helper()
		data, _, err := st.Get(st.Layout().WorkerTasks("w"))
		if err != nil {
			t.Fatal(err)
		}
		task, err := store.DecodeTask(data)
		if err != nil {
			t.Fatalf("directory data %q: %v", data, err)
		}
		return task
	}
	if copied := dirCopy(); copied.ID != first[0] || copied.Reg != w.reg || copied.State != store.StateAssigned {
		t.Fatalf("copy for an idle worker: %+v", copied)
	}
	submit(t, st, 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "second placed", func() bool { return len(w.assignments(t)) == 2 })
	if copied := dirCopy(); copied.ID != first[0] {
		t.Fatalf("a busy worker's copy changed to %+v", copied)
	}
}

// Only a batch of one placement, on a worker with nothing else, gets a copy:
// more at once is load.
func TestLoneCopyTarget(t *testing.T) {
	idle, busy := newWorkerView(1), newWorkerView(2)
	idle.checked["x.1"] = time.Time{}
	busy.checked["y.1"], busy.checked["z.1"] = time.Time{}, time.Time{}
	for _, c := range []struct {
		batch []placement
		want  string
	}{
		{[]placement{{w: idle, worker: "i"}}, "i"},
		{[]placement{{w: busy, worker: "b"}}, ""},
		{[]placement{{w: idle, worker: "i"}, {w: idle, worker: "i"}}, ""},
		{[]placement{{w: idle, worker: "i"}, {w: busy, worker: "b"}}, ""},
	} {
		if got := loneCopyTarget(c.batch); got != c.want {
			t.Errorf("%d placements: %q, want %q", len(c.batch), got, c.want)
		}
	}
}

func TestWorkerLossRequeuesAttempt(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	doomed := registerWorker(t, root, "doomed", 1, nil)
	ids := submit(t, st, 1, func(_ int, task *store.Task) { task.Retries = 0 })
	drovertest.WaitFor(t, 10*time.Second, "placed on doomed", func() bool { return len(doomed.assignments(t)) == 1 })
	doomed.start(t, doomed.assignments(t)[0])

	doomed.st.Close() // the worker's session ends: its registration goes
	spare := registerWorker(t, root, "spare", 1, nil)
	drovertest.WaitFor(t, 15*time.Second, "attempt 2 on spare", func() bool {
		got := spare.assignments(t)
		return len(got) == 1 && got[0] == store.AssignmentName(ids[0], 2)
	})
	data, _, err := st.Get(st.Layout().Assignment("spare", ids[0], 2))
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(task.History) != 1 || !task.History[0].Lost || task.History[0].Worker != "doomed" {
		t.Fatalf("history %+v: want one lost attempt on doomed", task.History)
	}
	// A lost attempt does not use up retries (retries=0 here), and the departed
	// worker leaves nothing behind.
	drovertest.WaitFor(t, 10*time.Second, "doomed's directory removed", func() bool {
		ok, _, err := st.Exists(st.Layout().WorkerTasks("doomed"))
		return err == nil && !ok
	})
}

// A lost worker's assignment that was never marked running never started:
// it ends unstarted, not lost (prefetched onto workers that die, a task ran
// out of its 20 losses without ever running), and attempt 2 goes on.
func TestWorkerLossEndsAnUnstartedAttemptUnstarted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	doomed := registerWorker(t, root, "doomed", 1, nil)
	ids := submit(t, st, 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "placed on doomed", func() bool { return len(doomed.assignments(t)) == 1 })

	doomed.st.Close()
	spare := registerWorker(t, root, "spare", 1, nil)
	drovertest.WaitFor(t, 15*time.Second, "attempt 2 on spare", func() bool {
		got := spare.assignments(t)
		return len(got) == 1 && got[0] == store.AssignmentName(ids[0], 2)
	})
	_, task, _ := spare.read(t, store.AssignmentName(ids[0], 2))
	if len(task.History) != 1 || !task.History[0].Unstarted || task.History[0].Lost || task.Losses() != 0 || task.Failures() != 0 {
		t.Fatalf("history %+v: want attempt 1 unstarted on doomed, neither lost nor failed", task.History)
	}
}

// A registration no session holds (made by hand: a worker's is ephemeral)
// is moved aside, and no task is placed on it. It was taken for an idle
// worker of its capacity and given tasks that nothing ran, for ever.
func TestRegistrationNoSessionHoldsIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	ghost := st.Layout().Worker("ghost")
	data, err := store.Encode(&store.WorkerInfo{ID: "ghost", Host: "test", Capacity: 100, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(ghost, data); err != nil {
		t.Fatal(err)
	}
	w := registerWorker(t, root, "w1", 4, nil)
	runScheduler(t, st, "s1")
	submit(t, st, 3, nil)
	drovertest.WaitFor(t, 10*time.Second, "every task placed on w1", func() bool { return len(w.assignments(t)) == 3 })
	waitGone(t, st, 10*time.Second, ghost)
	if kids, err := st.Children(st.Layout().WorkerTasks("ghost")); err == nil && len(kids) > 0 {
		t.Fatalf("tasks placed on the ghost: %v", kids)
	}
}

func TestWorkerReRegistrationRecoversOldAttempts(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	w := registerWorker(t, root, "w", 1, nil)
	ids := submit(t, st, 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "placed", func() bool { return len(w.assignments(t)) == 1 })
	w.start(t, w.assignments(t)[0])
	// Same id, new session: the earlier registration's attempt, started, is
	// placed again as attempt 2.
	w.st.Close()
	w2 := registerWorker(t, root, "w", 1, nil)
	drovertest.WaitFor(t, 15*time.Second, "attempt 2 placed on the new registration", func() bool {
		got := w2.assignments(t)
		return len(got) == 1 && got[0] == store.AssignmentName(ids[0], 2)
	})
}

func TestFencedLeaderCannotWrite(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	zombieStore := drovertest.OpenStoreAt(t, px.Addr(), root)
	zombie, _ := runScheduler(t, zombieStore, "zombie")
	drovertest.WaitFor(t, 10*time.Second, "zombie leads", zombie.IsLeader)
	term := zombieTerm(t, zombieStore)

	standby, _ := runScheduler(t, drovertest.OpenStore(t, root), "standby")
	// Cut the zombie off past its session timeout: ZooKeeper expires the session
	// and deletes its election znode; the standby takes over.
	px.Cut(true)
	drovertest.WaitFor(t, 15*time.Second, "standby leads", standby.IsLeader)
	px.Cut(false)

	// The zombie's client reconnects with a brand-new session. Any write fenced by
	// the old term must fail, whatever the zombie still believes.
	st := zombieStore
	if _, err := st.CurrentSession(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := st.Txn().Fence(term, -1).Create(st.Layout().Root+"/zombie-write", nil).Commit()
	if !errors.Is(err, store.ErrFenced) {
		t.Fatalf("fenced write: err %v, want ErrFenced", err)
	}
	if ok, _, _ := st.Exists(st.Layout().Root + "/zombie-write"); ok {
		t.Fatal("a fenced write landed")
	}
	// The zombie itself notices and stands by; only one leader remains.
	drovertest.WaitFor(t, 10*time.Second, "zombie steps down", func() bool { return !zombie.IsLeader() })
	if !standby.IsLeader() {
		t.Fatal("standby lost leadership")
	}
	if zombie.Epoch() >= standby.Epoch() {
		t.Fatalf("epochs: zombie %d, standby %d", zombie.Epoch(), standby.Epoch())
	}
	// And the cluster still places work under the new leader.
	w := registerWorker(t, root, "w", 1, nil)
	submit(t, drovertest.OpenStore(t, root), 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "placed by the new leader", func() bool { return len(w.assignments(t)) == 1 })
}

// zombieTerm returns the fence path of the current leader.
func zombieTerm(t *testing.T, st *store.Store) string {
	t.Helper()
	line, err := st.Candidates()
	if err != nil || len(line) == 0 {
		t.Fatalf("candidates: %v %v", line, err)
	}
	return st.Layout().Election() + "/" + line[0].Node
}

func TestPlaceAfterFenceLossWritesNothing(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 4, nil)
	submit(t, st, 3, nil)
	// A term whose election znode goes below: exactly the state of a leader
	// whose session expired before it noticed.
	l, fence, _ := termOf(t, st)
	if err := l.syncWorkers(); err != nil {
		t.Fatal(err)
	}
	if err := l.applyTaskList(<-l.lists); err != nil { // the worker's directory, listed off the loop
		t.Fatal(err)
	}
	if err := l.syncQueueRoot(); err != nil {
		t.Fatal(err)
	}
	if l.nknown != 3 {
		t.Fatalf("view has %d queued, want 3", l.nknown)
	}
	if err := st.Delete(fence, -1); err != nil {
		t.Fatal(err)
	}
	if err := l.place(); err != nil {
		t.Fatalf("place: %v", err)
	}
	if err := l.settle(<-l.results); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("place after fence loss: %v, want ErrFenced", err)
	}
	if got := w.assignments(t); len(got) != 0 {
		t.Fatalf("fenced leader placed %v", got)
	}
}

func TestLeaderWithdrawsAttemptsOfStuckWorker(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1", func(c *Config) { c.TimeoutGrace = 100 * time.Millisecond })
	stuck := registerWorker(t, root, "stuck", 1, nil) // never runs anything
	ids := submit(t, st, 1, func(_ int, task *store.Task) { task.Timeout = store.MillisOf(200 * time.Millisecond) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := st.WaitResult(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.StateFailed || len(got.History) != 1 || got.History[0].Lost ||
		!strings.Contains(got.Error, "withdrawn by the leader") {
		t.Fatalf("result %+v", got)
	}
	if left := stuck.assignments(t); len(left) != 0 {
		t.Fatalf("assignment left on the stuck worker: %v", left)
	}
	// An end the leader wrote, counted for drover_tasks_ended_by_leader_total
	// once its commit returned (after the result is seen).
	drovertest.WaitFor(t, 10*time.Second, "the end counted", func() bool { return s.Stats().Recovered == 1 })
	if st := s.Stats(); st.EndedFailed != 1 || st.EndedDead != 0 {
		t.Fatalf("ended failed %d, dead %d: want 1, 0", st.EndedFailed, st.EndedDead)
	}
}

// TestFencedLeaderMakesNoDirectories: a term whose election znode is gone
// makes neither a new worker's assignment directory nor buckets ahead; both
// were plain creates, so a deposed leader could make a directory for a
// worker that had left.
func TestFencedLeaderMakesNoDirectories(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "late", 1, nil)
	if err := st.Delete(st.Layout().WorkerTasks("late"), -1); err != nil {
		t.Fatal(err)
	}
	l, fence, stop := termOf(t, st)
	if err := st.Delete(fence, -1); err != nil { // the session expired: the term is over
		t.Fatal(err)
	}
	if err := l.syncWorkers(); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("syncWorkers after fence loss: %v, want ErrFenced", err)
	}
	if ok, _, err := st.Exists(st.Layout().WorkerTasks("late")); err != nil || ok {
		t.Fatalf("a deposed leader made %s (%v)", st.Layout().WorkerTasks("late"), err)
	}
	// The buckets of the next windows, made ahead while tasks arrive.
	l.queuedAt = time.Now()
	l.prepareBuckets()
	stop() // waits for the term's goroutines, the one making buckets ahead among them
	if len(l.prepared) == 0 {
		t.Fatal("no buckets to prepare")
	}
	for b := range l.prepared {
		if ok, _, err := st.Exists(st.Layout().QueueBucket(b[:6], b[6:])); err != nil || ok {
			t.Fatalf("a deposed leader made bucket %s (%v)", b, err)
		}
	}
}

// TestWithdrawnAttemptRetriesAfterBackoff: an attempt the leader withdraws
// past its timeout failed, and its retry waits out a backoff as a failure on
// a worker does; it used to be queued to run at once.
func TestWithdrawnAttemptRetriesAfterBackoff(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1", func(c *Config) {
		c.TimeoutGrace = 100 * time.Millisecond
		c.Backoff = store.Backoff{Base: time.Hour, Max: 2 * time.Hour, Rand: func() float64 { return 0 }}
	})
	registerWorker(t, root, "stuck", 1, nil) // never runs anything
	ids := submit(t, st, 1, func(_ int, task *store.Task) {
		task.Timeout = store.MillisOf(200 * time.Millisecond)
		task.Retries = 2
	})
	var queued *store.Task
	drovertest.WaitFor(t, 20*time.Second, "attempt 2 queued", func() bool {
		data, _, err := st.Get(st.Layout().QueueItem(ids[0]))
		if err != nil {
			return false
		}
		queued, err = store.DecodeTask(data)
		return err == nil && queued.Attempt == 2
	})
	if len(queued.History) != 1 || queued.History[0].Lost {
		t.Fatalf("history %+v", queued.History)
	}
	if want := queued.History[0].FinishedAt.Add(time.Hour); !queued.NotBefore.Equal(want) {
		t.Fatalf("attempt 2 not before %v, want %v (withdrawn at %v, an hour's backoff)",
			queued.NotBefore, want, queued.History[0].FinishedAt)
	}
}

func TestResultRetention(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := time.Now()
	finish := func(at time.Time) string { return finished(t, st, at, at, store.StateSucceeded) }
	old := finish(now.Add(-48 * time.Hour))
	var recent []string
	for i := 4; i >= 1; i-- {
		recent = append(recent, finish(now.Add(-time.Duration(i)*time.Minute)))
	}
	// Made now, as if they came in their windows: the cap prunes them in
	// that order.
	runScheduler(t, st, "s1", func(c *Config) { dayOfHistory(c); c.MaxResults = 2 })
	exists := func(id string) bool {
		ok, _, err := st.Exists(st.Layout().Result(id))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	drovertest.WaitFor(t, 10*time.Second, "retention applied", func() bool { return !exists(old) && !exists(recent[1]) })
	if exists(recent[0]) || !exists(recent[2]) || !exists(recent[3]) {
		t.Fatalf("kept %v %v %v %v; want only the 2 newest", exists(recent[0]), exists(recent[1]), exists(recent[2]), exists(recent[3]))
	}
}

// Names under results/ that are no bucket (made by hand) are passed over
// by retention. Their window never ends, so the walk stopped at the first
// as at a bucket too young to prune: one sorting before the real buckets
// ("00junk", or "!!" in the oldest) kept every result for ever.
func TestRetentionPassesOverNamesThatAreNoBucket(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	old := ulid.MustNew(ulid.Timestamp(at), rand.Reader).String()
	zero := 0
	task := &store.Task{ID: old, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &zero, SubmittedAt: at}
	if err := st.CommitCreatingBuckets([]string{old}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
		t.Fatal(err)
	}
	b1, _ := store.Bucket(old)
	junk := []string{lay.Results() + "/00junk", lay.Results() + "/00junk/00", lay.ResultBucket(b1, "!!")}
	for _, p := range junk {
		if err := st.Create(p, nil); err != nil {
			t.Fatal(err)
		}
	}
	runScheduler(t, st, "s1", dayOfHistory)
	waitGone(t, st, 10*time.Second, lay.Result(old))
	for _, p := range junk[:2] {
		if ok, _, err := st.Exists(p); err != nil || !ok {
			t.Fatalf("%s was pruned (%v): it is none of Drover's", p, err)
		}
	}
}

// quarantineJunk moves n junk znodes to deadletter and returns the
// deadletter names, oldest first.
func quarantineJunk(t *testing.T, st *store.Store, n int) []string {
	t.Helper()
	lay := st.Layout()
	for range n {
		p := lay.Queue() + "/" + ulid.Make().String()
		if err := st.Create(p, []byte("junk")); err != nil {
			t.Fatal(err)
		}
		if err := st.Quarantine(p, []byte("junk"), 0, errors.New("junk")); err != nil {
			t.Fatal(err)
		}
	}
	names, err := st.Children(lay.Deadletter())
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

// termOf builds a leader of a term whose election znode, fence, the test
// holds: deleting it makes the term that of a leader whose session expired
// before it noticed. stop ends the term (once; the test's end does too).
func termOf(t *testing.T, st *store.Store, mods ...func(*Config)) (l *leader, fence string, stop func()) {
	t.Helper()
	cfg := Config{ID: "ghost", Store: st, Log: drovertest.Logger(t)}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	node, _, err := st.CreateSequentialEphemeral(context.Background(), st.Layout().Election(), "n_", []byte(`{"v":1}`))
	if err != nil {
		t.Fatal(err)
	}
	fence = st.Layout().Election() + "/" + node
	term := &Term{Fence: fence, st: st, done: make(chan struct{})}
	// Bumped as a term begins: the leader learns ZooKeeper's clock.
	start, err := s.bumpEpoch(context.Background(), term)
	if err != nil {
		t.Fatal(err)
	}
	l = newLeader(s, term, start.epoch)
	stop = sync.OnceFunc(l.stop)
	t.Cleanup(func() {
		stop()
		_ = st.Delete(fence, -1)
	})
	return l, fence, stop
}

// TestDeadlettersArePrunedByAge: deadletter records older than the
// retention go, in the term's first pass; nothing pruned them, so a steady
// source of bad data grew the directory past one listing.
func TestDeadlettersArePrunedByAge(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const retention = 3 * time.Second
	old := quarantineJunk(t, st, 3)
	_, newestOld, err := st.Exists(st.Layout().Deadletter() + "/" + old[len(old)-1])
	if err != nil {
		t.Fatal(err)
	}
	// The records left must be young when the term's first pass runs:
	// retention after the old ones were made.
	drovertest.WaitFor(t, 20*time.Second, "the first records older than the retention", func() bool {
		return time.Since(newestOld.Ctime) > retention+10*time.Millisecond
	})
	want := quarantineJunk(t, st, 4)[3:]
	runScheduler(t, st, "s1", func(c *Config) { c.ResultRetention = retention; c.MaxDeadletters = 100 })
	var left []string
	drovertest.WaitFor(t, 10*time.Second, "deadletter pruned", func() bool {
		left, err = st.Children(st.Layout().Deadletter())
		return err == nil && len(left) <= 4
	})
	sort.Strings(left)
	if !slices.Equal(left, want) {
		t.Fatalf("left %v, want the four young %v", left, want)
	}
}

// TestDeadletterCap: beyond MaxDeadletters the oldest records go; a
// deposed leader's pass deletes none, and says its term is over (it took
// the failed fence check for records gone meanwhile, tried each record
// alone and reported them all pruned).
func TestDeadletterCap(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	all := quarantineJunk(t, st, 120)
	capped := func(c *Config) { c.MaxDeadletters = 3 }
	deposed, fence, _ := termOf(t, st, capped)
	if err := st.Delete(fence, -1); err != nil {
		t.Fatal(err)
	}
	if err := deposed.pruneDeadletters(time.Now().Add(-time.Hour)); !errors.Is(err, errTermOver) {
		t.Fatalf("a deposed leader's pass: %v, want errTermOver", err)
	}
	if left, err := st.Children(st.Layout().Deadletter()); err != nil || len(left) != len(all) {
		t.Fatalf("a deposed leader's pass left %d of %d (%v)", len(left), len(all), err)
	}
	l, _, _ := termOf(t, st, capped)
	if err := l.pruneDeadletters(time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	left, err := st.Children(st.Layout().Deadletter())
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(left)
	if !slices.Equal(left, all[len(all)-3:]) {
		t.Fatalf("left %v, want the three newest %v", left, all[len(all)-3:])
	}
}

// TestLostAttemptIsNotDelayed: a lost worker's attempt did not fail, and
// its retry is placed at once, whatever the backoff.
func TestLostAttemptIsNotDelayed(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1", func(c *Config) {
		c.Backoff = store.Backoff{Base: time.Hour, Max: 2 * time.Hour, Rand: func() float64 { return 0 }}
	})
	doomed := registerWorker(t, root, "doomed", 1, nil)
	ids := submit(t, st, 1, func(_ int, task *store.Task) { task.Retries = 2 })
	drovertest.WaitFor(t, 10*time.Second, "placed on doomed", func() bool { return len(doomed.assignments(t)) == 1 })
	doomed.start(t, doomed.assignments(t)[0])
	doomed.st.Close()
	spare := registerWorker(t, root, "spare", 1, nil)
	drovertest.WaitFor(t, 15*time.Second, "attempt 2 on spare", func() bool {
		got := spare.assignments(t)
		return len(got) == 1 && got[0] == store.AssignmentName(ids[0], 2)
	})
}

// TestEmptyQueueBucketsDeleted: a queue bucket emptied by placement goes
// once its window has ended. Nothing lists it again after it was emptied,
// so the leader used to keep it (and a watch on it) for good: one znode for
// every second in which tasks were submitted.
func TestEmptyQueueBucketsDeleted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w1", 4, nil)
	runScheduler(t, st, "s1", func(c *Config) { c.BucketGrace = 200 * time.Millisecond })
	ids := submit(t, st, 3, nil)
	drovertest.WaitFor(t, 10*time.Second, "the tasks placed", func() bool { return len(w.assignments(t)) == 3 })
	b1, b2 := store.Bucket(ids[0])
	waitGone(t, st, 15*time.Second, st.Layout().QueueBucket(b1, b2))
}

// TestOldQueueBucketMadeAgainDeleted: a task re-queued with an old id (a
// retry, say) makes its long-gone bucket, first-level bucket too, anew; both
// are emptied at once by placement but kept for BucketGrace after they were
// made, and must still go after that, though nothing lists them again.
func TestOldQueueBucketMadeAgainDeleted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w1", 4, nil)
	runScheduler(t, st, "s1", func(c *Config) { c.BucketGrace = 2 * time.Second })
	old := ulid.MustNew(ulid.Timestamp(time.Now().Add(-time.Hour)), rand.Reader).String()
	submit(t, st, 1, func(_ int, task *store.Task) { task.ID = old })
	drovertest.WaitFor(t, 10*time.Second, "the task placed", func() bool { return len(w.assignments(t)) == 1 })
	b1, b2 := store.Bucket(old)
	for _, dir := range []string{st.Layout().QueueBucket(b1, b2), st.Layout().QueueBucket(b1, "")} {
		waitGone(t, st, 20*time.Second, dir)
	}
}

// TestPlacesWhilePruning: the leader places while a pass of result
// retention runs, however long the pass takes (one over a week's results
// reads hundreds of thousands of buckets). The pass here is held until the
// task is placed, which a leader pruning in its own loop never does.
func TestPlacesWhilePruning(t *testing.T) {
	release := make(chan struct{})
	held := make(chan struct{}, 1)
	testHookPrune = func() {
		select {
		case held <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
	}
	t.Cleanup(func() { testHookPrune = nil })
	defer close(release)
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w1", 1, nil)
	runScheduler(t, st, "s1")
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("no pass of result retention started")
	}
	submit(t, st, 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "the task placed while the pass is held", func() bool { return len(w.assignments(t)) == 1 })
}

// A result that comes long after its task was submitted is kept for the
// retention period from when it came, not pruned at once for its bucket's
// age; older buckets without one are pruned all the same.
func TestRetentionKeepsLateResults(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := time.Now()
	finish := func(submitted, at time.Time) string { return finished(t, st, submitted, at, store.StateSucceeded) }
	late := finish(now.Add(-72*time.Hour), now)
	onTime := finish(now.Add(-48*time.Hour), now.Add(-48*time.Hour))
	b1, b2 := store.Bucket(late)
	if _, stat, err := st.Exists(st.Layout().ResultBucket(b1, b2)); err != nil || stat.DataLength == 0 {
		t.Fatalf("a late result did not mark its bucket: %+v %v", stat, err)
	}
	b1, b2 = store.Bucket(onTime)
	if _, stat, err := st.Exists(st.Layout().ResultBucket(b1, b2)); err != nil || stat.DataLength != 0 {
		t.Fatalf("a result on time marked its bucket: %+v %v", stat, err)
	}
	runScheduler(t, st, "s1", dayOfHistory)
	exists := func(id string) bool {
		ok, _, err := st.Exists(st.Layout().Result(id))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	drovertest.WaitFor(t, 10*time.Second, "the old result on time pruned", func() bool { return !exists(onTime) })
	if !exists(late) {
		t.Fatal("a result that came just now was pruned for its submit time")
	}
}

// TestDeepQueueKeepsFewRecords: beyond maxKept the leader keeps only what
// ordering and matching need, and reads a queued record again to place it.
func TestDeepQueueKeepsFewRecords(t *testing.T) {
	defer func(n int) { maxKept = n }(maxKept)
	maxKept = 3
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 100, nil)
	ids := submit(t, st, 30, func(i int, task *store.Task) { task.Cmd = []string{"echo", fmt.Sprint(i)} })
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "every task placed", func() bool { return len(w.assignments(t)) == len(ids) })
	for i, id := range ids {
		data, _, err := st.Get(st.Layout().Assignment("w", id, 1))
		if err != nil {
			t.Fatal(err)
		}
		task, err := store.DecodeTask(data)
		if err != nil {
			t.Fatal(err)
		}
		if task.Cmd[1] != fmt.Sprint(i) || task.Reg != w.reg || task.Worker != "w" {
			t.Fatalf("assignment of task %d: %+v", i, task)
		}
	}
}

func queueManifests(t *testing.T, st *store.Store, id string) int {
	b1, b2 := store.Bucket(id)
	return drovertest.Manifests(t, st, st.Layout().QueueBucket(b1, b2))
}

// A submit leaves a manifest of its tasks for the leader. A copy in it that a
// re-queued item outlived (here: the task was queued again, attempt 2, before
// any leader ran) must not be placed; the item as it stands is.
func TestQueueManifestCopyOutlivedIsNotPlaced(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	ids := submit(t, st, 2, nil)
	if queueManifests(t, st, ids[0]) != 1 {
		t.Fatal("submit of two tasks wrote no queue manifest")
	}
	qa := st.Layout().QueueItem(ids[0])
	data, stat, err := st.Get(qa)
	if err != nil {
		t.Fatal(err)
	}
	a, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	a.Attempt, a.Cmd = 2, []string{"echo", "requeued"}
	txn := st.Txn().Delete(qa, stat.Version)
	if err := txn.Enqueue(a); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}

	w := registerWorker(t, root, "w1", 4, nil)
	runScheduler(t, st, "s1")
	want := map[string]bool{store.AssignmentName(ids[0], 2): true, store.AssignmentName(ids[1], 1): true}
	drovertest.WaitFor(t, 10*time.Second, "both placed", func() bool {
		got := w.assignments(t)
		return len(got) == 2 && want[got[0]] && want[got[1]]
	})
	data, _, err = st.Get(st.Layout().Assignment("w1", ids[0], 2))
	if err != nil {
		t.Fatal(err)
	}
	placed, err := store.DecodeTask(data)
	if err != nil || strings.Join(placed.Cmd, " ") != "echo requeued" {
		t.Fatalf("placed %+v (%v): want the re-queued record", placed, err)
	}
	drovertest.WaitFor(t, 5*time.Second, "queue manifest deleted", func() bool { return queueManifests(t, st, ids[0]) == 0 })
}

// Retention drops a task's idempotency key with its result, and no sooner: a
// key of a task that has not finished stays.
func TestRetentionDropsKeysWithResults(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	old := time.Now().Add(-48 * time.Hour)
	keyed := func(at time.Time, key string) *store.Task {
		task := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: key, SubmittedAt: at}
		if res, err := st.Submit(context.Background(), []*store.Task{task}); err != nil || res[0].Existing {
			t.Fatalf("submit %s: %+v %v", key, res, err)
		}
		return task
	}
	finished := keyed(old, "k-finished")
	pending := keyed(old.Add(time.Millisecond), "k-pending")
	recent := keyed(time.Now(), "k-recent")
	for _, task := range []*store.Task{finished, recent} {
		succeed(t, st, task)
	}
	exists := func(p string) bool {
		ok, _, err := st.Exists(p)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	key := func(k string) string { return lay.Key(store.KeyHash(k)) }
	if !exists(lay.KeyIndexItem(finished.ID)) {
		t.Fatal("a keyed submit wrote no key index entry")
	}
	runScheduler(t, st, "s1", dayOfHistory)
	drovertest.WaitFor(t, 10*time.Second, "key of the pruned result dropped", func() bool {
		return !exists(lay.Result(finished.ID)) && !exists(key("k-finished")) && !exists(lay.KeyIndexItem(finished.ID))
	})
	if !exists(key("k-pending")) || !exists(lay.KeyIndexItem(pending.ID)) || !exists(key("k-recent")) {
		t.Fatal("retention dropped a key whose task has not finished or is recent")
	}
	again := keyed(time.Now(), "k-finished")
	if again.ID == finished.ID {
		t.Fatal("the pruned key still names the old task")
	}
}

// succeed moves queued task to its result, succeeded, as a worker's report
// of a placed task would.
// finished writes, through st, the result of a task submitted at submitted
// that ended in state at at, and returns its id (of submitted's bucket).
func finished(t *testing.T, st *store.Store, submitted, at time.Time, state store.State) string {
	t.Helper()
	id := ulid.MustNew(ulid.Timestamp(submitted), rand.Reader).String()
	code := 0
	task := &store.Task{ID: id, Cmd: []string{"true"}, State: state, ExitCode: &code, SubmittedAt: submitted, FinishedAt: at}
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
		t.Fatal(err)
	}
	return id
}

func succeed(t *testing.T, st *store.Store, task *store.Task) {
	t.Helper()
	zero := 0
	done := task.Clone()
	done.State, done.ExitCode = store.StateSucceeded, &zero
	if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Delete(st.Layout().QueueItem(task.ID), -1)
		return txn.Finish(done)
	}); err != nil {
		t.Fatal(err)
	}
}

// A key record that does not decode is moved aside when retention prunes
// the result of the task whose key index entry names it. It stayed for ever,
// and every submit with its key failed ("key record ...: malformed record").
func TestRetentionMovesAsideAMalformedKey(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	task := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	succeed(t, st, task)
	key := lay.Key(store.KeyHash("k"))
	if _, err := st.Set(key, []byte("junk"), -1); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, st, "s1", dayOfHistory)
	waitGone(t, st, 10*time.Second, key)
	if kids, err := st.Children(lay.Deadletter()); err != nil || len(kids) != 1 {
		t.Fatalf("deadletter %v (%v), want the key record", kids, err)
	}
	again := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
	if res, err := st.Submit(context.Background(), []*store.Task{again}); err != nil || res[0].Existing {
		t.Fatalf("submit with the key again: %+v %v", res, err)
	}
}

// A key index entry that does not decode is moved aside when retention
// prunes its task's result; the key it should have named cannot be found
// from it, and stays. A submit with that key drops it (its task is gone)
// and writes its task. It returned the pruned task's id, for ever.
func TestSubmitDropsTheKeyOfATaskPrunedWithAMalformedEntry(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	task := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	succeed(t, st, task)
	entry := lay.KeyIndexItem(task.ID)
	if _, err := st.Set(entry, []byte("junk"), -1); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, st, "s1", dayOfHistory)
	waitGone(t, st, 10*time.Second, lay.Result(task.ID))
	if ok, _, err := st.Exists(entry); err != nil || ok {
		t.Fatalf("the malformed entry is still there (%v)", err)
	}
	again := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
	res, err := st.Submit(context.Background(), []*store.Task{again})
	if err != nil || res[0].Existing || res[0].ID != again.ID {
		t.Fatalf("submit with the key of a pruned task: %+v %v, want %s written", res, err, again.ID)
	}
	// The key names the new task now, and stands.
	third := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
	if res, err := st.Submit(context.Background(), []*store.Task{third}); err != nil || !res[0].Existing || res[0].ID != again.ID {
		t.Fatalf("submit with the key again: %+v %v, want %s", res, err, again.ID)
	}
}

// TestRetentionDropsKeyIndexBucketMadeAfterResultBucket: a keyed submit
// makes its key index bucket after the result bucket (made ahead by the
// leader, or by the same submit's first try), so a pass can find the result
// bucket old enough to delete and the key index bucket not yet (BucketGrace).
// The pass deleted the result bucket anyway, and since only a result bucket
// leads a pass to its key index bucket, that one, and its first-level
// bucket, stayed for good: in a soak whose results went by the count cap
// about a minute after they came, a few empty znodes every minute.
func TestRetentionDropsKeyIndexBucketMadeAfterResultBucket(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	task := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	b1, b2 := store.Bucket(task.ID)
	stat := func(p string) (bool, store.Stat) {
		ok, st, err := st.Exists(p)
		if err != nil {
			t.Fatal(err)
		}
		return ok, st
	}
	// The result bucket made ahead; the key index bucket by the submit, later.
	if err := st.EnsurePath(lay.ResultBucket(b1, b2)); err != nil {
		t.Fatal(err)
	}
	_, results := stat(lay.ResultBucket(b1, b2))
	drovertest.WaitFor(t, 10*time.Second, "a clock past the result bucket's creation", func() bool {
		return time.Since(results.Ctime) > 10*time.Millisecond
	})
	if res, err := st.Submit(context.Background(), []*store.Task{task}); err != nil || res[0].Existing {
		t.Fatalf("submit: %+v %v", res, err)
	}
	succeed(t, st, task)
	_, index := stat(lay.KeyIndexBucket(b1, b2))
	if !index.Ctime.After(results.Ctime) {
		t.Fatalf("key index bucket made at %v, not after the result bucket (%v)", index.Ctime, results.Ctime)
	}

	var clock atomic.Pointer[time.Time]
	set := func(t time.Time) { clock.Store(&t) }
	set(time.Now()) // as the term begins
	l, _, _ := termOf(t, st, func(c *Config) {
		dayOfHistory(c)
		c.Now = func() time.Time { return *clock.Load() }
	})
	// The first pass: the result bucket is BucketGrace old, the key index
	// bucket younger.
	set(results.Ctime.Add(l.s.cfg.BucketGrace))
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := stat(lay.Result(task.ID)); ok {
		t.Fatal("the first pass kept the old result")
	}
	// A later pass, when both are past BucketGrace.
	set(index.Ctime.Add(2 * l.s.cfg.BucketGrace))
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{lay.KeyIndexBucket(b1, b2), lay.KeyIndex() + "/" + b1, lay.ResultBucket(b1, b2)} {
		if ok, _ := stat(dir); ok {
			t.Errorf("%s left after the passes", dir)
		}
	}
}

// While tasks keep arriving, the leader makes the buckets of the next
// windows before their first task: a steady submitter at a few tasks a
// second no longer pays for a bucket every second. Each task submitted
// here is followed by the buckets of the window two on from its own, made
// before that window begins (the leader makes the next two from its own
// now, so a leader a second late still makes it); the next task is sent
// in the window after, as a steady submitter's would be. (It compared
// each bucket's ctime with a task's submit at a fixed pace, and a leader
// held up for a second on a loaded machine failed it.)
func TestBucketsMadeAheadWhileTasksArrive(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1") // no worker: the tasks stay queued, and so their buckets
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s.IsLeader)
	for round := range 3 {
		id := submit(t, st, 1, nil)[0]
		b1, b2 := store.Bucket(id)
		own := store.BucketEnd(b1, b2).Add(time.Millisecond) // the start of the window after the task's
		ahead := own.Add(store.BucketWindow)                 // two on
		a1, a2 := store.Bucket(store.IDAt(ahead))
		for _, dir := range []string{st.Layout().QueueBucket(a1, a2), st.Layout().ResultBucket(a1, a2)} {
			var stat store.Stat
			drovertest.WaitFor(t, 20*time.Second, "bucket "+dir+" made", func() bool {
				ok, found, err := st.Exists(dir)
				stat = found
				return err == nil && ok
			})
			if !stat.Ctime.Before(ahead) {
				t.Errorf("round %d: bucket %s made at %v, not before its window began at %v", round, dir, stat.Ctime, ahead)
			}
		}
		// The next task comes in the window after this one's.
		drovertest.WaitFor(t, 10*time.Second, "the next window", func() bool { return !time.Now().Before(own) })
	}
}

// TestRetentionReadsSettledBucketsOnce: a pass reads the buckets of a
// settled first-level result bucket again only when a bucket was made or
// removed under it, a late result marked it, its last read found a late
// result marked lately, or its count is countsStand old; in between it
// takes the count from the pass before. (Every pass read every bucket: a week of
// results every second is ~600,000.)
func TestRetentionReadsSettledBucketsOnce(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := time.Now()
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	finish := func(submitted, at time.Time) string { return finished(t, st, submitted, at, store.StateSucceeded) }
	// A minute before the end of a first-level bucket's window, so that 5 s
	// on is a new bucket under the same one.
	b1, _ := store.Bucket(ulid.MustNew(ulid.Timestamp(now.Add(-3*time.Hour)), rand.Reader).String())
	xAt := store.BucketEnd(b1, "").Add(-time.Minute)
	x := finish(xAt, xAt)
	y := finish(now.Add(-2*time.Hour), now.Add(-2*time.Hour))
	bx, _ := store.Bucket(x)
	by, _ := store.Bucket(y)
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t), ResultRetention: 24 * time.Hour,
		Now: func() time.Time { return *clock.Load() }, historyMadeNow: true})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Root}, 1)
	defer l.stop()
	var read []string
	testHookResultsRead = func(b1 string) { read = append(read, b1) }
	t.Cleanup(func() { testHookResultsRead = nil })
	pass := func(want ...string) {
		t.Helper()
		read = nil
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(read)
		slices.Sort(want)
		if !slices.Equal(read, want) {
			t.Fatalf("the pass read the buckets of %v, want %v", read, want)
		}
	}
	pass(bx, by)
	pass()
	// A late result in a new bucket under x's first-level bucket: read for
	// the new bucket, and again while its late mark is recent.
	if b1, _ := store.Bucket(finish(xAt.Add(5*time.Second), now)); b1 != bx {
		t.Fatalf("the third result went under %s, want %s", b1, bx)
	}
	pass(bx)
	pass(bx)
	// A late result in y's bucket marks y's first-level bucket too (a
	// backlog drained lands late, mostly in buckets that exist).
	finish(now.Add(-2*time.Hour), now)
	pass(bx, by)
	if n := l.resultCounts[by].count; n != 2 {
		t.Fatalf("count of %s: %d, want 2", by, n)
	}
	// Once the marks, stamped by ZooKeeper's clock, are settleAfter old, each
	// is read once more, and then no more until countsStand.
	var marked time.Time
	for _, b1 := range []string{bx, by} {
		_, stat, err := st.Exists(st.Layout().ResultBucket(b1, ""))
		if err != nil {
			t.Fatal(err)
		}
		if stat.Mtime.After(marked) {
			marked = stat.Mtime
		}
	}
	settled := now.Add(settleAfter + time.Second)
	if m := marked.Add(settleAfter + time.Second); m.After(settled) {
		settled = m
	}
	clock.Store(&settled)
	pass(bx, by)
	pass()
	later := settled.Add(countsStand)
	clock.Store(&later)
	pass(bx, by)
}

// TestResultCountsExpireSpread: counts read together expire over the half
// hour before countsStand, by bucket, so that those a takeover's first pass
// read do not all come due in one later pass. (The spread was once 4 s:
// found by helper-13's review.)
func TestResultCountsExpireSpread(t *testing.T) {
	read := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const n = 500
	standing := map[time.Duration]int{}
	for i := 0; i < n; i++ {
		b1, _ := store.Bucket(store.IDAt(read.Add(-time.Duration(i+2) * 1049 * time.Second)))
		c := resultCount{pzxid: 7, count: 1, read: read}
		for _, after := range []time.Duration{countsStand/2 - time.Second, 40 * time.Minute, 50 * time.Minute, countsStand} {
			if c.stands(store.Stat{Pzxid: 7}, b1, read.Add(after)) {
				standing[after]++
			}
		}
	}
	if standing[countsStand/2-time.Second] != n || standing[countsStand] != 0 {
		t.Fatalf("counts standing before half countsStand: %d of %d; at countsStand: %d", standing[countsStand/2-time.Second], n, standing[countsStand])
	}
	// Uniform over the half hour: 2/3 stand at 40 min, 1/3 at 50.
	if at40, at50 := standing[40*time.Minute], standing[50*time.Minute]; at40 < n/2 || at40 > 5*n/6 || at50 < n/6 || at50 > n/2 {
		t.Fatalf("of %d counts, %d stand at 40 minutes and %d at 50: not spread", n, at40, at50)
	}
}

// TestRetentionCountsARetry: a result removed by `drover retry` (the result
// deleted, the task queued again) under a settled first-level bucket does not
// leave its count too high: --max-results at the true count prunes nothing.
// (Found by helper-13's review: the count stood, and the pass pruned one of
// the results to keep.)
func TestRetentionCountsARetry(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := time.Now()
	var ids []string
	finish := func(at time.Time, state store.State) string {
		t.Helper()
		id := finished(t, st, at, at, state)
		ids = append(ids, id)
		return id
	}
	// Six results, one per first-level bucket, 3 to 8 hours old; the newest failed.
	for h := 8; h >= 4; h-- {
		finish(now.Add(-time.Duration(h)*time.Hour), store.StateSucceeded)
	}
	failed := finish(now.Add(-3*time.Hour), store.StateFailed)
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t), ResultRetention: 24 * time.Hour, MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Root}, 1)
	defer l.stop()
	if err := l.pruneResults(); err != nil { // reads and keeps the counts
		t.Fatal(err)
	}
	task, loc, err := st.LookupTask(failed)
	if err != nil {
		t.Fatal(err)
	}
	next := task.Clone()
	next.Attempt++
	next.ExitCode, next.FinishedAt = nil, time.Time{}
	if err := st.CommitCreatingBuckets([]string{failed}, func(txn *store.Txn) error {
		txn.Unfinish(failed, loc.Stat.Version)
		return txn.Enqueue(next)
	}); err != nil {
		t.Fatal(err)
	}
	s.cfg.MaxResults = 5 // five remain
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:5] {
		if _, _, err := st.Get(st.Layout().Result(id)); err != nil {
			t.Fatalf("result %s of 5 with --max-results 5: %v", id, err)
		}
	}
}

// deadletterFrom reports whether a deadletter record holds data moved
// aside from path.
func deadletterFrom(t *testing.T, st *store.Store, path string) bool {
	t.Helper()
	names, err := st.Children(st.Layout().Deadletter())
	if err != nil && !errors.Is(err, store.ErrNoNode) {
		t.Fatal(err)
	}
	for _, n := range names {
		data, _, err := st.Get(st.Layout().Deadletter() + "/" + n)
		if err != nil {
			continue
		}
		var d store.Deadletter
		if store.Decode(data, &d) == nil && d.From == path {
			return true
		}
	}
	return false
}

// A leader's queue and worker figures are partial until it has listed the
// workers and the queue: Stats says so (ViewReady), and the metrics leave
// them out meanwhile, as a standby's, rather than report an empty queue and
// no worker left for a moment at every election.
func TestStatsViewReadyOnlyOnceListed(t *testing.T) {
	root := drovertest.NewRoot()
	registerWorker(t, root, "w1", 1, nil)
	early := make(chan Stats, 1)
	testHookServe = func(s *Scheduler) {
		select {
		case early <- s.Stats():
		default:
		}
	}
	t.Cleanup(func() { testHookServe = nil })
	s, stop := runScheduler(t, drovertest.OpenStore(t, root), "a")
	if got := <-early; !got.Leader || got.ViewReady {
		t.Fatalf("before the view was listed: leader %v, view ready %v; want a leader whose view is not ready", got.Leader, got.ViewReady)
	}
	drovertest.WaitFor(t, 10*time.Second, "the view listed", func() bool {
		st := s.Stats()
		return st.ViewReady && st.Workers == 1
	})
	stop()
	if st := s.Stats(); st.Leader || st.ViewReady {
		t.Fatalf("after the term: leader %v, view ready %v", st.Leader, st.ViewReady)
	}
}

// The records the leader keeps are bounded by their bytes too: 20,000
// records of 6 KB held some 200 MB, and a million queued behind them took
// the scheduler past 512 MB (review124). Their count goes back to zero as
// they leave.
func TestKeptRecordsAreBoundedByBytes(t *testing.T) {
	defer func(n int) { maxKeptBytes = n }(maxKeptBytes)
	maxKeptBytes = 64 << 10
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Schedules()}, 1)
	t.Cleanup(l.stop)
	payload := make([]byte, 6000)
	var tasks []*store.Task
	for range 100 {
		task := &store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"true"}, Payload: payload, SubmittedAt: time.Now().UTC()}
		tasks = append(tasks, task)
		l.addQueued(task, 0)
	}
	if l.kept == 0 || l.kept >= 100 || l.keptBytes > maxKeptBytes {
		t.Fatalf("kept %d records of 6 KB, %d bytes: want some, within %d bytes", l.kept, l.keptBytes, maxKeptBytes)
	}
	for _, task := range tasks {
		l.unqueue(l.lookup(task.ID))
	}
	if l.kept != 0 || l.keptBytes != 0 {
		t.Fatalf("kept %d records, %d bytes, once none is queued", l.kept, l.keptBytes)
	}
}
