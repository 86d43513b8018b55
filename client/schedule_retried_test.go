package client

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// holdingWorker registers worker id by hand (capacity 4): what the leader
// places on it stays there until the test ends or fails it.
func holdingWorker(t *testing.T, root, id string) *store.Store {
	t.Helper()
	wst := drovertest.OpenStore(t, root)
	info, err := store.Encode(&store.WorkerInfo{ID: id, Host: "test", Capacity: 4, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := wst.CreateEphemeral(context.Background(), wst.Layout().Worker(id), info); err != nil {
		t.Fatal(err)
	}
	if err := wst.EnsurePath(wst.Layout().WorkerTasks(id)); err != nil {
		t.Fatal(err)
	}
	return wst
}

// held lists the assignments on worker w (task id -> assignment name).
func held(t *testing.T, st *store.Store, w string) map[string]string {
	t.Helper()
	kids, err := st.Children(st.Layout().WorkerTasks(w))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range kids {
		if store.IsManifestName(k) {
			continue
		}
		id, _, _ := strings.Cut(k, ".")
		out[id] = k
	}
	return out
}

// endAssignment reports assignment name on w as a worker does: failed with
// exit 1 (no retries) or succeeded.
func endAssignment(t *testing.T, st *store.Store, w, name string, ok bool) {
	t.Helper()
	p := st.Layout().WorkerTasks(w) + "/" + name
	data, stat, err := st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	code, state := 1, store.StateFailed
	if ok {
		code, state = 0, store.StateSucceeded
	}
	now := time.Now().UTC()
	task.AddAttempt(store.Attempt{N: task.Attempt, Worker: w, StartedAt: now, FinishedAt: now, ExitCode: code})
	task.State, task.ExitCode, task.FinishedAt = state, &code, now
	if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Delete(p, stat.Version)
		return txn.Finish(task)
	}); err != nil {
		t.Fatal(err)
	}
}

// A run of a forbid schedule that failed, was filed as failed by the next
// firing, and was then queued again with `drover retry` runs again as the
// schedule's run, yet the schedule no longer tracks it: once the run after
// it ends, the next slot fires beside the retried one (forbid runs two at
// once; replace, likewise, never cancels it), and the history keeps the
// retried run as failed after it has succeeded.
func TestRetriedRunOfAForbidScheduleIsStillItsRun(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := New(st)
	holdingWorker(t, root, "w")
	runLeader(t, root)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "tick", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	var a string
	drovertest.WaitFor(t, 10*time.Second, "the first run placed", func() bool {
		for id := range held(t, st, "w") {
			a = id
			return true
		}
		return false
	})
	endAssignment(t, st, "w", held(t, st, "w")[a], false)
	// The next slot files A as failed and fires B.
	var b string
	drovertest.WaitFor(t, 10*time.Second, "A filed as failed and B fired", func() bool {
		rec, _, err := c.readSchedule("tick")
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Active) == 1 && rec.Active[0].Task != a &&
			slices.ContainsFunc(rec.Failed, func(r store.ScheduleRun) bool { return r.Task == a }) {
			b = rec.Active[0].Task
			return true
		}
		return false
	})
	drovertest.WaitFor(t, 10*time.Second, "B placed", func() bool { _, ok := held(t, st, "w")[b]; return ok })

	// The operator retries A while B runs: A is a run of the schedule again.
	if _, err := c.Retry(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the retried A placed", func() bool { _, ok := held(t, st, "w")[a]; return ok })
	endAssignment(t, st, "w", held(t, st, "w")[b], true)

	// B has ended, A (retried) still runs: the next slots must be skipped.
	before := time.Now()
	var rec *store.Schedule
	drovertest.WaitFor(t, 10*time.Second, "a later slot handled", func() bool {
		var err error
		if rec, _, err = c.readSchedule("tick"); err != nil {
			t.Fatal(err)
		}
		return rec.LastSlot.After(before.Add(2 * time.Second))
	})
	if rec.Fired > 2 {
		running := held(t, st, "w")
		t.Errorf("forbid fired %d runs: a slot fired while the retried run %s still runs (assignments %v, active %v)",
			rec.Fired, a, running, rec.Active)
	}

	// A succeeds on its retry; the history keeps it as failed.
	endAssignment(t, st, "w", held(t, st, "w")[a], true)
	info, err := c.Schedule(context.Background(), "tick")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(info.Succeeded, func(r store.ScheduleRun) bool { return r.Task == a }) {
		t.Errorf("the retried run %s succeeded, but the history does not say so: failed %v, succeeded %v",
			a, info.Failed, info.Succeeded)
	}
}
