package scheduler

import (
	"context"
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
	st := drovertest.OpenStore(t, root)
	data, err := store.Encode(&store.WorkerInfo{ID: id, Host: "test", Capacity: capacity, Allow: allow, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	stat, _, err := st.CreateEphemeral(context.Background(), st.Layout().Worker(id), data)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsurePath(st.Layout().WorkerTasks(id)); err != nil {
		t.Fatal(err)
	}
	return &fakeWorker{st: st, id: id, reg: stat.Czxid}
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
	drovertest.WaitFor(t, 60*time.Second, "backlog in the leader's view", func() bool {
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
