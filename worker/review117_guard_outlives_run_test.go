package worker_test

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/worker"
)

// guardChildren lists this process's children that are worker guards (their
// environment names this process in DROVER_WORKER_GUARD).
func guardChildren(t *testing.T) []int {
	t.Helper()
	me := strconv.Itoa(os.Getpid())
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if string(kv) == "DROVER_WORKER_GUARD="+me {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// creators counts the live goroutines by the function that started them.
func creators() map[string]int {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	out := map[string]int{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if i := strings.Index(g, "created by "); i >= 0 {
			line := g[i+len("created by "):]
			if j := strings.IndexAny(line, " \n"); j >= 0 {
				line = line[:j]
			}
			out[line]++
		}
	}
	return out
}

// Run's doc: "On return every process it started has been killed and
// waited for." A program that embeds a worker with Config.Commands (as
// `drover worker` does), runs it, stops it (Run's context) and closes its
// store, expects nothing of the worker left running. Run starts a guard
// process (a copy of the program, guard.go) and a goroutine that waits for
// it, and the command it ran was started from a spawner goroutine locked to
// an OS thread (exec.go): the guard, its goroutine and the spawner (up to
// 16, one thread each) stay for the life of the process, long after every
// Worker has returned and every Store has closed. guard.go and exec.go say
// so ("one guard serves every Worker of the process", "spawners never
// end"); the API docs do not: Config.Commands says only that a guard is
// started. With no Worker running commands none of them has anything left
// to do (every command was killed and reaped before Run returned).
func TestCommandWorkerLeavesNoProcessOrGoroutineAfterRun(t *testing.T) {
	root := drovertest.NewRoot()
	sst := drovertest.OpenStore(t, root)
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: sst})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler", s.Run)
	drovertest.WaitFor(t, 20*time.Second, "the scheduler leading", func() bool { return s.Stats().ViewReady })
	// A guard left by an earlier test of this package (none of whose
	// Workers runs now) is the same defect: it is counted below too.
	before := creators()

	wst := drovertest.OpenStore(t, root)
	w, err := worker.New(worker.Config{ID: "w1", Store: wst, Commands: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- w.Run(ctx) }()
	<-w.Registered()
	c := client.New(sst)
	res, err := c.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	task, err := c.Wait(wctx, res[0].ID)
	wcancel()
	if err != nil || task.State != "succeeded" {
		t.Fatalf("the command task: %v, %v", task, err)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	wst.Close()

	// Whatever Run left has 5 s to end.
	var guards []int
	var left map[string]int
	ok := drovertest.Eventually(5*time.Second, func() bool {
		guards = guardChildren(t)
		left = map[string]int{}
		for fn, n := range creators() {
			if n > before[fn] && strings.Contains(fn, "drover/worker.") {
				left[fn] = n - before[fn]
			}
		}
		return len(guards) == 0 && len(left) == 0
	})
	if !ok {
		t.Fatalf("5 s after Run returned and its store closed: guard processes %v still running; worker goroutines left, by creator: %v", guards, left)
	}
}
