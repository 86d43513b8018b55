package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestRunsAndReportsSuccess(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	task := &store.Task{Cmd: []string{`echo hello; echo "$DROVER_TASK_ID $DROVER_ATTEMPT $DROVER_WORKER_ID $GREETING"; echo oops >&2`},
		Shell: true, Env: map[string]string{"GREETING": "hi"}}
	path := assign(t, st, w, task)
	got := result(t, st, task.ID)
	if got.State != store.StateSucceeded || got.ExitCode == nil || *got.ExitCode != 0 {
		t.Fatalf("result %+v", got)
	}
	want := "hello\n" + task.ID + " 1 w1 hi\n"
	if got.Stdout != want || got.Stderr != "oops\n" {
		t.Fatalf("stdout %q stderr %q; want %q", got.Stdout, got.Stderr, want)
	}
	if len(got.History) != 1 || got.History[0].Worker != "w1" || got.History[0].StartedAt.IsZero() {
		t.Fatalf("history %+v", got.History)
	}
	drovertest.WaitFor(t, 5*time.Second, "assignment removed", func() bool { return !exists(t, st, path) })
}

func TestArgvIsNotAShell(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	task := &store.Task{Cmd: []string{"echo", "$HOME", "a;b"}}
	assign(t, st, w, task)
	if got := result(t, st, task.ID); got.Stdout != "$HOME a;b\n" {
		t.Fatalf("stdout %q: argv must reach the program untouched", got.Stdout)
	}
}

func TestFailureRetriesThenDies(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	task := &store.Task{Cmd: []string{"sh", "-c", "exit 3"}, Retries: 1}
	assign(t, st, w, task)
	// The failed first attempt goes back to the queue as attempt 2, after a backoff.
	var queued *store.Task
	drovertest.WaitFor(t, 10*time.Second, "attempt 2 queued", func() bool {
		data, _, err := st.Get(st.Layout().QueueItem(task.ID))
		if err != nil {
			return false
		}
		queued, err = store.DecodeTask(data)
		return err == nil
	})
	if queued.Attempt != 2 || queued.NotBefore.IsZero() || len(queued.History) != 1 || queued.History[0].ExitCode != 3 {
		t.Fatalf("queued retry %+v", queued)
	}
	// Play the leader: place attempt 2; it fails too and the task is dead.
	if err := st.Delete(st.Layout().QueueItem(task.ID), -1); err != nil {
		t.Fatal(err)
	}
	queued.Reg = w.Reg()
	assign(t, st, w, queued)
	got := result(t, st, task.ID)
	if got.State != store.StateDead || *got.ExitCode != 3 || len(got.History) != 2 {
		t.Fatalf("result %+v", got)
	}
}

func TestFailureWithoutRetriesFails(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	task := &store.Task{Cmd: []string{"/nonexistent/program"}}
	assign(t, st, w, task)
	got := result(t, st, task.ID)
	if got.State != store.StateFailed || *got.ExitCode != 127 || !strings.HasPrefix(got.Error, "start:") {
		t.Fatalf("result %+v", got)
	}
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	task := &store.Task{Cmd: []string{`sleep 30 & echo $! > pidfile; sleep 30; wait`}, Shell: true,
		Timeout: store.MillisOf(time.Second)}
	dir := t.TempDir()
	task.Cmd[0] = strings.Replace(task.Cmd[0], "pidfile", dir+"/child.pid", 1)
	assign(t, st, w, task)
	got := result(t, st, task.ID)
	if got.State != store.StateFailed || *got.ExitCode != -1 || !strings.Contains(got.Error, "timeout") {
		t.Fatalf("result %+v", got)
	}
	assertGone(t, dir+"/child.pid")
}

// assertGone checks the pid written to file no longer runs.
func assertGone(t *testing.T, file string) {
	t.Helper()
	pid := readPid(t, file)
	drovertest.WaitFor(t, 5*time.Second, "background child killed", func() bool {
		return syscall.Kill(pid, 0) != nil
	})
}

func TestIgnoresAssignmentOfEarlierRegistration(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	task := &store.Task{Cmd: []string{"true"}, Reg: w.Reg() - 1}
	path := assign(t, st, w, task)
	// A later, valid assignment runs; the stale one is still untouched after it.
	ok := &store.Task{Cmd: []string{"true"}}
	assign(t, st, w, ok)
	result(t, st, ok.ID)
	data, _, err := st.Get(path)
	if err != nil {
		t.Fatalf("stale assignment: %v", err)
	}
	stale, err := store.DecodeTask(data)
	if err != nil || stale.State != store.StateAssigned {
		t.Fatalf("stale assignment was touched: %+v %v", stale, err)
	}
}

