package worker

import (
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A worker may be given --capacity up to 10,000 (store.MaxCapacity), but
// each command it runs holds an OS thread of the worker for as long as it
// runs: cmd.Wait blocks in waitid(2) (os.Process.Wait on a pidfd), a
// blocking system call, and the Go runtime gives each one a thread of its
// own. A program exceeding Go's default limit of 10,000 threads dies
// ("runtime: program exceeds 10000-thread limit", fatal error: thread
// exhaustion): a worker of capacity 10,000 running that many commands
// (plus its spawners and the runtime's own threads) dies, killing every
// command it runs, and so does the next, on the same tasks. Nothing sets
// debug.SetMaxThreads, and the README sets no lower bound on long
// commands. The test runs n commands at once and counts the threads the
// process holds blocked in waitid; the waits could share few threads
// instead (the pidfds in the poller, or one SIGCHLD reaper).
func TestWorkerAtFullCapacityStaysWithinGosThreadLimit(t *testing.T) {
	const n = 200
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Capacity = n })
	dir := t.TempDir()
	for range n {
		assign(t, st, w, &store.Task{Shell: true, Cmd: []string{`: > ` + dir + `/$DROVER_TASK_ID; exec sleep 600`}})
	}
	drovertest.WaitFor(t, 60*time.Second, "all commands running", func() bool {
		e, _ := os.ReadDir(dir)
		return len(e) == n
	})
	limit := debug.SetMaxThreads(10000)
	debug.SetMaxThreads(limit)
	// Each command's Wait blocks a thread in waitid as it starts.
	if drovertest.Eventually(5*time.Second, func() bool { return waiting(t) >= n }) {
		all := threads(t)
		t.Fatalf("%d commands running hold %d OS threads of the worker blocked in waitid (%d threads in all): at capacity %d that is %d threads and more, past Go's limit of %d: the worker dies of thread exhaustion",
			n, waiting(t), all, store.MaxCapacity, all-n+store.MaxCapacity, limit)
	}
}

// waiting is the number of this process's threads blocked in waitid(2).
func waiting(t *testing.T) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	prefix := []byte(strconv.Itoa(unix.SYS_WAITID) + " ")
	n := 0
	for _, e := range tasks {
		if b, err := os.ReadFile("/proc/self/task/" + e.Name() + "/syscall"); err == nil && bytes.HasPrefix(b, prefix) {
			n++
		}
	}
	return n
}

// threads is the number of OS threads of this process.
func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
			n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads: line in /proc/self/status")
	return 0
}
