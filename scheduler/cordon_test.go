package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A cordoned worker gets no new work from any leader, the next one after a
// failover too, and gets it again once the cordon is lifted; a task only
// it may run waits for that.
func TestCordonedWorkerGetsNoNewWorkAcrossFailover(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	if _, err := st.CordonWorker("a", store.Cordon{Note: "maintenance"}); err != nil {
		t.Fatal(err)
	}
	a := registerWorker(t, root, "a", 8, map[string]string{"on": "a"})
	b := registerWorker(t, root, "b", 8, map[string]string{"on": "b"})
	onA := submit(t, st, 1, func(_ int, task *store.Task) { task.On = map[string]string{"on": "a"} })[0]
	submit(t, st, 3, nil)

	s1, stop1 := runScheduler(t, drovertest.OpenStore(t, root), "s1")
	drovertest.WaitFor(t, 15*time.Second, "3 tasks on b", func() bool { return len(b.assignments(t)) == 3 })
	// The task for a came first, and was passed over in the passes that
	// placed the others.
	if got := a.assignments(t); len(got) != 0 {
		t.Fatalf("cordoned worker a was given %v", got)
	}
	// Counted once each placement's reply is in, after the assignments show.
	drovertest.WaitFor(t, 10*time.Second, "3 placements counted", func() bool { return s1.Stats().Placed == 3 })
	if st := s1.Stats(); st.Cordons != 1 || st.Placed != 3 {
		t.Fatalf("leader's stats: %d cordons, %d placed; want 1 and 3", st.Cordons, st.Placed)
	}

	stop1()
	s2, _ := runScheduler(t, drovertest.OpenStore(t, root), "s2")
	submit(t, st, 2, nil)
	drovertest.WaitFor(t, 15*time.Second, "5 tasks on b", func() bool { return len(b.assignments(t)) == 5 })
	if got := a.assignments(t); len(got) != 0 {
		t.Fatalf("the next leader gave cordoned worker a %v", got)
	}
	if n := s2.Stats().Cordons; n != 1 {
		t.Fatalf("the next leader counts %d cordons, want 1", n)
	}

	if was, err := st.UncordonWorker("a"); err != nil || !was {
		t.Fatalf("UncordonWorker = %v, %v", was, err)
	}
	drovertest.WaitFor(t, 15*time.Second, "the task for a placed on it", func() bool {
		got := a.assignments(t)
		return len(got) == 1 && strings.HasPrefix(got[0], onA)
	})
	drovertest.WaitFor(t, 5*time.Second, "the leader's cordon count 0", func() bool { return s2.Stats().Cordons == 0 })
}

// A cordon set while a worker is registered applies at once; lifted, the
// worker's own draining mark still holds it back.
func TestCordonAppliesToARegisteredWorkerAndKeepsItsDrain(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	a := registerWorker(t, root, "a", 4, nil)
	runScheduler(t, drovertest.OpenStore(t, root), "s1")
	submit(t, st, 1, nil)
	drovertest.WaitFor(t, 15*time.Second, "a probe on a", func() bool { return len(a.assignments(t)) == 1 })

	if _, err := st.CordonWorker("a", store.Cordon{}); err != nil {
		t.Fatal(err)
	}
	// A worker that joins after the cordon takes what comes next: once it
	// has a task, the leader has seen the cordon (its watch fired before
	// the later registration's, on one connection, in order).
	c := registerWorker(t, root, "c", 4, nil)
	submit(t, st, 2, nil)
	drovertest.WaitFor(t, 15*time.Second, "2 tasks on c", func() bool { return len(c.assignments(t)) == 2 })
	if got := a.assignments(t); len(got) != 1 {
		t.Fatalf("cordoned worker a holds %v, want its probe alone", got)
	}

	// a marks itself draining, as a worker asked to stop does; the cordon
	// lifted, it is still given nothing.
	data, stat, err := a.st.Get(a.st.Layout().Worker("a"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := store.DecodeWorker(data)
	if err != nil {
		t.Fatal(err)
	}
	info.Draining = true
	if data, err = store.Encode(info); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.Set(a.st.Layout().Worker("a"), data, stat.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UncordonWorker("a"); err != nil {
		t.Fatal(err)
	}
	// The cordon lifted and the drain seen before c's next tasks: both
	// changes are written before them, and the leader reads its watches'
	// events in order.
	c.finish(t, c.assignments(t)[0])
	submit(t, st, 2, nil)
	drovertest.WaitFor(t, 15*time.Second, "the 2 tasks placed", func() bool { return len(drovertest.QueuedIDs(t, st)) == 0 })
	if got := a.assignments(t); len(got) != 1 {
		t.Fatalf("draining worker a, uncordoned, holds %v, want its probe alone (c holds %v)", got, c.assignments(t))
	}
}

func TestApplyCordon(t *testing.T) {
	for _, tc := range []struct{ draining, cordoned, want bool }{
		{false, false, false}, {true, false, true}, {false, true, true}, {true, true, true},
	} {
		w := newWorkerView(1)
		w.draining = tc.draining
		w.applyCordon(tc.cordoned)
		if w.Draining != tc.want {
			t.Errorf("draining %v, cordoned %v: slot.Draining %v, want %v", tc.draining, tc.cordoned, w.Draining, tc.want)
		}
	}
}
