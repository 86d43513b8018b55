package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// afterCluster is a root with worker w (direct link) and scheduler s1,
// leading, whose link to ZooKeeper goes through px with a 4 s session,
// so a test can freeze it at a request and let the session expire; st
// talks to ZooKeeper directly.
type afterCluster struct {
	root string
	st   *store.Store
	px   *drovertest.Proxy
	logs *lockedLog
	s1   *Scheduler
	w    *fakeWorker
}

func newAfterCluster(t *testing.T, capacity int) *afterCluster {
	t.Helper()
	c := &afterCluster{root: drovertest.NewRoot()}
	c.st = drovertest.OpenStore(t, c.root)
	c.px = drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreFor(t, c.px.Addr(), c.root, 4*time.Second)
	c.logs = shownOnFailure(t)
	c.w = registerWorker(t, c.root, "w", capacity, nil)
	c.s1, _ = runScheduler(t, lst, "s1", withLog(c.logs, "s1"))
	drovertest.WaitFor(t, 20*time.Second, "s1 leading with w in view", func() bool {
		s := c.s1.Stats()
		return s.Leader && s.ViewReady && s.Workers == 1
	})
	return c
}

// takeOver waits until s1's link froze (or drops replies: stopped says
// which), cuts it off until its session expired, and starts s2 on the
// direct link.
func (c *afterCluster) takeOver(t *testing.T, stopped func() bool) *Scheduler {
	t.Helper()
	drovertest.WaitFor(t, 20*time.Second, "s1's request sent into the fault", stopped)
	c.px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "s1's session expired (its election znode gone)", func() bool {
		line, err := c.st.Candidates()
		return err == nil && len(line) == 0
	})
	for _, line := range strings.Split(c.logs.String(), "\n") {
		if strings.Contains(line, `"who":"s1"`) && !strings.Contains(line, `"level":"debug"`) && !strings.Contains(line, `"level":"info"`) {
			t.Log("where s1 stopped: " + line) // which request the fault hit
		}
	}
	s2, _ := runScheduler(t, c.st, "s2", withLog(c.logs, "s2"))
	return s2
}

// reconnect lets s1 back, and waits until it stands by behind s2.
func (c *afterCluster) reconnect(t *testing.T) {
	t.Helper()
	c.px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "s1 back, standing by", func() bool {
		line, err := c.st.Candidates()
		return err == nil && len(line) == 2
	})
}

// placedTimes is how many assignments of task id w holds.
func (w *fakeWorker) placedTimes(t *testing.T, id string) int {
	t.Helper()
	n := 0
	for _, got := range w.placedIDs(t) {
		if got == id {
			n++
		}
	}
	return n
}

// wantEnded waits for task id's result and checks it is cancelled, never
// run, with error want.
func wantEnded(t *testing.T, st *store.Store, id, want string) {
	t.Helper()
	var res *store.Task
	drovertest.WaitFor(t, 20*time.Second, "task "+id+" ended", func() bool {
		res = result(t, st, id)
		return res != nil
	})
	if res.State != store.StateCancelled || res.Error != want || len(res.History) != 0 {
		t.Fatalf("task %s ended %s (%q) after %d attempts, want cancelled (%q), never run",
			id, res.State, res.Error, len(res.History), want)
	}
	if ok, _, err := st.Exists(st.Layout().QueueItem(id)); err != nil || ok {
		t.Fatalf("task %s ended, its queue item still there (%v, %v)", id, ok, err)
	}
}

// wantSucceededOnce checks task id's result: succeeded, its first attempt
// (a fakeWorker's finish keeps no history).
func wantSucceededOnce(t *testing.T, st *store.Store, id string) {
	t.Helper()
	res := result(t, st, id)
	if res == nil || res.State != store.StateSucceeded || res.Attempt != 1 {
		t.Fatalf("task %s: %+v, want succeeded, its first attempt", id, res)
	}
}

