package worker

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review132 made startCommand give up a start whose exec hangs (a program
// on a FUSE or NFS mount gone silent), and grew the spawners to 16 "so a
// slow exec delays only itself". But a hung exec holds more than its
// spawner: os/exec starts the command with vfork, and the Go runtime makes
// that clone from a thread that keeps its P, unpreemptible
// (runtime_BeforeFork: m.locks++, then a raw syscall, no entersyscall),
// until the child's execve has read the program. With GOMAXPROCS execs
// hung (the host's cores: 2 here) no goroutine of the worker runs at all:
// no result, no heartbeat (its session expires, its tasks are re-placed),
// no stop (Run cannot return, nor a drain). A task of /bin/true placed on
// it next (2 of its 4 slots free) never runs. The exec could be made
// where no P is held (a small helper process that execs the program, or
// posix_spawn), or the worker could refuse starts past GOMAXPROCS-1 hung.
//
// The worker runs in a child process (this test binary again, with
// GOMAXPROCS=2 whatever the host), so that its freeze is seen from here;
// the FUSE server runs here.
func TestReview134HungExecFreezesTheWorker(t *testing.T) {
	if root := os.Getenv("REVIEW134_FREEZE_ROOT"); root != "" {
		freezeChild(t, os.Getenv("REVIEW134_FREEZE_ZK"), root)
		return
	}
	fs := mountHangingProgram(t)
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	child := exec.Command(os.Args[0], "-test.run=^TestReview134HungExecFreezesTheWorker$", "-test.count=1", "-test.v")
	child.Env = append(os.Environ(), "REVIEW134_FREEZE_ROOT="+root, "REVIEW134_FREEZE_ZK="+drovertest.Addr(), "GOMAXPROCS=2")
	logf, err := os.Create(filepath.Join(t.TempDir(), "child.log"))
	if err != nil {
		t.Fatal(err)
	}
	child.Stdout, child.Stderr = logf, logf
	child.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		fs.release() // the hung exec fails (EIO), its vfork returns
		_ = child.Process.Kill()
		_ = child.Wait()
		logf.Close()
		if t.Failed() {
			data, _ := os.ReadFile(logf.Name())
			t.Logf("worker process log (last lines):\n%s", tailLines(string(data), 15))
		}
	})

	var reg int64
	drovertest.WaitFor(t, 60*time.Second, "worker w1 registered", func() bool {
		ok, stat, err := st.Exists(st.Layout().Worker("w1"))
		reg = stat.Czxid
		dir, _, derr := st.Exists(st.Layout().WorkerTasks("w1"))
		return err == nil && ok && derr == nil && dir
	})
	// No timeout: its abandon is not what is looked at here (see
	// review134_start_timeout_panic_test.go).
	for range 2 {
		assignTo(t, st, reg, &store.Task{Cmd: []string{fs.prog}})
	}
	select {
	case <-fs.reading:
	case <-time.After(60 * time.Second):
		t.Fatal("the program was never read: its exec did not start")
	}
	ok := assignTo(t, st, reg, &store.Task{Cmd: []string{"true"}, Timeout: store.MillisOf(10 * time.Second)})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	got, err := st.WaitResult(ctx2, ok.ID)
	if err != nil || got.State != store.StateSucceeded {
		var state store.State
		if got != nil {
			state = got.State
		}
		t.Fatalf("worker w1, with 2 execs hung (GOMAXPROCS=2), ran nothing more: [true] %s: state %q, %v (the worker process froze: each hung vfork holds a P)", ok.ID, state, err)
	}
}

// freezeChild runs worker w1 at root until the process is killed.
func freezeChild(t *testing.T, zk, root string) {
	st := drovertest.OpenStoreAt(t, zk, root)
	w, err := New(Config{ID: "w1", Commands: true, Store: st, Capacity: 4, Log: zerolog.New(os.Stderr)})
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Run(context.Background()) // until killed
}

// assignTo writes an assignment of task to worker w1 of registration reg.
func assignTo(t *testing.T, st *store.Store, reg int64, task *store.Task) *store.Task {
	t.Helper()
	task.ID, task.Attempt, task.Reg, task.Worker = ulid.Make().String(), 1, reg, "w1"
	if err := st.EnsureBuckets(task.ID); err != nil {
		t.Fatal(err)
	}
	txn := st.Txn()
	if err := txn.Assign(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	return task
}

func tailLines(s string, n int) string {
	lines := splitLines(s)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

func splitLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		lines = append(lines, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return lines
}
