package worker

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// startScheduler runs a scheduler on its own session until cleanup or stop.
func startScheduler(t *testing.T, root, id string) (*scheduler.Scheduler, *store.Store, func()) {
	t.Helper()
	st := drovertest.OpenStore(t, root)
	s, err := scheduler.New(scheduler.Config{ID: id, Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return s, st, drovertest.Run(t, "scheduler "+id, s.Run)
}

func submitCmd(t *testing.T, st *store.Store, n int, mod func(*store.Task)) []string {
	t.Helper()
	tasks := make([]*store.Task, n)
	ids := make([]string, n)
	for i := range tasks {
		tasks[i] = &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
		if mod != nil {
			mod(tasks[i])
		}
		ids[i] = tasks[i].ID
	}
	if _, err := st.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestEndToEnd(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	startWorker(t, root, "w1", nil)
	startWorker(t, root, "w2", nil)
	st := drovertest.OpenStore(t, root)
	ids := submitCmd(t, st, 50, func(task *store.Task) { task.Cmd = []string{"echo", "hello"} })
	workers := map[string]int{}
	for _, id := range ids {
		got := result(t, st, id)
		if got.State != store.StateSucceeded || got.Stdout != "hello\n" {
			t.Fatalf("task %s: %+v", id, got)
		}
		workers[got.Worker]++
	}
	if len(workers) != 2 {
		t.Errorf("work not spread: %v", workers)
	}
	// Nothing is left behind under tasks/ or in the queue.
	assigned, err := st.Assignments()
	if err != nil || len(assigned) != 0 {
		t.Fatalf("assignments left: %v %v", assigned, err)
	}
}

func TestRetryRunsAgainAfterBackoff(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	startWorker(t, root, "w1", nil)
	st := drovertest.OpenStore(t, root)
	dir := t.TempDir()
	// Fails on the first attempt, succeeds on the second.
	ids := submitCmd(t, st, 1, func(task *store.Task) {
		task.Shell, task.Retries = true, 2
		task.Cmd = []string{`[ "$DROVER_ATTEMPT" = 2 ] || exit 7; touch ` + dir + `/ok`}
	})
	got := result(t, st, ids[0])
	if got.State != store.StateSucceeded || got.Attempt != 2 || len(got.History) != 2 || got.History[0].ExitCode != 7 {
		t.Fatalf("result %+v", got)
	}
}

func TestLeaderFailoverFinishesQueue(t *testing.T) {
	root := drovertest.NewRoot()
	s1, _, _ := startScheduler(t, root, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
	s2, _, _ := startScheduler(t, root, "s2")
	startWorker(t, root, "w1", nil)
	st := drovertest.OpenStore(t, root)
	first := submitCmd(t, st, 20, nil)
	for _, id := range first {
		result(t, st, id)
	}
	// Depose the leader without letting it resign, as a session expiry would (a
	// real kill -9 of a scheduler process is covered in cmd/drover's tests).
	deposeLeader(t, root, "s1")
	drovertest.WaitFor(t, 15*time.Second, "s2 leads", s2.IsLeader)
	for _, id := range submitCmd(t, st, 20, nil) {
		if got := result(t, st, id); got.State != store.StateSucceeded {
			t.Fatalf("after failover: %+v", got)
		}
	}
}

func TestWorkerCrashRunsAttemptElsewhere(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	doomed, doomedStore, stopDoomed := startWorker(t, root, "doomed", nil)
	st := drovertest.OpenStore(t, root)
	ids := submitCmd(t, st, 1, func(task *store.Task) {
		task.Shell = true
		task.Cmd = []string{`[ "$DROVER_WORKER_ID" = spare ] || exec sleep 30`}
	})
	drovertest.WaitFor(t, 10*time.Second, "running on doomed", func() bool { return doomed.Running() == 1 })
	stopDoomed()
	doomedStore.Close()
	startWorker(t, root, "spare", nil)
	got := result(t, st, ids[0])
	if got.State != store.StateSucceeded || got.Worker != "spare" || got.Attempt != 2 || !got.History[0].Lost {
		t.Fatalf("result %+v", got)
	}
}

// deposeLeader deletes a scheduler's election znode from outside, which is what
// ZooKeeper does when the scheduler's session expires.
func deposeLeader(t *testing.T, root, id string) {
	t.Helper()
	st := drovertest.OpenStore(t, root)
	line, err := st.Candidates()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range line {
		if c.Info.ID == id {
			if err := st.Delete(st.Layout().Election()+"/"+c.Node, -1); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("scheduler %s not in the election", id)
}

// A handler's task with a NUL byte in an env value, queued by a client of
// 1ade078..45fd24a (a client refuses it since), runs after an upgrade and
// its handler is given the value: only a command's process cannot take
// one (store's validRun keeps the NUL rule to command tasks; DecodeTask,
// which reads a queued task, has none).
func TestHandlerTaskWithNULInEnvRuns(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	st := drovertest.OpenStore(t, root)
	runHandler(t, root, 0, "env", HandlerFunc(func(_ context.Context, task *Task) ([]byte, error) {
		return []byte(strconv.Quote(task.Env["SEP"])), nil
	}))
	id := submitCmd(t, st, 1, func(task *store.Task) {
		task.Cmd, task.Handler, task.Env = nil, "env", map[string]string{"SEP": "a\x00b"}
	})[0]
	if got := result(t, st, id); got.State != store.StateSucceeded || got.Stdout != `"a\x00b"` {
		t.Fatalf("a queued handler task with a NUL byte in its env: %s, stdout %q, error %q", got.State, got.Stdout, got.Error)
	}
}

func TestGoHandlers(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	// A worker without the handler must never get its tasks.
	plain, _, _ := startWorker(t, root, "plain", nil)
	st := drovertest.OpenStore(t, root)
	runHandler(t, root, 0, "upper", HandlerFunc(func(_ context.Context, task *Task) ([]byte, error) {
		switch string(task.Payload) {
		case "fail":
			return nil, errors.New("refused")
		case "panic":
			panic("boom")
		}
		return bytes.ToUpper(task.Payload), nil
	}))
	submitH := func(payload string) *store.Task {
		id := ulid.Make().String()
		task := &store.Task{ID: id, Handler: "upper", Payload: []byte(payload), SubmittedAt: time.Now().UTC()}
		if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
			t.Fatal(err)
		}
		return result(t, st, id)
	}
	if got := submitH("hello"); got.State != store.StateSucceeded || got.Stdout != "HELLO" || got.Worker != "go" {
		t.Fatalf("result %+v", got)
	}
	if got := submitH("fail"); got.State != store.StateFailed || got.Error != "refused" || *got.ExitCode != 1 {
		t.Fatalf("result %+v", got)
	}
	if got := submitH("panic"); got.State != store.StateFailed || !strings.Contains(got.Error, "panicked: boom") {
		t.Fatalf("result %+v", got)
	}
	if plain.Reported() != 0 {
		t.Fatalf("a worker without the handler ran %d of its tasks", plain.Reported())
	}
}

// TestCapacityHoldsUnderChurn runs many instant tasks through small workers:
// the leader counts each worker's load from listings made off its event loop
// and ordered against its placements by zxid, so it must neither place more
// than a worker's capacity nor lose track of a slot (which would stall).
func TestCapacityHoldsUnderChurn(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	const capacity, n = 3, 600
	var done atomic.Int64
	peaks := map[string]*atomic.Int32{}
	for _, id := range []string{"a", "b"} {
		w, err := New(Config{ID: id, Commands: true, Store: openExtra(t, root), Capacity: capacity, Log: drovertest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		var running, peak atomic.Int32
		peaks[id] = &peak
		_ = w.Handle("count", HandlerFunc(func(context.Context, *Task) ([]byte, error) {
			now := running.Add(1)
			for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
			}
			running.Add(-1)
			done.Add(1)
			return nil, nil
		}))
		runWorker(t, w)
	}
	st := drovertest.OpenStore(t, root)
	tasks := make([]*store.Task, n)
	for i := range tasks {
		tasks[i] = &store.Task{ID: ulid.Make().String(), Handler: "count", SubmittedAt: time.Now().UTC()}
	}
	if _, err := st.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 60*time.Second, "every task to run", func() bool { return done.Load() >= n })
	for id, peak := range peaks {
		if p := peak.Load(); p > capacity {
			t.Fatalf("worker %s ran %d attempts at once; its capacity is %d", id, p, capacity)
		}
	}
	for _, task := range tasks {
		if got := result(t, st, task.ID); got.State != store.StateSucceeded || len(got.History) != 1 {
			t.Fatalf("task %s: %+v", task.ID, got)
		}
	}
}

// TestCommandsGoWhereTheyMayRun: the leader places a command only on
// workers that take commands and whose allow-list may admit its program;
// before, a handler-only worker ran them and a restricted one failed them.
func TestCommandsGoWhereTheyMayRun(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	handlers := runHandler(t, root, 16, "noop", noop)
	strict, _, _ := startWorker(t, root, "strict", func(c *Config) { c.Allow, c.Capacity = []string{"sh"}, 16 })
	startWorker(t, root, "plain", nil)
	st := drovertest.OpenStore(t, root)
	plain := submitCmd(t, st, 30, nil) // true: only plain may run it
	shell := submitCmd(t, st, 10, func(task *store.Task) { task.Cmd, task.Shell = []string{"exit 0"}, true })
	for _, id := range plain {
		if got := result(t, st, id); got.State != store.StateSucceeded || got.Worker != "plain" {
			t.Fatalf("true ran on %s: %s %s", got.Worker, got.State, got.Error)
		}
	}
	for _, id := range shell {
		if got := result(t, st, id); got.State != store.StateSucceeded || got.Worker == "go" {
			t.Fatalf("a shell task ran on %s: %s %s", got.Worker, got.State, got.Error)
		}
	}
	if handlers.Reported() != 0 {
		t.Fatalf("the handler-only worker ran %d commands", handlers.Reported())
	}
	t.Logf("the restricted worker ran %d shell tasks", strict.Reported())
	idle, err := New(Config{ID: "idle", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := idle.Run(context.Background()); err == nil {
		t.Fatal("a worker with no commands and no handlers ran")
	}
}

// TestHandlerWorkerRefusesACommand: placed by a leader that did not know
// (an older version), a command on a handler-only worker fails as refused.
func TestHandlerWorkerRefusesACommand(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := runHandler(t, root, 0, "noop", noop)
	task := &store.Task{Cmd: []string{"true"}}
	assign(t, st, w, task)
	if got := result(t, st, task.ID); got.State != store.StateFailed || *got.ExitCode != 126 || !strings.Contains(got.Error, "runs no commands") {
		t.Fatalf("a command on a handler-only worker: %+v", got)
	}
}

// TestRetriedFailedTaskThatFailsAgainStaysFailed: README ("Task
// semantics") says `failed` means the command failed and the task had no
// retries, `dead` that its retries were used up. A task submitted with
// --retries 0 fails (exit 3): failed. `drover retry` gives it one more
// attempt, which fails the same way. It was submitted with no retries and
// used none, yet it ended `dead`: client.Retry wrote Retries = Failures()
// (1) into the record, and the worker's report called any end of a task
// whose Retries was not 0 dead; `status -o json` showed "retries": 1 for a
// task submitted with 0. A retry now sets RetryLimit and leaves Retries as
// submitted. (Found by review.)
func TestRetriedFailedTaskThatFailsAgainStaysFailed(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	startWorker(t, root, "w1", nil)
	st := drovertest.OpenStore(t, root)
	c := client.New(drovertest.OpenStore(t, root))
	res, err := c.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"sh", "-c", "exit 3"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	if got := result(t, st, id); got.State != store.StateFailed {
		t.Fatalf("first run: %s, want failed (no retries)", got.State)
	}
	if _, err := c.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	got := result(t, st, id)
	if got.Attempt != 2 {
		t.Fatalf("after retry: attempt %d, want 2", got.Attempt)
	}
	if got.State != store.StateFailed || got.Retries != 0 {
		t.Fatalf("a --retries 0 task retried once that failed again ends %s with retries %d in its record; want failed and 0 (README: failed = the command failed and the task had no retries)",
			got.State, got.Retries)
	}
}
