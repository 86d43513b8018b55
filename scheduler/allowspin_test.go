package scheduler

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A leader with nothing it can place must sit idle. A backlog of commands
// whose program no worker's --allow list admits (each worker has their
// labels, none runs their program) cannot be placed until a worker that
// admits it registers; meanwhile every placement pass (each event, and at
// least once a second on the overdue tick) pops and pushes back every one
// of them and tries each against every free worker (place: "skipped
// alone"). With 10,000 such tasks and 50 idle workers a release-built
// leader burns ~10% of a core doing nothing, and ~7 ms of CPU per task it
// does place on the rest of the fleet (measured with drover dev, see the
// review report); the readyQueue comment promises a pass costs one try per
// shape however many tasks wait for workers that are absent.
func TestUnadmittedCommandBacklogDoesNotSpinTheLeader(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	const workers, backlog = 50, 10000
	fleet := make([]*fakeWorker, workers)
	for i := range fleet {
		fleet[i] = registerAllowWorker(t, root, fmt.Sprintf("aw-%d", i), 4, []string{"ok-*"})
	}
	drovertest.WaitFor(t, time.Minute, "the fleet in the leader's view", func() bool {
		return s.Stats().Workers == workers
	})
	// Commands of a program no worker admits: they wait for one that does.
	submit(t, st, backlog, func(i int, task *store.Task) {
		task.ID = spreadID(i)
		task.Cmd = []string{"/usr/bin/true"}
	})
	drovertest.WaitFor(t, 3*time.Minute, "backlog in the leader's view", func() bool {
		return s.Stats().Queued["normal"] >= backlog
	})
	// One admitted task is placed: the workers are listed, and free.
	probe := submit(t, st, 1, func(_ int, task *store.Task) { task.Cmd = []string{"ok-probe"} })[0]
	drovertest.WaitFor(t, time.Minute, "probe placed", func() bool {
		for _, w := range fleet {
			for _, a := range w.assignments(t) {
				if strings.HasPrefix(a, probe) {
					return true
				}
			}
		}
		return false
	})

	// A measurement window, not a wait for a condition: nothing changes in
	// the cluster during it, and the leader has nothing it can place.
	const window = 5 * time.Second
	before, start := cpuTime(t), time.Now()
	time.Sleep(window)
	used, took := cpuTime(t)-before, time.Since(start)
	share := float64(used) / float64(took)
	t.Logf("idle leader with %d unadmitted commands queued and %d free allow-list workers: %v CPU in %v (%.1f%% of a core)",
		backlog, workers, used, took.Round(time.Millisecond), 100*share)
	// The same fleet idle with the backlog waiting for a label no worker
	// has instead (one try per shape) measured 6% under -race: the 50
	// workers' sessions and the race detector.
	if share > 0.20 {
		t.Fatalf("the leader used %.1f%% of a core over %v with nothing it could place: each pass tries every one of the %d queued commands against every free worker",
			100*share, took.Round(time.Millisecond), backlog)
	}
}