// Brief 1: the leader's link freezes once its dependency's result landed
// and the watch fired, as it reads the result (not yet handled), and stays
// frozen past its session. The new leader places the waiter once, and its
// own waiter in turn.
func TestReview217ResultLandedLeaderFrozen(t *testing.T) {
	c := newAfterCluster(t, 8)
	st, w := c.st, c.w
	a := submit(t, st, 1, nil)[0]
	b := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{a} })[0]
	cc := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{b} })[0]
	an := w.placedName(t, a)
	w.held(t, st, b)
	c.px.FreezeAt([]byte(st.Layout().Result(a)))
	w.finish(t, an)
	c.takeOver(t, c.px.Frozen)
	bn := w.placedName(t, b)
	if slices.Contains(w.placedIDs(t), cc) {
		t.Fatalf("task %s placed before %s, which it runs after, ended", cc, b)
	}
	c.reconnect(t)
	if n := w.placedTimes(t, b); n != 1 {
		t.Fatalf("task %s placed %d times", b, n)
	}
	w.finish(t, bn)
	w.finish(t, w.placedName(t, cc))
	wantSucceededOnce(t, st, b)
	wantSucceededOnce(t, st, cc)
}

// Brief 1: the waiter's placement in flight as the leader's link freezes:
// the transaction never applied (lost), or applied with its reply lost.
// Either way the new leader leaves it placed once.
func TestReview217ReleasedPlacementInFlight(t *testing.T) {
	for _, applied := range []bool{false, true} {
		t.Run(fmt.Sprintf("applied=%v", applied), func(t *testing.T) {
			c := newAfterCluster(t, 8)
			st, w := c.st, c.w
			a := submit(t, st, 1, nil)[0]
			b := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{a} })[0]
			an := w.placedName(t, a)
			w.held(t, st, b)
			stopped := c.px.Frozen
			if applied {
				c.px.DropRepliesAfter([]byte(b))
				stopped = c.px.Dropping
			} else {
				c.px.FreezeAt([]byte(b))
			}
			w.finish(t, an)
			c.takeOver(t, stopped)
			if applied {
				if n := w.placedTimes(t, b); n != 1 {
					t.Fatalf("s1's placement of %s, reply lost: placed %d times, want it applied once", b, n)
				}
			}
			bn := w.placedName(t, b)
			c.reconnect(t)
			marker := submit(t, st, 1, nil)[0] // a pass of s2 since
			w.finish(t, w.placedName(t, marker))
			if n := w.placedTimes(t, b); n != 1 {
				t.Fatalf("task %s placed %d times", b, n)
			}
			w.finish(t, bn)
			wantSucceededOnce(t, st, b)
		})
	}
}

// Brief 1: the end of a waiter whose dependency failed in flight as the
// leader's link freezes (lost, or applied with its reply lost): it ends
// once, and its own waiter after it.
func TestReview217DependentsEndInFlight(t *testing.T) {
	for _, applied := range []bool{false, true} {
		t.Run(fmt.Sprintf("applied=%v", applied), func(t *testing.T) {
			c := newAfterCluster(t, 8)
			st, w := c.st, c.w
			a := submit(t, st, 1, nil)[0]
			b := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{a} })[0]
			cc := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{b} })[0]
			an := w.placedName(t, a)
			w.held(t, st, b)
			stopped := c.px.Frozen
			if applied {
				c.px.DropRepliesAfter([]byte(b))
				stopped = c.px.Dropping
			} else {
				c.px.FreezeAt([]byte(b))
			}
			w.endAs(t, an, store.StateFailed)
			c.takeOver(t, stopped)
			if applied {
				if res := result(t, st, b); res == nil {
					t.Fatalf("s1's end of %s, reply lost: not applied", b)
				}
			}
			wantEnded(t, st, b, store.DependencyFailed(a, "ended failed"))
			wantEnded(t, st, cc, store.DependencyFailed(b, "ended cancelled"))
			c.reconnect(t)
			marker := submit(t, st, 1, nil)[0]
			w.finish(t, w.placedName(t, marker))
			if ids := w.placedIDs(t); slices.Contains(ids, b) || slices.Contains(ids, cc) {
				t.Fatalf("placed %v: a task whose dependency failed was placed", ids)
			}
			wantEnded(t, st, b, store.DependencyFailed(a, "ended failed"))
			if n := c.logs.count(`"task_id":"`+b+`"`, "did not succeed; cancelled"); n > 1 {
				t.Fatalf("task %s ended %d times by the logs", b, n)
			}
		})
	}
}

