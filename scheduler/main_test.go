package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestMain(m *testing.M) { drovertest.Main(m) }

// runScheduler starts a scheduler and returns it with a stop function (also run
// at cleanup).
func runScheduler(t *testing.T, st *store.Store, id string, mods ...func(*Config)) (*Scheduler, func()) {
	t.Helper()
	cfg := Config{ID: id, Store: st, Log: drovertest.Logger(t)}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, drovertest.Run(t, "scheduler "+id, s.Run)
}

// fakeWorker registers a worker by hand so tests control exactly when work ends.
type fakeWorker struct {
	st  *store.Store
	id  string
	reg int64
}

func registerWorker(t *testing.T, root, id string, capacity int, labels map[string]string) *fakeWorker {
	t.Helper()
	return registerWorkerInfo(t, root, &store.WorkerInfo{ID: id, Host: "test", Capacity: capacity, Labels: labels, StartedAt: time.Now()})
}

// registerWorkerInfo registers a worker by hand with info, and makes its
// assignment directory, as a worker does.
func registerWorkerInfo(t *testing.T, root string, info *store.WorkerInfo) *fakeWorker {
	t.Helper()
	id := info.ID
	st := drovertest.OpenStore(t, root)
	data, err := store.Encode(info)
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

func (w *fakeWorker) assignments(t *testing.T) []string {
	t.Helper()
	kids, err := w.st.Children(w.st.Layout().WorkerTasks(w.id))
	if err != nil && !errors.Is(err, store.ErrNoNode) {
		t.Fatal(err)
	}
	// Manifests only copy assignments; this worker reads each assignment.
	names := kids[:0]
	for _, k := range kids {
		if !store.IsManifestName(k) {
			names = append(names, k)
		}
	}
	return names
}

// read reads the worker's assignment name: its path, record and version.
func (w *fakeWorker) read(t *testing.T, name string) (string, *store.Task, int32) {
	t.Helper()
	p := w.st.Layout().WorkerTasks(w.id) + "/" + name
	data, stat, err := w.st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	return p, task, stat.Version
}

// start marks an assignment running, as a worker does before it starts it.
func (w *fakeWorker) start(t *testing.T, name string) {
	t.Helper()
	p, task, version := w.read(t, name)
	task.State, task.StartedAt = store.StateRunning, time.Now().UTC()
	data, err := store.Encode(task)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.Txn().Set(p, data, version).Commit(); err != nil {
		t.Fatal(err)
	}
}

// finish reports an assignment as succeeded, as a worker would.
func (w *fakeWorker) finish(t *testing.T, name string) {
	t.Helper()
	p, task, version := w.read(t, name)
	zero := 0
	task.State, task.ExitCode, task.FinishedAt = store.StateSucceeded, &zero, time.Now()
	err := w.st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Delete(p, version)
		return txn.Finish(task)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitGone waits until znode path no longer exists.
func waitGone(t *testing.T, st *store.Store, d time.Duration, path string) {
	t.Helper()
	drovertest.WaitFor(t, d, path+" deleted", func() bool {
		ok, _, err := st.Exists(path)
		if err != nil {
			t.Fatal(err)
		}
		return !ok
	})
}

func submit(t testing.TB, st *store.Store, n int, mod func(i int, task *store.Task)) []string {
	t.Helper()
	tasks := make([]*store.Task, n)
	ids := make([]string, n)
	for i := range tasks {
		tasks[i] = &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
		if mod != nil {
			mod(i, tasks[i])
		}
		ids[i] = tasks[i].ID
	}
	if _, err := st.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	return ids
}