func TestWithdrawnAssignmentIsKilledAndNotReported(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	dir := t.TempDir()
	task := &store.Task{Cmd: []string{`echo $$ > ` + dir + `/child.pid; exec sleep 30`}, Shell: true}
	path := assign(t, st, w, task)
	readPid(t, dir+"/child.pid")
	if err := st.Delete(path, -1); err != nil {
		t.Fatal(err)
	}
	assertGone(t, dir+"/child.pid")
	drovertest.WaitFor(t, 5*time.Second, "attempt over", func() bool { return w.Running() == 0 })
	if exists(t, st, st.Layout().Result(task.ID)) || exists(t, st, st.Layout().QueueItem(task.ID)) {
		t.Fatal("a withdrawn attempt was reported")
	}
}

func TestStaleReportIsRejected(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	dir := t.TempDir()
	// The attempt ignores SIGKILL of nothing: it is replaced (not deleted) while
	// it runs, so the worker sees no withdrawal and must be stopped by the fence.
	task := &store.Task{Cmd: []string{`while [ ! -e ` + dir + `/go ]; do sleep 0.02; done`}, Shell: true}
	path := assign(t, st, w, task)
	drovertest.WaitFor(t, 10*time.Second, "running", func() bool {
		data, _, err := st.Get(path)
		if err != nil {
			return false
		}
		cur, err := store.DecodeTask(data)
		return err == nil && cur.State == store.StateRunning
	})
	// The leader rewrites the assignment (as after a takeover that re-placed it):
	// the version the worker holds is no longer current.
	data, _, _ := st.Get(path)
	if _, err := st.Set(path, data, -1); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir+"/go", nil); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 5*time.Second, "attempt over", func() bool { return w.Running() == 0 })
	if exists(t, st, st.Layout().Result(task.ID)) {
		t.Fatal("a report for a replaced assignment landed")
	}
	if !exists(t, st, path) {
		t.Fatal("the replaced assignment was deleted by a stale report")
	}
}

// Malformed data in the worker's directory, an assignment or a manifest, is
// moved to deadletter, and the worker goes on working.
func TestMalformedAssignmentIsQuarantined(t *testing.T) {
	for _, c := range []struct{ what, name, data string }{
		{"garbage", "garbage", "\x00not json"},
		{"a bad manifest", store.ManifestName("x"), `{"v":1,"tasks":[{"v":1}]}`},
	} {
		t.Run(c.what, func(t *testing.T) {
			root := drovertest.NewRoot()
			w, st, _ := startWorker(t, root, "w1", nil)
			bad := st.Layout().WorkerTasks("w1") + "/" + c.name
			if err := st.Create(bad, []byte(c.data)); err != nil {
				t.Fatal(err)
			}
			drovertest.WaitFor(t, 10*time.Second, c.what+" moved to deadletter", func() bool {
				kids, err := st.Children(st.Layout().Deadletter())
				return err == nil && len(kids) == 1 && !exists(t, st, bad)
			})
			task := &store.Task{Cmd: []string{"true"}}
			assign(t, st, w, task)
			if got := result(t, st, task.ID); got.State != store.StateSucceeded {
				t.Fatalf("worker stopped working after %s: %+v", c.what, got)
			}
		})
	}
}

