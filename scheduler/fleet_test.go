package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// spreadID is the id of the i-th task of a backlog submitted ten seconds
// ago, 10,000 a second: one time bucket holds at most 16,384 ids.
func spreadID(i int) string {
	at := time.Now().Add(-10*time.Second + time.Duration(i)*100*time.Microsecond)
	return ulid.MustNew(ulid.Timestamp(at), ulid.DefaultEntropy()).String()
}

// registerAllowWorker registers a worker by hand, as registerWorker does,
// with an allow-list.
func registerAllowWorker(t *testing.T, root, id string, capacity int, allow []string) *fakeWorker {
	t.Helper()
	return registerWorkerInfo(t, root, &store.WorkerInfo{ID: id, Host: "test", Capacity: capacity, Allow: allow, StartedAt: time.Now()})
}

// A backlog of commands waiting for a label no worker has costs a placement
// pass one try per shape (ARCHITECTURE, "The leader's view"). That must
// stay so when some idle worker of the fleet has an --allow list: the
// labels already rule every task of the shape out, whatever its program.
// Today any free worker with an allow-list makes place() pop and push back
// every command of every shape, on every event, so a backlog of 40,000
// gpu tasks slows each placement on the rest of the fleet by the whole
// backlog's heap work.
func TestIdleAllowListWorkerDoesNotMakePassesScanTheBacklog(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	plain := registerWorker(t, root, "plain", 1, nil)

	const backlog = 40000
	submit(t, st, backlog, func(i int, task *store.Task) {
		task.ID = spreadID(i)
		task.On = map[string]string{"gpu": "true"}
	})
	// Submitting the backlog and listing it into the view took 36 s under
	// -race on a loaded 2-core machine: the deadline leaves room for a
	// slower one (it costs nothing when the view is ready sooner).
	drovertest.WaitFor(t, 3*time.Minute, "backlog in the leader's view", func() bool {
		return s.Stats().Queued["normal"] >= backlog
	})

	// roundTrips pushes n tasks one after another through the plain
	// worker: submit, wait for the assignment, finish it.
	roundTrips := func(n int) time.Duration {
		start := time.Now()
		for range n {
			id := submit(t, st, 1, nil)[0]
			var name string
			drovertest.WaitFor(t, 60*time.Second, "task on plain", func() bool {
				for _, a := range plain.assignments(t) {
					if strings.HasPrefix(a, id) {
						name = a
						return true
					}
				}
				return false
			})
			plain.finish(t, name)
			waitGone(t, st, 60*time.Second, st.Layout().WorkerTasks("plain")+"/"+name)
		}
		return time.Since(start)
	}
	const n = 10
	before := roundTrips(n)

	// An idle worker that runs only ok-* programs joins; one ok task shows
	// it is in the view, and it keeps a free slot.
	allow := registerAllowWorker(t, root, "allow", 2, []string{"ok-*"})
	ok := submit(t, st, 1, func(_ int, task *store.Task) { task.Cmd = []string{"ok-1"} })[0]
	drovertest.WaitFor(t, 60*time.Second, "ok task on the allow-list worker", func() bool {
		got := allow.assignments(t)
		return len(got) == 1 && strings.HasPrefix(got[0], ok)
	})
	after := roundTrips(n)
	t.Logf("%d round trips through plain with %d gpu tasks queued: %v without, %v with an idle allow-list worker", n, backlog, before, after)
	if after > 3*before+time.Second {
		t.Fatalf("an idle allow-list worker slowed placement on the rest of the fleet from %v to %v for %d tasks: each pass tries every queued command", before, after, n)
	}
}

// failMissing reports an assignment as a failed attempt (exit 127: the program is
// missing on this host), queuing the retry after backoff when the task has
// retries left, as a worker's report does.
func (w *fakeWorker) failMissing(t *testing.T, name string, backoff time.Duration) {
	t.Helper()
	p, task, version := w.read(t, name)
	now := time.Now().UTC()
	code := 127
	done := task.Clone()
	done.AddAttempt(store.Attempt{N: task.Attempt, Worker: w.id, StartedAt: now, FinishedAt: now, ExitCode: code, Error: "exec: not found"})
	done.ExitCode, done.FinishedAt = &code, now
	var next *store.Task
	if done.ShouldRetry() {
		next = done.Clone()
		next.Attempt++
		next.NotBefore = now.Add(backoff)
		next.ExitCode, next.FinishedAt = nil, time.Time{}
	} else {
		done.State = done.FailedState()
	}
	err := w.st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Delete(p, version)
		if next != nil {
			return txn.Enqueue(next)
		}
		return txn.Finish(done)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A worker that fails every attempt at once (a black hole: the program is
// missing on that host only) is always the least loaded worker, so the
// leader prefers it for every placement, retries included: a task's
// --retries are all spent on it while a healthy worker with its labels
// has a free slot the whole time, and the task ends dead. Nothing in the
// README or docs/FAILURES.md says retries may all land on the worker that
// just failed them.
func TestRetriesAreNotAllSpentOnABlackHoleWorker(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	good := registerWorker(t, root, "good", 2, nil)
	// Two long tasks fill good until the hole is in the leader's view.
	long := submit(t, st, 2, nil)
	drovertest.WaitFor(t, 20*time.Second, "long tasks on good", func() bool { return len(good.assignments(t)) == 2 })
	// The hole has capacity 4: one attempt still counted there (a report
	// the leader has not listed yet) leaves it at 1/4, below good's 1/2.
	hole := registerWorker(t, root, "hole", 4, nil)
	probe := submit(t, st, 1, nil)[0]
	drovertest.WaitFor(t, 20*time.Second, "probe task on the hole", func() bool {
		got := hole.assignments(t)
		return len(got) == 1 && strings.HasPrefix(got[0], probe)
	})
	hole.finish(t, hole.assignments(t)[0])
	// One long task ends: good keeps one slot of two free from now on.
	first := store.AssignmentName(long[0], 1)
	good.finish(t, first)
	waitGone(t, st, 20*time.Second, st.Layout().WorkerTasks("good")+"/"+first)

	id := submit(t, st, 1, func(_ int, task *store.Task) { task.Retries = 2 })[0]
	var onHole int
	for {
		var where string
		drovertest.WaitFor(t, 20*time.Second, "an attempt of the task placed, or its result", func() bool {
			for _, a := range hole.assignments(t) {
				if strings.HasPrefix(a, id) {
					where = a
					return true
				}
			}
			for _, a := range good.assignments(t) {
				if strings.HasPrefix(a, id) {
					where = "good"
					return true
				}
			}
			ok, _, err := st.Exists(st.Layout().Result(id))
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				where = "result"
			}
			return ok
		})
		switch where {
		case "good":
			t.Logf("attempt %d placed on the healthy worker after %d failures on the black hole", onHole+1, onHole)
			return
		case "result":
			data, _, err := st.Get(st.Layout().Result(id))
			if err != nil {
				t.Fatal(err)
			}
			task, err := store.DecodeTask(data)
			if err != nil {
				t.Fatal(err)
			}
			t.Fatalf("task ended %s after %d attempts, every one on the black-hole worker, while worker good had a free slot throughout (%d assigned of 2)",
				task.State, onHole, len(good.assignments(t)))
		default:
			onHole++
			hole.failMissing(t, where, 300*time.Millisecond)
			waitGone(t, st, 20*time.Second, st.Layout().WorkerTasks("hole")+"/"+where)
		}
	}
}