// Brief 2: a dependency's result pruned by retention between leaders
// (its waiters held): the new leader ends them "not found", not held.
func TestReview217DependencyPrunedBeforeTakeover(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 8, nil)
	_, stop := runScheduler(t, drovertest.OpenStore(t, root), "s1")
	a := submit(t, st, 1, nil)[0]
	b := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{a} })[0]
	cc := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{b} })[0]
	an := w.placedName(t, a)
	w.held(t, st, b)
	stop()
	w.finish(t, an)
	later := time.Now().Add(48 * time.Hour)
	l, fence, stopL := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later)
	})
	for range 2 {
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
	}
	stopL()
	if err := st.Delete(fence, -1); err != nil { // the pass's term over
		t.Fatal(err)
	}
	if ok, _, err := st.Exists(st.Layout().Result(a)); err != nil || ok {
		t.Fatalf("%s's result not pruned (%v, %v)", a, ok, err)
	}
	runScheduler(t, drovertest.OpenStore(t, root), "s2")
	wantEnded(t, st, b, store.DependencyFailed(a, "not found (its result pruned, or moved aside)"))
	wantEnded(t, st, cc, store.DependencyFailed(b, "ended cancelled"))
}

// Brief 4: 5,000 tasks after one running task; the leader's link freezes
// past its session; the task finishes; the new leader places all 5,000,
// once each.
func TestReview217FanOutThroughATakeover(t *testing.T) {
	const n = 5000
	c := newAfterCluster(t, n+8)
	st, w := c.st, c.w
	a := submit(t, st, 1, nil)[0]
	an := w.placedName(t, a)
	var waiters []string
	for len(waiters) < n {
		waiters = append(waiters, submit(t, st, 500, func(_ int, task *store.Task) { task.After = []string{a} })...)
	}
	drovertest.WaitFor(t, 30*time.Second, "5,000 held", func() bool { return c.s1.Stats().Held == n })
	c.px.Freeze()
	c.px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "s1's session expired", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})
	w.finish(t, an)
	start := time.Now()
	s2, _ := runScheduler(t, st, "s2", withLog(c.logs, "s2"))
	var viewAt time.Duration
	drovertest.WaitFor(t, 60*time.Second, "all 5,000 placed", func() bool {
		if viewAt == 0 && s2.Stats().ViewReady {
			viewAt = time.Since(start)
		}
		return len(w.placedIDs(t)) == n
	})
	t.Logf("s2: view ready %v, all %d placed %v after it started", viewAt, n, time.Since(start))
	got := map[string]int{}
	for _, id := range w.placedIDs(t) {
		got[id]++
	}
	for _, id := range waiters {
		if got[id] != 1 {
			t.Fatalf("waiter %s placed %d times", id, got[id])
		}
	}
	for _, line := range strings.Split(c.logs.String(), "\n") {
		if strings.Contains(line, `"who":"s2"`) && strings.Contains(line, "view rebuilt") {
			t.Log(line)
		}
	}
}

// Brief 4, failed: 5,000 tasks after one running task; the leader's link
// freezes past its session; the task fails; the new leader ends all
// 5,000 cancelled, once each, none placed.
func TestReview217FanOutFailedThroughATakeover(t *testing.T) {
	const n = 5000
	c := newAfterCluster(t, 8)
	st, w := c.st, c.w
	a := submit(t, st, 1, nil)[0]
	an := w.placedName(t, a)
	var waiters []string
	for len(waiters) < n {
		waiters = append(waiters, submit(t, st, 500, func(_ int, task *store.Task) { task.After = []string{a} })...)
	}
	drovertest.WaitFor(t, 30*time.Second, "5,000 held", func() bool { return c.s1.Stats().Held == n })
	c.px.Freeze()
	c.px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "s1's session expired", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})
	w.endAs(t, an, store.StateFailed)
	start := time.Now()
	s2, _ := runScheduler(t, st, "s2", withLog(c.logs, "s2"))
	drovertest.WaitFor(t, 60*time.Second, "all 5,000 ended", func() bool {
		s := s2.Stats()
		return s.ViewReady && s.Held == 0 && c.logs.count(`"who":"s2"`, "did not succeed; cancelled") == n
	})
	t.Logf("s2: all %d ended %v after it started", n, time.Since(start))
	want := store.DependencyFailed(a, "ended failed")
	for _, id := range waiters {
		if res := result(t, st, id); res == nil || res.State != store.StateCancelled || res.Error != want {
			t.Fatalf("waiter %s: %+v, want cancelled (%q)", id, res, want)
		}
	}
	if ids := w.placedIDs(t); len(ids) != 0 {
		t.Fatalf("placed %d tasks after a failed one", len(ids))
	}
}