// An assignment with a znode under it (put there by hand: Drover keeps
// none) is reported, and what is under it moved aside. ZooKeeper refused
// the report's delete: the task stayed running for ever, holding a slot.
func TestAssignmentWithAZnodeUnderItIsReported(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	dir := t.TempDir()
	task := &store.Task{Cmd: []string{"until [ -e " + dir + "/go ]; do sleep 0.05; done"}, Shell: true}
	p := assign(t, st, w, task)
	if err := st.Create(p+"/under", []byte("junk")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := result(t, st, task.ID); got.State != store.StateSucceeded {
		t.Fatalf("result %+v", got)
	}
	if kids, err := st.Children(st.Layout().Deadletter()); err != nil || len(kids) != 1 {
		t.Fatalf("deadletter %v (%v), want what was under the assignment", kids, err)
	}
}

func TestSessionLossKillsRunningAttempts(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, stop := startWorker(t, root, "w1", nil)
	dir := t.TempDir()
	task := &store.Task{Cmd: []string{`echo $$ > ` + dir + `/child.pid; exec sleep 30`}, Shell: true}
	assign(t, st, w, task)
	readPid(t, dir+"/child.pid")
	// Closing the worker's store ends its session: the process must die unreported.
	stop()
	st.Close()
	assertGone(t, dir+"/child.pid")
	other := drovertest.OpenStore(t, root)
	if exists(t, other, other.Layout().Result(task.ID)) {
		t.Fatal("a killed attempt was reported")
	}
	if exists(t, other, other.Layout().Worker("w1")) {
		t.Fatal("registration outlived the session")
	}
}

func TestTail(t *testing.T) {
	tl := newTail(5)
	for _, s := range []string{"ab", "cd", "efg", "", "h"} {
		_, _ = tl.Write([]byte(s))
	}
	if tl.String() != "defgh" {
		t.Fatalf("tail %q", tl.String())
	}
	_, _ = tl.Write([]byte("0123456789"))
	if tl.String() != "56789" {
		t.Fatalf("tail %q", tl.String())
	}
	n, err := newTail(5).ReadFrom(strings.NewReader("ignored"))
	if err != nil || n != 7 {
		t.Fatalf("ReadFrom: %d %v", n, err)
	}
	big := newTail(4)
	if _, err := big.ReadFrom(strings.NewReader(strings.Repeat("x", 100000) + "abcd")); err != nil || big.String() != "abcd" {
		t.Fatalf("ReadFrom of a long stream kept %q (%v)", big.String(), err)
	}
	// Cut inside a character: the tail starts at the next whole one, where
	// it started with bytes that a record shows as U+FFFD.
	text := newTail(4)
	_, _ = text.Write([]byte("x€ab")) // € is 3 bytes: the cut leaves its last 2
	if got := text.String(); got != "ab" {
		t.Fatalf("tail cut inside a character kept %q", got)
	}
	uncut := newTail(5)
	_, _ = uncut.Write([]byte("\x82ab")) // not cut: what was written stands
	if got := uncut.String(); got != "\x82ab" {
		t.Fatalf("tail that was not cut kept %q", got)
	}
}

func TestWorkerPolicy(t *testing.T) {
	root := drovertest.NewRoot()
	t.Setenv("WORKER_SECRET", "hunter2")
	w, st, _ := startWorker(t, root, "w1", func(c *Config) {
		c.Allow = []string{"/bin/sh", "/usr/bin/sh", "env"}
		c.CleanEnv = true
	})
	denied := &store.Task{Cmd: []string{"echo", "hi"}}
	assign(t, st, w, denied)
	if got := result(t, st, denied.ID); got.State != store.StateFailed || *got.ExitCode != 126 || !strings.Contains(got.Error, "not allowed") {
		t.Fatalf("echo not on the allow-list: %+v", got)
	}
	env := &store.Task{Cmd: []string{"env"}, Env: map[string]string{"MINE": "1"}}
	assign(t, st, w, env)
	got := result(t, st, env.ID)
	if got.State != store.StateSucceeded || strings.Contains(got.Stdout, "hunter2") || !strings.Contains(got.Stdout, "MINE=1") ||
		!strings.Contains(got.Stdout, "DROVER_TASK_ID=") {
		t.Fatalf("clean env: %+v", got)
	}
	if _, err := New(Config{ID: "x", Store: st, Allow: []string{"["}}); err == nil {
		t.Fatal("bad allow pattern accepted")
	}
}

func TestRunAs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.RunAs = "nobody" })
	task := &store.Task{Cmd: []string{"id", "-un"}}
	assign(t, st, w, task)
	if got := result(t, st, task.ID); got.Stdout != "nobody\n" {
		t.Fatalf("ran as %q, want nobody (%+v)", got.Stdout, got)
	}
}

// readPid waits for a pid file written by a task and returns the pid.
// readPid waits until a command has written a pid to file and returns it.
// The file's existence is not enough: the shell creates it before echo writes.
func readPid(t *testing.T, file string) int {
	t.Helper()
	var pid int
	drovertest.WaitFor(t, 10*time.Second, "pid file "+file, func() bool {
		data, err := os.ReadFile(file)
		if err != nil {
			return false
		}
		_, err = fmtSscan(strings.TrimSpace(string(data)), &pid)
		return err == nil && pid > 0
	})
	return pid
}

// assignmentState reads an assignment's state ("" when it is gone).
func assignmentState(t *testing.T, st *store.Store, p string) store.State {
	t.Helper()
	data, _, err := st.Get(p)
	if errors.Is(err, store.ErrNoNode) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	return task.State
}

