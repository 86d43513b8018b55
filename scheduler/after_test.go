package scheduler

import (
	"slices"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// endAs reports an assignment as ended in state, as a worker would.
func (w *fakeWorker) endAs(t *testing.T, name string, state store.State) {
	t.Helper()
	p, task, version := w.read(t, name)
	code := 0
	if state != store.StateSucceeded {
		code = 1
	}
	task.State, task.ExitCode, task.FinishedAt = state, &code, time.Now()
	err := w.st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Delete(p, version)
		return txn.Finish(task)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// placedName waits until task id is placed on w and returns its
// assignment's name.
func (w *fakeWorker) placedName(t *testing.T, id string) string {
	t.Helper()
	var name string
	drovertest.WaitFor(t, 10*time.Second, "task "+id+" placed on "+w.id, func() bool {
		for _, n := range w.assignments(t) {
			if got, _, err := store.ParseAssignmentName(n); err == nil && got == id {
				name = n
				return true
			}
		}
		return false
	})
	return name
}

// placedIDs is the tasks placed on w.
func (w *fakeWorker) placedIDs(t *testing.T) []string {
	t.Helper()
	var ids []string
	for _, n := range w.assignments(t) {
		if id, _, err := store.ParseAssignmentName(n); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// held checks that task id is not placed on w once a task submitted after
// it, with nothing to wait for, has been: the leader took it in and held it.
func (w *fakeWorker) held(t *testing.T, st *store.Store, id string) {
	t.Helper()
	marker := submit(t, st, 1, nil)[0]
	w.finish(t, w.placedName(t, marker))
	if slices.Contains(w.placedIDs(t), id) {
		t.Fatalf("task %s placed before the tasks it runs after succeeded", id)
	}
	if res := result(t, st, id); res != nil {
		t.Fatalf("task %s ended %s (%q) while it waits", id, res.State, res.Error)
	}
}

// README: "--after ID: start it only once these tasks have succeeded". A
// task waiting for two is held while either has not succeeded, and placed
// once both have; one waiting for a task that succeeded before it was
// submitted is placed at once.
func TestTaskAfterWaitsUntilItsDependenciesSucceeded(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 8, nil)
	s1, _ := runScheduler(t, st, "s1")
	deps := submit(t, st, 2, nil)
	b := submit(t, st, 1, func(_ int, task *store.Task) { task.After = slices.Sorted(slices.Values(deps)) })[0]
	a0, a1 := w.placedName(t, deps[0]), w.placedName(t, deps[1])
	w.held(t, st, b)
	w.finish(t, a0)
	w.held(t, st, b)
	drovertest.WaitFor(t, 5*time.Second, "drover_queue_held 1", func() bool { return s1.Stats().Held == 1 })
	w.finish(t, a1)
	w.finish(t, w.placedName(t, b))
	drovertest.WaitFor(t, 5*time.Second, "drover_queue_held 0", func() bool { return s1.Stats().Held == 0 })
	if res := result(t, st, b); res == nil || res.State != store.StateSucceeded {
		t.Fatalf("task %s after its dependencies: %+v, want succeeded", b, res)
	}
	// Its dependencies long done: placed at once.
	c := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{b} })[0]
	w.placedName(t, c)
}

// A task whose dependency ended other than succeeded ends cancelled before
// any attempt, with the dependency named in its error; so does one waiting
// for it in turn, and one waiting for a task found nowhere.
func TestTaskAfterAFailedDependencyEndsCancelled(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 8, nil)
	runScheduler(t, st, "s1")
	a := submit(t, st, 1, nil)[0]
	b := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{a} })[0]
	c := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{b} })[0]
	nowhere := ulid.Make().String()
	d := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{nowhere} })[0]
	w.held(t, st, b)
	w.endAs(t, w.placedName(t, a), store.StateFailed)
	for id, want := range map[string]string{
		b: store.DependencyFailed(a, "ended failed"),
		c: store.DependencyFailed(b, "ended cancelled"),
		d: store.DependencyFailed(nowhere, "not found (its result pruned, or moved aside)"),
	} {
		var res *store.Task
		drovertest.WaitFor(t, 10*time.Second, "task "+id+" ended", func() bool {
			res = result(t, st, id)
			return res != nil
		})
		if res.State != store.StateCancelled || res.Error != want || len(res.History) != 0 {
			t.Fatalf("task %s ended %s (%q) after %d attempts, want cancelled (%q), never run",
				id, res.State, res.Error, len(res.History), want)
		}
	}
	if ids := w.placedIDs(t); slices.Contains(ids, b) || slices.Contains(ids, c) || slices.Contains(ids, d) {
		t.Fatalf("placed %v: a task whose dependency failed was placed", ids)
	}
}

// A held task stays held across a takeover, and the new leader places it
// once its dependency succeeds; a starting deadline still binds it.
func TestTaskAfterHeldAcrossATakeover(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 8, nil)
	_, stop := runScheduler(t, drovertest.OpenStore(t, root), "s1")
	a := submit(t, st, 1, nil)[0]
	b := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{a} })[0]
	past := time.Now().Add(-time.Minute).UTC()
	late := submit(t, st, 1, func(_ int, task *store.Task) { task.After, task.StartBy = []string{a}, past })[0]
	name := w.placedName(t, a)
	w.held(t, st, b)
	drovertest.WaitFor(t, 10*time.Second, "the late task ended", func() bool { return result(t, st, late) != nil })
	if res := result(t, st, late); res.State != store.StateCancelled || res.Error != store.NotStartedInTime {
		t.Fatalf("held task past its starting deadline ended %s (%q), want cancelled (%q)", res.State, res.Error, store.NotStartedInTime)
	}
	stop()
	runScheduler(t, drovertest.OpenStore(t, root), "s2")
	w.held(t, st, b)
	w.finish(t, name)
	w.placedName(t, b)
}
