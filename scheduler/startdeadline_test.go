package scheduler

import (
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// README: "--starting-deadline D: never start a slot more than D after its
// time". The deadline is only weighed when the leader fires the slot: a slot
// task enqueued on time waits in the queue while no worker can take it (all
// busy, none with its labels, none up), and starts whenever one comes, however
// long after its slot. A job migrated with "do not run it if it cannot start
// within D" runs late all the same.
func TestSlotTaskDoesNotStartPastItsStartingDeadline(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	const deadline = time.Second
	// forbid: one slot's task is queued, the later slots are skipped beside it.
	addSchedule(t, st, &store.Schedule{Name: "late", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		StartingDeadline: store.MillisOf(deadline)})
	drovertest.WaitFor(t, 10*time.Second, "a slot fired", func() bool { return readSchedule(t, st, "late").Fired >= 1 })
	run := readSchedule(t, st, "late").Active[0]
	// No worker until the deadline has long passed.
	drovertest.WaitFor(t, 10*time.Second, "3 s past the slot", func() bool { return time.Since(run.Slot) > 3*deadline })
	w := registerWorker(t, root, "w", 1, nil)
	var placed []string
	drovertest.WaitFor(t, 10*time.Second, "the slot's task placed or ended", func() bool {
		placed = w.assignments(t)
		ok, _, err := st.Exists(st.Layout().Result(run.Task))
		if err != nil {
			t.Fatal(err)
		}
		return len(placed) > 0 || ok
	})
	for _, name := range placed {
		if id, _, err := store.ParseAssignmentName(name); err == nil && id == run.Task {
			t.Fatalf("slot %v's task %s started %v after its slot, past its starting deadline of %v",
				run.Slot.Format(time.RFC3339), run.Task, time.Since(run.Slot).Round(100*time.Millisecond), deadline)
		}
	}
}

// result reads task id's result, or nil while it has none.
func result(t *testing.T, st *store.Store, id string) *store.Task {
	t.Helper()
	data, _, err := st.Get(st.Layout().Result(id))
	if errors.Is(err, store.ErrNoNode) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// checkUnstarted fails unless res is the result of a task the leader ended
// at its StartBy: cancelled, with its error, after its StartBy and not
// long after (the leader's clock is this host's).
func checkUnstarted(t *testing.T, res *store.Task) {
	t.Helper()
	if res.State != store.StateCancelled || res.Error != store.NotStartedInTime || len(res.History) != 0 {
		t.Fatalf("task %s ended %s (%q) after %d attempts, want cancelled (%q), never run",
			res.ID, res.State, res.Error, len(res.History), store.NotStartedInTime)
	}
	if late := res.FinishedAt.Sub(res.StartBy); late < 0 || late > 3*time.Second {
		t.Fatalf("task %s ended %v after its StartBy %v, want at it", res.ID, late, res.StartBy)
	}
}

// A slot's task whose labels no worker has, while a worker is up and free,
// ends at its starting deadline: no placement pass meets it, so the leader
// must not wait for one. The schedule's history files the run as missed.
// Beside it, a task queued past its StartBy is ended though a worker is
// free for it, and one whose attempt is not its first (a retry) is placed:
// StartBy binds only a first attempt.
func TestSlotTaskNoWorkerMatchesEndsAtItsStartingDeadline(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 4, nil)
	runScheduler(t, st, "s1")
	const deadline = time.Second
	addSchedule(t, st, &store.Schedule{Name: "gpu", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		StartingDeadline: store.MillisOf(deadline), Task: store.Task{Cmd: []string{"true"}, On: map[string]string{"gpu": "1"}}})
	drovertest.WaitFor(t, 10*time.Second, "a slot fired", func() bool { return readSchedule(t, st, "gpu").Fired >= 1 })
	run := readSchedule(t, st, "gpu").Active[0]
	var res *store.Task
	drovertest.WaitFor(t, 10*time.Second, "the slot's task ended", func() bool {
		res = result(t, st, run.Task)
		return res != nil
	})
	checkUnstarted(t, res)
	if want := run.Slot.Add(deadline); !res.StartBy.Equal(want) {
		t.Fatalf("start_by %v, want the slot %v plus the deadline", res.StartBy, run.Slot)
	}
	drovertest.WaitFor(t, 10*time.Second, "the run filed as missed", func() bool {
		for _, r := range readSchedule(t, st, "gpu").Skipped {
			if r.Task == run.Task {
				if r.Reason != missedStartBy || r.State != "" {
					t.Fatalf("run of slot %v filed as %q (%q), want %q", r.Slot, r.State, r.Reason, missedStartBy)
				}
				return true
			}
		}
		return false
	})

	past := time.Now().Add(-time.Minute).UTC()
	ids := submit(t, st, 2, func(i int, task *store.Task) {
		task.StartBy, task.Attempt = past, 1+i
	})
	drovertest.WaitFor(t, 10*time.Second, "the first attempt ended", func() bool {
		res = result(t, st, ids[0])
		return res != nil
	})
	if res.State != store.StateCancelled || res.Error != store.NotStartedInTime {
		t.Fatalf("first attempt past its StartBy ended %s (%q)", res.State, res.Error)
	}
	drovertest.WaitFor(t, 10*time.Second, "the second attempt placed", func() bool {
		for _, name := range w.assignments(t) {
			if id, n, err := store.ParseAssignmentName(name); err == nil && id == ids[1] && n == 2 {
				return true
			}
		}
		return false
	})
	for _, name := range w.assignments(t) {
		if id, _, _ := store.ParseAssignmentName(name); id == ids[0] || id == run.Task {
			t.Fatalf("%s placed past its StartBy", name)
		}
	}
}

// A task queued under one leader is ended at its StartBy by the next: the
// new leader's view, rebuilt, holds its StartBy though it keeps no record
// (maxKept 0: read again when it is ended).
func TestStartByEndsTaskAfterLeaderTakeover(t *testing.T) {
	kept := maxKept
	maxKept = 0
	t.Cleanup(func() { maxKept = kept })
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s1, stop1 := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
	startBy := time.Now().Add(4 * time.Second).UTC()
	id := submit(t, st, 1, func(_ int, task *store.Task) { task.StartBy = startBy })[0]
	drovertest.WaitFor(t, 10*time.Second, "s1 holds the task", func() bool { return s1.Stats().Queued["normal"] == 1 })
	s2, _ := runScheduler(t, drovertest.OpenStore(t, root), "s2")
	stop1()
	drovertest.WaitFor(t, 10*time.Second, "s2 leads", s2.IsLeader)
	if time.Now().After(startBy) {
		t.Fatalf("s2 took over past the task's StartBy: the test proves nothing")
	}
	var res *store.Task
	drovertest.WaitFor(t, 10*time.Second, "the task ended", func() bool {
		res = result(t, st, id)
		return res != nil
	})
	checkUnstarted(t, res)
}