// behindProxy runs worker w1 through a proxy the test can cut or freeze,
// and opens a leader's store beside it, past the proxy.
func behindProxy(t *testing.T) (w *Worker, px *drovertest.Proxy, leader *store.Store) {
	t.Helper()
	root := drovertest.NewRoot()
	px = drovertest.StartProxy(t, drovertest.Addr())
	w, err := New(Config{ID: "w1", Commands: true, Store: drovertest.OpenStoreAt(t, px.Addr(), root), Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	return w, px, drovertest.OpenStore(t, root)
}

// sleepingBehindProxy runs worker w1 through a proxy the test can cut or
// freeze, with one attempt of a sleep marked running: the store of a
// leader's, the assignment's path, the task and the sleep's pid.
func sleepingBehindProxy(t *testing.T) (w *Worker, px *drovertest.Proxy, leader *store.Store, path string, task *store.Task, pid int) {
	t.Helper()
	w, px, leader = behindProxy(t)
	dir := t.TempDir()
	task = &store.Task{Cmd: []string{`echo $$ > ` + dir + `/child.pid; exec sleep 30`}, Shell: true}
	path = assign(t, leader, w, task)
	pid = readPid(t, dir+"/child.pid")
	drovertest.WaitFor(t, 10*time.Second, "assignment marked running", func() bool {
		return assignmentState(t, leader, path) == store.StateRunning
	})
	return w, px, leader, path, task, pid
}

func TestSessionExpiryKillsAndRegistersAgain(t *testing.T) {
	w, px, leader, path, task, pid := sleepingBehindProxy(t)
	reg := w.Reg()

	// Cut the worker off past its session timeout: ZooKeeper expires the
	// session and deletes the registration, and the leader would place the
	// attempt elsewhere. The worker cannot learn of the expiry while cut
	// off, so after a session timeout without contact it stops the attempt
	// itself, before it is back in touch.
	px.Cut(true)
	drovertest.WaitFor(t, 15*time.Second, "registration expired", func() bool {
		return !exists(t, leader, leader.Layout().Worker("w1"))
	})
	drovertest.WaitFor(t, 15*time.Second, "attempt killed while still cut off", func() bool { return syscall.Kill(pid, 0) != nil })
	px.Cut(false)

	// Back in touch, it registers anew; the attempt was not reported.
	drovertest.WaitFor(t, 15*time.Second, "registered again", func() bool {
		e, err := leader.Worker("w1")
		return err == nil && e != nil && e.Reg != reg && e.Reg == w.Reg()
	})
	fresh := &store.Task{Cmd: []string{"echo", "again"}}
	assign(t, leader, w, fresh)
	if got := result(t, leader, fresh.ID); got.State != store.StateSucceeded || got.Stdout != "again\n" {
		t.Fatalf("after re-registration: %+v", got)
	}
	// The killed attempt was not reported, and its assignment (of the earlier
	// registration) is left for the leader to place again.
	if exists(t, leader, leader.Layout().Result(task.ID)) || exists(t, leader, leader.Layout().QueueItem(task.ID)) {
		t.Fatal("an attempt killed by session loss was reported")
	}
	if s := assignmentState(t, leader, path); s != store.StateRunning {
		t.Fatalf("assignment of the earlier registration: state %q, want it untouched (running)", s)
	}
}

func TestTransientDisconnectKeepsAttemptAndReports(t *testing.T) {
	w, px, leader := behindProxy(t)
	reg := w.Reg()
	dir := t.TempDir()
	task := &store.Task{Shell: true,
		Cmd: []string{`echo $$ > ` + dir + `/child.pid; while [ ! -e ` + dir + `/go ]; do sleep 0.01; done; echo done`}}
	assign(t, leader, w, task)
	pid := readPid(t, dir+"/child.pid")
	// Disconnect well inside the session timeout; the attempt finishes while
	// the worker is cut off, so its report has to wait for the connection.
	px.Cut(true)
	if err := os.WriteFile(dir+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 5*time.Second, "attempt exited", func() bool { return syscall.Kill(pid, 0) != nil })
	px.Cut(false)
	got := result(t, leader, task.ID)
	if got.State != store.StateSucceeded || got.Stdout != "done\n" {
		t.Fatalf("result %+v", got)
	}
	if w.Reg() != reg {
		t.Fatal("a transient disconnect replaced the registration")
	}
}

// Many chatty attempts finishing together are reported in group commits that
// stay under jute.maxbuffer: ZooKeeper would otherwise drop the connection.
func TestLargeReportsDoNotOverflowOneRequest(t *testing.T) {
	const n = 10
	root := drovertest.NewRoot()
	// A slot for each: they run at once (the worker runs no more than its
	// capacity, whatever is assigned).
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Capacity = n })
	dir := t.TempDir()
	var ids []string
	for range n {
		task := &store.Task{Shell: true, Cmd: []string{`touch ` + dir + `/started.$DROVER_TASK_ID; ` +
			`while [ ! -e ` + dir + `/go ]; do sleep 0.01; done; ` +
			`head -c 65536 /dev/zero | tr '\0' o; head -c 65536 /dev/zero | tr '\0' e >&2`}}
		assign(t, st, w, task)
		ids = append(ids, task.ID)
	}
	drovertest.WaitFor(t, 10*time.Second, "all attempts started", func() bool {
		m, _ := filepath.Glob(dir + "/started.*")
		return len(m) == n
	})
	connected, changed := st.Connected()
	if !connected {
		t.Fatal("not connected")
	}
	if err := os.WriteFile(dir+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if got := result(t, st, id); got.State != store.StateSucceeded || len(got.Stdout) != 65536 || len(got.Stderr) != 65536 {
			t.Fatalf("task %s: %s, %d/%d bytes of output", id, got.State, len(got.Stdout), len(got.Stderr))
		}
	}
	select {
	case <-changed:
		t.Fatal("the worker's ZooKeeper connection dropped while reporting")
	default:
	}
}

// An outcome that would not fit in one znode (a spec near the limit plus full
// output tails) is still reported, with shortened tails, instead of leaving
// its assignment running forever.
func TestOversizedOutcomeIsReportedWithShorterTails(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	task := &store.Task{Shell: true, Payload: make([]byte, 680*1024),
		Cmd: []string{`head -c 65536 /dev/zero | tr '\0' o; printf END`}}
	assign(t, st, w, task)
	got := result(t, st, task.ID)
	if got.State != store.StateSucceeded || !strings.HasSuffix(got.Stdout, "END") || len(got.Stdout) >= 65536+3 || len(got.Stdout) < 1024 {
		t.Fatalf("result %s with %d bytes of stdout", got.State, len(got.Stdout))
	}
}

