package scheduler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// onFirstDispatch has act run as the first placement's transaction begins
// (testHookDispatch), the placement waiting for it; done closes after it.
// Set before the scheduler starts, unset after it stops.
func onFirstDispatch(t *testing.T, act func()) (done <-chan struct{}) {
	t.Helper()
	var first atomic.Bool
	ch := make(chan struct{})
	testHookDispatch = func() {
		if first.Swap(true) {
			return
		}
		defer close(ch)
		act()
	}
	t.Cleanup(func() { testHookDispatch = nil })
	return ch
}

// waitIn is drovertest.WaitFor for a goroutine other than the test's: it
// reports a timeout with t.Errorf and returns false.
func waitIn(t *testing.T, d time.Duration, what string, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("timed out after %v waiting for %s", d, what)
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// A worker that leaves while a placement on it is in flight: the leader has
// recovered its directory, so the placement's transaction fails; the task
// is read again from its queue item and placed on another worker, once, as
// attempt 1 (no attempt of it ran).
func TestWorkerLeavingMidPlacementTaskPlacedElsewhereOnce(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	doomed := registerWorker(t, root, "doomed", 1, nil)
	hooked := onFirstDispatch(t, func() {
		doomed.st.Close() // its registration goes with its session
		// Only the leader deletes the directory, once the worker has left
		// its view.
		waitIn(t, 10*time.Second, "doomed's directory recovered", func() bool {
			ok, _, err := st.Exists(st.Layout().WorkerTasks("doomed"))
			return err == nil && !ok
		})
	})
	s, _ := runScheduler(t, st, "s1")
	ids := submit(t, st, 1, nil)
	<-hooked
	spare := registerWorker(t, root, "spare", 1, nil)
	first := store.AssignmentName(ids[0], 1)
	drovertest.WaitFor(t, 15*time.Second, "placed on spare", func() bool { return len(spare.assignments(t)) > 0 })
	if got := spare.assignments(t); len(got) != 1 || got[0] != first {
		t.Fatalf("spare has %v, want %s alone", got, first)
	}
	if a := assignment(t, st, "spare", ids[0], 1); len(a.History) != 0 {
		t.Fatalf("history %+v: no attempt ran", a.History)
	}
	if ok, _, err := st.Exists(st.Layout().WorkerTasks("doomed")); err != nil || ok {
		t.Fatalf("doomed's directory is back (%v)", err)
	}
	if q := drovertest.QueuedIDs(t, st); len(q) != 0 {
		t.Fatalf("still queued: %v", q)
	}
	if n := s.Stats().Placed; n != 1 {
		t.Fatalf("%d placements, want 1", n)
	}
	if s.Epoch() != 1 {
		t.Fatalf("epoch %d: the term ended", s.Epoch())
	}
}

// A worker that registers anew (a new session, the same id) while a
// placement on it is in flight: the placement lands under the earlier
// registration, which nothing runs; the leader looks at the directory again
// (revisit), ends that attempt unstarted and places attempt 2 on the new
// registration, once.
func TestWorkerRegisteringAnewMidPlacementAttemptRecoveredOnce(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	old := registerWorker(t, root, "w", 1, nil)
	logs := &logLines{}
	var fresh atomic.Pointer[fakeWorker]
	joined := func() int {
		n := 0
		logs.find("worker joined", func(m map[string]any) bool {
			if m["worker_id"] == "w" {
				n++
			}
			return false
		})
		return n
	}
	hooked := onFirstDispatch(t, func() {
		old.st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ws, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: root, SessionTimeout: drovertest.SessionTimeout})
		if err != nil {
			t.Error(err)
			return
		}
		t.Cleanup(ws.Close)
		data, err := store.Encode(&store.WorkerInfo{ID: "w", Host: "test", Capacity: 1, StartedAt: time.Now()})
		if err != nil {
			t.Error(err)
			return
		}
		// The earlier registration goes as its session closes.
		if !waitIn(t, 10*time.Second, "the earlier registration gone", func() bool {
			ok, _, err := ws.Exists(ws.Layout().Worker("w"))
			return err == nil && !ok
		}) {
			return
		}
		stat, _, err := ws.CreateEphemeral(ctx, ws.Layout().Worker("w"), data)
		if err != nil {
			t.Error(err)
			return
		}
		if err := ws.EnsurePath(ws.Layout().WorkerTasks("w")); err != nil {
			t.Error(err)
			return
		}
		fresh.Store(&fakeWorker{st: ws, id: "w", reg: stat.Czxid})
		// The leader's view has the new registration before the
		// placement goes on.
		waitIn(t, 10*time.Second, "the leader sees the new registration", func() bool { return joined() == 2 })
	})
	s, _ := runScheduler(t, st, "s1", func(c *Config) { c.Log = zerolog.New(logs).With().Timestamp().Logger() })
	ids := submit(t, st, 1, func(_ int, task *store.Task) { task.Retries = 0 })
	<-hooked
	w := fresh.Load()
	if w == nil {
		t.FailNow()
	}
	second := store.AssignmentName(ids[0], 2)
	drovertest.WaitFor(t, 15*time.Second, "attempt 2 on the new registration", func() bool {
		got := w.assignments(t)
		return len(got) == 1 && got[0] == second
	})
	a := assignment(t, st, "w", ids[0], 2)
	if a.Reg != w.reg {
		t.Fatalf("attempt 2 under registration %d, want the new one, %d", a.Reg, w.reg)
	}
	if len(a.History) != 1 || !a.History[0].Unstarted || a.History[0].Worker != "w" || a.History[0].N != 1 {
		t.Fatalf("history %+v: want attempt 1, never started on w", a.History)
	}
	if q := drovertest.QueuedIDs(t, st); len(q) != 0 {
		t.Fatalf("still queued: %v", q)
	}
	if n := s.Stats().Placed; n != 2 {
		t.Fatalf("%d placements, want 2 (attempt 1 under the old registration, 2 under the new)", n)
	}
	if s.Epoch() != 1 {
		t.Fatalf("epoch %d: the term ended", s.Epoch())
	}
}