func TestOutputLimit(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.OutputLimit = 4 })
	task := &store.Task{Cmd: []string{"printf 0123456789; printf abcdefghij >&2"}, Shell: true}
	assign(t, st, w, task)
	if got := result(t, st, task.ID); got.Stdout != "6789" || got.Stderr != "ghij" {
		t.Fatalf("stdout %q stderr %q", got.Stdout, got.Stderr)
	}
}

func TestNewValidates(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	for name, cfg := range map[string]Config{
		"bad id":          {ID: "a/b", Store: st},
		"empty id":        {Store: st},
		"no store":        {ID: "w"},
		"bad label key":   {ID: "w", Store: st, Labels: map[string]string{"a b": "x"}},
		"bad label value": {ID: "w", Store: st, Labels: map[string]string{"zone": ".."}},
		"capacity":        {ID: "w", Store: st, Capacity: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	w, err := New(Config{ID: "w", Commands: true, Store: st})
	if err != nil || w.cfg.Capacity != 4 || w.cfg.OutputLimit != store.OutputTail || w.cfg.Now == nil {
		t.Fatalf("defaults: %+v %v", w.cfg, err)
	}
}

// prepare fills in what assign does for a task placed on w.
func prepare(t *testing.T, st *store.Store, w *Worker, task *store.Task) {
	t.Helper()
	task.ID, task.Attempt, task.Reg, task.Worker = ulid.Make().String(), 1, w.Reg(), w.cfg.ID
	if err := st.EnsureBuckets(task.ID); err != nil {
		t.Fatal(err)
	}
}

func manifestsIn(t *testing.T, st *store.Store, worker string) int {
	return drovertest.Manifests(t, st, st.Layout().WorkerTasks(worker))
}

// Assignments placed together come with a manifest: the worker runs each
// once from the copies and deletes the manifest.
func TestManifestRunsEachAssignmentOnce(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	tasks := make([]*store.Task, 3)
	for i := range tasks {
		tasks[i] = &store.Task{Cmd: []string{"echo", fmt.Sprint("task ", i)}}
		prepare(t, st, w, tasks[i])
	}
	txn := st.Txn()
	if err := txn.AssignBatch(tasks, ""); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	for i, task := range tasks {
		got := result(t, st, task.ID)
		if got.State != store.StateSucceeded || got.Stdout != fmt.Sprint("task ", i, "\n") || len(got.History) != 1 {
			t.Fatalf("task %d: %+v", i, got)
		}
	}
	drovertest.WaitFor(t, 5*time.Second, "manifest deleted", func() bool { return manifestsIn(t, st, "w1") == 0 })
}

// A copy in a manifest that is not the assignment as it stands (it changed
// after it was created) is not run: the worker reads the assignment.
func TestManifestCopyNotMatchingIsNotRun(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	a := &store.Task{Cmd: []string{"echo", "copy"}}
	b := &store.Task{Cmd: []string{"echo", "other"}}
	prepare(t, st, w, a)
	prepare(t, st, w, b)
	real := a.Clone()
	real.Cmd = []string{"echo", "real"}
	real.State = store.StateAssigned
	data, err := store.Encode(real)
	if err != nil {
		t.Fatal(err)
	}
	txn := st.Txn()
	if err := txn.AssignBatch([]*store.Task{a, b}, ""); err != nil {
		t.Fatal(err)
	}
	// In the same transaction, so the worker never sees version 0.
	txn.Set(st.Layout().Assignment("w1", a.ID, 1), data, 0)
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := result(t, st, a.ID); got.Stdout != "real\n" {
		t.Fatalf("ran %q, want the assignment as it stands (real)", got.Stdout)
	}
	if got := result(t, st, b.ID); got.Stdout != "other\n" {
		t.Fatalf("b: %+v", got)
	}
}

// The lone assignment of an idle worker is copied into its directory's data;
// two or more get a manifest, and a busy worker no copy. The idle worker
// starts from the copy without reading the assignment: here a copy that
// differs from the assignment (never so outside this test) shows which ran.
func TestDirCopyOfLoneAssignment(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	commit := func(tasks []*store.Task, lone string, extra func(*store.Txn)) {
		t.Helper()
		txn := st.Txn()
		if err := txn.AssignBatch(tasks, lone); err != nil {
			t.Fatal(err)
		}
		if extra != nil {
			extra(txn)
		}
		if err := txn.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	idle := "w1" // the worker that gets a lone assignment's copy

	a := &store.Task{Cmd: []string{"echo", "assignment"}}
	prepare(t, st, w, a)
	copied := a.Clone()
	copied.Cmd, copied.State = []string{"echo", "copy"}, store.StateAssigned
	data, err := store.Encode(copied)
	if err != nil {
		t.Fatal(err)
	}
	// Once the worker has listed its directory it waits for a change, so
	// it reads the copy and the listing after the commit.
	drovertest.WaitFor(t, 5*time.Second, "first listing", func() bool { return w.listings.Load() > 0 })
	commit([]*store.Task{a}, idle, func(txn *store.Txn) { txn.Set(st.Layout().WorkerTasks("w1"), data, -1) })
	if got := result(t, st, a.ID); got.Stdout != "copy\n" {
		t.Fatalf("ran %q, want the directory's copy", got.Stdout)
	}

	b := &store.Task{Cmd: []string{"echo", "lone"}}
	prepare(t, st, w, b)
	commit([]*store.Task{b}, idle, nil)
	if got := result(t, st, b.ID); got.Stdout != "lone\n" {
		t.Fatalf("b: %+v", got)
	}
	for name, batch := range map[string]struct {
		n    int
		lone string
	}{"two assignments": {2, idle}, "a busy worker": {1, ""}} {
		tasks := make([]*store.Task, batch.n)
		for i := range tasks {
			tasks[i] = &store.Task{Cmd: []string{"true"}}
			prepare(t, st, w, tasks[i])
		}
		commit(tasks, batch.lone, nil)
		data, _, err := st.Get(st.Layout().WorkerTasks("w1"))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := store.DecodeTask(data); err != nil || got.ID != b.ID {
			t.Fatalf("%s: the directory's copy changed to %+v (%v)", name, got, err)
		}
		for _, task := range tasks {
			if got := result(t, st, task.ID); got.State != store.StateSucceeded {
				t.Fatalf("%s: %+v", name, got)
			}
		}
	}
}

// A copy counts only with a listing that shows the directory's children as
// the copy's transaction left them.
func TestDirCopyOnlyForItsListing(t *testing.T) {
	// No worker runs: the test lists and reads the directory itself.
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	dir := st.Layout().WorkerTasks("w1")
	if err := st.EnsurePath(dir); err != nil {
		t.Fatal(err)
	}
	a := &store.Task{ID: ulid.Make().String(), Attempt: 1, Worker: "w1", Cmd: []string{"true"}}
	txn := st.Txn()
	if err := txn.AssignBatch([]*store.Task{a}, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	c, err := st.WorkerDirCopy("w1")
	if err != nil {
		t.Fatal(err)
	}
	_, listing, err := st.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.For(listing); got == nil || got.ID != a.ID {
		t.Fatalf("copy with its own listing: %+v", got)
	}
	if err := st.Create(dir+"/other", nil); err != nil {
		t.Fatal(err)
	}
	_, later, err := st.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.For(later); got != nil {
		t.Fatalf("copy with a later listing: %+v, want none", got)
	}
}

// Directory data that is no copy is moved to deadletter; the assignment is
// read itself.
func TestMalformedDirCopyIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	task := &store.Task{Cmd: []string{"echo", "read"}}
	prepare(t, st, w, task)
	txn := st.Txn()
	if err := txn.AssignBatch([]*store.Task{task}, "w1"); err != nil {
		t.Fatal(err)
	}
	txn.Set(st.Layout().WorkerTasks("w1"), []byte("{not json"), -1)
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := result(t, st, task.ID); got.Stdout != "read\n" {
		t.Fatalf("%+v", got)
	}
	// The worker may have moved it aside already; either way it ends there.
	if _, err := st.WorkerDirCopy("w1"); err != nil && !errors.Is(err, store.ErrMalformed) {
		t.Fatal(err)
	}
	if data, _, err := st.Get(st.Layout().WorkerTasks("w1")); err != nil || len(data) != 0 {
		t.Fatalf("directory data after a read of garbage: %q %v", data, err)
	}
	if kids, err := st.Children(st.Layout().Deadletter()); err != nil || len(kids) != 1 {
		t.Fatalf("deadletter: %v %v", kids, err)
	}
}

// Run called again on a worker whose store (and session) lives on starts a
// new registration: the attempts the first Run killed are the leader's to
// place again, never run again here under the same attempt.
func TestRunAgainDoesNotRerunAttempts(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, stop := startWorker(t, root, "w1", nil)
	dir := t.TempDir()
	first := w.Reg()
	task := &store.Task{Cmd: []string{`echo $DROVER_ATTEMPT >> ` + dir + `/runs; exec sleep 30`}, Shell: true}
	assign(t, st, w, task)
	drovertest.WaitFor(t, 10*time.Second, "the attempt started", func() bool {
		data, err := os.ReadFile(dir + "/runs")
		return err == nil && len(data) > 0
	})
	stop()
	if exists(t, st, st.Layout().Worker("w1")) {
		t.Fatal("the registration outlived Run")
	}

	drovertest.Run(t, "worker again", w.Run)
	drovertest.WaitFor(t, 10*time.Second, "a new registration", func() bool { return w.Reg() != 0 && w.Reg() != first })
	witness := &store.Task{Cmd: []string{"true"}}
	assign(t, st, w, witness)
	if got := result(t, st, witness.ID); got.State != store.StateSucceeded {
		t.Fatalf("witness: %+v", got)
	}
	if data, _ := os.ReadFile(dir + "/runs"); string(data) != "1\n" {
		t.Fatalf("runs of the first attempt: %q", data)
	}
}

// Draining marks the registration (so the leader places nothing more), lets
// running attempts finish and report, then ends the registration.
func TestDrainFinishesRunningWork(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	dir := t.TempDir()
	task := &store.Task{Cmd: []string{`touch ` + dir + `/started; while [ ! -e ` + dir + `/go ]; do sleep 0.05; done`}, Shell: true}
	assign(t, st, w, task)
	drovertest.WaitFor(t, 10*time.Second, "the attempt started", func() bool {
		_, err := os.Stat(dir + "/started")
		return err == nil
	})
	w.Drain()
	drovertest.WaitFor(t, 10*time.Second, "registration marked draining", func() bool {
		e, err := st.Worker("w1")
		return err == nil && e != nil && e.Info.Draining
	})
	if err := os.WriteFile(dir+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := result(t, st, task.ID); got.State != store.StateSucceeded {
		t.Fatalf("the running attempt did not finish: %+v", got)
	}
	drovertest.WaitFor(t, 10*time.Second, "registration gone", func() bool { return !exists(t, st, st.Layout().Worker("w1")) })
}

// handlerAttempt is a worker w1 over st, not running, with a handler h
// that counts its calls, and an assignment of a task for h placed on it
// (at path), for tests that play an attempt by hand.
func handlerAttempt(t *testing.T, st *store.Store) (w *Worker, calls *atomic.Int32, task *store.Task, path string) {
	t.Helper()
	w, err := New(Config{ID: "w1", Commands: true, Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	calls = new(atomic.Int32)
	_ = w.Handle("h", HandlerFunc(func(context.Context, *Task) ([]byte, error) {
		calls.Add(1)
		return nil, nil
	}))
	w.reg.Store(1)
	if err := st.EnsurePath(st.Layout().WorkerTasks("w1")); err != nil {
		t.Fatal(err)
	}
	task = &store.Task{Handler: "h"}
	return w, calls, task, assign(t, st, w, task)
}

// An attempt whose running mark waited in the group commit while its
// context ended (the worker stopping, or losing its session) does not
// start: it used to run with a dead context and go unreported.
func TestAttemptDoesNotStartAfterItsContextEnded(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w, calls, task, path := handlerAttempt(t, st)
	sess, err := st.CurrentSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w.batch = newBatcher(st)
	actx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.attempt(actx, w.log, path, 0, task, sess, func() {}) }()
	drovertest.WaitFor(t, 5*time.Second, "running mark queued", func() bool { return len(w.batch.reqs) == 1 })
	cancel(errors.New("worker stopping"))
	bctx, bcancel := context.WithCancel(context.Background())
	batcherDone := make(chan struct{})
	go func() { defer close(batcherDone); w.batch.run(bctx) }()
	defer func() { bcancel(); <-batcherDone }()
	<-done
	if state := assignmentState(t, st, path); state != store.StateRunning {
		t.Fatalf("assignment %q, want marked running (the mark committed)", state)
	}
	if n := calls.Load(); n > 0 {
		t.Fatalf("handler ran %d time(s) after the attempt's context ended", n)
	}
}

// An attempt whose running mark landed on the session after the one it was
// placed under (the old expired while the mark waited) does not start, even
// before the serve loop has ended its context: the registration died with
// the old session, and the leader places the attempt again.
func TestAttemptDoesNotStartAfterItsSessionExpired(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreAt(t, px.Addr(), root)
	other := drovertest.OpenStore(t, root)
	w, calls, task, path := handlerAttempt(t, st)
	marker := st.Layout().Worker("w1")
	if _, _, err := st.CreateEphemeral(context.Background(), marker, nil); err != nil {
		t.Fatal(err)
	}
	sess, err := st.CurrentSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	px.Cut(true)
	drovertest.WaitFor(t, 15*time.Second, "session expired on the server", func() bool { return !exists(t, other, marker) })
	px.Cut(false)
	drovertest.WaitFor(t, 15*time.Second, "a new session", func() bool {
		cur, err := st.CurrentSession(context.Background())
		return err == nil && cur != sess
	})
	w.batch = newBatcher(st)
	bctx, bcancel := context.WithCancel(context.Background())
	batcherDone := make(chan struct{})
	go func() { defer close(batcherDone); w.batch.run(bctx) }()
	defer func() { bcancel(); <-batcherDone }()
	if err := w.attempt(context.Background(), w.log, path, 0, task, sess, func() {}); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n > 0 {
		t.Fatalf("handler ran %d time(s) after the session it was placed under expired", n)
	}
	if state := assignmentState(t, other, path); state != store.StateRunning {
		t.Fatalf("assignment %q, want marked running (the mark committed on the new session)", state)
	}
}

// A worker partitioned from ZooKeeper (bytes dropped, nothing closed) stops
// its attempts before the server expires its session: from then on the
// leader places them elsewhere. It used to count the session timeout from
// when its client noticed the silence (two thirds of the timeout late) and
// only between requests, and ran on for about a timeout more.
func TestPartitionedWorkerStopsBeforeItsSessionExpires(t *testing.T) {
	w, px, leader, _, _, pid := sleepingBehindProxy(t)
	px.Freeze()
	drovertest.WaitFor(t, 15*time.Second, "registration expired", func() bool {
		return !exists(t, leader, leader.Layout().Worker("w1"))
	})
	expired := time.Now()
	drovertest.WaitFor(t, 15*time.Second, "attempt killed", func() bool { return syscall.Kill(pid, 0) != nil })
	// A bound of half the timeout, not zero: it tells the old behaviour
	// (about a timeout late) from the new on a busy machine too.
	if late := time.Since(expired); late > drovertest.SessionTimeout/2 {
		t.Fatalf("the attempt ran on %v after its session expired (and the leader placed it again)", late)
	}
	px.Cut(true)
	px.Cut(false)
	drovertest.WaitFor(t, 15*time.Second, "registered again", func() bool {
		e, err := leader.Worker("w1")
		return err == nil && e != nil && e.Reg == w.Reg()
	})
}

// TestReportOfATaskThatRanTwiceFreesItsSlot: an outcome whose record is
// there already (the task was queued twice and ran elsewhere) is dropped and
// the assignment deleted. The worker used to keep the assignment, and the
// slot, for ever.
func TestReportOfATaskThatRanTwiceFreesItsSlot(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}}
	done := task.Clone()
	done.State, done.Attempt, done.Worker = store.StateSucceeded, 1, "elsewhere"
	if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error { return txn.Finish(done) }); err != nil {
		t.Fatal(err)
	}
	p := assign(t, st, w, task)
	drovertest.WaitFor(t, 20*time.Second, "the assignment deleted", func() bool { return !exists(t, st, p) })
	if got := result(t, st, task.ID); got.Worker != "elsewhere" {
		t.Fatalf("the record there was changed: %+v", got)
	}
}

// TestDrainWithoutZooKeeper: a drain asked for while the worker waits for
// its connection, or waits to register again, ends at its deadline though
// ZooKeeper is away. The worker waited for ZooKeeper in both, and stopped
// only on a second signal.
func TestDrainWithoutZooKeeper(t *testing.T) {
	for _, timeout := range []time.Duration{20 * time.Second, drovertest.SessionTimeout} {
		t.Run(fmt.Sprint("session timeout ", timeout), func(t *testing.T) { drainWithoutZooKeeper(t, timeout) })
	}
}

// drainWithoutZooKeeper drains a worker cut off from ZooKeeper: with a long
// session timeout while it serves, with a short one (its cut-off comes
// first) while it waits to register again.
func drainWithoutZooKeeper(t *testing.T, timeout time.Duration) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	wst := drovertest.OpenStoreFor(t, px.Addr(), root, timeout)
	w, err := New(Config{ID: "w1", Commands: true, Store: wst, DrainTimeout: time.Second, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(context.Background()) }()
	<-w.Registered()
	leader := drovertest.OpenStore(t, root)
	dir := t.TempDir()
	assign(t, leader, w, &store.Task{Cmd: []string{`echo $$ > ` + dir + `/child.pid; exec sleep 30`}, Shell: true})
	readPid(t, dir+"/child.pid") // running
	px.Cut(true)
	drovertest.WaitFor(t, 10*time.Second, "the worker disconnected", func() bool { ok, _ := wst.Connected(); return !ok })
	w.Drain()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		px.Cut(false) // let it go
		t.Fatal("the drain did not end without ZooKeeper")
	}
	if s := w.Stats(); s.Registered || s.Started != 1 || s.Killed != 1 || s.Reported+s.Unreported != 0 {
		t.Fatalf("stats after the drain: %+v", s)
	}
	assertGone(t, dir+"/child.pid")
}

// TestIdleDrainLeavesNoRegistration: an idle worker's drain returns at once,
// and its registration goes though the store stays open; Run again on the
// drained Worker registers nothing. The draining
// mark, written aside, changed the version under the deletion, which then
// failed without a word in two runs of three.
func TestIdleDrainLeavesNoRegistration(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	for i := range 10 {
		id := fmt.Sprintf("idle-%d", i)
		w, err := New(Config{ID: id, Commands: true, Store: st, Log: drovertest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		ran := make(chan error, 1)
		go func() { ran <- w.Run(context.Background()) }()
		<-w.Registered()
		w.Drain()
		select {
		case err := <-ran:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("an idle worker's drain did not end")
		}
		if exists(t, st, st.Layout().Worker(id)) {
			t.Fatalf("run %d: the registration outlived the drain", i)
		}
		// A drain is for good: Run again registers nothing.
		if err := w.Run(context.Background()); err != nil || exists(t, st, st.Layout().Worker(id)) {
			t.Fatalf("run %d: Run again after the drain: %v, registered %v", i, err, exists(t, st, st.Layout().Worker(id)))
		}
	}
}
